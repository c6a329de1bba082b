"""Cohort statistics over the ``patient`` dimension of a results Dataset.

Rates carry Wilson 95 % score intervals (:func:`scipy.stats.binomtest`);
progression-free survival is the Kaplan-Meier estimate of :func:`scipy.stats.ecdf`
with its Greenwood 95 % pointwise interval. Input variables that are absent are
skipped, so the output holds only what the input supports.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

__all__ = ["summarize", "summary_inputs"]

_FLAGS = (-1, 0, 1, 2, 3)
_MEANINGS = "not_evaluable CR PR SD PD"
_RATES = {  # input boolean -> (output prefix, long_name)
    "near_complete_response": ("near_complete_response_rate", "near-complete response rate"),
    "complete_metabolic_response": ("complete_metabolic_response_rate",
                                    "complete metabolic response rate"),
    "progression_observed": ("progression_observed_rate", "proportion with progression"),
    "kidney_bed_limit_exceeded": ("kidney_bed_limit_exceeded_rate",
                                  "proportion above the kidney BED limit"),
    "kidney_dose_limit_exceeded": ("kidney_dose_limit_exceeded_rate",
                                   "proportion above the kidney dose limit"),
    "marrow_dose_limit_exceeded": ("marrow_dose_limit_exceeded_rate",
                                   "proportion above the marrow dose limit"),
    "cured": ("cure_rate", "cure rate"),
}


#: per-patient variables :func:`summarize` reads (besides the ``_RATES`` flags)
_INPUTS = ("best_response", "tcp", "kidney_dose_gy", "injected_activity_gbq", "kidney_bed_gy",
           "marrow_dose_gy", "lesion_dose_gy", "lesion_bed_gy", "progression_time_months",
           "progression_observed")


def summary_inputs(ds: xr.Dataset) -> xr.Dataset:
    """The part of a results Dataset that :func:`summarize` reads (attributes kept).

    Used chunk by chunk when ``output.per_patient=false``, so that a cohort of millions
    holds only a few numbers per patient in memory.
    """
    return ds[[v for v in (*_INPUTS, *_RATES) if v in ds]]


def wilson_interval(k: int, n: int) -> tuple[float, float, float]:
    """Proportion ``k/n`` and its Wilson 95 % score interval (NaN when ``n == 0``)."""
    if n == 0:
        return np.nan, np.nan, np.nan
    from scipy import stats  # here, not at import: scipy.stats slows every CLI start

    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return k / n, float(ci.low), float(ci.high)


def _rate(out: dict, name: str, long_name: str, k, n: int, dims=(), coords=None) -> None:
    """Store ``name`` with ``name_ci_low``/``name_ci_high`` (Wilson) in ``out``."""
    vals = np.array([wilson_interval(int(ki), n) for ki in np.atleast_1d(k)]).reshape(-1, 3)
    for j, (suffix, what) in enumerate([("", ""), ("_ci_low", " (95% CI lower)"),
                                        ("_ci_high", " (95% CI upper)")]):
        data = vals[:, j] if dims else vals[0, j]
        out[name + suffix] = xr.DataArray(data, dims=dims, coords=coords,
                                          attrs={"units": "1", "long_name": long_name + what})


def _quantiles(values, quantiles, long_name: str, units: str) -> xr.DataArray:
    """NaN-skipping quantiles of all elements of ``values`` along dim ``quantile``."""
    flat = np.asarray(values, dtype=float).ravel()
    flat = flat[np.isfinite(flat)]
    q = np.quantile(flat, quantiles) if flat.size else np.full(len(quantiles), np.nan)
    return xr.DataArray(q, dims="quantile", attrs={"units": units,
                                                   "long_name": f"quantiles of {long_name}"})


def _kaplan_meier(out: dict, times, observed, pfs_months) -> None:
    """Kaplan-Meier PFS on a month grid, its 95 % CI, number at risk and median."""
    times = np.asarray(times, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    ok = np.isfinite(times)
    times, observed = times[ok], observed[ok]
    if times.size == 0:
        return
    if pfs_months is None:
        grid = np.arange(0.0, np.floor(times.max()) + 1.0)
    else:
        grid = np.asarray(pfs_months, dtype=float)
    from scipy import stats

    sf = stats.ecdf(stats.CensoredData.right_censored(times, ~observed)).sf
    with warnings.catch_warnings():  # CI is undefined (NaN) where the estimate is 0
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95)
        low, high = ci.low.evaluate(grid), ci.high.evaluate(grid)
    coords = {"month": ("month", grid, {"units": "months", "long_name": "time since cycle 1"})}
    for name, data, what in [("pfs", sf.evaluate(grid), "Kaplan-Meier progression-free survival"),
                             ("pfs_ci_low", low, "PFS 95% CI lower (Greenwood)"),
                             ("pfs_ci_high", high, "PFS 95% CI upper (Greenwood)")]:
        out[name] = xr.DataArray(data, dims="month", coords=coords,
                                 attrs={"units": "1", "long_name": what})
    at_risk = (times[None, :] >= grid[:, None]).sum(axis=1)
    out["pfs_at_risk"] = xr.DataArray(at_risk, dims="month", coords=coords,
                                      attrs={"units": "1", "long_name": "number at risk"})
    below = np.nonzero(sf.probabilities <= 0.5)[0]
    median = float(sf.quantiles[below[0]]) if below.size else np.nan
    out["median_pfs_months"] = xr.DataArray(median, attrs={
        "units": "months", "long_name": "median progression-free survival (NaN if not reached)"})


def summarize(ds: xr.Dataset, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95),
              pfs_months=None) -> xr.Dataset:
    """Summarize a cohort results Dataset over its ``patient`` dimension.

    Parameters
    ----------
    ds : xarray.Dataset
        Output of :func:`simulator.simulate` (any number of patients). Variables
        that are absent are skipped.
    quantiles : sequence of float, optional
        Probabilities of the dose quantiles (dimension ``quantile``).
    pfs_months : array_like, optional
        Month grid of the PFS curve; default 0 to the largest observed
        ``progression_time_months`` in 1-month steps.

    Returns
    -------
    xarray.Dataset
        ``response_proportion(response)`` with Wilson 95 % intervals, ``orr``,
        ``<flag>_rate`` (and ``cure_rate``) with intervals, ``tcp_mean`` and
        ``tcp_sem``, dose quantiles, Kaplan-Meier ``pfs(month)`` with interval,
        ``pfs_at_risk`` and ``median_pfs_months``. Attributes ``n_patients`` and
        (when present in ``ds``) ``seed``.

    Notes
    -----
    ``tcp_sem`` is NaN for a single patient; the PFS interval is NaN where the
    estimate has dropped to 0.
    """
    n = int(ds.sizes.get("patient", 0))
    out: dict[str, xr.DataArray] = {}
    if "best_response" in ds:
        br = ds["best_response"]
        flags = np.asarray(br.attrs.get("flag_values", _FLAGS)).tolist()
        meanings = str(br.attrs.get("flag_meanings", _MEANINGS)).split()
        pairs = sorted(zip(flags, meanings, strict=True), key=lambda p: (p[0] < 0, p[0]))
        counts = [int((br.values == f).sum()) for f, _ in pairs]
        coords = {"response": ("response", [m for _, m in pairs],
                               {"long_name": "RECIST 1.1 best overall response"})}
        _rate(out, "response_proportion", "proportion of patients by best response", counts,
              n, dims="response", coords=coords)
        for suffix in ("_ci_low", "_ci_high"):
            out["response" + suffix] = out.pop("response_proportion" + suffix)
        by_name = dict(zip(coords["response"][1], counts, strict=True))
        _rate(out, "orr", "objective response rate (CR + PR)",
              by_name.get("CR", 0) + by_name.get("PR", 0), n)
    for var, (name, long_name) in _RATES.items():
        if var in ds:
            _rate(out, name, long_name, int(ds[var].values.sum()), n)
    if "tcp" in ds:
        tcp = np.asarray(ds["tcp"].values, dtype=float)
        sem = np.nanstd(tcp, ddof=1) / np.sqrt(tcp.size) if tcp.size > 1 else np.nan
        out["tcp_mean"] = xr.DataArray(np.nanmean(tcp), attrs={
            "units": "1", "long_name": "mean tumour control probability"})
        out["tcp_sem"] = xr.DataArray(sem, attrs={
            "units": "1", "long_name": "standard error of the mean tumour control probability"})

    def cumulative(var):
        return ds[var].sum("cycle", min_count=1)

    spec = [  # output name, needed inputs, values, long_name, units
        ("cumulative_kidney_dose_gy", ["kidney_dose_gy"],
         lambda: cumulative("kidney_dose_gy"), "cumulative kidney absorbed dose", "Gy"),
        ("kidney_gy_per_gbq", ["kidney_dose_gy", "injected_activity_gbq"],
         lambda: (ds["kidney_dose_gy"] / ds["injected_activity_gbq"]).isel(cycle=0),
         "cycle-1 kidney absorbed dose per injected activity", "Gy/GBq"),
        ("cumulative_kidney_bed_gy", ["kidney_bed_gy"],
         lambda: cumulative("kidney_bed_gy"), "cumulative kidney BED", "Gy"),
        ("cumulative_marrow_dose_gy", ["marrow_dose_gy"],
         lambda: cumulative("marrow_dose_gy"), "cumulative red-marrow absorbed dose", "Gy"),
        ("lesion_dose_per_cycle_gy", ["lesion_dose_gy"], lambda: ds["lesion_dose_gy"],
         "lesion absorbed dose per cycle (all patients, lesions, cycles)", "Gy"),
        ("cumulative_lesion_bed_gy", ["lesion_bed_gy"], lambda: cumulative("lesion_bed_gy"),
         "cumulative lesion BED per lesion", "Gy"),
    ]
    q = np.asarray(quantiles, dtype=float)
    for name, needs, values, long_name, units in spec:
        if all(v in ds for v in needs):
            out[name + "_quantiles"] = _quantiles(values().values, q, long_name, units)
    if "progression_time_months" in ds and "progression_observed" in ds:
        _kaplan_meier(out, ds["progression_time_months"].values,
                      ds["progression_observed"].values, pfs_months)
    res = xr.Dataset(out)
    if "quantile" in res.dims:
        res = res.assign_coords(quantile=("quantile", q, {"units": "1",
                                                          "long_name": "quantile probability"}))
    res.attrs["n_patients"] = n
    if "seed" in ds.attrs:
        res.attrs["seed"] = ds.attrs["seed"]
    return res
