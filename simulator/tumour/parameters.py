"""Per-lesion parameter table for the coupled kernels (DESIGN 3.4-3.5).

Each lesion starts with all tumour cells viable: N_v(0) = (1 - f_stroma) V0 rho_cells,
N_d(0) = 0.  ``patient.sstr_density_nmol_per_l`` is the receptor density of the
whole lesion at baseline, so a cell carries R0 / N_v(0) nmol of receptor and the
lesion's receptor amount is that times (N_v + N_d): receptors leave with the
cleared doomed cells, not with the stroma.
"""

from __future__ import annotations

import numpy as np

from ..config.rules import check_gompertz_capacity
from ..population import Columns, LesionArrays
from ..units import HOURS_PER_DAY, growth_rate_per_h

(R_CELL, V_CELL_ML, STROMA_ML, RHO_G_PER_ML, GROWTH_PER_H, GOMPERTZ, LN_K_CELLS, G_NORM,
 K_CLEAR, ALPHA, BETA, MU, L0) = range(13)
N_LESION_PARAMS = 13



def build_lesion_table(cols: Columns, lesions: LesionArrays) -> np.ndarray:
    """(n, L, N_LESION_PARAMS) table of a chunk of patients.

    An absent lesion (beyond a patient's count) is an inert 1 mL placeholder: no
    receptors, no kill, no growth.
    """
    n, n_les = cols.n, len(lesions.names)
    f_s = cols("tumour.stroma_fraction")[:, None]
    rho_cells = cols("tumour.cell_density_per_ml")[:, None]
    present = lesions.present
    v0_ml = np.where(present, lesions.volume_ml, 1.0)
    n0 = (1.0 - f_s) * v0_ml * rho_cells
    gompertz = cols.scalar("tumour.growth") == "gompertz"
    k_cells = cols("tumour.gompertz_max_volume_ml")[:, None] * rho_cells
    if gompertz:
        check_gompertz_capacity(cols("tumour.gompertz_max_volume_ml"), (1.0 - f_s) * v0_ml,
                                present, lesions.names)
    alpha = cols("radiobiology.tumour_alpha_per_gy")[:, None]
    table = np.zeros((n, n_les, N_LESION_PARAMS))
    columns = {
        R_CELL: lesions.sstr_density_nmol_per_l * v0_ml / 1000.0 / n0,
        V_CELL_ML: 1.0 / rho_cells,
        STROMA_ML: f_s * v0_ml,
        RHO_G_PER_ML: cols("dosimetry.tissue_density_g_per_ml")[:, None],
        GROWTH_PER_H: growth_rate_per_h(cols("tumour.volume_growth_percent_per_month"))[:, None],
        GOMPERTZ: 1.0 if gompertz else 0.0,
        LN_K_CELLS: np.log(k_cells),
        G_NORM: 1.0 / np.log(k_cells / n0) if gompertz else 0.0,
        K_CLEAR: np.log(2.0) / (cols("tumour.doomed_clearance_half_time_d")[:, None]
                                * HOURS_PER_DAY),
        ALPHA: alpha,
        BETA: alpha / cols("radiobiology.tumour.alpha_beta_gy")[:, None],
        MU: np.log(2.0) / cols("radiobiology.tumour.repair_half_time_h")[:, None],
        L0: np.log(n0),
    }
    for index, value in columns.items():
        table[..., index] = value
    for index in (R_CELL, GROWTH_PER_H, ALPHA, BETA, K_CLEAR):
        table[..., index] = np.where(present, table[..., index], 0.0)
    return table
