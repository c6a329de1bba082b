"""Tumour control probability: Poisson and Zaider–Minerbo (birth–death) forms.

Poisson TCP = exp(−N), N the expected number of surviving clonogens
(docs/model.md §7.1).  Zaider & Minerbo 2000, "Tumour control probability: a
formulation applicable to any temporal protocol of dose delivery", Phys Med
Biol 45:279-293, doi:10.1088/0031-9155/45/2/303::

    TCP(t) = [1 − n(t) / (1 + b n(t) ∫_0^t dt'/n(t'))]^{N0}

n(t) = S(t) e^{(b−d)t}: expected fraction of the initial clonogens alive at t
(radiation survival S times net repopulation), b, d the birth and death rates.
For constant rates this is Kendall's (1948) extinction probability of a
linear birth–death process.  Direction: at b = 0 it is (1 − n)^{N0} ≤
exp(−N0 n); the birth–death variance raises the extinction probability at a
given mean, so TCP_ZM ≥ exp(−N0 n) whenever b ∫_0^t dt'/n ≥ 1.  Repopulation
(larger b at fixed kill and d) still lowers TCP, through a larger n(t).
"""

from __future__ import annotations

import numpy as np


def poisson_tcp(expected_clonogens):
    """Poisson TCP = exp(−N).

    Parameters
    ----------
    expected_clonogens : float or array_like
        Expected number N of surviving clonogens, >= 0.

    Returns
    -------
    numpy.ndarray or float
        TCP in [0, 1].
    """
    n = np.asarray(expected_clonogens, dtype=float)
    if not np.all(n >= 0.0):
        raise ValueError(f"expected_clonogens must be >= 0, got {expected_clonogens!r}")
    return np.exp(-n)


def zaider_minerbo_tcp(n0_clonogens, surviving_fraction_t, integral_term_h, birth_rate_per_h):
    """Zaider–Minerbo TCP at time t, evaluated in log space.

    ln TCP = N0 log1p(−n / (1 + b n I)), I = ∫_0^t dt'/n(t').

    Parameters
    ----------
    n0_clonogens : float or array_like
        Initial clonogen number N0, >= 0.
    surviving_fraction_t : float or array_like
        n(t) = S(t) e^{(b−d)t}, expected fraction of the initial clonogens
        alive at t (radiation survival including repopulation), >= 0.
    integral_term_h : float or array_like
        I = ∫_0^t dt'/n(t') [h], >= 0.
    birth_rate_per_h : float or array_like
        Clonogen birth rate b [1/h], >= 0.

    Returns
    -------
    numpy.ndarray or float
        TCP in [0, 1] (arguments broadcast).  N0 = 0 gives 1.
    """
    n0 = np.asarray(n0_clonogens, dtype=float)
    n = np.asarray(surviving_fraction_t, dtype=float)
    integral = np.asarray(integral_term_h, dtype=float)
    b = np.asarray(birth_rate_per_h, dtype=float)
    for name, arr in (("n0_clonogens", n0), ("surviving_fraction_t", n),
                      ("integral_term_h", integral), ("birth_rate_per_h", b)):  # fmt: skip
        if not np.all(np.isfinite(arr) & (arr >= 0.0)):
            raise ValueError(f"{name} must be finite and >= 0")
    p_survive = n / (1.0 + b * n * integral)  # P(one clonogen's line not extinct)
    if np.any(p_survive > 1.0 + 1e-12):
        raise ValueError(
            "n/(1 + b n I) > 1: integral_term_h is inconsistent with surviving_fraction_t "
            "(it must be ∫_0^t dt'/n(t'))"
        )
    with np.errstate(divide="ignore"):
        log_p0 = np.log1p(-np.minimum(p_survive, 1.0))
    log_tcp = n0 * np.where(n0 > 0.0, log_p0, 0.0)  # N0 = 0: TCP = 1, even if p0 = 0
    return np.exp(log_tcp)


def zaider_minerbo_tcp_from_curve(time_h, relative_clonogens, n0_clonogens, birth_rate_per_h):
    """Zaider–Minerbo TCP along a sampled relative clonogen curve n(t).

    I(t_k) = ∫_{t_0}^{t_k} dt'/n(t') with ln n taken piecewise linear between
    samples (n piecewise exponential): per interval ∫ = h (1/n_0) φ(Δ),
    Δ = ln(n_0/n_1), φ(Δ) = (e^Δ − 1)/Δ.  Exact when the net rate is constant
    between samples (constant dose rate / kill rate); otherwise second order,
    relative error of I ~ h² |d² ln n/dt²| / 12 per interval.

    Parameters
    ----------
    time_h : array_like, shape (m,)
        Times [h], strictly increasing; time_h[0] is the start (n = 1, I = 0).
    relative_clonogens : array_like, shape (m,)
        n(t) = S(t) e^{(b−d)t} at the samples, > 0 (n(time_h[0]) is normally 1).
    n0_clonogens : float
        Initial clonogen number N0, >= 0.
    birth_rate_per_h : float
        Clonogen birth rate b [1/h], >= 0.

    Returns
    -------
    numpy.ndarray, shape (m,)
        TCP at each sample time.
    """
    t = np.asarray(time_h, dtype=float)
    n = np.asarray(relative_clonogens, dtype=float)
    if t.ndim != 1 or t.size < 1 or n.shape != t.shape:
        raise ValueError("time_h and relative_clonogens must be 1-D arrays of the same shape")
    if not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0.0):
        raise ValueError("time_h must be finite and strictly increasing")
    if not np.all(np.isfinite(n) & (n > 0.0)):
        raise ValueError("relative_clonogens must be finite and > 0")
    delta = np.log(n[:-1]) - np.log(n[1:])
    safe = np.where(delta == 0.0, 1.0, delta)
    phi = np.where(delta == 0.0, 1.0, np.expm1(safe) / safe)
    piece = np.diff(t) / n[:-1] * phi
    integral = np.concatenate(([0.0], np.cumsum(piece)))
    return zaider_minerbo_tcp(n0_clonogens, n, integral, birth_rate_per_h)
