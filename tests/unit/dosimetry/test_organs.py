"""Unit tests for simulator.dosimetry.organs (PyTheranostics S-values, ICRP-89 masses)."""

import numpy as np
import pytest
from scipy.constants import electron_volt, mega

from simulator.dosimetry.organs import (
    REFERENCE_MASS_G,
    S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H,
    organ_self_s_gy_per_mbq_h,
)


@pytest.mark.parametrize(
    ("organ", "s_mgy_per_mbq_h"),
    [("kidneys", 0.279), ("spleen", 0.576), ("liver", 0.0493), ("red_marrow", 0.0414)],
)
def test_reference_values_in_gy_per_mbq_h(organ, s_mgy_per_mbq_h):
    # qurit/PyTheranostics Lu177-Male-Svalues.csv, column mGy/(MBq h) (3 significant digits)
    s = organ_self_s_gy_per_mbq_h(organ, REFERENCE_MASS_G[organ])
    assert s * 1e3 == pytest.approx(s_mgy_per_mbq_h, rel=2e-3)


def test_red_marrow_from_total_body():
    assert S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H == pytest.approx(9.864e-7, rel=1e-9)


def test_icrp89_masses():
    assert REFERENCE_MASS_G == {"kidneys": 310.0, "spleen": 150.0, "liver": 1800.0,
                                "red_marrow": 1170.0}  # fmt: skip


@pytest.mark.parametrize("organ", ["kidneys", "spleen", "liver"])
def test_implied_electron_only_mass_matches_icrp89(organ):
    # Δe/S gives the mass that would absorb all electron energy (305/148/1730 g)
    delta_e_j = 0.14792 * mega * electron_volt
    s_gy_per_bq_s = organ_self_s_gy_per_mbq_h(organ, REFERENCE_MASS_G[organ]) / 3.6e9
    implied_mass_g = delta_e_j / s_gy_per_bq_s * 1e3
    assert implied_mass_g == pytest.approx(REFERENCE_MASS_G[organ], rel=0.05)


def test_inverse_mass_scaling():
    ref = organ_self_s_gy_per_mbq_h("kidneys", 310.0)
    assert organ_self_s_gy_per_mbq_h("kidneys", 155.0) == pytest.approx(2 * ref, rel=1e-12)
    masses = np.array([100.0, 310.0, 620.0])
    np.testing.assert_allclose(
        organ_self_s_gy_per_mbq_h("kidneys", masses), ref * 310.0 / masses, rtol=1e-12
    )


def test_unknown_organ_raises_with_name():
    with pytest.raises(ValueError, match="pancreas"):
        organ_self_s_gy_per_mbq_h("pancreas", 100.0)


def test_non_positive_mass_raises():
    with pytest.raises(ValueError, match="kidneys"):
        organ_self_s_gy_per_mbq_h("kidneys", 0.0)
