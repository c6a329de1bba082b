"""Measurement model: how a twin's true activities, doses and volumes become measured values.

Every measurement is lognormal around the twin's value: on the log scale the vector of all
measurements of a patient is normal with mean ln(predicted) and covariance

* activities (quantitative SPECT/CT, EANM uncertainty chain of Gear et al. 2018,
  doi:10.1007/s00259-018-4136-7: count rate x calibration factor / recovery coefficient):
  a calibration error shared by every activity of the patient (``calibration_sd``), a
  systematic error per region shared by its time points (VOI and partial-volume /
  recovery correction: ``organ_systematic_sd``, or for a lesion
  ``lesion_systematic_sd_10ml`` x (V / 10 mL)^(-1/3)), and a random error per scan
  (``organ_random_sd`` / ``lesion_random_sd_10ml`` x the same scaling, or the row's own
  ``relative_sd``);
* per-cycle doses: independent, ``dose_sd`` of the region (a lesion: scaled like its
  activity), or the row's ``relative_sd``;
* CT/MRI volumes: independent, ``volume_sd`` (Yoon 2016, doi:10.1016/j.ejca.2015.10.014),
  or the row's ``relative_sd``.

The baseline lesion volumes and the covariates are taken as known (fixed in every twin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .course import Predicted
from .measurements import ACTIVITY_ORGANS, PatientFile
from .settings import MeasurementError


@dataclass(frozen=True)
class MeasurementModel:
    """Observed log-values, their covariance and a label per row."""

    log_observed: np.ndarray      # (m,)
    cov: np.ndarray               # (m, m)
    labels: tuple[str, ...]
    n_activity: int
    n_dose: int
    n_volume: int

    @property
    def m(self) -> int:
        return self.log_observed.size

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def log_likelihood(self, predicted: Predicted) -> np.ndarray:
        """ln p(measurements | twin) for every twin, (n,); -inf where a prediction is <= 0."""
        pred = stack(predicted)
        n = pred.shape[0]
        if self.m == 0:
            return np.zeros(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            resid = self.log_observed[None, :] - np.log(pred)
        chol = np.linalg.cholesky(self.cov)
        bad = ~np.all(np.isfinite(resid), axis=1)
        resid = np.where(np.isfinite(resid), resid, 0.0)
        white = np.linalg.solve(chol, resid.T).T       # chol^-1 r
        logdet = 2.0 * np.sum(np.log(np.diag(chol)))
        ll = -0.5 * np.sum(white * white, axis=1) - 0.5 * logdet \
            - 0.5 * self.m * math.log(2.0 * math.pi)
        return np.where(bad, -np.inf, ll)

    def draw(self, predicted: Predicted, rng: np.random.Generator) -> np.ndarray:
        """Measured values (m,) of one twin (``predicted`` with one row), with the model's
        errors: what a clinic would have measured if the twin were the patient."""
        pred = stack(predicted)[0]
        if self.m == 0:
            return pred
        chol = np.linalg.cholesky(self.cov)
        return np.exp(np.log(pred) + chol @ rng.standard_normal(self.m))


def stack(predicted: Predicted) -> np.ndarray:
    """(n, m) predictions in the model's row order: activities, doses, volumes."""
    return np.concatenate([predicted.activity_mbq, predicted.dose_gy, predicted.volume_ml],
                          axis=1)


def measurement_model(patient: PatientFile, errors: MeasurementError) -> MeasurementModel:
    """The measurement model of a patient file (docstring of this module)."""
    volume = {lesion.name: lesion.volume_ml for lesion in patient.lesions}

    def lesion_sd(base: float, region: str) -> float:
        return errors.capped(base * errors.lesion_scale(volume[region]))

    acts, doses, vols = patient.activities, patient.doses, patient.volumes
    m = len(acts) + len(doses) + len(vols)
    cov = np.zeros((m, m))
    labels: list[str] = []
    observed = np.empty(m)
    regions = [a.region for a in acts]
    for i, a in enumerate(acts):
        organ = a.region in ACTIVITY_ORGANS
        sys_sd = errors.organ_systematic_sd if organ else lesion_sd(
            errors.lesion_systematic_sd_10ml, a.region)
        rand_sd = a.relative_sd if a.relative_sd is not None else (
            errors.organ_random_sd if organ else lesion_sd(errors.lesion_random_sd_10ml,
                                                            a.region))
        for j, other in enumerate(regions):
            cov[i, j] = errors.calibration_sd ** 2 + (sys_sd ** 2 if other == a.region else 0.0)
        cov[i, i] += rand_sd ** 2
        observed[i] = math.log(a.activity_mbq)
        labels.append(f"activity {a.region} cycle {a.cycle} {a.time_h:g} h")
    k = len(acts)
    for i, d in enumerate(doses):
        sd = d.relative_sd if d.relative_sd is not None else (
            errors.dose_sd[d.region] if d.region in errors.dose_sd
            else lesion_sd(errors.lesion_dose_sd_10ml, d.region))
        cov[k + i, k + i] = sd ** 2
        observed[k + i] = math.log(d.dose_gy)
        labels.append(f"dose {d.region} cycle {d.cycle}")
    k += len(doses)
    for i, v in enumerate(vols):
        sd = v.relative_sd if v.relative_sd is not None else errors.volume_sd
        cov[k + i, k + i] = sd ** 2
        observed[k + i] = math.log(v.volume_ml)
        labels.append(f"volume {v.lesion} day {v.time_d:g}")
    return MeasurementModel(observed, cov, tuple(labels), len(acts), len(doses), len(vols))


def with_measured(patient: PatientFile, values: np.ndarray) -> PatientFile:
    """The patient file with its measured values replaced by ``values`` (model row order)."""
    from dataclasses import replace

    a, d = len(patient.activities), len(patient.doses)
    return patient.replace(
        activities=tuple(replace(r, activity_mbq=float(x))
                         for r, x in zip(patient.activities, values[:a], strict=True)),
        doses=tuple(replace(r, dose_gy=float(x))
                    for r, x in zip(patient.doses, values[a:a + d], strict=True)),
        volumes=tuple(replace(r, volume_ml=float(x))
                      for r, x in zip(patient.volumes, values[a + d:], strict=True)))
