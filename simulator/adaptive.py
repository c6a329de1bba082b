"""Adaptive schedules, evaluated inside the simulation patient by patient (docs/planning.md §1).

``therapy.schedule``:

* ``fixed``: every cycle of the config (the engine's plain course).
* ``dosimetry_guided``: cycles of ``therapy.activity_gbq``, each followed by dosimetry, given
  while the next cycle is predicted to keep every enforced limit (``limits.enforced``), at
  most ``therapy.n_cycles``: :func:`dosimetry_guided_cycles`.
* ``personalised_activity``: cycle 1 at ``therapy.activity_gbq``; from its dosimetry the
  activity of the remaining cycles that brings the binding enforced limit to its value at
  cycle ``therapy.n_cycles`` (:func:`activity_to_limit`), within
  ``[therapy.min_activity_gbq, therapy.max_activity_gbq]``; set again after every later
  cycle's dosimetry (``therapy.replan=every_cycle``) or only after the first's.

The simulation is causal: the doses of cycles 1..k do not depend on the cycles after k.  So a
rule that decides cycle k+1 from the dosimetry of cycles 1..k is evaluated by passes of the
engine: each pass simulates the current schedule, the rule reads the cycles it may read and
sets the later ones, and the last pass, with every cycle decided, gives the outcomes.  The
"measured" dose of cycle c is what the engine accumulates between injection c and the next
injection time (the tail of the last cycle included), as in ``kidney_bed_gy`` of the results.
Python only (orchestration over :func:`simulator.runner.run_chunk`).
"""

from __future__ import annotations

import numpy as np

from .config.dotted import with_values
from .nuclides import lu177, nmol_per_gbq
from .outcomes import Outcomes, compute_outcomes
from .population import Columns
from .runner import CourseResult, run_chunk

#: the dosimetric quantity of each enforced limit: per-cycle values from the outcomes and
#: the split into a part linear and a part quadratic in the activity (kidney BED = D + 2Q/(a/b))
QUANTITIES = ("kidney_bed", "kidney_dose", "marrow_dose")


def limit_values(cols: Columns, names=None) -> dict[str, np.ndarray]:
    """Each enforced limit per patient (Gy): the kidney BED limit follows the patient's renal
    risk factors (Bodei 2008, doi:10.1007/s00259-008-0778-1)."""
    names = cols.scalar("limits.enforced") if names is None else names
    every = {
        "kidney_bed": np.where(cols("patient.renal_risk_factors") > 0,
                               cols("limits.kidney_bed_gy_with_risk_factors"),
                               cols("limits.kidney_bed_gy")),
        "kidney_dose": cols("limits.kidney_dose_gy"),
        "marrow_dose": cols("limits.marrow_dose_gy"),
    }
    return {name: every[name] for name in names}


def per_cycle_parts(out: Outcomes, names) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per cycle, the part of each quantity linear in the activity and the quadratic part
    (both (n, n_cycles), Gy): kidney BED = absorbed dose + 2 Q / (alpha/beta) (docs/model.md
    §5.2); absorbed doses have no quadratic part."""
    kidney_dose, marrow_dose = out.organ_dose_gy[:, 0], out.organ_dose_gy[:, 3]
    every = {"kidney_bed": (kidney_dose, out.oar_bed_gy[:, 0] - kidney_dose),
             "kidney_dose": (kidney_dose, np.zeros_like(kidney_dose)),
             "marrow_dose": (marrow_dose, np.zeros_like(marrow_dose))}
    return {name: every[name] for name in names}


def dosimetry_guided_cycles(per_cycle: dict[str, np.ndarray], limits: dict[str, np.ndarray],
                            max_cycles: int) -> np.ndarray:
    """Number of cycles each patient receives under the dosimetry-guided rule, (n,) int.

    Cycle 1 is always given.  After cycle k (1 <= k < ``max_cycles``), cycle k+1 is given
    when, for every limit, the cumulative value of cycles 1..k plus the value of cycle k (the
    next cycle predicted equal to the last measured one) does not exceed the limit; once a
    cycle is not given, no later one is.

    Parameters
    ----------
    per_cycle : dict of (n, >= max_cycles) arrays
        Value of each quantity per cycle when every cycle is given (Gy).
    limits : dict of (n,) arrays
        The limit of each quantity (Gy).
    """
    names = list(limits)
    n = limits[names[0]].shape[0]
    count = np.ones(n, dtype=int)
    going = np.ones(n, dtype=bool)
    for k in range(1, max_cycles):      # k cycles given and measured; decide cycle k + 1
        for name in names:
            values = per_cycle[name]
            going &= values[:, :k].sum(axis=1) + values[:, k - 1] <= limits[name]
        count += going
    return count


def activity_to_limit(remaining_gy, linear_gy_per_gbq, quadratic_gy_per_gbq2, cycles):
    """Activity per cycle A (GBq) such that ``cycles`` more cycles, each delivering
    ``linear A + quadratic A^2``, add exactly ``remaining_gy`` (arrays broadcast).

    The positive root of ``cycles (q A^2 + l A) = R``, written ``2 r / (l + sqrt(l^2 + 4 q r))``
    with ``r = R / cycles`` (no cancellation when q is small); 0 when nothing remains, inf
    when the cycles deliver nothing.
    """
    r = np.asarray(remaining_gy, dtype=float) / cycles
    lin = np.asarray(linear_gy_per_gbq, dtype=float)
    quad = np.maximum(np.asarray(quadratic_gy_per_gbq2, dtype=float), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 2.0 * r / (lin + np.sqrt(lin * lin + 4.0 * quad * np.maximum(r, 0.0)))
    a = np.where(r <= 0.0, 0.0, a)
    return np.where((lin <= 0.0) & (quad <= 0.0) & (r > 0.0), np.inf, a)


def _quiet(cols: Columns) -> Columns:
    """The same patients without time series or plots (the dosimetry passes need neither)."""
    cfg = with_values(cols.cfg, {"output.save_timeseries": False, "output.plots": False})
    return Columns(cfg, cols.n, cols.sampled)


def _run(cols: Columns, generated, activity_gbq, variates=None
         ) -> tuple[CourseResult, Outcomes]:
    res = run_chunk(cols, generated, activity_gbq=activity_gbq)
    return res, compute_outcomes(res, cols, variates)


def dosimetry_guided_activity(cols: Columns, generated=None, variates=None) -> np.ndarray:
    """(n, n_cycles) activity per cycle of the dosimetry-guided rule (GBq; 0: not given).

    One pass with every cycle given at ``therapy.activity_gbq`` gives each patient's
    per-cycle doses; by causality those of the cycles the rule gives are the doses of the
    final course (:func:`dosimetry_guided_cycles`).
    """
    n_max = int(cols.scalar("therapy.n_cycles"))
    first = np.repeat(cols("therapy.activity_gbq")[:, None], n_max, axis=1)
    quiet = _quiet(cols)
    _, out = _run(quiet, generated, first, variates)
    limits = limit_values(cols)
    parts = per_cycle_parts(out, limits)
    count = dosimetry_guided_cycles({k: lin + quad for k, (lin, quad) in parts.items()},
                                    limits, n_max)
    return np.where(np.arange(n_max)[None, :] < count[:, None], first, 0.0)


def personalised_activity(cols: Columns, generated=None, variates=None) -> np.ndarray:
    """(n, n_cycles) activity per cycle of the personalised-activity rule (GBq).

    Cycle 1 at ``therapy.activity_gbq``.  After cycle k's dosimetry (k = 1, and with
    ``therapy.replan=every_cycle`` every k < n_cycles), each enforced quantity's value per
    GBq in cycle k (linear part / a_k, quadratic part / a_k^2) predicts the cycles left; the
    activity of cycles k+1.. is the smallest of the activities that bring each quantity to
    its limit at the last cycle (:func:`activity_to_limit`), capped at
    ``therapy.max_activity_gbq`` and at the activity the peptide can carry (carrier-free
    limit).  Below ``therapy.min_activity_gbq`` the remaining cycles are not given (the
    lower bound would pass a limit).
    """
    n_cyc = int(cols.scalar("therapy.n_cycles"))
    every = cols.scalar("therapy.replan") == "every_cycle"
    low, high = cols("therapy.min_activity_gbq"), cols("therapy.max_activity_gbq")
    high = np.minimum(high, cols("therapy.peptide_nmol") / nmol_per_gbq(lu177()))
    activity = np.repeat(cols("therapy.activity_gbq")[:, None], n_cyc, axis=1)
    limits = limit_values(cols)
    quiet = _quiet(cols)
    for k in range(1, n_cyc if every else 2):   # cycles measured so far
        _, out = _run(quiet, generated, activity, variates)
        given = activity[:, k - 1] > 0.0
        a_k = np.where(given, activity[:, k - 1], 1.0)
        needed = np.full(cols.n, np.inf)
        for name, (lin, quad) in per_cycle_parts(out, limits).items():
            total = lin[:, :k].sum(axis=1) + quad[:, :k].sum(axis=1)
            needed = np.minimum(needed, activity_to_limit(
                limits[name] - total, lin[:, k - 1] / a_k, quad[:, k - 1] / a_k**2,
                n_cyc - k))
        chosen = np.where(needed < low, 0.0, np.minimum(needed, high))
        activity[:, k:] = np.where(given, chosen, 0.0)[:, None]
    return activity


RULES = {"dosimetry_guided": dosimetry_guided_activity,
         "personalised_activity": personalised_activity}


def run_schedule(cols: Columns, generated=None, activity_gbq: np.ndarray | None = None,
                 variates: dict[str, np.ndarray] | None = None
                 ) -> tuple[CourseResult, Outcomes]:
    """Course and outcomes of a chunk under its schedule (``therapy.schedule``).

    ``activity_gbq`` (n, n_cycles) fixes each patient's activity per cycle instead (a plan's
    re-simulation); otherwise an adaptive schedule's rule decides it first.  ``variates``: the
    patients' observation variates (:func:`simulator.outcomes.compute_outcomes`).  The rules
    read the true per-cycle doses (the dosimetry of the observation model is not fed back).
    """
    schedule = cols.scalar("therapy.schedule")
    if activity_gbq is None and schedule != "fixed":
        activity_gbq = RULES[schedule](cols, generated, variates)
    return _run(cols, generated, activity_gbq, variates)
