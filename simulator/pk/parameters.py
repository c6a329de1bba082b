"""Layout of the PBPK parameter arrays the kernels read (docs/model.md §3).

Per tissue (kidneys, spleen, liver, then the lesions) a row of ``N_TISSUE_PARAMS``
numbers; per patient a vector of ``N_GLOBAL_PARAMS``.  Units inside the kernels: nmol,
L, h.  :mod:`simulator.assembly` fills them from a patient's parameters: tissue volumes
from masses (organs) or volumes (lesions), plasma flows from blood perfusion x
(1 - haematocrit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# columns of the per-tissue parameter table
VV, VI, Q, PS, RTOT, KON, KOFF, KINT, KREL = range(9)

N_TISSUE_PARAMS = 9

# entries of the global parameter vector
VP, VREST, CLREST, CLFILT, FREAB, KTUB, LAM, CLMET = range(8)

N_GLOBAL_PARAMS = 8

ML_PER_MIN_TO_L_PER_H = 60.0 / 1000.0


@dataclass(frozen=True)
class PKSystem:
    """Numeric PBPK parameters of a chunk of patients (see :mod:`simulator.pk.layout`).

    Tissues are ``kidneys, spleen, liver`` then the lesions, padded to the largest
    lesion count.  An absent lesion is an inert 1 mL placeholder: no flow, no
    permeability, no receptors, so its states stay zero.
    """

    tissue: np.ndarray          # (n, T, N_TISSUE_PARAMS)
    glob: np.ndarray            # (n, N_GLOBAL_PARAMS)
    tissue_mass_g: np.ndarray   # (n, T), NaN for absent lesions
    mbq_per_nmol: float         # activity of 1 nmol of 177Lu-labelled peptide

    @property
    def n_tissues(self) -> int:
        return self.tissue.shape[1]

    def patient(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """(tissue, glob) of patient p."""
        return self.tissue[p], self.glob[p]
