"""BED for any sampled dose-rate curve (LQ with incomplete mono-exponential repair).

dΓ/dt = Ḋ − μ Γ (Γ(t_0) = 0, never reset), μ = ln2 / T_rep, and
BED = D + (2/(α/β)) Q with Q = ∫ Ḋ Γ dt (docs/model.md §5.1, §5.4;
equivalent to the convolution form of Gustafsson, Nilsson & Sjögreen Gleisner
2013, Phys Med Biol 58:1507, doi:10.1088/0031-9155/58/5/1507).

Ḋ is taken piecewise linear between samples.  On an interval of length h,
with τ = s/h, x = μ h and E_k(x) = ∫_0^1 w^k e^{-x w} dw, both Γ and Q are
integrated in closed form (exact for the linear interpolant)::

    Γ1 = e^{-x} Γ0 + h [r1 (E0 − E1) + r0 E1]
    Q  = h Γ0 [r0 (E0 − E1) + r1 E1] + h² [(r0² + r1²) I_a + r0 r1 I_x]
    I_a = E0/3 − E1/2 + E3/6,  I_x = (E0 − E3)/3

(I_a, I_x: the weights of the triangle 0 ≤ σ ≤ τ ≤ 1 integrated along
w = τ − σ).  E_k uses a power series for x < 1 and the upward recursion
E_k = (k E_{k−1} − e^{-x}) / x otherwise, so each term is accurate to a few
ulp for any μh.
"""

from __future__ import annotations

import numpy as np

from simulator.radiobiology.closed_forms import _positive, repair_rate_per_h

_SERIES_TERMS = 22  # x < 1: truncation error < 1/22! ≈ 9e-22


def _exp_moments(x):
    """E_k(x) = ∫_0^1 w^k e^{-x w} dw for k = 0..3 (x >= 0), as four arrays."""
    x = np.asarray(x, dtype=float)
    small = x < 1.0
    xs = np.where(small, x, 0.0)
    series = [np.zeros_like(x) for _ in range(4)]
    term = np.ones_like(x)  # (-x)^n / n!
    for n in range(_SERIES_TERMS):
        for k in range(4):
            series[k] += term / (n + k + 1)
        term = term * (-xs) / (n + 1)
    xl = np.where(small, 1.0, x)
    e = np.exp(-xl)
    big = [-np.expm1(-xl) / xl]
    for k in range(1, 4):
        big.append((k * big[-1] - e) / xl)
    return [np.where(small, s, b) for s, b in zip(series, big, strict=True)]


def _check_curve(time_h, dose_rate_gy_per_h):
    t = np.asarray(time_h, dtype=float)
    r = np.asarray(dose_rate_gy_per_h, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"time_h must be a 1-D array of >= 2 samples, got shape {t.shape}")
    if r.shape != t.shape:
        raise ValueError(
            f"dose_rate_gy_per_h must have the shape of time_h {t.shape}, got {r.shape}"
        )
    if not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0.0):
        raise ValueError("time_h must be finite and strictly increasing")
    if not np.all(np.isfinite(r)):
        raise ValueError("dose_rate_gy_per_h must be finite")
    if np.any(r < 0.0):
        raise ValueError(
            f"dose_rate_gy_per_h must be >= 0 (an absorbed-dose rate), min {r.min()!r}"
        )
    return t, r


def dose_and_repair_integral(time_h, dose_rate_gy_per_h, repair_half_time_h):
    """Dose D and repair integral Q = ∫ Ḋ Γ dt of a piecewise-linear dose rate.

    Parameters
    ----------
    time_h : array_like, shape (n,)
        Sample times [h], strictly increasing; Γ(time_h[0]) = 0.
    dose_rate_gy_per_h : array_like, shape (n,)
        Absorbed-dose rate Ḋ at the samples [Gy/h], >= 0; linear in between.
    repair_half_time_h : float
        Repair half-time T_rep [h], > 0.

    Returns
    -------
    dose_gy : float
        D = ∫ Ḋ dt [Gy] (trapezoid, exact for the linear interpolant).
    repair_integral_gy2 : float
        Q = ∫ Ḋ Γ dt [Gy²]; BED = D + 2 Q / (α/β), G = 2 Q / D².
    """
    t, r = _check_curve(time_h, dose_rate_gy_per_h)
    mu = float(repair_rate_per_h(repair_half_time_h))
    h = np.diff(t)
    r0, r1 = r[:-1], r[1:]
    e0, e1, _, e3 = _exp_moments(mu * h)
    decay = np.exp(-mu * h)
    gain = h * (r1 * (e0 - e1) + r0 * e1)  # Γ gained over the interval from Γ0 = 0
    weight = h * (r0 * (e0 - e1) + r1 * e1)  # Q per unit Γ0
    q_local = h * h * ((r0 * r0 + r1 * r1) * (e0 / 3 - e1 / 2 + e3 / 6) + r0 * r1 * (e0 - e3) / 3)
    gamma, q = 0.0, float(np.sum(q_local))
    for d_k, g_k, w_k in zip(decay.tolist(), gain.tolist(), weight.tolist(), strict=True):
        q += gamma * w_k
        gamma = d_k * gamma + g_k
    dose = float(np.sum(0.5 * h * (r0 + r1)))
    return dose, q


def bed_from_dose_rate(time_h, dose_rate_gy_per_h, alpha_beta_gy, repair_half_time_h):
    """BED = D + (2/(α/β)) ∫ Ḋ Γ dt for a sampled (piecewise-linear) dose rate.

    Parameters
    ----------
    time_h : array_like, shape (n,)
        Sample times [h], strictly increasing; Γ(time_h[0]) = 0.
    dose_rate_gy_per_h : array_like, shape (n,)
        Absorbed-dose rate [Gy/h], >= 0.  Dose after the last sample is not
        included: sample until Ḋ is negligible or add the tail analytically.
    alpha_beta_gy : float
        α/β [Gy], > 0.
    repair_half_time_h : float
        Repair half-time T_rep [h], > 0.

    Returns
    -------
    float
        BED [Gy].
    """
    ab = float(_positive("alpha_beta_gy", alpha_beta_gy))
    dose, q = dose_and_repair_integral(time_h, dose_rate_gy_per_h, repair_half_time_h)
    return dose + 2.0 * q / ab
