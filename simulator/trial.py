"""A virtual two-arm trial: endpoints per arm and the hazard ratio between arms.

The analysis of a randomised trial such as NETTER-1 (Strosberg 2017,
doi:10.1056/NEJMoa1607427) on two cohort Datasets of the same virtual patients:
patients with at least one RECIST 1.1 target lesion at baseline are evaluable (the
trial required measurable disease); objective response rate with its Wilson 95 %
interval and Kaplan-Meier PFS come from :func:`simulator.summarize`; the PFS hazard
ratio from a Cox proportional-hazards fit (``lifelines.CoxPHFitter``, Efron ties),
with the log-rank p-value (``lifelines.statistics.logrank_test``).  lifelines is an
optional dependency (``pip install 'prrt-simulator[dev]'``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .response.recist import NOT_EVALUABLE
from .summary import summarize


def evaluable(ds: xr.Dataset) -> xr.Dataset:
    """The patients of ``ds`` with at least one RECIST target lesion at baseline."""
    return ds.isel(patient=np.flatnonzero(ds["best_response"].values != NOT_EVALUABLE))


@dataclass(frozen=True)
class ArmEndpoints:
    """Endpoints of one arm; rates in [0, 1], times in months."""

    n: int
    orr: float
    orr_ci: tuple[float, float]
    pfs: dict[float, float]                       # month -> Kaplan-Meier PFS
    pfs_ci: dict[float, tuple[float, float]]      # month -> Greenwood 95 % interval
    median_pfs_months: float


def arm_endpoints(ds: xr.Dataset, months=(8.4, 20.0)) -> ArmEndpoints:
    """ORR and Kaplan-Meier PFS at ``months`` of the evaluable patients of one arm."""
    s = summarize(evaluable(ds), quantiles=(0.5,), pfs_months=np.asarray(months, dtype=float))
    grid = [float(m) for m in s.month.values]
    return ArmEndpoints(
        n=int(s.attrs["n_patients"]), orr=float(s.orr), orr_ci=(float(s.orr_ci_low),
                                                                  float(s.orr_ci_high)),
        pfs=dict(zip(grid, s.pfs.values.tolist(), strict=True)),
        pfs_ci={m: (float(lo), float(hi)) for m, lo, hi in zip(grid, s.pfs_ci_low.values,
                                                                 s.pfs_ci_high.values,
                                                                 strict=True)},
        median_pfs_months=float(s.median_pfs_months))


@dataclass(frozen=True)
class HazardRatio:
    """PFS hazard ratio of arm A versus arm B (Cox), its 95 % interval, log-rank p."""

    hr: float
    ci: tuple[float, float]
    logrank_p: float


def hazard_ratio(time_a, event_a, time_b, event_b) -> HazardRatio:
    """Cox proportional-hazards hazard ratio of arm A relative to arm B.

    Parameters
    ----------
    time_a, time_b : array_like [months]
        Time to progression or censoring per patient.
    event_a, event_b : array_like of bool
        True where progression was observed.
    """
    import pandas as pd
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    df = pd.DataFrame({
        "time": np.concatenate([np.asarray(time_a, float), np.asarray(time_b, float)]),
        "event": np.concatenate([np.asarray(event_a, bool), np.asarray(event_b, bool)]),
        "arm_a": np.r_[np.ones(len(time_a)), np.zeros(len(time_b))]})
    cph = CoxPHFitter().fit(df, duration_col="time", event_col="event")
    ci = np.exp(cph.confidence_intervals_.loc["arm_a"].to_numpy())
    p = logrank_test(time_a, time_b, event_observed_A=event_a, event_observed_B=event_b).p_value
    return HazardRatio(hr=float(np.exp(cph.params_["arm_a"])), ci=(float(ci[0]), float(ci[1])),
                       logrank_p=float(p))


def trial_hazard_ratio(treated: xr.Dataset, control: xr.Dataset) -> HazardRatio:
    """PFS hazard ratio treated vs control over the evaluable patients of each arm."""
    a, b = evaluable(treated), evaluable(control)
    return hazard_ratio(a.progression_time_months.values, a.progression_observed.values,
                        b.progression_time_months.values, b.progression_observed.values)


def arm_config(n: int, seed: int, control: bool, edit=None, cohort: str = "netter1",
               overrides: tuple[str, ...] = ()) -> dict:
    """Validated plain config of one arm of a virtual trial of ``cohort=<cohort>``.

    ``n`` patients from root seed ``seed``; the control arm is ``therapy=none`` (the same
    patients: same cohort and seed), the treated arm ``therapy=standard``.  Both arms are
    measured as a trial measures them (``observation=trial``: RECIST measurement error,
    visit jitter; docs/model.md §8.5).  ``edit(cfg)`` may change the config (e.g. a cohort
    parameter during a calibration); ``overrides``: further Hydra overrides (e.g.
    ``therapy=dosimetry_guided``), applied after the arm's.
    """
    import copy

    from .configure import compose, validate

    cfg = copy.deepcopy(validate(compose([
        f"cohort={cohort}", f"cohort.n_patients={n}", f"seed={seed}", "output.progress=false",
        f"therapy={'none' if control else 'standard'}", "observation=trial", *overrides])))
    if edit is not None:
        edit(cfg)
    return cfg


def run_arm(n: int, seed: int, control: bool, edit=None, cohort: str = "netter1",
            overrides: tuple[str, ...] = ()) -> xr.Dataset:
    """Simulate one arm (:func:`arm_config`)."""
    from . import simulate

    return simulate(arm_config(n, seed, control, edit, cohort, overrides))


def pool_arms(parts: list[xr.Dataset]) -> xr.Dataset:
    """Arms of disjoint virtual patients as one arm, patients renumbered from 0.

    Every per-patient variable is concatenated; everything without a patient dimension (the
    schedule's times, the assessment grid) must be the same in every part (same trial design,
    only the population differs) and is taken from the first: a different number of lesion
    slots or cycles, or another schedule, is an error, not a silent truncation.  The attributes
    are the first part's, with ``n_patients`` the pooled count and ``pooled_seeds`` the
    parts' seeds."""
    parts = list(parts)
    if not parts:
        raise ValueError("pool_arms: no arms to pool")
    first = parts[0]
    for k, ds in enumerate(parts[1:], start=1):
        if set(ds.dims) != set(first.dims):
            raise ValueError(f"pool_arms: part {k} has dimensions {sorted(ds.dims)}, part 0 "
                             f"{sorted(first.dims)}: not arms of one trial design")
        for dim in first.dims:
            if dim != "patient" and ds.sizes[dim] != first.sizes[dim]:
                raise ValueError(f"pool_arms: part {k} has {ds.sizes[dim]} along {dim!r}, "
                                 f"part 0 {first.sizes[dim]}: not arms of one trial design")
        for name, var in first.variables.items():
            other = ds.variables.get(name)
            if "patient" not in var.dims and (other is None or not var.equals(other)):
                raise ValueError(f"pool_arms: {name!r} differs between part 0 and part {k}: "
                                 "not arms of one trial design")
    ds = xr.concat(parts, dim="patient", data_vars="minimal", coords="minimal",
                   compat="override", join="override")
    ds = ds.assign_coords(patient=np.arange(ds.sizes["patient"]))
    ds.attrs = {**first.attrs, "n_patients": int(ds.sizes["patient"]),
                "pooled_seeds": ", ".join(str(p.attrs.get("seed", "?")) for p in parts)}
    return ds


def run_mixed_arm(n: int, seed: int, control: bool, parts, cohort: str = "netter1",
                  overrides: tuple[str, ...] = ()) -> xr.Dataset:
    """One arm of ``n`` patients drawn from subpopulations: ``parts`` is a sequence of
    ``(share, edit)``; part ``k`` has ``round(share * n)`` patients (the last one the rest)
    simulated with seed ``seed + k`` and config edit ``edit`` (:func:`run_arm`), and the parts
    are pooled (:func:`pool_arms`).  Calling it twice with ``control`` False and True gives the
    two arms of one trial on the same virtual patients."""
    parts = list(parts)
    shares = [float(w) for w, _ in parts]
    if not parts or any(w <= 0 for w in shares) or abs(sum(shares) - 1.0) > 1e-9:
        raise ValueError(f"run_mixed_arm: shares {shares} must be positive and sum to 1")
    sizes = [int(round(w * n)) for w in shares[:-1]]
    sizes.append(n - sum(sizes))
    if min(sizes) < 1:
        raise ValueError(f"run_mixed_arm: {n} patients split as {sizes}: every part needs one")
    return pool_arms([run_arm(size, seed + k, control, edit, cohort, overrides)
                      for k, (size, (_, edit)) in enumerate(zip(sizes, parts, strict=True))])


def interpolated_median_months(ds: xr.Dataset) -> float:
    """Median PFS [months] with the Kaplan-Meier curve interpolated linearly between
    assessments, over the evaluable patients.

    Progression is only seen at the assessments (every 12 weeks), so the step-function
    median jumps from one assessment to the next when PFS there passes 0.5 by a hair. The
    time at which the straight line between the two assessments around the crossing reaches
    0.5 is the usual estimate for such interval-censored data (NaN if PFS never falls to 0.5).
    """
    times = np.unique(ds.progression_time_months.values[ds.progression_observed.values])
    grid = np.concatenate([[0.0], times])
    pfs = summarize(evaluable(ds), quantiles=(0.5,), pfs_months=grid).pfs.values
    k = int(np.argmax(pfs <= 0.5)) if np.any(pfs <= 0.5) else -1
    if k <= 0:
        return float("nan")
    return float(np.interp(0.5, [pfs[k], pfs[k - 1]], [grid[k], grid[k - 1]]))


def endpoint_values(ds: xr.Dataset) -> dict:
    """The endpoints a calibration compares, as a flat dict: ``orr``, ``pfs_8.4`` and
    ``pfs_20`` (Kaplan-Meier at 8.4 and 20 months), ``median`` (months), ``n`` (evaluable
    patients) and ``cr`` (RECIST CR rate), over the evaluable patients of one arm."""
    from .response.recist import CR

    e = arm_endpoints(ds)
    return {"orr": e.orr, "pfs_8.4": e.pfs[8.4], "pfs_20": e.pfs[20.0],
            "median": e.median_pfs_months, "n": e.n,
            "cr": float(np.mean(evaluable(ds).best_response.values == CR))}
