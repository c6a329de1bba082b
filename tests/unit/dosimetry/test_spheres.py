"""Unit tests for simulator.dosimetry.spheres (Olguin 2020 table)."""

import numpy as np
import pytest

from simulator.dosimetry.spheres import (
    LOG_MASS_G,
    LOG_S_GY_PER_MBQ_H,
    SOFT_TISSUE_DENSITY_G_PER_ML,
    sphere_s_value_gy_per_mbq_h,
    sphere_s_value_nb,
)

# Independent transcription of PyTheranostics spheres.json (Olguin 2020,
# doi:10.1088/1361-6560/abbc7e).
MASS_G = [0.00431, 0.0146, 0.0345, 0.116, 0.276, 0.539, 0.932, 2.21, 4.31,
          14.6, 34.5, 116, 276, 539, 932]  # fmt: skip
S_GY_PER_BQ_S = [4.54e-9, 1.44e-9, 6.29e-10, 1.93e-10, 8.26e-11, 4.27e-11, 2.49e-11,
                 1.06e-11, 5.46e-12, 1.63e-12, 6.93e-13, 2.07e-13, 8.81e-14, 4.54e-14,
                 2.65e-14]  # fmt: skip
RADIUS_CM = [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_unit_conversion_mgy_per_mbq_h_column():
    # the table in mGy/(MBq h), rounded to 4 significant digits
    s = sphere_s_value_gy_per_mbq_h(np.array([0.00431, 0.932, 14.6, 932.0])) * 1e3
    np.testing.assert_allclose(s, [16344, 89.64, 5.868, 0.0954], rtol=5e-4)


def test_tables_are_sorted_and_decreasing():
    assert LOG_MASS_G.shape == LOG_S_GY_PER_MBQ_H.shape == (15,)
    assert np.all(np.diff(LOG_MASS_G) > 0)
    assert np.all(np.diff(LOG_S_GY_PER_MBQ_H) < 0)


def test_density_reproduces_table_radii():
    radius_cm = (3 * np.array(MASS_G) / (4 * np.pi * SOFT_TISSUE_DENSITY_G_PER_ML)) ** (1 / 3)
    np.testing.assert_allclose(radius_cm, RADIUS_CM, rtol=1e-2)


def test_held_constant_below_the_smallest_sphere():
    """No unbounded dose rate for a lesion shrinking towards zero mass."""
    for m in (1e-3, 1e-6, 1e-12):
        assert sphere_s_value_gy_per_mbq_h(m) == pytest.approx(S_GY_PER_BQ_S[0] * 3.6e9,
                                                                rel=1e-12)


@pytest.mark.parametrize(("edge", "neighbour", "m"), [(-1, -2, 3000.0)])
def test_extrapolation_is_end_point_power_law(edge, neighbour, m):
    k = np.log(S_GY_PER_BQ_S[edge] / S_GY_PER_BQ_S[neighbour]) / np.log(
        MASS_G[edge] / MASS_G[neighbour]
    )
    expected = S_GY_PER_BQ_S[edge] * 3.6e9 * (m / MASS_G[edge]) ** k
    assert sphere_s_value_gy_per_mbq_h(m) == pytest.approx(expected, rel=1e-12)


def test_interpolation_lies_between_neighbours_and_is_loglog():
    m = np.sqrt(4.31 * 14.6)  # geometric midpoint -> geometric mean of S
    expected = np.sqrt(5.46e-12 * 1.63e-12) * 3.6e9
    assert sphere_s_value_gy_per_mbq_h(m) == pytest.approx(expected, rel=1e-12)


def test_vectorised_shape_and_scalar_type():
    m = np.geomspace(5e-3, 2e3, 24).reshape(4, 6)
    s = sphere_s_value_gy_per_mbq_h(m)
    assert s.shape == (4, 6)
    assert np.all(np.diff(s.ravel()) < 0)
    assert isinstance(sphere_s_value_gy_per_mbq_h(10.0), float)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, [1.0, 0.0]])
def test_non_positive_mass_raises(bad):
    with pytest.raises(ValueError, match="mass_g"):
        sphere_s_value_gy_per_mbq_h(bad)


def test_numba_twin_equals_numpy_version():
    masses = np.concatenate([np.geomspace(1e-4, 1e4, 301), MASS_G])
    expected = sphere_s_value_gy_per_mbq_h(masses)
    got = np.array([sphere_s_value_nb(m, LOG_MASS_G, LOG_S_GY_PER_MBQ_H) for m in masses])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
