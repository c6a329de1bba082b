"""Posterior predictive of the rest of the course: the weighted outcomes of the fit's twins.

The final-round twins were simulated over the whole course (given and planned cycles), so
their outcomes weighted by the posterior weights are draws from the posterior predictive:
organ and lesion doses and BED, RECIST best response, near-complete and complete metabolic
response, progression-free survival.  Another activity for the planned cycles
(:func:`alternatives`) reruns a weighted resample of the twins with that schedule: the
weights stay valid because the simulation is causal and the measured past is unchanged.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..inference import reported_outcome
from .course import CourseSchedule, simulate_twins
from .update import QUANTILES, Fit, weighted_quantiles

RESPONSE_CLASSES = ("CR", "PR", "SD", "PD", "not_evaluable")
_CODES = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "not_evaluable": -1}
#: months at which the predictive PFS is reported
PFS_MONTHS = (6.0, 12.0, 18.0, 24.0, 30.0, 36.0)

#: per-twin outcome variables kept in the prediction, with their long names
TWIN_OUTCOMES = {
    "kidney_dose_total_gy": "kidney absorbed dose over the course",
    "kidney_bed_total_gy": "kidney BED over the course",
    "kidney_bed_planned_gy": "kidney BED of the planned (not yet given) cycles",
    "marrow_dose_total_gy": "red-marrow absorbed dose over the course",
    "marrow_bed_total_gy": "red-marrow BED over the course",
    "progression_time_months": "time to RECIST progression or censoring",
}


def twin_outcomes(ds: xr.Dataset, planned: np.ndarray) -> xr.Dataset:
    """Per-twin outcomes of a twin Dataset (``planned``: bool per cycle, not yet given)."""
    cmr, both = reported_outcome(ds)
    out = xr.Dataset(coords={"twin": np.arange(ds.sizes["patient"]), "lesion": ds.lesion.values,
                             "cycle": ds.cycle.values})
    values = {
        "kidney_dose_total_gy": ds.kidney_dose_gy.sum("cycle"),
        "kidney_bed_total_gy": ds.kidney_bed_gy.sum("cycle"),
        "kidney_bed_planned_gy": ds.kidney_bed_gy.isel(cycle=np.flatnonzero(planned)).sum(
            "cycle"),
        "marrow_dose_total_gy": ds.marrow_dose_gy.sum("cycle"),
        "marrow_bed_total_gy": ds.marrow_bed_gy.sum("cycle"),
        "progression_time_months": ds.progression_time_months,
    }
    for name, var in values.items():
        unit = "months" if name.endswith("months") else "Gy"
        out[name] = (("twin",), np.asarray(var.values, float),
                     {"units": unit, "long_name": TWIN_OUTCOMES[name]})
    out["kidney_bed_per_cycle_gy"] = (("twin", "cycle"), ds.kidney_bed_gy.values,
                                      {"units": "Gy", "long_name": "kidney BED per cycle"})
    for organ in ("kidney", "spleen", "marrow"):     # what a clinic's dosimetry reports
        out[f"{organ}_dose_per_cycle_gy"] = (
            ("twin", "cycle"), ds[f"{organ}_dose_gy"].values,
            {"units": "Gy", "long_name": f"{'red-marrow' if organ == 'marrow' else organ} "
                                         "mean absorbed dose per cycle"})
    out["lesion_dose_total_gy"] = (("twin", "lesion"), ds.lesion_dose_gy.sum("cycle").values,
                                   {"units": "Gy", "long_name": "lesion absorbed dose over "
                                                                "the course"})
    out["lesion_bed_total_gy"] = (("twin", "lesion"), ds.lesion_bed_gy.sum("cycle").values,
                                  {"units": "Gy", "long_name": "lesion BED over the course"})
    out["best_response"] = (("twin",), ds.best_response.values, ds.best_response.attrs)
    out["progression_observed"] = (("twin",), ds.progression_observed.values.astype(bool))
    out["near_complete_response"] = (("twin",), ds.near_complete_response.values.astype(bool))
    out["cmr_and_near_complete"] = (("twin",), both.values.astype(bool),
                                    {"long_name": "complete metabolic + near-complete "
                                                  "anatomic response"})
    out["complete_metabolic_response"] = (("twin",), cmr.values.astype(bool))
    out["kidney_bed_limit_exceeded"] = (("twin",), ds.kidney_bed_limit_exceeded.values)
    out["marrow_dose_limit_exceeded"] = (("twin",), ds.marrow_dose_limit_exceeded.values)
    return out


def summarise(outcomes: xr.Dataset, weights: np.ndarray, ess: float) -> xr.Dataset:
    """Weighted quantiles, class probabilities (with their Monte Carlo error from the ESS)
    and the predictive PFS of per-twin outcomes."""
    q = np.asarray(QUANTILES)
    out = xr.Dataset(coords={"quantile": q, "lesion": outcomes.lesion.values,
                             "cycle": outcomes.cycle.values,
                             "response_class": list(RESPONSE_CLASSES),
                             "pfs_time_months": list(PFS_MONTHS)})
    for name in (*TWIN_OUTCOMES, "kidney_bed_per_cycle_gy", "kidney_dose_per_cycle_gy",
                 "spleen_dose_per_cycle_gy", "marrow_dose_per_cycle_gy",
                 "lesion_dose_total_gy", "lesion_bed_total_gy"):
        var = outcomes[name]
        dims = ("quantile",) + var.dims[1:]
        out[name] = (dims, weighted_quantiles(var.values, weights),
                     {**var.attrs, "long_name": f"posterior predictive quantile: "
                                                f"{var.attrs.get('long_name', name)}"})
    best = outcomes.best_response.values
    probs = np.array([weights[best == _CODES[c]].sum() for c in RESPONSE_CLASSES])
    out["response_probability"] = (("response_class",), probs,
                                   {"units": "1", "long_name": "P(RECIST 1.1 best response)"})
    for name in ("near_complete_response", "cmr_and_near_complete",
                 "complete_metabolic_response", "kidney_bed_limit_exceeded",
                 "marrow_dose_limit_exceeded"):
        p = float(weights[outcomes[name].values.astype(bool)].sum())
        out[f"p_{name}"] = ((), p, {"units": "1", "long_name": f"P({name})",
                                   "mc_error": float(np.sqrt(p * (1 - p) / max(ess, 1.0)))})
    t = outcomes.progression_time_months.values
    seen = outcomes.progression_observed.values.astype(bool)
    surv = [float(weights[~(seen & (t <= m))].sum()) for m in PFS_MONTHS]
    out["progression_free"] = (("pfs_time_months",), surv,
                               {"units": "1", "long_name": "P(progression-free at time), "
                                                           "posterior predictive"})
    out.attrs["ess"] = ess
    return out


def prediction_dataset(fit: Fit) -> xr.Dataset:
    """The posterior predictive of the patient's course (summaries + per-twin outcomes)."""
    planned = np.array([not c.given for c in fit.patient.cycles])
    outcomes = twin_outcomes(fit.twins, planned)
    out = summarise(outcomes, fit.weights, fit.ess)
    for name in outcomes.data_vars:
        out[f"twin_{name}"] = outcomes[name]
    out["weight"] = (("twin",), fit.weights, {"units": "1", "long_name": "posterior weight"})
    out["injected_activity_gbq"] = (("cycle",), [c.activity_gbq for c in fit.patient.cycles],
                                    {"units": "GBq"})
    out["cycle_given"] = (("cycle",), ~planned)
    out.attrs.update(title="prrt-simulator personal prediction: posterior predictive",
                     patient_id=fit.patient.patient_id, prior=fit.settings.prior,
                     n_twins=int(fit.weights.size), seed=fit.seed)
    return out


def resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling: ``n`` twin indices drawn in proportion to ``weights``."""
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), weights.size - 1)


def alternatives(fit: Fit, activities_gbq: list[float], n: int = 500,
                 seed: int = 0) -> xr.Dataset:
    """The predictive summary if every planned cycle got another activity (GBq each):
    ``n`` twins resampled by weight, rerun with each schedule (equal weights)."""
    rng = np.random.default_rng(seed)
    idx = resample(fit.weights, n, rng)
    values = {k: v[idx] for k, v in fit.values.items()}
    planned = np.array([not c.given for c in fit.patient.cycles])
    pieces = []
    peptide = fit.prior.cfg["therapy"]["peptide_nmol"]
    for activity in activities_gbq:
        act = [activity if p else c.activity_gbq for c, p in zip(fit.patient.cycles, planned,
                                                                 strict=True)]
        schedule = CourseSchedule.of(fit.patient, peptide, act)
        ds, _ = simulate_twins(fit.prior.cfg, values, fit.patient, schedule)
        ess = float(n)
        pieces.append(summarise(twin_outcomes(ds, planned), np.full(n, 1.0 / n), ess))
    out = xr.concat(pieces, dim="planned_activity_gbq")
    out = out.assign_coords(planned_activity_gbq=("planned_activity_gbq", list(activities_gbq),
                                                  {"units": "GBq", "long_name": "activity of "
                                                   "every planned cycle"}))
    out.attrs.update(n_resampled_twins=n, seed=seed)
    return out
