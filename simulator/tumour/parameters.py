"""Per-lesion parameter table for the coupled kernels (docs/model.md §5-§6).

Each lesion starts with all tumour cells viable: N_v(0) = (1 - f_stroma) V0 rho_cells,
N_d(0) = 0.  ``patient.sstr_density_nmol_per_l`` is the receptor density of the
whole lesion at baseline, so a cell carries R0 / N_v(0) nmol of receptor and the
lesion's receptor amount is that times (N_v + N_d): receptors leave with the
cleared doomed cells, not with the stroma.

:mod:`simulator.assembly` fills the table (``build_lesion_table``) from each patient's
parameters; this module fixes its layout.
"""

from __future__ import annotations

(R_CELL, V_CELL_ML, STROMA_ML, RHO_G_PER_ML, GROWTH_PER_H, GOMPERTZ, LN_K_CELLS, G_NORM,
 K_CLEAR, ALPHA, BETA, MU, L0) = range(13)

N_LESION_PARAMS = 13
