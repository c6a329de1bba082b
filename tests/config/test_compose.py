"""Every config composes; bad input raises ConfigError naming field, value and range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.config import config_dir

GROUP_FILES = sorted(p for p in config_dir().glob("*/*.yaml"))


def test_config_dir_is_the_checkout_conf():
    assert (config_dir() / "config.yaml").is_file()
    assert config_dir() == Path(__file__).resolve().parents[2] / "conf"


@pytest.mark.parametrize("path", GROUP_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_group_option_composes(path):
    cfg = simulator.compose([f"{path.parent.name}={path.stem}"])
    assert cfg.therapy.activity_gbq >= 0


def test_public_names_compose():
    cfg = simulator.compose(["therapy.activity_gbq=5.55", "therapy.n_cycles=2",
                             "therapy.interval_weeks=10", "therapy.peptide_nmol=200",
                             "patient.sstr_density_nmol_per_l=20", "seed=7"])
    assert (cfg.therapy.activity_gbq, cfg.therapy.n_cycles, cfg.seed) == (5.55, 2, 7)


def test_lesion_can_be_added_from_overrides():
    cfg = simulator.compose(["+lesions={bone_1:{volume_ml:5,site:bone}}"])
    assert list(cfg.lesions) == ["liver_1", "bone_1"]
    assert cfg.lesions.bone_1.sstr_density_nmol_per_l is None


@pytest.mark.parametrize("override, field, fragment", [
    ("therapy.activity_gbq=-1", "therapy.activity_gbq", "0 <= therapy.activity_gbq <= 30 GBq"),
    ("therapy.activity_gbq=500", "therapy.activity_gbq", "<= 30 GBq"),
    ("therapy.n_cycles=0", "therapy.n_cycles", "1 <= therapy.n_cycles <= 12"),
    ("lesions.liver_1.volume_ml=0", "lesions.liver_1.volume_ml", "0 < lesions.liver_1.volume_ml"),
    ("patient.sstr_density_nmol_per_l=-5", "patient.sstr_density_nmol_per_l", "nmol/L"),
    ("patient.sstr_density_nmol_per_l=1e6", "patient.sstr_density_nmol_per_l", "<= 5000"),
    ("lesions.liver_1.site=brain", "lesions.liver_1.site", "allowed values"),
    ("therapy.peptide_nmol=5", "therapy.peptide_nmol", "carrier-free"),
    ("pk.tumour.vascular_fraction=0.8", "pk.tumour.vascular_fraction", "sum to less than 1"),
    ("therapy.activity_gbq=abc", "therapy.activity_gbq", "abc"),
    ("therapy.actvity_gbq=1", "therapy.actvity_gbq", "not in"),
    ("therapy.n_cycles=2.5", "therapy.n_cycles", "2.5"),
    ("response.follow_up_months=1", "response.follow_up_months", "at least one assessment"),
    ("tumour.growth=logistic", "tumour.growth", "allowed values"),
    ("tumour.potential_doubling_time_d=3000", "tumour.potential_doubling_time_d",
     "birth rate"),
    ("radiobiology.kidneys.alpha_beta_gy=0", "radiobiology.kidneys.alpha_beta_gy", "0.5 <="),
])
def test_bad_input_names_field_value_and_range(override, field, fragment):
    with pytest.raises(simulator.ConfigError) as err:
        simulator.compose([override])
    message = str(err.value)
    assert field in message
    assert fragment in message
    assert "\n" not in message


def test_validate_rejects_unknown_key_in_plain_dict(reference_cfg):
    bad = {**reference_cfg, "therapy": {**reference_cfg["therapy"], "dose_gy": 3}}
    with pytest.raises(simulator.ConfigError, match="therapy.dose_gy"):
        simulator.validate(bad)


def test_validate_rejects_missing_value(reference_cfg):
    bad = {**reference_cfg, "therapy": {k: v for k, v in reference_cfg["therapy"].items()
                                        if k != "n_cycles"}}
    with pytest.raises(simulator.ConfigError, match="therapy.n_cycles = 'missing'"):
        simulator.validate(bad)


def test_simulate_validates_before_computing(reference_cfg):
    bad = {**reference_cfg, "therapy": {**reference_cfg["therapy"], "interval_weeks": -2.0}}
    with pytest.raises(simulator.ConfigError, match="therapy.interval_weeks = -2.0"):
        simulator.simulate(bad)


def test_netter1_cohort_and_control_arm_compose_and_stay_in_bounds():
    from simulator.cohort import sample_lesions, sample_parameters
    from simulator.simulation import check_sampled

    for arm in ("therapy=standard", "therapy=none"):
        cfg = simulator.validate(simulator.compose(["cohort=netter1", arm]))
        assert cfg["cohort"]["n_patients"] >= 10000
    sampled = sample_parameters(cfg["cohort"], cfg["seed"], 0, 3000)
    check_sampled(cfg, sampled, 3000, 0)   # raises ConfigError when out of bounds or a rule fails
    lesions = sample_lesions(cfg["cohort"]["lesions"], cfg["seed"], 0, 3000)
    assert lesions["count"].min() >= 1 and np.nanmax(lesions["volume_ml"]) <= 5000.0
    assert cfg["therapy"]["activity_gbq"] == 0.0 and cfg["therapy"]["peptide_nmol"] == 0.0
