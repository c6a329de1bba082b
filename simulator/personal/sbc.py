"""Simulation-based calibration of the personal update (Talts et al. 2018, arXiv:1804.06788).

Synthetic patients are drawn from the prior, "measured" through the measurement model and
fitted.  If prior, simulator, measurement model and sampler agree, the posterior CDF at the
true value (the normalised rank) of every parameter and every predicted quantity is
uniform on (0, 1), and a central x % interval holds the truth in x % of the patients.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .course import simulate_twins
from .likelihood import measurement_model, with_measured
from .measurements import PatientFile
from .predict import twin_outcomes
from .prior import Prior, build_prior
from .settings import Settings
from .update import fit_patient, weighted_cdf_at

#: predicted quantities of the calibration (per-twin outcome variables, lesions summed)
PREDICTED = ("kidney_bed_total_gy", "kidney_bed_planned_gy", "marrow_bed_total_gy",
             "lesion_dose_total_gy")


def _quantities(outcomes: xr.Dataset) -> dict[str, np.ndarray]:
    out = {}
    for name in PREDICTED:
        var = outcomes[name]
        if "lesion" in var.dims:
            for lesion in var.lesion.values:
                out[f"{name}[{lesion}]"] = var.sel(lesion=lesion).values
        else:
            out[name] = var.values
    return out


@dataclass
class Synthetic:
    """True parameters, measured file and true outcomes of synthetic patients."""

    z: np.ndarray
    values: dict[str, np.ndarray]
    patients: list[PatientFile]
    truth: dict[str, np.ndarray]


def synthetic_patients(design: PatientFile, settings: Settings, prior: Prior, n: int,
                       seed: int, z: np.ndarray | None = None) -> Synthetic:
    """``n`` patients with the design's covariates, schedule and measurement times, their
    parameters drawn from the prior (or given as ``z``) and their measurements drawn through
    the measurement model."""
    rng = np.random.default_rng([seed, 1])
    if z is None:
        z = rng.standard_normal((n, prior.dim))
    values = prior.values(z)
    ds, pred = simulate_twins(prior.cfg, values, design)
    model = measurement_model(design, settings.errors)
    patients = []
    for i in range(z.shape[0]):
        one = type(pred)(pred.activity_mbq[i:i + 1], pred.dose_gy[i:i + 1],
                         pred.volume_ml[i:i + 1])
        measured = with_measured(design, model.draw(one, rng))
        patients.append(measured.replace(patient_id=f"synthetic_{seed}_{i}"))
    planned = np.array([not c.given for c in design.cycles])
    truth = _quantities(twin_outcomes(ds, planned))
    return Synthetic(z=z, values=values, patients=patients, truth=truth)


def calibrate(design: PatientFile, settings: Settings, n: int, seed: int = 0,
              log=None, checkpoint=None, every: int = 10) -> xr.Dataset:
    """Fit ``n`` synthetic patients; normalised ranks (posterior CDF at the truth) of every
    parameter and predicted quantity, ESS and time per fit.  ``checkpoint(ds)`` receives the
    patients done so far every ``every`` patients."""
    prior = build_prior(design, settings)
    syn = synthetic_patients(design, settings, prior, n, seed)
    names = list(prior.names)
    quantities = list(syn.truth)
    ranks = np.full((n, len(names) + len(quantities)), np.nan)
    ess, seconds = np.zeros(n), np.zeros(n)
    planned = np.array([not c.given for c in design.cycles])
    for i, patient in enumerate(syn.patients):
        start = time.perf_counter()
        fit = fit_patient(patient, settings, prior=prior, seed=seed * 100003 + i)
        got = _quantities(twin_outcomes(fit.twins, planned))
        post = [fit.values[k] for k in names] + [got[k] for k in quantities]
        true = [syn.values[k][i] for k in names] + [syn.truth[k][i] for k in quantities]
        ranks[i] = [float(weighted_cdf_at(v, fit.weights, np.asarray(t)))
                    for v, t in zip(post, true, strict=True)]
        ess[i], seconds[i] = fit.ess, time.perf_counter() - start
        if log:
            log(f"patient {i + 1}/{n}: ESS {ess[i]:.0f}, {seconds[i]:.1f} s")
        if checkpoint is not None and (i + 1) % every == 0 and i + 1 < n:
            checkpoint(_ranks_dataset(ranks[:i + 1], ess[:i + 1], seconds[:i + 1], names,
                                      quantities, settings, seed, design))
    return _ranks_dataset(ranks, ess, seconds, names, quantities, settings, seed, design)


def _ranks_dataset(ranks, ess, seconds, names, quantities, settings, seed, design):
    return xr.Dataset(
        {"rank": (("synthetic_patient", "quantity"), ranks,
                  {"long_name": "posterior CDF at the true value (normalised rank)",
                   "units": "1"}),
         "ess": (("synthetic_patient",), ess, {"units": "1"}),
         "fit_time_s": (("synthetic_patient",), seconds, {"units": "s"}),
         "is_parameter": (("quantity",), [True] * len(names) + [False] * len(quantities))},
        coords={"quantity": names + quantities},
        attrs={"seed": seed, "n_twins": settings.sampler.n_twins,
               "pilot_twins": settings.sampler.pilot_twins, "design": design.patient_id})


def coverage(ranks: np.ndarray, level: float) -> np.ndarray:
    """Share of patients whose truth lies in the central ``level`` interval, per column."""
    lo, hi = 0.5 - level / 2.0, 0.5 + level / 2.0
    ok = np.isfinite(ranks)
    inside = (ranks >= lo) & (ranks <= hi) & ok
    return inside.sum(axis=0) / np.maximum(ok.sum(axis=0), 1)


def rank_histogram(ranks: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Counts per bin of the normalised ranks, per column, and the chi-square p-value of
    uniformity (bins - 1 degrees of freedom)."""
    from scipy import stats

    counts = np.stack([np.histogram(r[np.isfinite(r)], bins=bins, range=(0, 1))[0]
                       for r in ranks.T])
    expected = counts.sum(axis=1, keepdims=True) / bins
    chi2 = ((counts - expected) ** 2 / expected).sum(axis=1)
    return counts, stats.chi2.sf(chi2, bins - 1)
