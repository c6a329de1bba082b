"""Inference of a patient from a reported outcome: rejection sampling over virtual twins.

The twins of a case (a cohort around the case's assumed values, the prior) are simulated;
those that reach the reported outcome are draws from the posterior given that outcome, and
the median over them of each varied parameter is the inferred patient (issue 7; the
founding cases, ``experiments/founding_cases.py``, ``docs/founding_cases.md``).

The reported outcome of the founding cases is a complete metabolic response (CMR) together
with a near-complete anatomic response (which excludes a RECIST CR).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

#: outcome categories of :func:`outcome_category`, by code
OUTCOMES = ("no_CMR", "CMR_only", "CMR_and_near_complete", "complete_anatomic_CR",
            "near_complete_without_CMR")


def reported_outcome(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """CMR (the simulator's flag requires PET-visible disease at baseline) and CMR +
    near-complete anatomic response, per patient."""
    cmr = ds.complete_metabolic_response
    return cmr, cmr & ds.near_complete_response


def outcome_category(ds: xr.Dataset) -> xr.DataArray:
    """Index into :data:`OUTCOMES` per patient (CF flag attrs)."""
    cmr, both = reported_outcome(ds)
    near, cr = ds.near_complete_response, ds.best_response == 0
    code = xr.where(cr, 3, xr.where(both, 2, xr.where(near, 4, xr.where(cmr, 1, 0))))
    return code.assign_attrs(flag_values=list(range(len(OUTCOMES))),
                             flag_meanings=" ".join(OUTCOMES), units="1")


def with_accepted(twins: xr.Dataset) -> xr.Dataset:
    """``twins`` with ``accepted``: the twin reached the reported outcome (a posterior draw)."""
    out = twins.copy()
    out["accepted"] = reported_outcome(twins)[1].assign_attrs(
        units="1", long_name="twin reached the reported outcome (CMR + near-complete): "
                             "a draw from the posterior")
    return out


def inferred_parameters(twins: xr.Dataset) -> list[str]:
    """The parameters that the inference sets: every varied one except the lesion sizes."""
    return [str(p) for p in twins.parameter.values if not str(p).startswith("lesions.")]


def posterior_medians(twins: xr.Dataset, digits: int | None = 4) -> dict[str, float]:
    """Median over the accepted twins of each inferred parameter (config path -> value),
    rounded to ``digits`` significant digits (as written into a generated config; None: not
    rounded); empty if no twin was accepted."""
    acc = twins.accepted.values.astype(bool)
    if not acc.any():
        return {}
    out = {}
    for p in inferred_parameters(twins):
        value = float(np.median(twins.parameter_value.sel(parameter=p).values[acc]))
        out[p] = value if digits is None else float(f"{value:.{digits}g}")
    return out


def posterior_summary(twins: xr.Dataset, n_boot: int = 1000, seed: int = 0) -> xr.Dataset:
    """Prior and posterior 5/50/95th percentiles of every varied parameter, and the Monte
    Carlo error of the posterior median (standard deviation over ``n_boot`` bootstrap
    resamples of the accepted twins, relative to the median). Parameters that are NaN for
    every twin (another case's lesion in a concatenated file) are left out."""
    acc = twins.accepted.values.astype(bool)
    rng = np.random.default_rng(seed)
    names, prior, post, error = [], [], [], []
    for p in twins.parameter.values:
        v = twins.parameter_value.sel(parameter=p).values
        if np.isnan(v).all():
            continue
        names.append(str(p))
        prior.append(np.percentile(v, [5, 50, 95]))
        post.append(np.percentile(v[acc], [5, 50, 95]) if acc.any() else [np.nan] * 3)
        boot = (np.median(rng.choice(v[acc], (n_boot, acc.sum())), axis=1).std()
                if acc.any() else np.nan)
        error.append(boot / np.median(v[acc]) if acc.any() else np.nan)
    q = ("parameter", "quantile")
    return xr.Dataset(
        {"prior": (q, np.asarray(prior, float).reshape(-1, 3), {
            "long_name": "percentiles of the parameter over all twins (the prior)"}),
         "posterior": (q, np.asarray(post, float).reshape(-1, 3), {
             "long_name": "percentiles over the accepted twins (the posterior)"}),
         "median_mc_error": ("parameter", np.asarray(error, float), {
             "units": "1", "long_name": "bootstrap standard deviation of the posterior "
                                        "median, relative to it"})},
        coords={"parameter": names, "quantile": [0.05, 0.5, 0.95]},
        attrs={"n_twins": int(acc.size), "n_accepted": int(acc.sum())})


def nested(values: dict[str, float]) -> dict:
    """``{"a.b": 1.0}`` -> ``{"a": {"b": 1.0}}`` (config paths as a YAML mapping)."""
    out: dict = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return out
