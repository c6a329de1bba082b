"""Turn a validated config into the numeric arrays the PBPK kernels read.

Units inside the kernels: nmol, L, h.  Tissue volumes come from masses (organs)
or volumes (lesions); plasma flows from blood perfusion x (1 - haematocrit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..nuclides import activity_mbq_per_nmol, lu177
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
    """Numeric PBPK parameters of one patient (see :mod:`simulator.pk.layout`)."""

    tissue: np.ndarray          # (n_tissues, N_TISSUE_PARAMS)
    glob: np.ndarray            # (N_GLOBAL_PARAMS,)
    tissue_names: tuple[str, ...]
    tissue_mass_g: np.ndarray   # (n_tissues,)
    mbq_per_nmol: float         # activity of 1 nmol of 177Lu-labelled peptide

    @property
    def n_tissues(self) -> int:
        return self.tissue.shape[0]

    @property
    def args(self) -> tuple[np.ndarray, np.ndarray]:
        """Argument tuple passed to the numba right-hand side and Jacobian."""
        return (self.tissue, self.glob)


def _rate(half_life_h: float) -> float:
    return math.log(2.0) / half_life_h


def _tissue_row(volume_l: float, pk_tissue: dict, perfusion: float, receptors_nmol: float,
                pk: dict, hematocrit: float) -> np.ndarray:
    row = np.empty(N_TISSUE_PARAMS)
    row[VV] = pk_tissue["vascular_fraction"] * (1.0 - hematocrit) * volume_l
    row[VI] = pk_tissue["interstitial_fraction"] * volume_l
    row[Q] = perfusion * (1.0 - hematocrit) * volume_l * 1000.0 * ML_PER_MIN_TO_L_PER_H
    row[PS] = pk_tissue["ps_ml_per_min_per_ml"] * volume_l * 1000.0 * ML_PER_MIN_TO_L_PER_H
    row[RTOT] = receptors_nmol
    row[KON] = pk["k_on_l_per_nmol_per_h"]
    row[KOFF] = pk["k_d_nmol_per_l"] * pk["k_on_l_per_nmol_per_h"]
    row[KINT] = _rate(pk["internalisation_half_life_h"])
    row[KREL] = _rate(pk_tissue["release_half_life_h"])
    return row


def build_pk_system(cfg: dict) -> PKSystem:
    """Build the PBPK parameter arrays from a validated, resolved config dict."""
    patient, pk, dosi = cfg["patient"], cfg["pk"], cfg["dosimetry"]
    hct = patient["hematocrit"]
    density = dosi["tissue_density_g_per_ml"]
    rows, names, masses = [], [], []
    for organ in ORGAN_NAMES:
        prefix = _PATIENT_PREFIX[organ]
        mass_g, receptors = patient[f"{prefix}_mass_g"], patient[f"{prefix}_sstr_nmol"]
        tissue = pk[organ]
        rows.append(_tissue_row(mass_g / density / 1000.0, tissue,
                                tissue["perfusion_ml_per_min_per_ml"], receptors, pk, hct))
        names.append(organ)
        masses.append(mass_g)
    for name, lesion in cfg["lesions"].items():
        volume_l = lesion["volume_ml"] / 1000.0
        density_nmol_l = lesion["sstr_density_nmol_per_l"]
        if density_nmol_l is None:
            density_nmol_l = patient["sstr_density_nmol_per_l"]
        perfusion = lesion["perfusion_ml_per_min_per_ml"]
        if perfusion is None:
            perfusion = pk["tumour"]["perfusion_ml_per_min_per_ml"]
        rows.append(_tissue_row(volume_l, pk["tumour"], perfusion, density_nmol_l * volume_l,
                                pk, hct))
        names.append(name)
        masses.append(lesion["volume_ml"] * density)
    gfr_l_per_h = patient["gfr_ml_per_min"] * ML_PER_MIN_TO_L_PER_H
    glob = np.empty(N_GLOBAL_PARAMS)
    glob[VP] = patient["plasma_volume_l"]
    glob[VREST] = patient["rest_interstitial_volume_l"]
    glob[CLREST] = pk["rest_exchange_l_per_h"]
    glob[CLFILT] = gfr_l_per_h * pk["filtered_fraction"]
    glob[FREAB] = pk["kidney_reabsorbed_fraction"]
    glob[KTUB] = _rate(pk["tubular_release_half_life_h"])
    glob[LAM] = lu177().decay_constant_per_h
    glob[CLMET] = gfr_l_per_h
    return PKSystem(tissue=np.array(rows).reshape(len(rows), N_TISSUE_PARAMS), glob=glob,
                    tissue_names=tuple(names), tissue_mass_g=np.array(masses, dtype=float),
                    mbq_per_nmol=activity_mbq_per_nmol(lu177()))
