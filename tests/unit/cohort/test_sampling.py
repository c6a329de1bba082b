"""Cohort sampling: per-patient streams, chunk independence, lesions, cure variates, config."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator
from simulator import ConfigError
from simulator.cohort import (
    cure_uniforms,
    parse_lesions,
    patient_generator,
    sample_lesions,
    sample_parameters,
)
from simulator.config.validation import check_sampleable

N = 20_000
COHORT = {
    "parameters": {
        "patient.sstr_density_nmol_per_l": {"dist": "lognormal", "median": 50.0, "gsd": 2.0},
        "radiobiology.tumour_alpha_per_gy": {"dist": "lognormal", "median": 0.0172, "gsd": 1.4},
        "therapy.n_cycles": {"dist": "choice", "values": [2, 4]},
        "patient.gfr_ml_per_min": 90.0,
    },
    "correlations": [{"a": "patient.sstr_density_nmol_per_l",
                      "b": "radiobiology.tumour_alpha_per_gy", "rho": 0.4}],
}
LESIONS = {"count": {"dist": "choice", "values": [1, 2, 3, 4], "weights": [0.4, 0.3, 0.2, 0.1]},
           "volume_ml": {"dist": "lognormal", "median": 10.0, "gsd": 2.0, "high": 5000.0},
           "sites": {"values": ["liver", "lymph_node", "bone"], "weights": [0.6, 0.3, 0.1]},
           "max_count": 5}


def cohort(sampling: str) -> dict:
    return {**COHORT, "sampling": sampling}


def test_patient_generator_is_the_seed_sequence_of_patient_and_stream():
    ref = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(3, 1))).random(4)
    assert np.array_equal(patient_generator(7, 3, 1).random(4), ref)
    assert not np.array_equal(patient_generator(7, 3, 0).random(4), ref)


@pytest.mark.parametrize("sampling", ["random", "sobol", "halton"])
def test_chunks_are_bit_identical_to_one_run(sampling):
    whole = sample_parameters(cohort(sampling), seed=5, start=0, stop=20)
    first = sample_parameters(cohort(sampling), seed=5, start=0, stop=7)
    rest = sample_parameters(cohort(sampling), seed=5, start=7, stop=20)
    for name, values in whole.items():
        assert values.shape == (20,)
        assert np.array_equal(np.concatenate([first[name], rest[name]]), values), name


@pytest.mark.parametrize("sampling", ["random", "sobol"])
def test_same_seed_identical_other_seed_differs(sampling):
    a = sample_parameters(cohort(sampling), seed=5, start=0, stop=50)
    b = sample_parameters(cohort(sampling), seed=5, start=0, stop=50)
    c = sample_parameters(cohort(sampling), seed=6, start=0, stop=50)
    name = "patient.sstr_density_nmol_per_l"
    assert np.array_equal(a[name], b[name])
    assert not np.array_equal(a[name], c[name])


def test_sobol_warns_nothing_for_odd_chunks(recwarn):
    sample_parameters(cohort("sobol"), seed=5, start=3, stop=10)
    assert not [w for w in recwarn if "balance" in str(w.message)]


@pytest.mark.parametrize("sampling", ["random", "sobol", "halton"])
def test_marginals_match_configured_median_and_gsd(sampling):
    s = sample_parameters(cohort(sampling), seed=2024, start=0, stop=N)
    for name in ("patient.sstr_density_nmol_per_l", "radiobiology.tumour_alpha_per_gy"):
        spec = COHORT["parameters"][name]
        sigma = math.log(spec["gsd"])
        log_x = np.log(s[name])
        assert abs(np.median(log_x) - math.log(spec["median"])) < 4 * 1.25 * sigma / math.sqrt(N)
        assert abs(np.std(log_x, ddof=1) - sigma) < 4 * sigma / math.sqrt(2 * N)
    assert np.all(s["patient.gfr_ml_per_min"] == 90.0)
    assert abs(np.mean(s["therapy.n_cycles"] == 4) - 0.5) < 4 * math.sqrt(0.25 / N)


def test_no_parameters_gives_empty_dict():
    assert sample_parameters({"sampling": "sobol", "parameters": {}, "correlations": []},
                             seed=1, start=0, stop=10) == {}


def test_lesions_count_volume_and_site():
    n = N // 4
    out = sample_lesions(LESIONS, seed=3, start=0, stop=n)
    count, volume, site = out["count"], out["volume_ml"], out["site"]
    assert out["site_names"] == ["liver", "lymph_node", "bone"]
    assert count.shape == (n,) and volume.shape == site.shape == (n, 5)
    assert count.min() >= 1 and count.max() <= 4
    used = np.arange(5)[None, :] < count[:, None]
    assert np.all(np.isnan(volume[~used])) and np.all(site[~used] == -1)
    assert np.all(volume[used] > 0) and set(np.unique(site[used])) <= {0, 1, 2}
    for k, p in zip([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1], strict=True):
        assert abs(np.mean(count == k) - p) < 4 * math.sqrt(p * (1 - p) / n)
    m = used.sum()
    for index, p in enumerate([0.6, 0.3, 0.1]):
        assert abs(np.mean(site[used] == index) - p) < 4 * math.sqrt(p * (1 - p) / m)
    sigma = math.log(2.0)
    assert abs(np.median(np.log(volume[used])) - math.log(10.0)) < 4 * 1.25 * sigma / math.sqrt(m)


def test_lesions_chunk_independent_and_fixed_count():
    whole = sample_lesions(LESIONS, seed=3, start=0, stop=20)
    parts = [sample_lesions(LESIONS, seed=3, start=a, stop=b) for a, b in ((0, 7), (7, 20))]
    for key in ("count", "volume_ml", "site"):
        joined = np.concatenate([p[key] for p in parts])
        assert np.array_equal(joined, whole[key], equal_nan=True)
    fixed = sample_lesions({**LESIONS, "count": 5}, seed=3, start=0, stop=10)
    assert np.all(fixed["count"] == 5)
    assert sample_lesions(None, seed=3, start=0, stop=10) is None


@pytest.mark.parametrize("change, field", [
    ({"sites": {"values": ["liver", "brain"]}}, "cohort.lesions.sites.values"),
    ({"sites": {"values": ["liver"], "weights": [1, 2]}}, "cohort.lesions.sites.weights"),
    ({"sites": {"values": ["liver", "bone"], "weights": [1, 2]}}, "cohort.lesions.sites.weights"),
    ({"max_count": 0}, "cohort.lesions.max_count"),
    ({"volume_ml": {"dist": "normal", "mean": 10, "sd": 2}}, "cohort.lesions.volume_ml"),
    ({"count": {"dist": "poisson", "mean": 2}}, "cohort.lesions.count.dist"),
    ({"extra": 1}, "cohort.lesions"),
    # issue 18 item 3: counts outside 1..max_count were clipped, unbounded volumes passed
    ({"count": 0}, "cohort.lesions.count"),
    ({"count": -2}, "cohort.lesions.count"),
    ({"count": 6}, "cohort.lesions.count"),
    ({"count": {"dist": "choice", "values": [0, 1]}}, "cohort.lesions.count"),
    ({"count": {"dist": "choice", "values": [1, 6], "weights": [1.0, 0.0]}},
     "cohort.lesions.count"),
    ({"count": {"dist": "uniform", "low": 1, "high": 3}}, "cohort.lesions.count"),
    ({"count": 2.0}, "cohort.lesions.count"),
    ({"volume_ml": {"dist": "lognormal", "median": 10.0, "gsd": 2.0}}, "cohort.lesions.volume_ml"),
    ({"volume_ml": {"dist": "lognormal", "median": 10.0, "gsd": 2.0, "high": 5000.1}},
     "cohort.lesions.volume_ml"),
    ({"volume_ml": {"dist": "uniform", "low": 1.0, "high": 6000.0}}, "cohort.lesions.volume_ml"),
    ({"volume_ml": {"dist": "choice", "values": [10.0, 5001.0]}}, "cohort.lesions.volume_ml"),
    ({"volume_ml": 0.0}, "cohort.lesions.volume_ml"),
])
def test_bad_lesion_spec_names_the_field(change, field):
    with pytest.raises(ConfigError, match=f"Invalid configuration: {field.replace('.', '[.]')} ="):
        sample_lesions({**LESIONS, **change}, seed=1, start=0, stop=2)


def test_generated_lesions_stay_in_the_named_lesion_bounds():
    """Issue 18 item 3: a wide lognormal reached 208,716 mL; truncated at 5000 mL it cannot."""
    wide = {**LESIONS, "count": 5,
            "volume_ml": {"dist": "lognormal", "median": 10.0, "gsd": 8.0, "high": 5000.0}}
    out = sample_lesions(wide, seed=1, start=0, stop=2000)
    volume = out["volume_ml"]
    assert np.all((volume > 0) & (volume <= 5000.0)) and np.nanmax(volume) > 1000.0
    assert np.all(out["count"] == 5)


def test_a_fixed_lognormal_volume_needs_no_bound():
    """gsd = 1 is a fixed volume (the slow Hypothesis run once took it for an unbounded one)."""
    fixed = {**LESIONS, "volume_ml": {"dist": "lognormal", "median": 10.0, "gsd": 1.0}}
    parse_lesions(fixed)
    assert np.all(sample_lesions(fixed, seed=1, start=0, stop=50)["volume_ml"][:, 0] == 10.0)


def test_cure_uniforms_stream_two_and_chunking():
    u = cure_uniforms(9, 0, 20)
    assert np.array_equal(np.concatenate([cure_uniforms(9, 0, 7), cure_uniforms(9, 7, 20)]), u)
    assert u[4] == patient_generator(9, 4, 2).random()
    assert np.all((u > 0) & (u < 1))
    big = cure_uniforms(9, 0, N)
    assert abs(big.mean() - 0.5) < 4 * math.sqrt(1 / 12 / N)


@pytest.mark.parametrize("path", ["radiobiology.tumour_alpha_per_gy",
                                  "pk.tumour.perfusion_ml_per_min_per_ml",
                                  "lesions.liver_1.volume_ml",
                                  "lesions.liver_1.sstr_density_nmol_per_l"])
def test_sampleable_paths(reference_cfg, path):
    leaf, meta = check_sampleable(path, reference_cfg)
    assert leaf in (float, int)
    assert "bounds" in meta


@pytest.mark.parametrize("path, fragment", [
    ("seed", "run-level"),
    ("solver.rtol", "run-level"),
    ("output.timeseries_points_per_cycle", "run-level"),
    ("cohort.n_patients", "run-level"),
    ("response.pr_threshold", "run-level"),
    ("observation.recist_diameter_cv", "run-level"),
    ("therapy.n_cycles", "shared by every patient"),
    ("therapy.interval_weeks", "shared by every patient"),
    ("lesions.liver_1.site", "str field"),
    ("patient.renal_risk_factors", "bool field"),
    ("patient", "group of fields"),
    ("patient.sstr_density", "unknown config path"),
    ("lesions.bone_9.volume_ml", "unknown config path"),
    ("therapy.activity_gbq.x", "leaf"),
])
def test_unsampleable_paths(reference_cfg, path, fragment):
    with pytest.raises(ConfigError) as err:
        check_sampleable(path, reference_cfg)
    assert str(err.value).startswith(f"Invalid configuration: cohort.parameters.{path} = ")
    assert fragment in str(err.value)


def test_example_cohort_composes_and_samples():
    cfg = simulator.validate(simulator.compose(["cohort=example"]))
    assert cfg["cohort"]["n_patients"] == 1000
    s = sample_parameters(cfg["cohort"], cfg["seed"], 0, 10)
    assert sorted(s) == ["lesions.liver_1.volume_ml", "patient.sstr_density_nmol_per_l",
                         "radiobiology.tumour_alpha_per_gy"]


def test_default_cohort_is_a_single_fixed_patient(reference_cfg):
    assert reference_cfg["cohort"] == {"n_patients": 1, "sampling": "random", "parameters": {},
                                       "correlations": [], "lesions": None,
                                       "sampled_override": "error"}


@pytest.mark.parametrize("overrides, fragment", [
    (["cohort.n_patients=10", "+cohort.parameters={patient.sstr_density_nmol_per_l:"
      "{dist:lognormal,median:50,gsd:0.5}}"], "gsd"),
    (["+cohort.parameters={patient.sstr_density_nmol_per_l:{dist:gamma,k:2}}"],
     "allowed distributions"),
    (["+cohort.parameters={seed:{dist:uniform,low:1,high:9}}"], "run-level"),
    (["+cohort.parameters={therapy.n_cycles:{dist:uniform,low:1,high:4}}"],
     "shared by every patient"),
    (["+cohort.parameters={patient.sstr_density_nmol_per_l:{dist:lognormal,median:5e4,gsd:2}}"],
     "median must lie in the allowed range"),
    (["+cohort.parameters={patient.gfr_ml_per_min:90,patient.body_mass_kg:70,"
      "patient.liver_mass_g:1800}",
      "cohort.correlations=[{a:patient.gfr_ml_per_min,b:patient.body_mass_kg,rho:0.9},"
      "{a:patient.gfr_ml_per_min,b:patient.liver_mass_g,rho:0.9},"
      "{a:patient.body_mass_kg,b:patient.liver_mass_g,rho:-0.9}]"], "positive definite"),
    (["cohort.sampling=latin"], "allowed values"),
    (["cohort.n_patients=0"], "1 <= cohort.n_patients"),
    (["cohort.lesions={count:2,volume_ml:10,sites:{values:[brain]},max_count:3}"],
     "allowed sites"),
])
def test_bad_cohort_fails_at_compose_time(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        simulator.compose(overrides)
    assert "cohort." in str(err.value)
    assert fragment in str(err.value)
