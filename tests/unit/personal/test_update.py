"""Importance sampling over twins: weights, quantiles, and a small update end to end."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import ConfigError
from simulator.personal.likelihood import measurement_model, with_measured
from simulator.personal.predict import prediction_dataset
from simulator.personal.sbc import synthetic_patients
from simulator.personal.settings import load_settings, parse_settings
from simulator.personal.update import (
    Proposal,
    effective_sample_size,
    fit_patient,
    normalised,
    posterior_dataset,
    weighted_cdf_at,
    weighted_quantiles,
)


def test_weights_and_ess():
    w = normalised(np.array([0.0, 0.0, -np.inf, np.log(2.0)]))
    assert np.allclose(w, [0.25, 0.25, 0.0, 0.5])
    assert np.isclose(effective_sample_size(w), 1 / (0.0625 * 2 + 0.25))
    assert effective_sample_size(normalised(np.full(3, -np.inf))) == 0.0


def test_weighted_quantiles_and_cdf():
    v = np.arange(1.0, 101.0)
    w = np.full(100, 0.01)
    assert np.allclose(weighted_quantiles(v, w, (0.5,)), [50.5])
    assert np.isclose(weighted_cdf_at(v, w, np.array(50.0)), 0.495)
    heavy = np.where(v > 90, 0.1, 0.0)
    assert weighted_quantiles(v, heavy, (0.05,))[0] > 90


def test_weighted_cdf_stays_a_probability_when_every_twin_is_below_or_above():
    """With every twin below the truth the weighted sum can exceed the weights' sum by an ulp
    (summation order): the rank is still in [0, 1] (it was 1 + 2e-16 for 70 of these 200 weight
    vectors before the clip)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        w = rng.random(60) ** 8
        v = rng.random((60, 2))
        r = weighted_cdf_at(v, w, np.array([2.0, -1.0]))
        assert r[1] == 0.0 and 1.0 - 1e-12 < r[0] <= 1.0


def test_proposal_density_is_normalised():
    rng = np.random.default_rng(0)
    q = Proposal(dim=2, share=0.2, loc=np.array([1.0, -1.0]),
                 shape=np.array([[0.2, 0.05], [0.05, 0.1]]))
    z = q.draw(20000, rng, z_max=6.0)
    # E_q[p / q] = 1 for the prior p (both normalised densities)
    from simulator.personal.prior import Prior
    ratio = np.exp(Prior.log_density(z) - q.log_density(z))
    assert abs(ratio.mean() - 1.0) < 0.05


def test_a_small_update_moves_towards_the_truth(small_patient, small_prior, fast_settings):
    syn = synthetic_patients(small_patient, fast_settings, small_prior, 1, seed=4)
    fit = fit_patient(syn.patients[0], fast_settings, prior=small_prior, seed=1)
    assert fit.ess > 10 and np.isclose(fit.weights.sum(), 1.0)
    post = posterior_dataset(fit)
    name = "pk.tumour.release_half_life_h"
    width = lambda q: float(q.sel(parameter=name, quantile=0.95) - q.sel(parameter=name,  # noqa
                                                                          quantile=0.05))
    assert width(post.posterior_quantile) < 0.5 * width(post.prior_quantile)
    pred = prediction_dataset(fit)
    assert np.isclose(pred.response_probability.sum(), 1.0)
    assert set(pred["quantile"].values) == {0.05, 0.25, 0.5, 0.75, 0.95}
    assert (pred.kidney_bed_total_gy.diff("quantile") >= 0).all()
    # per-cycle organ doses (what a clinic's dosimetry reports): the twins' weighted quantiles
    from simulator.personal.update import weighted_quantiles
    for organ in ("kidney", "spleen", "marrow"):
        got = pred[f"{organ}_dose_per_cycle_gy"]
        assert got.dims == ("quantile", "cycle") and got.attrs["units"] == "Gy"
        want = weighted_quantiles(fit.twins[f"{organ}_dose_gy"].values, fit.weights)
        assert np.array_equal(got.values, want)
        assert (got.diff("quantile") >= 0).all() and (got.sel(quantile=0.5) > 0).all()


def test_bad_settings_name_the_key():
    good = load_settings()
    assert good.sampler.n_twins >= 100 and good.prior == "personal_netter1"
    import yaml

    from simulator.config import config_dir
    data = yaml.safe_load((config_dir() / "personal.yaml").read_text())
    data["sampler"]["n_twins"] = 0
    with pytest.raises(ConfigError, match="personal.sampler.n_twins = 0"):
        parse_settings(data)


def test_synthetic_measurements_follow_the_model(small_patient, small_prior, fast_settings):
    syn = synthetic_patients(small_patient, fast_settings, small_prior, 1, seed=9)
    measured = syn.patients[0]
    assert measured.n_measurements == small_patient.n_measurements
    model = measurement_model(measured, fast_settings.errors)
    assert np.all(np.isfinite(model.log_observed))
    again = with_measured(small_patient, np.exp(model.log_observed))
    assert again.activities[0].activity_mbq == measured.activities[0].activity_mbq


def test_population_constants_are_config_values_not_sampled_parameters(small_prior):
    """The calibrated constants of cohort=netter1 (plain numbers, e.g. the doomed receptor
    fraction) are set in the twins' config, not sampled as point masses: a point mass has no
    SBC rank and only adds a dimension to the sampler."""
    import yaml

    from simulator.config import config_dir

    fitted = yaml.safe_load((config_dir() / "cohort" / "fitted" / "netter1.yaml").read_text())
    constants = {k: v for k, v in fitted["parameters"].items() if not isinstance(v, dict)}
    assert constants                                   # the test means something
    assert all(small_prior.dists[n].kind != "fixed" for n in small_prior.names)
    for path, value in constants.items():
        assert path not in small_prior.names
        section, key = path.split(".")
        assert small_prior.cfg[section][key] == pytest.approx(value)


def test_an_override_of_what_the_prior_sets_follows_the_cohort_rule(small_patient,
                                                                      fast_settings):
    """Overrides of what the prior sets per twin get cohort.sampled_override's meaning, as for
    any cohort (docs/cohorts.md): a population constant is refused naming the field (it
    would change nothing) unless ``fix`` says what it means; a sampled parameter whose median
    is anchored on the config value (``${pk.kidney_reabsorbed_fraction}``) moves with it."""
    from simulator.personal.prior import build_prior

    key = "tumour.doomed_receptor_fraction"
    with pytest.raises(ConfigError, match=f"override {key} = 0.2.*would change nothing"):
        build_prior(small_patient, fast_settings, overrides=(f"{key}=0.2",))
    fixed = build_prior(small_patient, fast_settings,
                        overrides=(f"{key}=0.2", "cohort.sampled_override=fix"))
    assert key not in fixed.names and fixed.cfg["tumour"]["doomed_receptor_fraction"] == 0.2
    moved = build_prior(small_patient, fast_settings,
                        overrides=("pk.kidney_reabsorbed_fraction=0.03",))
    u = np.zeros((1, moved.dim))
    assert moved.values(u)["pk.kidney_reabsorbed_fraction"][0] == pytest.approx(0.03)
    build_prior(small_patient, fast_settings, overrides=("solver.rtol=1e-5",))  # others pass


def test_patients_in_lockstep_are_refused_for_personal_prediction(small_patient,
                                                                    fast_settings):
    """The twins run cycle by cycle through the scalar engine: solver.lanes would do
    nothing, so it is an error (naming the field) rather than silently ignored."""
    from simulator.personal.prior import build_prior

    with pytest.raises(ConfigError, match="solver.lanes = 8"):
        build_prior(small_patient, fast_settings, overrides=("solver.lanes=8",))
