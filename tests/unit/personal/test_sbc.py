"""Simulation-based calibration (the full run: experiments/personal_sbc.py)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.personal.sbc import calibrate, coverage, rank_histogram, synthetic_patients
from simulator.personal.settings import load_settings
from simulator.personal.update import fit_patient, weighted_quantiles


def test_calibration_machinery_on_a_handful(small_patient):
    """Three synthetic patients, plain importance sampling from the prior, few twins."""
    settings = load_settings().with_sampler(n_twins=60, max_rounds=0, min_ess=1)
    ds = calibrate(small_patient, settings, n=3, seed=5)
    assert np.all(ds.ess.values >= 1.0)
    ranks = ds["rank"].values
    assert ranks.shape == (3, ds.sizes["quantity"]) and np.all((ranks >= 0) & (ranks <= 1))
    assert "kidney_bed_total_gy" in ds.quantity.values
    assert "lesion_dose_total_gy[liver_1]" in ds.quantity.values


def test_coverage_and_histogram_of_uniform_ranks():
    ranks = np.random.default_rng(1).random((4000, 2))
    assert np.allclose(coverage(ranks, 0.9), 0.9, atol=0.02)
    counts, p = rank_histogram(ranks)
    assert counts.sum() == 8000 and np.all(p > 1e-3)
    skewed = ranks ** 3
    assert rank_histogram(skewed)[1][0] < 1e-6


@pytest.mark.slow   # 40 synthetic patients (~10 min on 2 busy cores)
def test_pooled_coverage_is_nominal(small_patient):
    settings = load_settings().with_sampler(n_twins=300, pilot_twins=150, laplace_starts=2)
    ds = calibrate(small_patient, settings, n=40, seed=11)
    ranks = ds["rank"].values
    pooled = ranks[np.isfinite(ranks)][:, None]
    # 40 patients x 13 correlated quantities: a loose band around nominal
    assert abs(coverage(pooled, 0.9)[0] - 0.9) < 0.07
    assert abs(coverage(pooled, 0.5)[0] - 0.5) < 0.1


@pytest.mark.slow   # 2 synthetic patients x 2 designs (~2 min)
def test_more_time_points_narrow_the_kidney_and_lesion_posterior(small_patient, small_prior):
    settings = load_settings().with_sampler(n_twins=400, pilot_twins=200, laplace_starts=2)
    syn = synthetic_patients(small_patient, settings, small_prior, 2, seed=21)
    names = ("pk.tubular_release_half_life_h", "pk.tumour.release_half_life_h")
    widths = {1: [], 4: []}
    for i, patient in enumerate(syn.patients):
        for k, times in ((1, (24.0,)), (4, (4.0, 24.0, 96.0, 168.0))):
            sub = patient.replace(activities=tuple(a for a in patient.activities
                                                   if a.time_h in times))
            fit = fit_patient(sub, settings, prior=small_prior, seed=i)
            widths[k].append([np.ptp(weighted_quantiles(np.log(fit.values[n]), fit.weights,
                                                        (0.05, 0.95))) for n in names])
    assert np.all(np.mean(widths[4], axis=0) < 0.7 * np.mean(widths[1], axis=0))
