"""Literature validation of the LQ BED with incomplete repair (docs/validation.md, rung 1).

Provenance: Dale 1985, Br J Radiol 58:515-528, doi:10.1259/0007-1285-58-690-515
(mono-exponential BED = D [1 + D λ / ((μ+λ)(α/β))]); sum-of-exponentials closed
form (docs/model.md §5.3) and worked numbers derived from it by hand [DERIVED]
(kidney 4 Gy, T_eff 50 h, T_rep 2.8 h, α/β 2.6 Gy -> BED 4.33 Gy/cycle, 4 cycles ->
EQD2 9.8 Gy; tumour 25 Gy, T_eff 80 h, T_rep 1.5 h, α/β 10 Gy -> 26.2 Gy; 2-h
uptake half-time changes the kidney BED by about -0.1 %).  Independent reference:
scipy solve_ivp of dD/dt = Ḋ, dΓ/dt = Ḋ − μΓ, dQ/dt = Ḋ Γ (docs/model.md §5.1).
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from simulator.radiobiology import (
    bed_from_dose_rate,
    bed_mono_exponential,
    bed_sum_of_exponentials,
    dose_and_repair_integral,
    eqd2,
    lea_catcheside_g_mono_exponential,
)

LN2 = np.log(2.0)
KIDNEY = {"dose_gy": 4.0, "t_eff_h": 50.0, "t_rep_h": 2.8, "alpha_beta_gy": 2.6}
TUMOUR = {"dose_gy": 25.0, "t_eff_h": 80.0, "t_rep_h": 1.5, "alpha_beta_gy": 10.0}
EIGHT_WEEKS_H = 8 * 7 * 24.0


def _mono_curve(dose_gy, t_eff_h, dt_h=0.1, half_lives=40):
    """Uniformly sampled Ḋ0 e^{-λt} to 40 half-lives (missing tail 2^-40 ≈ 1e-12 of D)."""
    lam = LN2 / t_eff_h
    t = np.arange(0.0, half_lives * t_eff_h + 0.5 * dt_h, dt_h)
    return t, dose_gy * lam * np.exp(-lam * t)


def _ode_bed(rate, t_end_h, alpha_beta_gy, t_rep_h, t_start_h=0.0, breaks=()):
    """Reference BED from solve_ivp (DOP853, rtol 1e-11), split at rate kinks."""
    mu = LN2 / t_rep_h

    def rhs(t, y):
        r = rate(t)
        return [r, r - mu * y[1], r * y[1]]

    y = np.zeros(3)
    edges = [t_start_h, *breaks, t_end_h]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-14)
        assert sol.success
        y = sol.y[:, -1]
    return y[0] + 2.0 * y[2] / alpha_beta_gy


@pytest.mark.parametrize("case", [TUMOUR, KIDNEY], ids=["tumour", "kidney"])
def test_sampled_mono_exponential_equals_dale(case):
    # Piecewise-linear interpolation error is (λ h)^2/12 ≈ 2e-7 relative at h = 0.1 h.
    t, rate = _mono_curve(case["dose_gy"], case["t_eff_h"])
    bed = bed_from_dose_rate(t, rate, case["alpha_beta_gy"], case["t_rep_h"])
    dale = bed_mono_exponential(
        case["dose_gy"], LN2 / case["t_eff_h"], case["alpha_beta_gy"], case["t_rep_h"]
    )
    assert bed == pytest.approx(dale, rel=1e-6)


def test_piecewise_linear_curve_is_integrated_exactly():
    # Coarse, irregular samples (μh up to ~20): the interpolant itself must be exact.
    t = np.array([0.0, 0.5, 3.0, 4.0, 30.0, 31.0, 80.0])
    rate = np.array([0.0, 0.4, 0.1, 0.9, 0.2, 0.0, 0.3])
    t_rep, ab = 1.5, 3.0

    def interp(s):
        return float(np.interp(s, t, rate))

    ref = _ode_bed(interp, t[-1], ab, t_rep, breaks=t[1:-1])
    assert bed_from_dose_rate(t, rate, ab, t_rep) == pytest.approx(ref, rel=1e-10)


def test_sum_of_exponentials_equals_ode_for_uptake_and_washout():
    r0, lam_c, lam_u, t_rep, ab = 0.3, LN2 / 60.0, LN2 / 1.5, 1.5, 10.0

    def rate(s):
        return r0 * (np.exp(-lam_c * s) - np.exp(-lam_u * s))

    closed = bed_sum_of_exponentials([r0, -r0], [lam_c, lam_u], ab, t_rep)
    ref = _ode_bed(rate, 60.0 * 60.0, ab, t_rep)  # 60 half-lives: tail ~1e-18 of D
    assert closed == pytest.approx(ref, rel=1e-8)
    assert closed < bed_mono_exponential(r0 * (1 / lam_c - 1 / lam_u), lam_c, ab, t_rep)


def test_sum_of_exponentials_with_one_term_is_dale():
    lam = LN2 / np.array([40.0, 67.0, 100.0])
    rate0 = np.array([0.1, 0.2, 0.7])
    bed = bed_sum_of_exponentials(rate0[:, None], lam[:, None], 10.0, 1.5)
    np.testing.assert_allclose(bed, bed_mono_exponential(rate0 / lam, lam, 10.0, 1.5), rtol=1e-13)


def test_two_separated_cycles_add_in_bed_not_in_dose():
    c = KIDNEY
    lam = LN2 / c["t_eff_h"]
    # Cycle 1 sampled every 0.1 h up to 1e-7 h before the 2nd administration at 8 weeks.
    t1 = np.append(np.arange(0.0, EIGHT_WEEKS_H - 0.05, 0.1), EIGHT_WEEKS_H - 1e-7)
    rate1 = c["dose_gy"] * lam * np.exp(-lam * t1)
    t = np.concatenate([t1, t1 + EIGHT_WEEKS_H])
    rate = np.concatenate([rate1, rate1])
    args = (c["alpha_beta_gy"], c["t_rep_h"])
    bed_two = bed_from_dose_rate(t, rate, *args)
    one = bed_from_dose_rate(t1, rate1, *args)
    # The 1e-7 h ramp up to the 2nd cycle's Ḋ0 adds ~3e-9 Gy; Γ(8 weeks) ~ 1e-9 Gy.
    assert bed_two == pytest.approx(2.0 * one, rel=1e-6)
    assert bed_two == pytest.approx(2.0 * bed_mono_exponential(c["dose_gy"], lam, *args), rel=1e-6)
    summed_dose = bed_mono_exponential(2.0 * c["dose_gy"], lam, *args)
    assert summed_dose - bed_two > 0.3  # quadratic term doubled: 2 D^2 G/(α/β) = 0.65 Gy
    dose_two, _ = dose_and_repair_integral(t, rate, c["t_rep_h"])
    assert dose_two == pytest.approx(2.0 * c["dose_gy"], rel=1e-6)


def test_worked_numbers_from_literature():
    k, tu = KIDNEY, TUMOUR
    bed_k = bed_mono_exponential(k["dose_gy"], LN2 / k["t_eff_h"], k["alpha_beta_gy"], k["t_rep_h"])
    assert lea_catcheside_g_mono_exponential(LN2 / k["t_eff_h"], k["t_rep_h"]) == pytest.approx(
        0.053, abs=5e-4
    )
    assert bed_k == pytest.approx(4.33, abs=0.01)
    bed_t = bed_mono_exponential(
        tu["dose_gy"], LN2 / tu["t_eff_h"], tu["alpha_beta_gy"], tu["t_rep_h"]
    )
    assert lea_catcheside_g_mono_exponential(LN2 / tu["t_eff_h"], tu["t_rep_h"]) == pytest.approx(
        0.018, abs=5e-4
    )
    assert bed_t == pytest.approx(26.2, abs=0.05)
    assert 4 * bed_k == pytest.approx(17.3, abs=0.05)
    assert eqd2(4 * bed_k, k["alpha_beta_gy"]) == pytest.approx(9.8, abs=0.05)


def test_two_hour_uptake_lowers_kidney_bed_by_about_a_tenth_of_a_percent():
    k = KIDNEY
    lam_c, lam_u = LN2 / k["t_eff_h"], LN2 / 2.0
    r0 = k["dose_gy"] / (1 / lam_c - 1 / lam_u)  # same D = 4 Gy
    args = (k["alpha_beta_gy"], k["t_rep_h"])
    with_uptake = bed_sum_of_exponentials([r0, -r0], [lam_c, lam_u], *args)
    instant = bed_mono_exponential(k["dose_gy"], lam_c, *args)
    assert with_uptake / instant - 1.0 == pytest.approx(-0.001, abs=5e-4)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lambda_per_h": 0.0}, "lambda_per_h"),
        ({"alpha_beta_gy": -1.0}, "alpha_beta_gy"),
        ({"repair_half_time_h": 0.0}, "repair_half_time_h"),
        ({"dose_gy": -1.0}, "dose_gy"),
    ],
)
def test_closed_form_rejects_bad_arguments(kwargs, name):
    args = {"dose_gy": 4.0, "lambda_per_h": 0.01, "alpha_beta_gy": 2.6, "repair_half_time_h": 2.8}
    with pytest.raises(ValueError, match=name):
        bed_mono_exponential(**{**args, **kwargs})


@pytest.mark.parametrize(
    "t, rate, match",
    [
        ([0.0, 1.0, 1.0], [0.0, 1.0, 0.0], "strictly increasing"),
        ([0.0, 1.0], [0.0, 1.0, 2.0], "shape"),
        ([0.0, 1.0], [0.0, -1.0], ">= 0"),
        ([0.0], [1.0], "time_h"),
    ],
)
def test_sampled_curve_validation(t, rate, match):
    with pytest.raises(ValueError, match=match):
        bed_from_dose_rate(t, rate, 10.0, 1.5)
