"""Metabolic (SSTR-PET) response of simulated lesions (docs/model.md §8.3).

Operational definition of this simulator, not a published criterion: a lesion is
visible on SSTR-PET while its mean receptor concentration (over the whole lesion
volume) exceeds the liver background receptor concentration AND its receptor-bearing
volume exceeds the PET detectability volume; complete metabolic response (CMR) =
no lesion visible at a PET assessment, in a patient with at least one lesion visible
at baseline (the first time; without baseline PET-visible disease a metabolic response
is not evaluable, as with the measurable-disease rule of RECIST 1.1). It is a
receptor-based analogue of the "disappearance of all target lesions" complete response of
RECIST 1.1 (Eisenhauer EA et al., "New response evaluation criteria in solid tumours:
revised RECIST guideline (version 1.1)", Eur J Cancer 2009;45:228-247,
doi:10.1016/j.ejca.2008.10.026), which is anatomic only.
Arrays carry a leading patient axis (one patient = batch of 1).
"""

from __future__ import annotations

import numpy as np


def pet_visible(receptor_conc_nmol_per_l, receptor_volume_ml, background_nmol_per_l,
                detectability_ml):  # fmt: skip
    """Whether each lesion is visible on SSTR-PET (strict inequalities; NaN → False).

    Parameters
    ----------
    receptor_conc_nmol_per_l : array_like, shape (n_patients, n_lesions, n_times)
        Receptor concentration averaged over the whole lesion volume (nmol/L).
    receptor_volume_ml : array_like, shape (n_patients, n_lesions, n_times)
        Receptor-bearing (viable, SSTR-expressing) lesion volume (mL).
    background_nmol_per_l : float or array_like, e.g. shape (n_patients, 1, 1)
        Liver (background) receptor concentration (nmol/L).
    detectability_ml : float or array_like, e.g. shape (n_patients, 1, 1)
        Smallest receptor-bearing volume PET resolves (mL).

    Returns
    -------
    numpy.ndarray of bool, broadcast shape of the inputs
        True where concentration > background and volume > detectability volume.
    """
    conc = np.asarray(receptor_conc_nmol_per_l, dtype=float)
    vol = np.asarray(receptor_volume_ml, dtype=float)
    return (conc > np.asarray(background_nmol_per_l, dtype=float)) & (
        vol > np.asarray(detectability_ml, dtype=float)
    )


def _none_visible(visible, assessment):
    v = np.asarray(visible, dtype=bool)
    a = np.asarray(assessment, dtype=bool)
    if v.ndim != 3 or a.shape != (v.shape[2],):
        raise ValueError(f"need visible (P, L, T) and assessment (T,); got {v.shape}, {a.shape}")
    evaluable = v[:, :, 0].any(axis=1)  # some lesion PET-visible at baseline (time 0)
    return ~v.any(axis=1) & a[None, :] & evaluable[:, None]


def complete_metabolic_response(visible, assessment):
    """Complete metabolic response at any assessment.

    Parameters
    ----------
    visible : array_like of bool, shape (n_patients, n_lesions, n_times)
        Lesion visibility (`pet_visible`); time 0 is the baseline.
    assessment : array_like of bool, shape (n_times,)
        True at PET assessment times (baseline excluded).

    Returns
    -------
    numpy.ndarray of bool, shape (n_patients,)
        True when some lesion is visible at baseline and none at some assessment time.
    """
    return _none_visible(visible, assessment).any(axis=1)


def metabolic_response_time_index(visible, assessment):
    """Index along the time axis of the first CMR assessment, −1 if none.

    Same arguments as `complete_metabolic_response`; returns int (n_patients,).
    """
    cmr = _none_visible(visible, assessment)
    return np.where(cmr.any(axis=1), cmr.argmax(axis=1), -1)
