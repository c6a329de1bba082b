"""Absorbed-dose models: MIRD helpers, tumour sphere S-values, organ S-values, marrow."""

from simulator.dosimetry.marrow import (
    DEFAULT_RMBLR,
    RED_MARROW_REFERENCE_MASS_G,
    marrow_activity_mbq,
    marrow_dose_rate_gy_per_h,
)
from simulator.dosimetry.mird import (
    dose_gy,
    electron_full_absorption_s_gy_per_mbq_h,
    tia_mono_exponential_mbq_h,
)
from simulator.dosimetry.organs import (
    REFERENCE_MASS_G,
    REFERENCE_SELF_S_GY_PER_MBQ_H,
    S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H,
    organ_self_s_gy_per_mbq_h,
)
from simulator.dosimetry.spheres import (
    LOG_MASS_G,
    LOG_S_GY_PER_MBQ_H,
    SOFT_TISSUE_DENSITY_G_PER_ML,
    SPHERE_MASS_G,
    SPHERE_S_GY_PER_BQ_S,
    SPHERE_S_GY_PER_MBQ_H,
    sphere_s_value_gy_per_mbq_h,
    sphere_s_value_nb,
)

__all__ = [
    "DEFAULT_RMBLR",
    "LOG_MASS_G",
    "LOG_S_GY_PER_MBQ_H",
    "REFERENCE_MASS_G",
    "REFERENCE_SELF_S_GY_PER_MBQ_H",
    "RED_MARROW_REFERENCE_MASS_G",
    "SOFT_TISSUE_DENSITY_G_PER_ML",
    "SPHERE_MASS_G",
    "SPHERE_S_GY_PER_BQ_S",
    "SPHERE_S_GY_PER_MBQ_H",
    "S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H",
    "dose_gy",
    "electron_full_absorption_s_gy_per_mbq_h",
    "marrow_activity_mbq",
    "marrow_dose_rate_gy_per_h",
    "organ_self_s_gy_per_mbq_h",
    "sphere_s_value_gy_per_mbq_h",
    "sphere_s_value_nb",
    "tia_mono_exponential_mbq_h",
]
