"""Observation model (docs/model.md §8.5): measurement error, visit jitter, new lesions."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.response import observation as obs
from simulator.response.recist import NOT_EVALUABLE, PD, PR, SD, targets_disappeared


def test_measured_is_the_truth_times_a_lognormal_error_with_the_stated_cv():
    true = np.full(200_000, 20.0)
    z = np.random.default_rng(0).standard_normal(true.size)
    np.testing.assert_array_equal(obs.measured(true, z, 0.0), true)
    m = obs.measured(true, z, 0.1)
    np.testing.assert_allclose(m, 20.0 * np.exp(np.sqrt(np.log1p(0.01)) * z), rtol=1e-15)
    assert np.median(m) == pytest.approx(20.0, rel=3e-3)          # median = truth
    assert np.std(m) / np.mean(m) == pytest.approx(0.1, rel=0.01)  # the stated CV


def test_visits_keep_baseline_and_stay_within_the_jitter():
    nominal = np.arange(5) * 2016.0
    u = np.random.default_rng(1).random((1000, 5))
    t = obs.visit_times_h(nominal, u, 168.0)
    assert np.all(t[:, 0] == 0.0)
    assert np.all(np.abs(t - nominal) <= 168.0)
    assert np.all(np.diff(t, axis=1) > 0)
    assert np.abs(t[:, 1:] - nominal[1:]).max() > 160.0           # the jitter is used


def test_first_new_lesion_is_exponential_and_absent_at_zero_hazard():
    u = np.random.default_rng(2).random(100_000)
    rate = np.full(u.size, 0.01)
    t = obs.first_new_lesion_h(u, rate)
    assert np.mean(t) == pytest.approx(100.0, rel=0.02)
    assert np.mean(t > 100.0) == pytest.approx(np.exp(-1.0), abs=0.005)
    assert np.all(obs.first_new_lesion_h(u[:10], np.zeros(10)) == np.inf)


def test_a_new_lesion_is_progression_from_the_next_visit_on():
    codes = np.array([[PR, PR, SD, SD], [SD, SD, SD, SD], [NOT_EVALUABLE] * 4])
    visits = np.array([[0.0, 10.0, 20.0, 30.0, 40.0]] * 3)
    new = np.array([15.0, np.inf, 0.0])
    out = obs.with_new_lesions(codes, visits, new)
    np.testing.assert_array_equal(out[0], [PR, PD, PD, PD])
    np.testing.assert_array_equal(out[1], codes[1])
    np.testing.assert_array_equal(out[2], codes[2])               # not evaluable stays so


def test_lymph_node_target_below_10_mm_meets_complete_response():
    """RECIST 1.1 §4.3.1: a nodal target with short axis < 10 mm is a normal node."""
    d = np.array([[[20.0, 9.0]], [[20.0, 11.0]], [[20.0, 9.0]]])   # (patient, lesion, time)
    targets = np.ones((3, 1), bool)
    sites = np.array([["lymph_node"], ["lymph_node"], ["liver"]])
    gone = targets_disappeared(d, targets, 5.0, sites, 10.0)
    np.testing.assert_array_equal(gone, [[False, True], [False, False], [False, False]])
    # without sites every target must fall below detectability, as before
    np.testing.assert_array_equal(targets_disappeared(d, targets, 5.0),
                                  np.zeros((3, 2), bool))
