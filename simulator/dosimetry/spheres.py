"""Self-irradiation S-values of unit-density soft-tissue spheres for 177Lu (tumours).

Source: Olguin, President, Ghaly, Frey, Sgouros, Bolch 2020, "Specific absorbed
fractions and radionuclide S-values for tumors of varying size and composition",
Phys Med Biol 65(23):235027, doi:10.1088/1361-6560/abbc7e (MCNPX, MIRD 2008 decay
data), 100 % soft-tissue column for spheres of radius 0.1-6.0 cm, as transcribed in
(data file:   [and drop 'as transcribed in' at the end of line 6] qurit/PyTheranostics
``doodle/data/s-values/spheres.json``; identification with Olguin 2020 is [INFER]).

S between tabulated masses is obtained by linear interpolation in (log m, log S).
Above the tabulated range (932 g) S is extrapolated log-log linearly using the two
end points of the table (a power law S ∝ m^k, k ≈ -1, the electron full-absorption
behaviour).  Below the smallest tabulated sphere (4.31 mg, r = 1 mm) S is held at its
tabulated value: a lesion shrinking towards zero mass would otherwise receive an
unbounded dose rate from activity still assigned to it, and below r ~ 1 mm electron
escape makes S grow far slower than 1/m.  Both are modelling assumptions, not data.
"""

from __future__ import annotations

import numba
import numpy as np

# ICRU Report 44 (1989) soft tissue density ~1.03 g/cm^3; consistent with the
# radius/mass pairs of the Olguin 2020 table (e.g. r = 1 cm -> 4.31 g).
SOFT_TISSUE_DENSITY_G_PER_ML = 1.03

# Olguin 2020 (doi:10.1088/1361-6560/abbc7e), PyTheranostics spheres.json: sphere mass (g).
SPHERE_MASS_G = np.array(
    [0.00431, 0.0146, 0.0345, 0.116, 0.276, 0.539, 0.932, 2.21, 4.31,
     14.6, 34.5, 116.0, 276.0, 539.0, 932.0]
)  # fmt: skip
# Olguin 2020 (doi:10.1088/1361-6560/abbc7e), PyTheranostics spheres.json: self S (Gy Bq^-1 s^-1).
SPHERE_S_GY_PER_BQ_S = np.array(
    [4.54e-9, 1.44e-9, 6.29e-10, 1.93e-10, 8.26e-11, 4.27e-11, 2.49e-11, 1.06e-11,
     5.46e-12, 1.63e-12, 6.93e-13, 2.07e-13, 8.81e-14, 4.54e-14, 2.65e-14]
)  # fmt: skip

# Unit conversion Gy/(Bq s) -> Gy/(MBq h): x 1e6 Bq/MBq x 3600 s/h.
_BQ_S_TO_MBQ_H = 1e6 * 3600.0
SPHERE_S_GY_PER_MBQ_H = SPHERE_S_GY_PER_BQ_S * _BQ_S_TO_MBQ_H

LOG_MASS_G = np.log(SPHERE_MASS_G)
LOG_S_GY_PER_MBQ_H = np.log(SPHERE_S_GY_PER_MBQ_H)
for _arr in (SPHERE_MASS_G, SPHERE_S_GY_PER_BQ_S, SPHERE_S_GY_PER_MBQ_H,
             LOG_MASS_G, LOG_S_GY_PER_MBQ_H):  # fmt: skip
    _arr.flags.writeable = False


def sphere_s_value_gy_per_mbq_h(mass_g):
    """Self S-value of a soft-tissue sphere for 177Lu (Olguin 2020), log-log interpolated.

    Parameters
    ----------
    mass_g : float or array_like
        Sphere (tumour) mass (g), > 0.

    Returns
    -------
    float or numpy.ndarray
        S(sphere <- sphere) (Gy MBq^-1 h^-1); e.g. 8.54e-3 at 10 g. Masses above
        932 g are extrapolated log-log linearly; below 4.31 mg S is held constant.

    Raises
    ------
    ValueError
        If any mass is not strictly positive (or NaN).
    """
    m = np.asarray(mass_g, dtype=float)
    if not np.all(m > 0.0):
        raise ValueError("sphere mass_g must be > 0")
    x = np.log(m)
    y = np.interp(x, LOG_MASS_G, LOG_S_GY_PER_MBQ_H)
    hi_slope = (LOG_S_GY_PER_MBQ_H[-1] - LOG_S_GY_PER_MBQ_H[-2]) / (LOG_MASS_G[-1] - LOG_MASS_G[-2])
    y = np.where(x < LOG_MASS_G[0], LOG_S_GY_PER_MBQ_H[0], y)
    y = np.where(x > LOG_MASS_G[-1], LOG_S_GY_PER_MBQ_H[-1] + hi_slope * (x - LOG_MASS_G[-1]), y)
    s = np.exp(y)
    return float(s) if s.ndim == 0 else s


@numba.njit(cache=True)
def sphere_s_and_slope_nb(mass_g, log_m, log_s):
    """S-value and its log-log slope d ln S / d ln m at ``mass_g`` (numba kernel helper).

    Same interpolation as :func:`sphere_s_value_gy_per_mbq_h`; the slope is the one of
    the table segment used, so that kernels can differentiate S with respect to mass.

    Parameters
    ----------
    mass_g : float
        Sphere mass (g), > 0 (not checked, for speed inside kernels).
    log_m : numpy.ndarray
        ln of tabulated masses (ln g), ascending; pass :data:`LOG_MASS_G`.
    log_s : numpy.ndarray
        ln of tabulated S (ln Gy MBq^-1 h^-1); pass :data:`LOG_S_GY_PER_MBQ_H`.

    Returns
    -------
    (float, float)
        S (Gy MBq^-1 h^-1) and d ln S / d ln m (dimensionless).
    """
    x = np.log(mass_g)
    n = log_m.shape[0]
    if x <= log_m[0]:
        return np.exp(log_s[0]), 0.0
    if x >= log_m[n - 1]:
        i = n - 2
    else:
        i = np.searchsorted(log_m, x) - 1
    slope = (log_s[i + 1] - log_s[i]) / (log_m[i + 1] - log_m[i])
    return np.exp(log_s[i] + slope * (x - log_m[i])), slope


@numba.njit(cache=True)
def sphere_s_value_nb(mass_g, log_m, log_s):
    """Numba scalar twin of :func:`sphere_s_value_gy_per_mbq_h` (S in Gy MBq^-1 h^-1)."""
    return sphere_s_and_slope_nb(mass_g, log_m, log_s)[0]
