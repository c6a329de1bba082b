"""Per-lesion parameter table for the coupled kernels (docs/model.md §5-§6).

Each lesion starts with all tumour cells viable: N_v(0) = (1 - f_stroma) V0 rho_cells,
N_d(0) = 0.  ``patient.sstr_density_nmol_per_l`` is the receptor density of the
whole lesion at baseline, so a viable cell carries R0 / N_v(0) nmol of receptor, a
doomed cell ``DOOMED_R`` times that (``tumour.doomed_receptor_fraction``), and the
lesion's receptor amount is R_CELL (N_v + DOOMED_R N_d): receptors leave with the
cleared doomed cells, not with the stroma.  With ``VASC_FOLLOWS`` = 1
(``tumour.vascular_space: follows_volume``) the lesion's vascular and interstitial
volumes, plasma flow and permeability-surface product are scaled by V(t) / V0_ML, its
current over its baseline volume (docs/model.md §6).

:mod:`simulator.assembly` fills the table (``build_lesion_table``) from each patient's
parameters; this module fixes its layout.
"""

from __future__ import annotations

(R_CELL, V_CELL_ML, STROMA_ML, RHO_G_PER_ML, GROWTH_PER_H, GOMPERTZ, LN_K_CELLS, G_NORM,
 K_CLEAR, ALPHA, BETA, MU, L0, DOOMED_R, VASC_FOLLOWS, V0_ML) = range(16)

N_LESION_PARAMS = 16
