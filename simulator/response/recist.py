"""RECIST 1.1 anatomic response on simulated target lesions (docs/model.md §8.1).

Eisenhauer EA et al., "New response evaluation criteria in solid tumours: revised
RECIST guideline (version 1.1)", Eur J Cancer 2009;45:228-247,
doi:10.1016/j.ejca.2008.10.026. Lesion size is the diameter of the volume-equivalent
sphere; a target lesion below the detectability limit counts as disappeared (0 mm).
Arrays carry a leading patient axis (one patient = batch of 1). Threshold
comparisons include the boundary ("at least 30 %") up to a relative tolerance of 1e-9.
"""

from __future__ import annotations

import numpy as np

CR, PR, SD, PD = 0, 1, 2, 3
FLAG_MEANINGS = "CR PR SD PD"
NOT_EVALUABLE = -1
_RTOL = 1e-9


def _ge(a, b):
    return a >= b - _RTOL * np.abs(b)


def equivalent_diameter_mm(volume_ml):
    """Diameter (mm) of the sphere of volume `volume_ml` (mL, ≥ 0): (6 V / π)^(1/3).

    1 mL = 1000 mm³ gives 12.41 mm. Returns a float ndarray of the input's shape.
    """
    v = np.asarray(volume_ml, dtype=float)
    if np.any(v < 0.0):
        raise ValueError("volume_ml must be >= 0")
    return np.cbrt(6.0 * v * 1000.0 / np.pi)


def select_targets(baseline_diameter_mm, sites, min_diameter_mm=10.0, lymph_node_min_mm=15.0,
                   max_targets=5, max_per_organ=2):  # fmt: skip
    """Choose RECIST 1.1 target lesions at baseline (sections 3.1, 4.2, 4.3).

    `baseline_diameter_mm` (n_patients, n_lesions), mm, NaN = absent lesion; `sites`
    (n_lesions,) str shared by all patients, or (n_patients, n_lesions).
    Measurable: diameter ≥ `min_diameter_mm`
    (mm), or ≥ `lymph_node_min_mm` for site ``"lymph_node"`` (the short-axis rule,
    applied to the equivalent diameter). The largest measurable lesions are chosen,
    ≤ `max_per_organ` per site and ≤ `max_targets` in all; ties go to the lower lesion
    index. Returns bool (n_patients, n_lesions), True for target lesions.
    """
    d = np.atleast_2d(np.asarray(baseline_diameter_mm, dtype=float))
    site_arr = np.asarray(sites, dtype=str)
    if d.ndim != 2 or site_arr.shape[-1] != d.shape[1]:
        raise ValueError(f"baseline_diameter_mm must be (P, {site_arr.shape[-1]}), got {d.shape}")
    site_arr = np.broadcast_to(site_arr, d.shape)
    names, site_idx = np.unique(site_arr, return_inverse=True)
    site_idx = site_idx.reshape(d.shape)
    measurable = _ge(d, np.where(site_arr == "lymph_node", lymph_node_min_mm, min_diameter_mm))
    order = np.argsort(-np.nan_to_num(d, nan=-np.inf), axis=1, kind="stable")
    m_sorted = np.take_along_axis(measurable, order, axis=1)
    s_sorted = np.take_along_axis(site_idx, order, axis=1)[..., None]
    per_site = np.cumsum((s_sorted == np.arange(names.size)) & m_sorted[..., None], axis=1)
    rank_in_site = np.take_along_axis(per_site, s_sorted, axis=2)[..., 0]
    candidate = m_sorted & (rank_in_site <= max_per_organ)
    targets = np.zeros_like(candidate)
    np.put_along_axis(targets, order, candidate & (np.cumsum(candidate, 1) <= max_targets), 1)
    return targets


def _detected(diameter_mm, targets, detectability_mm):
    d = np.asarray(diameter_mm, dtype=float)
    t = np.asarray(targets, dtype=bool)
    if d.ndim != 3 or t.shape != d.shape[:2]:
        raise ValueError(f"need diameter_mm (P, L, T) and targets (P, L); got {d.shape}, {t.shape}")
    return d, t, t[..., None] & (d >= np.asarray(detectability_mm, dtype=float))


def sum_of_diameters_mm(diameter_mm, targets, detectability_mm):
    """Sum of target-lesion diameters, (n_patients, n_times) in mm (RECIST 1.1 4.3.1).

    Parameters
    ----------
    diameter_mm : array_like, shape (n_patients, n_lesions, n_times)
        Lesion diameters (mm).
    targets : array_like of bool, shape (n_patients, n_lesions)
        Target lesions (`select_targets`).
    detectability_mm : float or array_like broadcastable to `diameter_mm`
        Smallest detectable diameter (mm); smaller target lesions count as 0 mm.
    """
    d, _, seen = _detected(diameter_mm, targets, detectability_mm)
    return np.where(seen, d, 0.0).sum(axis=1)


def targets_disappeared(diameter_mm, targets, detectability_mm, sites=None,
                        lymph_node_normal_mm=10.0):
    """Bool (n_patients, n_times): the targets meet RECIST 1.1's complete response.

    Every non-nodal target below detectability and, with ``sites`` (as in
    `select_targets`), every lymph-node target below ``lymph_node_normal_mm`` (short axis
    < 10 mm: a normal node, section 4.3.1; the sum of diameters then need not be 0).
    Without ``sites`` every target must be below detectability.  Patients without target
    lesions give False.
    """
    d, t, seen = _detected(diameter_mm, targets, detectability_mm)
    if sites is not None:
        node = np.broadcast_to(np.asarray(sites, dtype=str), t.shape) == "lymph_node"
        seen = np.where(node[..., None], t[..., None] & _ge(d, lymph_node_normal_mm), seen)
    return t.any(axis=1)[:, None] & ~seen.any(axis=1)


def assess(sum_mm, disappeared, pr_threshold=0.30, pd_threshold=0.20, pd_min_increase_mm=5.0):
    """Target-lesion response at each assessment (RECIST 1.1 section 4.3.1).

    CR: all targets disappeared. PD: sum ≥ (1 + `pd_threshold`) · nadir and
    sum − nadir ≥ `pd_min_increase_mm` (mm), nadir = smallest sum at baseline or any
    earlier assessment. PR: sum ≤ (1 − `pr_threshold`) · baseline. Else SD. Columns
    after the first PD are still evaluated (`best_overall_response` ignores them).

    Parameters
    ----------
    sum_mm : array_like, shape (n_patients, n_times)
        Sum of diameters (mm), column 0 = baseline; baseline ≤ 0 or NaN = no targets.
    disappeared : array_like of bool, shape (n_patients, n_times)
        All target lesions below detectability (`targets_disappeared`).

    Returns
    -------
    numpy.ndarray of int, shape (n_patients, n_times - 1)
        CR/PR/SD/PD for columns 1..; NOT_EVALUABLE for patients without targets.
    """
    s = np.atleast_2d(np.asarray(sum_mm, dtype=float))
    gone = np.atleast_2d(np.asarray(disappeared, dtype=bool))
    if s.ndim != 2 or gone.shape != s.shape:
        raise ValueError(f"sum_mm and disappeared must be (P, T); got {s.shape}, {gone.shape}")
    base, cur = s[:, :1], s[:, 1:]
    nadir = np.minimum.accumulate(s, axis=1)[:, :-1]
    pd = _ge(cur, (1.0 + pd_threshold) * nadir) & _ge(cur - nadir, pd_min_increase_mm)
    pr = cur <= (1.0 - pr_threshold) * base * (1.0 + _RTOL)
    codes = np.where(gone[:, 1:], CR, np.where(pd, PD, np.where(pr, PR, SD)))
    return np.where(base > 0.0, codes, NOT_EVALUABLE)


def _first_pd(codes):
    is_pd = codes == PD
    return np.where(is_pd.any(axis=1), is_pd.argmax(axis=1), codes.shape[1])


def best_overall_response(codes, time_weeks, confirm=False, confirmation_min_weeks=4.0,
                          sd_min_weeks=0.0):  # fmt: skip
    """Best overall response, (n_patients,) int, up to and including the first PD.

    RECIST 1.1 section 4.4. `codes` (n_patients, n_assess) from `assess`;
    `time_weeks` (n_assess,) increasing, weeks since baseline. With `confirm`, a CR/PR
    at time t counts as the worst response from t up to the first assessment
    ≥ t + `confirmation_min_weeks` (Table 3: CR,CR→CR; CR,PR→PR; PR,SD→SD); if that is
    not CR/PR, or there is no such assessment, it counts as SD (section 4.4.3). SD
    (downgraded CR/PR included) counts only at times ≥ `sd_min_weeks`; with no
    qualifying response the best is PD if PD occurred, else NOT_EVALUABLE.
    NOT_EVALUABLE assessments are ignored.
    """
    c = np.atleast_2d(np.asarray(codes, dtype=int))
    t = np.asarray(time_weeks, dtype=float)
    if c.ndim != 2 or t.shape != (c.shape[1],):
        raise ValueError(f"need codes (P, A) and time_weeks (A,); got {c.shape}, {t.shape}")
    idx = np.arange(t.size)
    evaluable = c != NOT_EVALUABLE
    rank = np.where(evaluable, PD - c, -1)  # CR 3, PR 2, SD 1, PD 0, NE -1
    if confirm:
        k = np.searchsorted(t, t + confirmation_min_weeks - 1e-9, side="left")
        window = (idx[None, :] > idx[:, None]) & (idx[None, :] <= k[:, None])  # (j, k)
        later = np.where(window & evaluable[:, None, :], rank[:, None, :], 99).min(axis=2)
        later = np.where((k < t.size)[None, :] & (later < 99), later, PD - SD)
        rank = np.where(rank >= PD - PR, np.minimum(rank, np.maximum(later, PD - SD)), rank)
    early_sd = (rank == PD - SD) & (t < sd_min_weeks - 1e-9)[None, :]
    rank = np.where((idx[None, :] <= _first_pd(c)[:, None]) & ~early_sd, rank, -1)
    best = rank.max(axis=1, initial=-1)
    return np.where(best >= 0, PD - best, NOT_EVALUABLE)


def progression(codes, time_months):
    """Time to RECIST progression with right-censoring (docs/model.md §8.1, for PFS).

    `codes` (n_patients, n_assess) from `assess`; `time_months` (n_assess,) months
    since baseline. Returns ``(time_months, observed)``, both (n_patients,): the time
    of the first PD (observed True), else of the last assessment (censored, False).
    """
    c = np.atleast_2d(np.asarray(codes, dtype=int))
    t = np.asarray(time_months, dtype=float)
    if c.ndim != 2 or t.shape != (c.shape[1],) or t.size == 0:
        raise ValueError(f"need codes (P, A>0) and time_months (A,); got {c.shape}, {t.shape}")
    first = _first_pd(c)
    return t[np.minimum(first, t.size - 1)], first < t.size


def near_complete_response(sum_mm, best, threshold=0.80, codes=None):
    """Near-complete anatomic response: OUR definition (docs/model.md §8.2), not RECIST's.

    True (bool, (n_patients,)) when `best` (from `best_overall_response`) is PR and
    the largest fractional decrease of `sum_mm` (n_patients, n_times; mm, column 0 =
    baseline) from baseline, at any assessment up to the first PD, is ≥ `threshold`
    (0.80 = −80 %). The first PD comes from `codes` (n_patients, n_times − 1), by
    default ``assess(sum_mm, sum_mm <= 0)`` with default thresholds.
    """
    s = np.atleast_2d(np.asarray(sum_mm, dtype=float))
    c = assess(s, s <= 0.0) if codes is None else np.atleast_2d(np.asarray(codes, dtype=int))
    upto = np.arange(s.shape[1] - 1)[None, :] <= _first_pd(c)[:, None]
    low = np.where(upto, s[:, 1:], np.inf).min(axis=1, initial=np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        decrease = 1.0 - low / s[:, 0]
    return (np.asarray(best) == PR) & (s[:, 0] > 0.0) & _ge(decrease, threshold)
