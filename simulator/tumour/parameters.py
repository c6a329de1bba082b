"""Per-lesion parameter table for the coupled kernels (DESIGN 3.4-3.5).

Each lesion starts with all tumour cells viable: N_v(0) = (1 - f_stroma) V0 rho_cells,
N_d(0) = 0.  ``patient.sstr_density_nmol_per_l`` is the receptor density of the
whole lesion at baseline, so a cell carries R0 / N_v(0) nmol of receptor and the
lesion's receptor amount is that times (N_v + N_d): receptors leave with the
cleared doomed cells, not with the stroma.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError

(R_CELL, V_CELL_ML, STROMA_ML, RHO_G_PER_ML, GROWTH_PER_H, GOMPERTZ, LN_K_CELLS, G_NORM,
 K_CLEAR, ALPHA, BETA, MU, L0) = range(13)
N_LESION_PARAMS = 13

HOURS_PER_MONTH = 365.25 * 24.0 / 12.0
HOURS_PER_DAY = 24.0


def growth_rate_per_h(volume_growth_percent_per_month: float) -> float:
    """Net exponential growth rate from a clinical volume growth rate (TGR, %/month)."""
    return math.log1p(volume_growth_percent_per_month / 100.0) / HOURS_PER_MONTH


def birth_rate_per_h(potential_doubling_time_d: float | None) -> float:
    """Clonogen birth rate b = ln 2 / T_pot (Zaider-Minerbo TCP); 0 for ``None``."""
    if potential_doubling_time_d is None:
        return 0.0
    return math.log(2.0) / (potential_doubling_time_d * HOURS_PER_DAY)


def lesion_density_nmol_per_l(cfg: dict, name: str) -> float:
    value = cfg["lesions"][name]["sstr_density_nmol_per_l"]
    return cfg["patient"]["sstr_density_nmol_per_l"] if value is None else value


def build_lesion_table(cfg: dict) -> np.ndarray:
    """(n_lesions, N_LESION_PARAMS) table from a validated config."""
    tumour, rb = cfg["tumour"], cfg["radiobiology"]
    f_s = tumour["stroma_fraction"]
    rho_cells = tumour["cell_density_per_ml"]
    alpha = rb["tumour_alpha_per_gy"]
    rows = []
    for name, lesion in cfg["lesions"].items():
        v0_ml = lesion["volume_ml"]
        n0 = (1.0 - f_s) * v0_ml * rho_cells
        k_cells = tumour["gompertz_max_volume_ml"] * rho_cells
        gompertz = tumour["growth"] == "gompertz"
        if gompertz and k_cells <= n0:
            raise ConfigError(
                f"Invalid configuration: tumour.gompertz_max_volume_ml = "
                f"{tumour['gompertz_max_volume_ml']}; must exceed the cell volume of every "
                f"lesion, {(1.0 - f_s) * v0_ml:g} mL for lesions.{name}")
        row = np.zeros(N_LESION_PARAMS)
        row[R_CELL] = lesion_density_nmol_per_l(cfg, name) * v0_ml / 1000.0 / n0
        row[V_CELL_ML] = 1.0 / rho_cells
        row[STROMA_ML] = f_s * v0_ml
        row[RHO_G_PER_ML] = cfg["dosimetry"]["tissue_density_g_per_ml"]
        row[GROWTH_PER_H] = growth_rate_per_h(tumour["volume_growth_percent_per_month"])
        row[GOMPERTZ] = 1.0 if gompertz else 0.0
        row[LN_K_CELLS] = math.log(k_cells)
        row[G_NORM] = 1.0 / math.log(k_cells / n0) if gompertz else 0.0
        row[K_CLEAR] = math.log(2.0) / (tumour["doomed_clearance_half_time_d"] * HOURS_PER_DAY)
        row[ALPHA] = alpha
        row[BETA] = alpha / rb["tumour"]["alpha_beta_gy"]
        row[MU] = math.log(2.0) / rb["tumour"]["repair_half_time_h"]
        row[L0] = math.log(n0)
        rows.append(row)
    return np.array(rows).reshape(len(rows), N_LESION_PARAMS)
