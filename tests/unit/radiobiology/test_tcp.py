"""Poisson and Zaider–Minerbo TCP (Zaider & Minerbo 2000, doi:10.1088/0031-9155/45/2/303).

Independent reference for constant rates: Kendall (1948) extinction probability
of a linear birth–death process started from one cell, birth b, total death δ,
g = b − δ:  p0(t) = δ (e^{g t} − 1) / (b e^{g t} − δ);  TCP = p0^{N0}.
"""

import numpy as np
import pytest
from scipy.integrate import quad

from simulator.radiobiology import poisson_tcp, zaider_minerbo_tcp, zaider_minerbo_tcp_from_curve


def _kendall_p0(b, delta, t):
    g = b - delta
    return delta * np.expm1(g * t) / (b * np.exp(g * t) - delta)


def _constant_rate_inputs(b, delta, t):
    """n(t) = e^{(b−δ)t} and I(t) = ∫_0^t e^{-(b−δ)t'} dt' for constant rates."""
    g = b - delta
    return np.exp(g * t), -np.expm1(-g * t) / g


def test_poisson_limits_and_values():
    np.testing.assert_allclose(poisson_tcp([0.0, np.log(2.0), 50.0]), [1.0, 0.5, np.exp(-50.0)])
    assert poisson_tcp(1e4) == 0.0
    with pytest.raises(ValueError, match="expected_clonogens"):
        poisson_tcp(-1e-3)


def test_zaider_minerbo_without_births_is_binomial_and_close_to_poisson():
    n0 = np.array([1e3, 1e6, 1e9])
    n = 2.0 ** np.array([-12.0, -20.0, -29.0])  # 1 - n exact in binary; N0 n = 0.24, 0.95, 1.9
    zm = zaider_minerbo_tcp(n0, n, 1e5, 0.0)
    np.testing.assert_allclose(zm, (1.0 - n) ** n0, rtol=1e-9)
    # ln TCP = N0 log1p(-n) vs -N0 n: relative difference n/2 <= 1e-4 here; 1e-6 for n <= 2e-6.
    small = n <= 2e-6
    np.testing.assert_allclose(np.log(zm[small]), -n0[small] * n[small], rtol=1e-6)
    assert np.all(zm <= poisson_tcp(n0 * n))  # (1 - n)^N0 <= e^{-N0 n}


def test_zaider_minerbo_equals_kendall_for_constant_rates():
    b, delta, n0 = 0.01, 0.05, 100.0  # kill + death 5 %/h, births 1 %/h
    t = np.array([1.0, 24.0, 100.0, 300.0, 500.0])
    n, integral = _constant_rate_inputs(b, delta, t)
    zm = zaider_minerbo_tcp(n0, n, integral, b)
    np.testing.assert_allclose(
        np.log(zm), n0 * np.log(_kendall_p0(b, delta, t)), rtol=1e-10, atol=1e-13
    )


def test_births_raise_extinction_above_poisson_of_the_same_mean():
    # Documented direction: TCP_ZM >= exp(-N0 n) when b I >= 1 (birth-death variance).
    b, delta, n0 = 0.02, 0.06, 1e6
    t = np.array([200.0, 300.0, 400.0])
    n, integral = _constant_rate_inputs(b, delta, t)
    assert np.all(b * integral >= 1.0)
    zm = zaider_minerbo_tcp(n0, n, integral, b)
    assert np.all(zm > poisson_tcp(n0 * n))


def test_repopulation_lowers_tcp_at_fixed_kill():
    # Larger birth rate with the same radiation kill + death rate: more survivors.
    delta, n0, t = 0.08, 1e8, 400.0
    births = np.array([0.0, 0.005, 0.02, 0.05])
    tcps = []
    for b in births:
        n, integral = _constant_rate_inputs(b, delta, t)
        tcps.append(zaider_minerbo_tcp(n0, n, integral, b))
    assert np.all(np.diff(tcps) < 0.0)
    assert 0.01 < tcps[0] < 1.0  # the scenario is not saturated


def test_tcp_decreases_with_relative_clonogens():
    n = np.geomspace(1e-10, 1e-5, 30)
    for b in (0.0, 0.01):
        tcp = zaider_minerbo_tcp(1e6, n, 500.0, b)
        assert np.all(np.diff(tcp) < 0.0)


def test_zero_clonogens_and_start_of_treatment():
    assert zaider_minerbo_tcp(0.0, 1.0, 0.0, 0.01) == 1.0
    assert zaider_minerbo_tcp(10.0, 1.0, 0.0, 0.01) == 0.0


def test_from_curve_is_exact_for_piecewise_exponential_n():
    b, delta, n0 = 0.01, 0.05, 100.0
    t = np.array([0.0, 1.0, 24.0, 100.0, 300.0, 500.0])
    n, _ = _constant_rate_inputs(b, delta, t)
    tcp = zaider_minerbo_tcp_from_curve(t, n, n0, b)
    ref = n0 * np.log(_kendall_p0(b, delta, t[1:]))
    np.testing.assert_allclose(np.log(tcp[1:]), ref, rtol=1e-10, atol=1e-13)
    assert tcp[0] == 0.0


def test_from_curve_converges_for_smooth_n():
    # n(t) = exp(-α D∞ (1 - e^{-λt}) + (b - d) t): mono-exponential dose rate, repopulation.
    alpha, d_inf, lam, b, d, n0 = 0.3, 60.0, np.log(2.0) / 80.0, 0.004, 0.001, 1e7

    def ln_n(s):
        return -alpha * d_inf * (-np.expm1(-lam * s)) + (b - d) * s

    t_end = 400.0
    ref_i = quad(lambda s: np.exp(-ln_n(s)), 0.0, t_end, epsrel=1e-13, limit=200)[0]
    ref = zaider_minerbo_tcp(n0, np.exp(ln_n(t_end)), ref_i, b)
    t = np.linspace(0.0, t_end, 801)  # h = 0.5 h
    got = zaider_minerbo_tcp_from_curve(t, np.exp(ln_n(t)), n0, b)[-1]
    assert 0.05 < ref < 0.95
    assert got == pytest.approx(ref, rel=2e-6)  # measured 3.9e-7 (log-linear, second order)


@pytest.mark.parametrize(
    "args, name",
    [
        ((-1.0, 0.1, 1.0, 0.0), "n0_clonogens"),
        ((1.0, -0.1, 1.0, 0.0), "surviving_fraction_t"),
        ((1.0, 0.1, -1.0, 0.0), "integral_term_h"),
        ((1.0, 0.1, 1.0, -0.1), "birth_rate_per_h"),
        ((1.0, 2.0, 0.0, 0.1), "inconsistent"),
    ],
)
def test_zaider_minerbo_validation(args, name):
    with pytest.raises(ValueError, match=name):
        zaider_minerbo_tcp(*args)


def test_from_curve_validation():
    with pytest.raises(ValueError, match="strictly increasing"):
        zaider_minerbo_tcp_from_curve([0.0, 0.0], [1.0, 0.5], 10.0, 0.0)
    with pytest.raises(ValueError, match="relative_clonogens"):
        zaider_minerbo_tcp_from_curve([0.0, 1.0], [1.0, 0.0], 10.0, 0.0)
