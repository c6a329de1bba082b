"""Summary statistics of one simulated trial (both arms), as the calibration compares them.

Everything is computed from the two arms' Datasets of :func:`simulator.trial.run_arm` (same
virtual patients; ``observation=trial``).  Rates are fractions of the evaluable patients
(at least one RECIST target at baseline); doses in Gy.  ``STATISTICS`` lists the names, with
units, in the order of a design's columns.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
import yaml

from ..response.recist import CR, PD, assess
from ..trial import arm_endpoints, evaluable, interpolated_median_months
from ..units import HOURS_PER_MONTH, HOURS_PER_WEEK

#: diameter-sum decreases equivalent to the SWOG-type cuts on a product of two diameters of
#: Kwekkeboom 2008 (doi:10.1200/JCO.2007.15.2553): -50 % (PR) and -25 % (minor response) of
#: the product are 1 - sqrt(0.5) and 1 - sqrt(0.75) of a diameter (docs/targets.md)
SWOG_PR_DECREASE = 1.0 - np.sqrt(0.5)
SWOG_MR_DECREASE = 1.0 - np.sqrt(0.75)
#: Kwekkeboom 2008 evaluated response after the treatment (4 cycles at 6-10-week intervals,
#: doi:10.1200/JCO.2007.15.2553); the first evaluation's delay after the last cycle was not
#: retrieved: 6 weeks is our assumption (docs/targets.md), which on NETTER-1's 12-weekly visit
#: grid puts it at the visit 12 weeks after the last cycle (month 8.3)
KWEKKEBOOM_FIRST_EVALUATION_WEEKS = 6.0
#: Roth 2022 measured lesions of at least 8 mL (J Nucl Med, PMC8978188)
ROTH_MIN_VOLUME_ML = 8.0

#: version of the statistics' definitions, stored in a design (a design of another version
#: cannot be extended): 2 = Kwekkeboom's categories on his evaluation schedule; 3 = his
#: population as a pancreatic mixture with a study-level new-lesion factor, and Ezziddin's
#: pancreatic response (the fifth calibration, docs/targets.md)
STATISTICS_VERSION = 3

#: statistic -> units (the order of a design's columns)
STATISTICS = {
    "orr_treated": "1", "orr_control": "1", "pfs20_treated": "1", "pfs20_control": "1",
    "pfs18p4_treated": "1", "pfs8p4_control": "1", "median_pfs_control_months": "months",
    "swog_cr": "1", "swog_pr": "1", "swog_mr": "1", "swog_pd": "1",
    "tumour_gy_per_gbq": "Gy/GBq", "lesion_dose_fall_per_cycle": "1",
    "kidney_gy_per_gbq": "Gy/GBq", "recist_cr_treated": "1",
    "lesion_gy_per_cycle_p01": "Gy", "lesion_gy_per_cycle_p99": "Gy",
    "n_evaluable_treated": "1", "n_evaluable_control": "1",
    "kwekkeboom_cr": "1", "kwekkeboom_pr": "1", "kwekkeboom_mr": "1", "kwekkeboom_pd": "1",
    "ezziddin_pr": "1",
}
#: Kwekkeboom 2008's categories
SWOG_CATEGORIES = ("CR", "PR", "MR", "SD", "PD")


def last_cycle_months(ds: xr.Dataset) -> np.ndarray:
    """Start of each patient's last cycle actually given (activity > 0) [months]; NaN for a
    patient who received none.  ``cycle_start_h`` may be per cycle or per patient and cycle
    (an individualised plan)."""
    start = np.broadcast_to(ds.cycle_start_h.values, ds.injected_activity_gbq.shape)
    given = ds.injected_activity_gbq.values > 0
    with np.errstate(invalid="ignore"):
        last = np.max(np.where(given, start, -np.inf), axis=1)
    return np.where(np.isfinite(last), last, np.nan) / HOURS_PER_MONTH


def first_evaluation_index(ds: xr.Dataset, after_last_cycle_weeks: float) -> np.ndarray:
    """Per patient, the index of the first nominal assessment at least
    ``after_last_cycle_weeks`` after the start of the patient's last cycle
    (:func:`last_cycle_months`): Kwekkeboom's first response evaluation on the trial's visit
    grid.  ValueError if a patient received no activity or has no such assessment."""
    nominal = ds.assessment_nominal_months.values
    due = last_cycle_months(ds) + after_last_cycle_weeks * HOURS_PER_WEEK / HOURS_PER_MONTH
    if np.isnan(due).any():
        raise ValueError("Kwekkeboom's evaluation schedule needs treated patients: "
                         f"{int(np.isnan(due).sum())} received no activity")
    ok = (nominal[None, :] >= due[:, None] - 1e-9) & (np.arange(nominal.size) > 0)[None, :]
    if not ok.any(axis=1).all():
        late = float(due[~ok.any(axis=1)].max())
        raise ValueError(f"no assessment {after_last_cycle_weeks} weeks after the last cycle "
                         f"(due at {late:.2f} months; last at {nominal[-1]:.2f} months)")
    return np.argmax(ok, axis=1)


def new_lesion_progression(ds: xr.Dataset, factor: float) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """Time of the first new lesion [months], progression time [months] and whether it was
    seen, per evaluable patient, as they would be with every patient's new-lesion hazard
    multiplied by ``factor`` >= 1, read from the same simulated arm (no new simulation).

    Exact for a constant hazard (``observation.first_new_lesion_h``: the first new lesion at
    -ln(1 - u) / rate, so a ``factor`` times higher rate puts it at ``factor`` times earlier
    on the same variate ``u``): the new lesion is seen at the first recorded visit at or
    after it, and the progression is the earlier of that visit and the progression already
    seen (by the sum of diameters, or by the unscaled new lesion, which is later); the
    tumours' course does not depend on the hazard.  ``factor`` = 1 returns the arm's own.
    The factor multiplies each patient's sampled hazard, after the cohort's bounds (e.g. the
    ``high`` truncation of ``tumour.new_lesion_rate_per_month``): not the same as a median
    ``factor`` times higher, which the truncation would cap for the highest patients.
    ValueError for ``factor`` < 1 or not finite (a lower hazard would need the progression by
    the sum alone, which the arm does not record)."""
    factor = float(factor)
    if not (np.isfinite(factor) and factor >= 1.0):
        raise ValueError(f"new-lesion hazard factor = {factor}: allowed 1 <= factor < inf")
    ev = evaluable(ds)
    new = ev.new_lesion_time_months.values / factor
    until = ev.progression_time_months.values
    seen = ev.progression_observed.values
    if factor == 1.0:
        return new, until, seen
    visits = ev.visit_time_months.values[:, 1:]          # after baseline
    after = visits >= new[:, None]
    has = after.any(axis=1)
    at = np.where(has, visits[np.arange(visits.shape[0]), after.argmax(axis=1)], np.inf)
    return new, np.where(seen, np.minimum(until, at), np.where(has, at, until)), seen | has


def swog_best_response(ds: xr.Dataset,
                       first_evaluation_weeks: float | None = KWEKKEBOOM_FIRST_EVALUATION_WEEKS,
                       new_lesion_hazard_factor: float = 1.0) -> np.ndarray:
    """Best response per evaluable patient on Kwekkeboom 2008's categories, as strings
    ``CR`` / ``PR`` / ``MR`` / ``SD`` / ``PD``, on Kwekkeboom's evaluation schedule.

    Kwekkeboom evaluated response after the treatment, not during it: the visits before the
    first assessment ``first_evaluation_weeks`` after the last cycle
    (:func:`first_evaluation_index`) are not evaluations (``None``: every visit is).  PD =
    a new lesion by the first evaluation, or a measured sum there >= 20 % and >= 5 mm above
    the baseline (the only earlier scan); otherwise, from the measured sums at the
    evaluations before progression (the visit that shows progression does not count: a new
    lesion at a -35 % sum is PD, not PR; without progression every evaluation counts; the
    first evaluation always counts, as the visits before it are not evaluations): CR =
    RECIST CR; PR = best decrease >= 29.3 %; MR = 13.4-29.3 %; SD otherwise.

    ``new_lesion_hazard_factor`` (>= 1; :func:`new_lesion_progression`): the categories of the
    same patients with every new-lesion hazard that many times higher (a population with
    more early progression, e.g. a study effect; docs/calibration.md §18), exact for every
    category: a CR then needs the first visit with every target gone
    (``targets_gone_time_months``) before the earlier progression.  That reading of the CR
    holds for unconfirmed responses (``response.confirmation`` false, the default); it is
    checked against the arm's own best response at factor 1 (ValueError if they differ, or
    if the arm has no ``targets_gone_time_months``).  Only on Kwekkeboom's schedule
    (``first_evaluation_weeks`` not ``None``).
    """
    ev = evaluable(ds)
    sums = ev.sum_diameters_observed_mm.values
    visits = ev.visit_time_months.values
    n = sums.shape[0]
    first = np.ones(n, dtype=int) if first_evaluation_weeks is None else \
        first_evaluation_index(ev, first_evaluation_weeks)
    new_time, until, seen = new_lesion_progression(ds, new_lesion_hazard_factor)
    until, seen = until[:, None], seen[:, None]
    index = np.arange(sums.shape[1])[None, :]
    before = np.where(seen, visits < until - 1e-9, visits <= until + 1e-9)
    if first_evaluation_weeks is not None:
        before |= index == first[:, None]   # the first evaluation counts (unless PD, below)
    before &= index >= first[:, None]
    post = np.where(before, sums, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        dec = 1.0 - post.min(axis=1) / sums[:, 0]
    best = ev.best_response.values
    cr = best == CR
    if new_lesion_hazard_factor != 1.0:
        cr = complete_response(ds, new_lesion_hazard_factor, first_evaluation_weeks)
    swog = np.where(cr, "CR", np.where(dec >= SWOG_PR_DECREASE, "PR", np.where(
        dec >= SWOG_MR_DECREASE, "MR", "SD")))
    if first_evaluation_weeks is None:
        return np.where((best == PD) & (swog == "SD"), "PD", swog)
    rows = np.arange(n)
    at_first, base = sums[rows, first], sums[:, 0]
    if np.isnan(at_first).any() or np.isnan(base).any():
        raise ValueError("swog_best_response: a measured sum of diameters is NaN at baseline or "
                         "at the first evaluation")
    # RECIST 1.1's progression of the sum (+20 % and +5 mm; the SWOG threshold was not
    # retrieved) against the baseline, the only scan before the first evaluation
    pair = np.column_stack([base, at_first])
    grew = assess(pair, np.zeros(pair.shape, dtype=bool))[:, 0] == PD
    new = new_time <= visits[rows, first] + 1e-9
    return np.where(grew | new, "PD", swog)


def complete_response(ds: xr.Dataset, factor: float,
                      first_evaluation_weeks: float | None) -> np.ndarray:
    """(n_evaluable,) bool: RECIST CR (unconfirmed) with every new-lesion hazard ``factor``
    times higher: a visit with every measured target gone before the progression of
    :func:`new_lesion_progression`.  ValueError for an arm with confirmed responses (its
    ``config_yaml`` says ``response.confirmation: true``), without
    ``targets_gone_time_months``, or whose own RECIST CRs the same rule does not reproduce at
    factor 1; or without Kwekkeboom's schedule."""
    if first_evaluation_weeks is None:
        raise ValueError("a new-lesion hazard factor needs Kwekkeboom's schedule "
                         "(first_evaluation_weeks not None)")
    if "config_yaml" in ds.attrs:
        response = (yaml.safe_load(ds.attrs["config_yaml"]) or {}).get("response", {})
        if response.get("confirmation", False):
            raise ValueError("a new-lesion hazard factor cannot be read from an arm with "
                             "confirmed responses (response.confirmation true): a later new "
                             "lesion can undo a confirmation")
    ev = evaluable(ds)
    if "targets_gone_time_months" not in ev:
        raise ValueError("a new-lesion hazard factor needs targets_gone_time_months in the arm "
                         "(simulated before it was recorded): simulate the arm again")
    gone = ev.targets_gone_time_months.values

    def cr_at(f: float) -> np.ndarray:
        _, until, seen = new_lesion_progression(ds, f)
        return np.where(seen, gone < until - 1e-9, np.isfinite(gone))

    if not np.array_equal(cr_at(1.0), ev.best_response.values == CR):
        raise ValueError("the arm's RECIST CRs are not its first visits with every target gone "
                         "before progression (confirmed responses?): a new-lesion hazard "
                         "factor cannot be read from it")
    return cr_at(factor)


def lesion_dose_fall_per_cycle(ds: xr.Dataset) -> float:
    """Median over lesions (>= 8 mL at baseline, every cycle given) of the fall of the true
    lesion dose per cycle, 1 - exp(slope of ln dose against cycle number) [1]."""
    dose = ds.lesion_dose_gy.values                      # (patient, lesion, cycle)
    vol0 = ds.lesion_volume_ml.values[:, :, 0]
    keep = (vol0 >= ROTH_MIN_VOLUME_ML) & np.all(dose > 0, axis=2)
    if not keep.any():
        return float("nan")
    logd = np.log(dose[keep])                            # (n_lesions, n_cycles)
    c = np.arange(logd.shape[1], dtype=float)
    c -= c.mean()
    slope = (logd * c).sum(axis=1) / (c * c).sum()
    return float(np.median(1.0 - np.exp(slope)))


def kwekkeboom_categories(midgut: xr.Dataset, pancreatic: xr.Dataset | None, share: float,
                          factor: float) -> dict[str, float]:
    """Kwekkeboom 2008's category rates (:data:`SWOG_CATEGORIES`) of a population with a
    pancreatic ``share``: (1 - share) x the ``midgut`` treated arm + share x the
    ``pancreatic`` one (the expectation over his composition), each on his categories and
    schedule with every new-lesion hazard ``factor`` times higher
    (:func:`swog_best_response`).  ``pancreatic`` None: the midgut arm alone (``share`` must
    be 0).  ValueError for a share outside [0, 1]."""
    share = float(share)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"kwekkeboom_pancreatic_share = {share}: allowed 0 <= share <= 1")
    if pancreatic is None and share != 0.0:
        raise ValueError(f"kwekkeboom_pancreatic_share = {share} needs a pancreatic arm "
                         "(allowed without one: 0)")
    mid = swog_rates(midgut, factor)
    if pancreatic is None:
        return mid
    pan = swog_rates(pancreatic, factor)
    return {c: (1.0 - share) * mid[c] + share * pan[c] for c in SWOG_CATEGORIES}


def swog_rates(arm: xr.Dataset, factor: float = 1.0) -> dict[str, float]:
    """Rate of each of Kwekkeboom's categories (:data:`SWOG_CATEGORIES`) among the evaluable
    patients of ``arm``, on his schedule, with every new-lesion hazard ``factor`` times higher
    (:func:`swog_best_response`)."""
    best = swog_best_response(arm, new_lesion_hazard_factor=factor)
    return {c: float(np.mean(best == c)) for c in SWOG_CATEGORIES}


def trial_summaries(treated: xr.Dataset, control: xr.Dataset,
                    pancreatic: xr.Dataset | None = None, share: float = 0.0,
                    factor: float = 1.0) -> dict[str, float]:
    """The statistics of :data:`STATISTICS` from the two arms of one virtual trial, and the
    pancreatic treated arm (``None``: Ezziddin's rate NaN, Kwekkeboom's the midgut arm's):
    Kwekkeboom's population at pancreatic ``share`` and new-lesion ``factor``
    (:func:`kwekkeboom_categories`), Ezziddin 2014's pancreatic response as the pancreatic
    arm's RECIST CR + PR rate."""
    t = arm_endpoints(treated, months=(18.4, 20.0))
    c = arm_endpoints(control, months=(8.4, 20.0))
    swog = swog_rates(treated)
    dose = treated.lesion_dose_gy.values
    act = treated.injected_activity_gbq.values
    present = np.isfinite(dose[:, :, 0]) & (dose[:, :, 0] > 0)
    per_gbq = (dose[:, :, 0] / act[:, :1])[present]
    cycle_doses = dose[np.isfinite(dose) & (dose > 0)]
    kidney = (treated.kidney_dose_gy.values / act)[act > 0]
    out = {
        "orr_treated": t.orr, "orr_control": c.orr, "pfs20_treated": t.pfs[20.0],
        "pfs20_control": c.pfs[20.0], "pfs18p4_treated": t.pfs[18.4],
        "pfs8p4_control": c.pfs[8.4],
        "median_pfs_control_months": interpolated_median_months(control),
        **{f"swog_{k.lower()}": swog[k] for k in ("CR", "PR", "MR", "PD")},
        "tumour_gy_per_gbq": float(np.mean(per_gbq)),
        "lesion_dose_fall_per_cycle": lesion_dose_fall_per_cycle(treated),
        "kidney_gy_per_gbq": float(np.median(kidney)),
        "recist_cr_treated": float(np.mean(evaluable(treated).best_response.values == CR)),
        "lesion_gy_per_cycle_p01": float(np.percentile(cycle_doses, 1)),
        "lesion_gy_per_cycle_p99": float(np.percentile(cycle_doses, 99)),
        "n_evaluable_treated": float(t.n), "n_evaluable_control": float(c.n),
        **{f"kwekkeboom_{k.lower()}": v for k, v in
           kwekkeboom_categories(treated, pancreatic, share, factor).items() if k != "SD"},
        "ezziddin_pr": (float("nan") if pancreatic is None
                        else arm_endpoints(pancreatic, months=(20.0,)).orr),
    }
    assert list(out) == list(STATISTICS)
    return out
