"""Diagnostics of the response tail of a simulated arm (issue 14; docs/validation.md).

The quantities an audit of exceptional responses looks at, from one arm's Dataset: the
best-response distribution (CR / PR / SD / PD, as measured and true), how the lesion dose
per cycle changes from the first to the last cycle, when partial responses are first seen,
and the tumour control probability.  Rates are over the evaluable patients (at least one
RECIST target at baseline, :func:`simulator.trial.evaluable`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .response.recist import CR, PD, PR, SD
from .trial import evaluable

BEST_RESPONSE_CLASSES = (("CR", CR), ("PR", PR), ("SD", SD), ("PD", PD))


def best_response_fractions(ds: xr.Dataset, variable: str = "best_response") -> dict[str, float]:
    """Fraction of evaluable patients per best response class (``best_response`` as
    measured, ``best_response_true`` without measurement error)."""
    best = evaluable(ds)[variable].values
    return {name: float(np.mean(best == code)) for name, code in BEST_RESPONSE_CLASSES}


def dose_ratio_last_first(ds: xr.Dataset) -> np.ndarray:
    """Lesion dose of the last cycle over the first, for every present lesion (flat, [1])."""
    dose = ds.lesion_dose_gy.values
    with np.errstate(divide="ignore", invalid="ignore"):   # absent lesions are NaN
        ratio = (dose[..., -1] / dose[..., 0]).ravel()
    return ratio[np.isfinite(ratio)]


def first_pr_weeks(ds: xr.Dataset, pr_threshold: float = 0.30) -> np.ndarray:
    """Weeks from the first injection to the first assessment whose measured sum of target
    diameters is at least ``pr_threshold`` below baseline; NaN for patients never there."""
    sums = ds.sum_diameters_observed_mm.values
    visits = ds.visit_time_months.values
    reached = sums[:, 1:] <= (1.0 - pr_threshold) * sums[:, :1]
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    months = np.where(first >= 0, visits[np.arange(len(first)), first + 1], np.nan)
    return months * (365.25 / 12.0) / 7.0


def tail_metrics(ds: xr.Dataset) -> dict[str, float]:
    """The tail diagnostics of one treated arm, as a flat dict (rates in [0, 1])."""
    out = {f"{k}_observed": v for k, v in best_response_fractions(ds).items()}
    out |= {f"{k}_true": v for k, v in best_response_fractions(ds, "best_response_true").items()}
    ratio = dose_ratio_last_first(ds)
    weeks = first_pr_weeks(evaluable(ds))
    ev = evaluable(ds)
    out |= {
        "n_evaluable": float(ev.sizes["patient"]),
        "near_complete": float(np.mean(ev.near_complete_response.values)),
        "cmr": float(np.mean(ds.complete_metabolic_response.values)),
        "dose_ratio_median": float(np.median(ratio)) if ratio.size else float("nan"),
        "dose_rising_fraction": float(np.mean(ratio > 1.0)) if ratio.size else float("nan"),
        "first_pr_weeks_median": float(np.nanmedian(weeks)) if np.isfinite(weeks).any()
        else float("nan"),
        "tcp_median": float(np.median(ds.tcp.values)),
        "tcp_above_half": float(np.mean(ds.tcp.values > 0.5)),
    }
    return out


def cr_limits(ds: xr.Dataset, detectability_mm: float = 5.0, lymph_node_normal_mm: float = 10.0,
              killed_below: float = 1e-3) -> dict[str, float]:
    """What keeps an arm's patients from a RECIST complete response (true lesion sizes).

    A target lesion *vanishes* when its equivalent diameter falls below detectability (a
    lymph node below 10 mm short axis) at some assessment; it is *killed* when its viable
    fraction at the end of follow-up is below ``killed_below`` (our threshold: the viable
    cells of a killed lesion of up to 65 mL then occupy less than a 5 mm sphere, so it could
    vanish once its dead cells are cleared; it is not a statement of long-term control, for
    which see the TCP).  Returns, over the evaluable patients: the fraction whose every
    target vanishes (true CR), whose every target is killed, and, among killed target
    lesions, the fraction that vanish and the quartiles of their smallest volume relative to
    baseline (what the uncleared doomed cells and the stroma leave).  The patient's
    *limiting* target (the largest smallest diameter relative to its threshold) and its
    viable fraction at the end tell whether killing or clearing is short.
    """
    from .response.recist import equivalent_diameter_mm

    ds = evaluable(ds)
    tgt = ds.lesion_is_target.values                                     # (P, L)
    vol = ds.lesion_volume_ml.transpose("patient", "lesion", "time").values
    vmin = np.where(tgt, np.min(np.where(np.isnan(vol), np.inf, vol), axis=2), np.nan)
    v0 = vol[:, :, 0]
    dmin = equivalent_diameter_mm(vmin)
    node = np.broadcast_to(ds.lesion_site.values.astype(str), tgt.shape) == "lymph_node"
    threshold = np.where(node, lymph_node_normal_mm, detectability_mm)
    vanished = np.where(tgt, dmin < threshold, True)
    viable_end = ds.lesion_viable_fraction.transpose("patient", "lesion", "time").values[..., -1]
    killed = tgt & (viable_end < killed_below)
    has = tgt.any(axis=1)
    rel = np.where(tgt, dmin / threshold, -np.inf)
    k = np.argmax(rel, axis=1)
    limiting_viable = viable_end[np.arange(len(k)), k]
    ratio = (vmin / v0)[killed]
    q = np.quantile(ratio, [0.25, 0.5, 0.75]) if ratio.size else np.full(3, np.nan)
    return {
        "true_cr": float(np.mean(vanished.all(axis=1) & has)),
        "all_targets_killed": float(np.mean(np.where(tgt, killed, True).all(axis=1) & has)),
        "killed_targets": int(killed.sum()),
        "killed_targets_vanished": float(np.mean(vanished[killed])) if killed.any()
        else float("nan"),
        "killed_min_volume_ratio_q25": float(q[0]),
        "killed_min_volume_ratio_median": float(q[1]),
        "killed_min_volume_ratio_q75": float(q[2]),
        "limiting_target_killed": float(np.mean(limiting_viable[has] < killed_below)),
    }
