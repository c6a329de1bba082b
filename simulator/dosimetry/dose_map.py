"""Linear map from region activities to target absorbed-dose rates (MIRD).

With S-values fixed over a course, dose rate and dose are the same linear map
applied to activity (MBq) and to time-integrated activity (MBq h)::

    Ddot_T(t) = sum_S M[T, S] A_S(t)          D_T = sum_S M[T, S] Atilde_S

Targets: kidneys (tissue + tubular cells), spleen, liver, red marrow, then each
lesion (self-dose only, Olguin 2020 sphere S at the lesion mass).  Red marrow:
blood-based method (:mod:`simulator.dosimetry.marrow`): marrow activity from
the plasma + metabolite concentration in blood, plus cross-dose from the rest of
the body with S(RM <- TB).  Cross-doses between organs and lesions are neglected
(< 1 % of self-dose for 177Lu electrons; photons carry 19 % of the energy).
"""

from __future__ import annotations

import numpy as np

from ..pk.layout import (
    KIDNEYS,
    LIVER,
    METABOLITE,
    N_GLOBAL,
    PLASMA,
    SPLEEN,
    TUBULAR,
    URINE,
    n_regions,
)
from .marrow import marrow_activity_mbq
from .organs import S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H, organ_self_s_gy_per_mbq_h
from .spheres import sphere_s_value_gy_per_mbq_h

#: ICRP-89 whole-blood density (g/mL), doi:10.1016/S0146-6453(03)00002-2.
BLOOD_DENSITY_G_PER_ML = 1.06
ORGAN_TARGETS = ("kidneys", "spleen", "liver", "red_marrow")


def dose_map_gy_per_mbq_h(tissue_mass_g: np.ndarray, plasma_volume_l: np.ndarray,
                          hematocrit: np.ndarray, red_marrow_mass_g: np.ndarray,
                          marrow_blood_ratio: np.ndarray) -> np.ndarray:
    """Matrices M (n, n_targets, n_regions) in Gy/(MBq h), targets as in the module docstring.

    Parameters
    ----------
    tissue_mass_g : ndarray (n, T)
        Masses (g) of the PBPK tissues: kidneys, spleen, liver, lesions (NaN if absent).
    plasma_volume_l, hematocrit, red_marrow_mass_g, marrow_blood_ratio : ndarray (n,)
        Per patient: plasma volume (L), haematocrit, red-marrow mass (g) and the red-marrow
        to blood activity-concentration ratio (blood-based marrow dosimetry).
    """
    n, n_t = tissue_mass_g.shape
    n_les = n_t - 3
    m = np.zeros((n, 4 + n_les, n_regions(n_t)))
    tissue = N_GLOBAL + np.arange(n_t)
    s_kidney = organ_self_s_gy_per_mbq_h("kidneys", tissue_mass_g[:, KIDNEYS])
    m[:, 0, tissue[KIDNEYS]] = m[:, 0, TUBULAR] = s_kidney
    m[:, 1, tissue[SPLEEN]] = organ_self_s_gy_per_mbq_h("spleen", tissue_mass_g[:, SPLEEN])
    m[:, 2, tissue[LIVER]] = organ_self_s_gy_per_mbq_h("liver", tissue_mass_g[:, LIVER])
    blood_g = plasma_volume_l * 1000.0 / (1.0 - hematocrit) * BLOOD_DENSITY_G_PER_ML
    marrow_mass_g = red_marrow_mass_g
    a_rm_per_mbq_blood = marrow_activity_mbq(1.0 / blood_g, marrow_mass_g, marrow_blood_ratio)
    s_rm = organ_self_s_gy_per_mbq_h("red_marrow", marrow_mass_g)
    s_tb = S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H
    in_body = np.ones(n_regions(n_t), dtype=bool)
    in_body[URINE] = False
    m[:, 3, in_body] = s_tb
    for blood_region in (PLASMA, METABOLITE):
        m[:, 3, blood_region] += a_rm_per_mbq_blood * (s_rm - s_tb)
    lesion_mass = tissue_mass_g[:, 3:]
    present = np.isfinite(lesion_mass)
    s_lesion = np.zeros_like(lesion_mass)
    s_lesion[present] = sphere_s_value_gy_per_mbq_h(lesion_mass[present])
    for k in range(n_les):
        m[:, 4 + k, tissue[3 + k]] = s_lesion[:, k]
    return m
