"""Unit tests for simulator.dosimetry.marrow (Forrer 2009 / Hindorf 2010 blood method)."""

import numpy as np
import pytest

from simulator.dosimetry.marrow import marrow_activity_mbq, marrow_dose_rate_gy_per_h

# qurit/PyTheranostics Lu177-Male-Svalues.csv: 1.15e-5 and 2.74e-7 mGy/(MBq s) x 3.6 -> Gy/(MBq h)
S_RM_RM = 4.14e-5
S_RM_TB = 9.864e-7


def test_hand_calculation_reference_man():
    # 0.01 MBq/g x 1170 g = 11.7 MBq in marrow; 1000 MBq in the remainder
    expected = 11.7 * S_RM_RM + 1000.0 * S_RM_TB
    assert marrow_dose_rate_gy_per_h(0.01, 1000.0) == pytest.approx(expected, rel=1e-9)


def test_marrow_activity():
    assert marrow_activity_mbq(0.02) == pytest.approx(23.4)
    assert marrow_activity_mbq(0.02, marrow_mass_g=1000.0, rmblr=0.5) == pytest.approx(10.0)


def test_self_term_is_independent_of_marrow_mass():
    # A_RM ∝ m and S ∝ 1/m: concentration-based self-dose does not depend on mass
    a = marrow_dose_rate_gy_per_h(0.01, 0.0, marrow_mass_g=800.0)
    b = marrow_dose_rate_gy_per_h(0.01, 0.0, marrow_mass_g=1500.0)
    assert a == pytest.approx(b, rel=1e-12)
    assert a == pytest.approx(11.7 * S_RM_RM, rel=1e-9)


def test_rmblr_scales_self_term_only():
    base = marrow_dose_rate_gy_per_h(0.01, 500.0)
    doubled = marrow_dose_rate_gy_per_h(0.01, 500.0, rmblr=2.0)
    assert doubled - base == pytest.approx(11.7 * S_RM_RM, rel=1e-9)


def test_zero_activity_gives_zero():
    assert marrow_dose_rate_gy_per_h(0.0, 0.0) == 0.0


def test_broadcasting_over_arrays():
    conc = np.array([0.0, 0.01, 0.02])
    rem = np.array([[0.0], [1000.0]])
    rate = marrow_dose_rate_gy_per_h(conc, rem)
    assert rate.shape == (2, 3)
    np.testing.assert_allclose(rate[1], 1000.0 * S_RM_TB + conc * 1170.0 * S_RM_RM, rtol=1e-9)
    np.testing.assert_allclose(rate[0], conc * 1170.0 * S_RM_RM, rtol=1e-9)
