"""Turn a validated config into the numeric arrays the PBPK kernels read.

Units inside the kernels: nmol, L, h.  Tissue volumes come from masses (organs)
or volumes (lesions); plasma flows from blood perfusion x (1 - haematocrit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nuclides import activity_mbq_per_nmol, lu177
from ..population import Columns, LesionArrays
from .layout import ORGAN_NAMES

# columns of the per-tissue parameter table
VV, VI, Q, PS, RTOT, KON, KOFF, KINT, KREL = range(9)
N_TISSUE_PARAMS = 9
# entries of the global parameter vector
VP, VREST, CLREST, CLFILT, FREAB, KTUB, LAM, CLMET = range(8)
N_GLOBAL_PARAMS = 8

ML_PER_MIN_TO_L_PER_H = 60.0 / 1000.0
# patient.<prefix>_mass_g / patient.<prefix>_sstr_nmol for each organ
_PATIENT_PREFIX = {"kidneys": "kidney", "spleen": "spleen", "liver": "liver"}


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


def _rate(half_life_h):
    return np.log(2.0) / half_life_h


def _tissue_rows(volume_l, prefix: str, perfusion, receptors_nmol, cols: Columns, hct):
    """(n, N_TISSUE_PARAMS) rows of one tissue for every patient (arrays broadcast)."""
    rows = np.empty((cols.n, N_TISSUE_PARAMS))
    rows[:, VV] = cols(f"{prefix}.vascular_fraction") * (1.0 - hct) * volume_l
    rows[:, VI] = cols(f"{prefix}.interstitial_fraction") * volume_l
    rows[:, Q] = perfusion * (1.0 - hct) * volume_l * 1000.0 * ML_PER_MIN_TO_L_PER_H
    rows[:, PS] = cols(f"{prefix}.ps_ml_per_min_per_ml") * volume_l * 1000.0 \
        * ML_PER_MIN_TO_L_PER_H
    rows[:, RTOT] = receptors_nmol
    rows[:, KON] = cols("pk.k_on_l_per_nmol_per_h")
    rows[:, KOFF] = cols("pk.k_d_nmol_per_l") * cols("pk.k_on_l_per_nmol_per_h")
    rows[:, KINT] = _rate(cols("pk.internalisation_half_life_h"))
    rows[:, KREL] = _rate(cols(f"{prefix}.release_half_life_h"))
    return rows


def build_pk_system(cols: Columns, lesions: LesionArrays) -> PKSystem:
    """PBPK parameter arrays of a chunk of patients."""
    n, n_les = cols.n, len(lesions.names)
    hct = cols("patient.hematocrit")
    density = cols("dosimetry.tissue_density_g_per_ml")
    tissue = np.zeros((n, 3 + n_les, N_TISSUE_PARAMS))
    masses = np.full((n, 3 + n_les), np.nan)
    for j, organ in enumerate(ORGAN_NAMES):
        prefix = _PATIENT_PREFIX[organ]
        mass_g = cols(f"patient.{prefix}_mass_g")
        tissue[:, j] = _tissue_rows(mass_g / density / 1000.0, f"pk.{organ}",
                                    cols(f"pk.{organ}.perfusion_ml_per_min_per_ml"),
                                    cols(f"patient.{prefix}_sstr_nmol"), cols, hct)
        masses[:, j] = mass_g
    present = lesions.present
    for k in range(n_les):
        volume_l = np.where(present[:, k], lesions.volume_ml[:, k], 1.0) / 1000.0
        rows = _tissue_rows(volume_l, "pk.tumour", lesions.perfusion_ml_per_min_per_ml[:, k],
                            lesions.sstr_density_nmol_per_l[:, k] * volume_l, cols, hct)
        rows[~present[:, k], Q] = rows[~present[:, k], PS] = rows[~present[:, k], RTOT] = 0.0
        tissue[:, 3 + k] = rows
        masses[:, 3 + k] = lesions.volume_ml[:, k] * density
    gfr_l_per_h = cols("patient.gfr_ml_per_min") * ML_PER_MIN_TO_L_PER_H
    glob = np.empty((n, N_GLOBAL_PARAMS))
    glob[:, VP] = cols("patient.plasma_volume_l")
    glob[:, VREST] = cols("patient.rest_interstitial_volume_l")
    glob[:, CLREST] = cols("pk.rest_exchange_l_per_h")
    glob[:, CLFILT] = gfr_l_per_h * cols("pk.filtered_fraction")
    glob[:, FREAB] = cols("pk.kidney_reabsorbed_fraction")
    glob[:, KTUB] = _rate(cols("pk.tubular_release_half_life_h"))
    glob[:, LAM] = lu177().decay_constant_per_h
    glob[:, CLMET] = gfr_l_per_h
    return PKSystem(tissue=tissue, glob=glob, tissue_mass_g=masses,
                    mbq_per_nmol=activity_mbq_per_nmol(lu177()))
