"""Closed-form LQ biologically effective dose (BED) for exponential dose rates.

Linear-quadratic model with mono-exponential repair of sublethal damage,
μ = ln2 / T_rep, Γ(t) = ∫_0^t Ḋ(t') e^{-μ (t - t')} dt'::

    BED = D + (2 / (α/β)) ∫_0^∞ Ḋ Γ dt,   EQD2 = BED / (1 + 2 / (α/β))

Mono-exponential dose rate Ḋ = Ḋ0 e^{-λ t} (instant uptake): Dale 1985,
"The application of the linear-quadratic dose-effect equation to fractionated
and protracted radiotherapy", Br J Radiol 58:515-528,
doi:10.1259/0007-1285-58-690-515: BED = D [1 + D λ / ((μ + λ)(α/β))],
Lea–Catcheside factor G = λ / (λ + μ).  Sum of exponentials (uptake phase,
negative amplitudes allowed): derived by integrating the Γ ODE term by term [DERIVED],
docs/model.md §5.3.
"""

from __future__ import annotations

import numpy as np

_LN2 = np.log(2.0)


def _positive(name, value):
    """Return ``value`` as a float array; ValueError naming ``name`` unless finite and > 0."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr) & (arr > 0.0)):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return arr


def repair_rate_per_h(repair_half_time_h):
    """Sublethal-damage repair rate μ = ln2 / T_rep.

    Parameters
    ----------
    repair_half_time_h : float or array_like
        Repair half-time T_rep [h], > 0.

    Returns
    -------
    numpy.ndarray or float
        Repair rate μ [1/h].
    """
    return _LN2 / _positive("repair_half_time_h", repair_half_time_h)


def lea_catcheside_g_mono_exponential(lambda_per_h, repair_half_time_h):
    """Lea–Catcheside dose-protraction factor G = λ / (λ + μ) for Ḋ0 e^{-λ t} to ∞.

    Parameters
    ----------
    lambda_per_h : float or array_like
        Effective dose-rate decay constant λ [1/h], > 0.
    repair_half_time_h : float or array_like
        Repair half-time T_rep [h], > 0.

    Returns
    -------
    numpy.ndarray or float
        G (dimensionless, 0 < G < 1).
    """
    lam = _positive("lambda_per_h", lambda_per_h)
    return lam / (lam + repair_rate_per_h(repair_half_time_h))


def bed_mono_exponential(dose_gy, lambda_per_h, alpha_beta_gy, repair_half_time_h):
    """Dale (1985) BED for Ḋ = Ḋ0 e^{-λ t} delivered to infinity.

    BED = D [1 + D λ / ((μ + λ)(α/β))], with D = Ḋ0 / λ.

    Parameters
    ----------
    dose_gy : float or array_like
        Total absorbed dose D [Gy], >= 0.
    lambda_per_h : float or array_like
        Effective decay constant λ = ln2 / T_eff [1/h], > 0.
    alpha_beta_gy : float or array_like
        α/β [Gy], > 0.
    repair_half_time_h : float or array_like
        Repair half-time T_rep [h], > 0.

    Returns
    -------
    numpy.ndarray or float
        BED [Gy] (arguments broadcast).
    """
    dose = np.asarray(dose_gy, dtype=float)
    if not np.all(np.isfinite(dose) & (dose >= 0.0)):
        raise ValueError(f"dose_gy must be finite and >= 0, got {dose_gy!r}")
    g = lea_catcheside_g_mono_exponential(lambda_per_h, repair_half_time_h)
    return dose * (1.0 + g * dose / _positive("alpha_beta_gy", alpha_beta_gy))


def bed_sum_of_exponentials(a_gy_per_h, lambda_per_h, alpha_beta_gy, repair_half_time_h):
    """BED for Ḋ(t) = Σ_i a_i e^{-λ_i t} delivered from t = 0 to ∞.

    D = Σ_i a_i / λ_i and
    BED = D + (2/(α/β)) Σ_i Σ_j a_i a_j / ((λ_i + λ_j)(λ_i + μ))
    ([DERIVED], docs/model.md §5.3).  Amplitudes may be negative (uptake, e.g.
    Ḋ = R0 (e^{-λc t} - e^{-λu t})); the caller keeps Ḋ >= 0.  With one term
    this is Dale's mono-exponential form.

    Parameters
    ----------
    a_gy_per_h : array_like
        Amplitudes a_i [Gy/h]; the last axis indexes the terms.
    lambda_per_h : array_like
        Decay constants λ_i [1/h], > 0; broadcasts with ``a_gy_per_h``.
    alpha_beta_gy : float or array_like
        α/β [Gy], > 0; broadcasts with the leading (non-term) axes.
    repair_half_time_h : float or array_like
        Repair half-time T_rep [h], > 0; broadcasts like ``alpha_beta_gy``.

    Returns
    -------
    numpy.ndarray or float
        BED [Gy], shape = leading axes broadcast with ``alpha_beta_gy``.
    """
    a = np.atleast_1d(np.asarray(a_gy_per_h, dtype=float))
    lam = np.atleast_1d(_positive("lambda_per_h", lambda_per_h))
    if not np.all(np.isfinite(a)):
        raise ValueError(f"a_gy_per_h must be finite, got {a_gy_per_h!r}")
    a, lam = np.broadcast_arrays(a, lam)
    mu = np.asarray(repair_rate_per_h(repair_half_time_h))[..., None, None]
    ab = _positive("alpha_beta_gy", alpha_beta_gy)
    dose = np.sum(a / lam, axis=-1)
    a_i, a_j = a[..., :, None], a[..., None, :]
    l_i, l_j = lam[..., :, None], lam[..., None, :]
    q = np.sum(a_i * a_j / ((l_i + l_j) * (l_i + mu)), axis=(-2, -1))
    return dose + 2.0 * q / ab


def eqd2(bed_gy, alpha_beta_gy):
    """Equivalent dose in 2-Gy fractions, EQD2 = BED / (1 + 2/(α/β)).

    Parameters
    ----------
    bed_gy : float or array_like
        Biologically effective dose [Gy].
    alpha_beta_gy : float or array_like
        α/β [Gy], > 0.

    Returns
    -------
    numpy.ndarray or float
        EQD2 [Gy].
    """
    return np.asarray(bed_gy, dtype=float) / (1.0 + 2.0 / _positive("alpha_beta_gy", alpha_beta_gy))
