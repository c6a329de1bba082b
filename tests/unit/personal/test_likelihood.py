"""The measurement model: covariance structure and log-likelihood."""

from __future__ import annotations

import math

import numpy as np

from simulator.personal.course import Predicted
from simulator.personal.likelihood import measurement_model


def test_covariance_structure(small_patient, fast_settings):
    e = fast_settings.errors
    model = measurement_model(small_patient, e)
    assert model.m == 10 and model.labels[0] == "activity kidneys cycle 1 4 h"
    cov = model.cov
    # two kidney scans share calibration and the kidney's systematic error
    assert math.isclose(cov[0, 1], e.calibration_sd ** 2 + e.organ_systematic_sd ** 2)
    # a kidney scan and a lesion scan share only the calibration
    assert math.isclose(cov[0, 4], e.calibration_sd ** 2)
    # a 15 mL lesion: systematic error scaled by (15 / 10)^(-1/3)
    assert math.isclose(cov[4, 5], e.calibration_sd ** 2
                        + (e.lesion_systematic_sd_10ml * 1.5 ** (-1 / 3)) ** 2)
    assert math.isclose(cov[8, 8], e.dose_sd["red_marrow"] ** 2)
    assert math.isclose(cov[9, 9], e.volume_sd ** 2) and cov[8, 9] == 0.0


def test_log_likelihood_peaks_at_the_measured_values(small_patient, fast_settings):
    model = measurement_model(small_patient, fast_settings.errors)
    observed = np.exp(model.log_observed)
    rows = np.stack([observed, observed * 1.2, observed * 0.7, -observed])
    pred = Predicted(rows[:, :8], rows[:, 8:9], rows[:, 9:])
    ll = model.log_likelihood(pred)
    logdet = np.linalg.slogdet(model.cov)[1]
    assert math.isclose(ll[0], -0.5 * logdet - 0.5 * model.m * math.log(2 * math.pi))
    assert ll[0] > ll[1] and ll[0] > ll[2] and ll[3] == -np.inf
