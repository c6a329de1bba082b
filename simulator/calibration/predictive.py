"""Posterior predictive checks and validation comparisons of the calibrated population.

Each posterior draw of the hyperparameters is simulated as a whole virtual trial (fresh
virtual patients: another seed than the calibration's); the statistics of
:func:`predictive_summaries` over the draws give the posterior predictive distribution of what
a trial of that size would report, including the quantities that were *not* fitted
(hazard ratio, RECIST CR, lesion-dose range, the validation series of docs/targets.md (b)).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from ..response.recist import CR, PD, PR, SD
from ..tail import dose_ratio_last_first
from ..trial import evaluable, interpolated_median_months, run_arm, trial_hazard_ratio
from .space import GROWTH, Space
from .summaries import last_cycle_months, trial_summaries

#: NETTER-2's pancreatic share (Singh 2024, doi:10.1016/S0140-6736(24)00701-3; conf/cohort/
#: netter2.yaml, docs/targets.md): its site-mix emulation (docs/calibration.md §15)
NETTER2_PANCREATIC_SHARE = 0.54
#: Alipour 2023 (doi:10.1007/s00259-023-06257-6): response at the first assessment at least
#: 3 months after the last cycle
ALIPOUR_MONTHS_AFTER_LAST_CYCLE = 3.0


def category_after_last_cycle(ds: xr.Dataset,
                              months_after: float = ALIPOUR_MONTHS_AFTER_LAST_CYCLE
                              ) -> dict[str, float]:
    """RECIST category (CR / PR / SD / PD, measured) at the visit nearest ``months_after``
    months after the last cycle, as fractions of the evaluable patients: PD if progression
    was seen by then, CR if every target is gone, PR if the sum of target diameters is >= 30 %
    below baseline, SD otherwise.

    Alipour 2023 read "the first assessment at least 3 months after the last cycle" on their
    own imaging schedule; the simulated visits lie on the trial's grid (every 12 weeks from
    the first cycle), so the visit whose *nominal* time is nearest that point after the
    patient's own last cycle given is taken (12 weeks after the last cycle for the standard
    schedule): our emulation, stated in docs/calibration.md §6.
    """
    ev = evaluable(ds)
    nominal = ev.assessment_nominal_months.values
    due = last_cycle_months(ev) + months_after           # each patient's own last cycle
    if np.isnan(due).any():
        raise ValueError("the category after the last cycle needs treated patients")
    k = np.argmin(np.abs(nominal[None, :] - due[:, None]), axis=1)
    rows = np.arange(k.size)
    t = ev.visit_time_months.values[rows, k]
    sums = ev.sum_diameters_observed_mm.values
    s = sums[rows, k]
    prog = ev.progression_observed.values & (ev.progression_time_months.values <= t + 1e-9)
    code = np.where(prog, PD, np.where(s <= 0.0, CR, np.where(s <= 0.7 * sums[:, 0], PR, SD)))
    out = {name: float(np.mean(code == c))
           for name, c in (("CR", CR), ("PR", PR), ("SD", SD), ("PD", PD))}
    out["CR_or_PR"] = out["CR"] + out["PR"]      # Alipour 2023 report no CR class
    return out


def predictive_summaries(treated: xr.Dataset, control: xr.Dataset,
                         pancreatic: xr.Dataset | None = None, share: float = 0.0,
                         factor: float = 1.0) -> dict[str, float]:
    """:func:`~.summaries.trial_summaries` (with the pancreatic arm, Kwekkeboom's share and
    factor) and the checks that were not fitted; with a ``pancreatic`` arm also Kwekkeboom's
    SD and the pancreatic arm's response rate and median PFS (NETTER-R's pancreatic NETs)."""
    out = trial_summaries(treated, control, pancreatic, share, factor)
    if pancreatic is not None:
        # the five categories sum to 1: SD is what the four fitted ones leave
        out |= {"kwekkeboom_sd": 1.0 - sum(out[f"kwekkeboom_{c}"] for c in ("cr", "pr", "mr",
                                                                           "pd")),
                "pancreatic_orr_treated": out["ezziddin_pr"],
                "pancreatic_median_pfs_treated_months": interpolated_median_months(pancreatic)}
    ev = evaluable(treated)
    best = ev.best_response.values
    hr = trial_hazard_ratio(treated, control)
    doses = treated.lesion_dose_gy.values
    doses = doses[np.isfinite(doses) & (doses > 0)]
    ratio = dose_ratio_last_first(treated)
    out |= {
        "hazard_ratio": hr.hr,
        **{f"recist_{n.lower()}_treated": float(np.mean(best == c))
           for n, c in (("PR", PR), ("SD", SD), ("PD", PD))},
        "median_pfs_treated_months": interpolated_median_months(treated),
        "near_complete_treated": float(np.mean(ev.near_complete_response.values)),
        "cmr_and_near_complete_treated": float(np.mean(
            ev.near_complete_response.values & ev.complete_metabolic_response.values)),
        "lesion_gy_per_cycle_p0p1": float(np.percentile(doses, 0.1)),
        "lesion_gy_per_cycle_p99p9": float(np.percentile(doses, 99.9)),
        "lesion_dose_ratio_last_first_median": float(np.median(ratio)),
        **{f"after_last_cycle_{k.lower()}": v
           for k, v in category_after_last_cycle(treated).items()},
    }
    return out


def fit_control_growth(space: Space, theta, target_median_months: float, n: int, seed: int,
                       cohort: str = "netter1", bracket=(0.5, 40.0), xtol: float = 0.02,
                       overrides: tuple[str, ...] = ()) -> float:
    """The progressive majority's mean net growth [%/month] at which the control arm's
    interpolated median PFS is ``target_median_months``, every other value at ``theta``
    (the one-parameter NETTER-2 emulation of docs/targets.md (b)); ``overrides``: further
    Hydra overrides of the arms (e.g. ``solver.lanes=64``)."""
    def median_minus_target(growth_mean: float) -> float:
        m = interpolated_median_months(run_arm(
            n, seed, control=True, edit=growth_editor(space, theta, growth_mean), cohort=cohort,
            overrides=overrides))
        return (m if np.isfinite(m) else 1e3) - target_median_months

    return float(brentq(median_minus_target, *bracket, xtol=xtol))


def median_editor(edit, medians: dict):
    """A config edit: ``edit`` (``None``: nothing) followed by setting the median of each
    sampled cohort parameter in ``medians`` (config path -> value; a ``None`` value is left
    as it is).  The population's other fields (spread, bounds, correlations) are kept."""
    def e(cfg):
        if edit is not None:
            edit(cfg)
        for path, value in medians.items():
            if value is not None:
                cfg["cohort"]["parameters"][path]["median"] = float(value)
    return e


def growth_editor(space: Space, theta, growth_mean: float):
    """``space.editor(theta)`` with the progressive majority's mean growth replaced."""
    edit = space.editor(theta)

    def e(cfg):
        edit(cfg)
        cfg["cohort"]["parameters"][GROWTH]["components"]["progressive"]["mean"] = \
            float(growth_mean)
    return e


#: hyperparameters that carry over to the founding-case twins (their founding_population
#: block, conf/founding_population/netter1.yaml): config path of the case's median value
FOUNDING_OVERRIDES = {
    "alpha_median_per_gy": "radiobiology.tumour_alpha_per_gy",
    "clearance_median_d": "tumour.doomed_clearance_half_time_d",
    "doomed_receptor_fraction": "tumour.doomed_receptor_fraction",
    "clearance_per_net_growth": "tumour.doomed_clearance_per_net_growth",
    "stroma_median": "tumour.stroma_fraction",
}
#: hyperparameters that are a spread of the population: the twins' spread of that parameter
#: (``conf/cohort/founding_twins.yaml``): cohort parameter -> distribution field
FOUNDING_TWIN_SPREADS = {"alpha_gsd": ("radiobiology.tumour_alpha_per_gy", "gsd"),
                         "clearance_gsd": ("tumour.doomed_clearance_half_time_d", "gsd")}
#: hyperparameters that are a correlation of the population: the twins' copula correlation
#: of that pair (``cohort.correlations`` of ``conf/cohort/founding_twins.yaml``)
FOUNDING_TWIN_CORRELATIONS = {"alpha_clearance_rho": ("radiobiology.tumour_alpha_per_gy",
                                                      "tumour.doomed_clearance_half_time_d")}


def founding_overrides(space: Space, theta) -> list[str]:
    """Hydra overrides that put one posterior draw into a founding case's population block.

    The other hyperparameters do not apply to a founding case: its growth, lesions and SSTR2
    density are the case's own assumptions (docs/founding_cases.md), and it has no new-lesion
    hazard."""
    values = dict(zip(space.names, np.asarray(theta, float), strict=True))
    return [f"{path}={values[name]:.6g}" for name, path in FOUNDING_OVERRIDES.items()]


def founding_config(space: Space, theta, case: str, n_twins: int, extra: tuple[str, ...] = ()):
    """The composed config of a founding case's twins at one posterior draw: the draw's values
    in the case's population block (:func:`founding_overrides`) and its population spreads as
    the twins' spreads (:data:`FOUNDING_TWIN_SPREADS`) and correlations
    (:data:`FOUNDING_TWIN_CORRELATIONS`).  ``extra``: further overrides."""
    from omegaconf import OmegaConf

    from ..cohort.copula import with_correlation
    from ..configure import compose

    draw_paths = set(FOUNDING_OVERRIDES.values())
    clash = [o for o in extra if o.split("=", 1)[0].lstrip("+~") in draw_paths]
    if clash:
        raise ValueError(f"founding_config: {clash} would be overwritten by the posterior draw "
                         f"(it sets {sorted(draw_paths)})")
    cfg = compose([f"experiment={case}/twins", "output.progress=false",
                   f"cohort.n_patients={n_twins}", *extra, *founding_overrides(space, theta)])
    values = dict(zip(space.names, np.asarray(theta, float), strict=True))
    for name, (path, field) in FOUNDING_TWIN_SPREADS.items():
        if name in values:
            cfg.cohort.parameters[path][field] = float(values[name])
    pairs = OmegaConf.to_container(cfg.cohort.correlations)
    for name, (a, b) in FOUNDING_TWIN_CORRELATIONS.items():
        if name in values:
            pairs = with_correlation(pairs, a, b, values[name])
    cfg.cohort.correlations = pairs
    return cfg

