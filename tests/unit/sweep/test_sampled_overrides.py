"""Sweeping or overriding a parameter that the cohort samples has a stated meaning
(issue 18, item 1; simulator/cohort/overrides.py): an error by default, or ``fix`` (every
patient takes the value) or ``shift`` (the distribution is centred on it, spread kept)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import simulator
from simulator.cli import EXIT_CONFIG_ERROR, _prevalidate
from simulator.cohort import sample_parameters
from simulator.cohort.overrides import apply_sampled_overrides, shifted

DENSITY = "patient.sstr_density_nmol_per_l"
SMALL = ["cohort=example", "cohort.n_patients=3", "therapy.n_cycles=1",
         "response.follow_up_months=3"]


def test_an_override_of_a_sampled_parameter_is_an_error_naming_both():
    with pytest.raises(simulator.ConfigError) as err:
        simulator.compose(["cohort=example", f"{DENSITY}=500"])
    message = str(err.value)
    assert f"override {DENSITY} = 500" in message
    assert f"cohort.parameters.{DENSITY} = {{'dist': 'lognormal'" in message
    assert "cohort.sampled_override=fix" in message and "shift" in message


def test_the_cli_refuses_it_before_anything_is_written(capsys):
    with pytest.raises(SystemExit) as code:
        _prevalidate(["cohort=example", f"{DENSITY}=500"])
    assert code.value.code == EXIT_CONFIG_ERROR
    assert f"override {DENSITY} = 500" in capsys.readouterr().err


def test_fix_gives_every_patient_the_value_and_keeps_the_other_draws():
    base = simulator.validate(simulator.compose(["cohort=example"]))
    fixed = simulator.validate(simulator.compose(["cohort=example", f"{DENSITY}=500",
                                                  "cohort.sampled_override=fix"]))
    assert fixed["cohort"]["parameters"][DENSITY] == 500
    a = sample_parameters(base["cohort"], base["seed"], 0, 200)
    b = sample_parameters(fixed["cohort"], fixed["seed"], 0, 200)
    assert np.all(b[DENSITY] == 500.0)
    for path in a:                       # common random numbers for every other parameter
        if path != DENSITY:
            np.testing.assert_array_equal(a[path], b[path])


def test_shift_moves_the_median_and_keeps_the_spread():
    base = simulator.validate(simulator.compose(["cohort=example"]))
    moved = simulator.validate(simulator.compose(["cohort=example", f"{DENSITY}=500",
                                                  "cohort.sampled_override=shift"]))
    spec = moved["cohort"]["parameters"][DENSITY]
    assert spec["median"] == pytest.approx(500.0) and spec["gsd"] == 2.0
    a = sample_parameters(base["cohort"], base["seed"], 0, 500)[DENSITY]
    b = sample_parameters(moved["cohort"], moved["seed"], 0, 500)[DENSITY]
    np.testing.assert_allclose(b / a, 500.0 / 50.0, rtol=1e-12)
    assert np.median(b) == pytest.approx(500.0, rel=0.15)


@pytest.mark.parametrize("spec, value, expected", [
    ({"dist": "normal", "mean": 10.0, "sd": 2.0, "low": 5.0, "high": 20.0}, 12.0,
     {"dist": "normal", "mean": 12.0, "sd": 2.0, "low": 7.0, "high": 22.0}),
    ({"dist": "uniform", "low": 1.0, "high": 3.0}, 5.0, {"dist": "uniform", "low": 4.0,
                                                         "high": 6.0}),
    ({"dist": "loguniform", "low": 1.0, "high": 100.0}, 100.0,
     {"dist": "loguniform", "low": 10.0, "high": 1000.0}),
    ({"dist": "lognormal", "median": 2.0, "gsd": 1.5, "low": 1.0}, 4.0,
     {"dist": "lognormal", "median": 4.0, "gsd": 1.5, "low": 2.0}),
    (3.0, 7.0, 7.0),
])
def test_shift_of_each_distribution(spec, value, expected):
    assert shifted("f", spec, value) == pytest.approx(expected)


def test_shift_keeps_every_sampled_value_inside_the_allowed_range():
    """A bound at the field's limit stays; a moved bound is clamped to the limit: with a wide
    clearance spread, shifting up or down samples no patient outside 0.1-3650 d."""
    from simulator.cohort.distributions import parse_distribution

    path = "tumour.doomed_clearance_half_time_d"
    spec = {"dist": "lognormal", "median": 331.0, "gsd": 8.0, "low": 0.1, "high": 3650.0}
    bounds = (0.1, 3650.0, False, False)
    u = np.linspace(1e-12, 1 - 1e-12, 20001)
    for value in (2000.0, 30.0):
        out = shifted(path, spec, value, bounds)
        assert (out["low"], out["high"]) == (0.1, 3650.0) and out["median"] == value
        x = parse_distribution(path, out).ppf(u)
        assert x.min() >= 0.1 and x.max() <= 3650.0 * (1 + 1e-12)
    inner = {"dist": "normal", "mean": 10.0, "sd": 2.0, "low": 5.0, "high": 20.0}
    assert shifted("f", inner, 48.0, (0.0, 50.0, False, False)) == pytest.approx(
        {**inner, "mean": 48.0, "low": 43.0, "high": 50.0})
    # a uniform's / log-uniform's bounds are the distribution: both move, even from a limit,
    # and a shift past the allowed range is refused (review: they were kept or clamped)
    lim = (0.0, 50.0, False, False)
    assert shifted("f", {"dist": "uniform", "low": 0.0, "high": 10.0}, 8.0, lim) == \
        pytest.approx({"dist": "uniform", "low": 3.0, "high": 13.0})
    assert shifted("f", {"dist": "loguniform", "low": 1.0, "high": 16.0}, 8.0, lim) == \
        pytest.approx({"dist": "loguniform", "low": 2.0, "high": 32.0})
    for spec, value in (({"dist": "uniform", "low": 0.0, "high": 50.0}, 10.0),
                        ({"dist": "uniform", "low": 1.0, "high": 3.0}, 49.5),
                        ({"dist": "loguniform", "low": 1.0, "high": 50.0}, 20.0)):
        with pytest.raises(simulator.ConfigError, match="outside the allowed range"):
            shifted("f", spec, value, lim)
    # through an override on a composed cohort: sampled values all allowed
    cfg = simulator.validate(simulator.compose(["cohort=netter1", "cohort.n_patients=3000",
                                                "cohort.sampled_override=shift",
                                                f"{path}=3000"]))
    moved = cfg["cohort"]["parameters"][path]
    assert moved["median"] == 3000.0 and moved["high"] == 3650.0
    values = sample_parameters(cfg["cohort"], cfg["seed"], 0, 3000)[path]
    assert values.max() <= 3650.0 and values.min() >= 0.1


def test_shift_is_refused_where_it_has_no_meaning():
    with pytest.raises(simulator.ConfigError, match="not choice; use fix"):
        shifted("cohort.parameters.x", {"dist": "choice", "values": [1, 2]}, 3.0)


def test_a_distribution_anchored_on_the_config_value_follows_the_override():
    cfg = {"cohort": {"sampled_override": "error",
                      "parameters": {DENSITY: {"dist": "lognormal", "median": 80.0, "gsd": 1.5}}}}
    assert apply_sampled_overrides(cfg, {DENSITY: 80.0}, "override") == cfg


def test_a_grid_over_a_sampled_parameter_needs_a_meaning_and_then_varies_the_outcome():
    grid = f"+grid={{therapy.activity_gbq:[3.7,7.4],{DENSITY}:[10,500]}}"
    with pytest.raises(simulator.ConfigError, match=f"grid {DENSITY} = 10"):
        simulator.simulate(simulator.compose([*SMALL, grid]))
    for mode in ("fix", "shift"):
        ds = simulator.simulate(simulator.compose([*SMALL, grid,
                                                   f"cohort.sampled_override={mode}"]))
        dose = ds.lesion_dose_gy.sum("cycle").mean(["patient", "lesion"])
        # a real SSTR axis: more receptors, more lesion dose, at both activities
        assert np.all(dose.sel(sstr_density_nmol_per_l=500) >
                      1.5 * dose.sel(sstr_density_nmol_per_l=10))
        assert np.all(dose.sel(activity_gbq=7.4) > dose.sel(activity_gbq=3.7))
        density = ds.parameter_value.sel(parameter=DENSITY)
        if mode == "fix":
            assert np.all(density.sel(sstr_density_nmol_per_l=500) == 500.0)
        else:
            np.testing.assert_allclose(density.sel(sstr_density_nmol_per_l=500)
                                       / density.sel(sstr_density_nmol_per_l=10), 50.0,
                                       rtol=1e-12)


def test_a_shifted_grid_point_whose_patients_leave_the_bounds_is_refused_before_compute():
    from simulator.precheck import precheck

    grid = f"+grid={{{DENSITY}:[50,4000]}}"   # lognormal GSD 2 around 4000: some > 5000
    cfg = simulator.validate(simulator.compose([*SMALL, "cohort.n_patients=200", grid,
                                                "cohort.sampled_override=shift"]))
    with pytest.raises(simulator.ConfigError,
                       match=rf"cohort.parameters.{DENSITY} = .*drew a value outside.*"
                             rf"grid point {{'{DENSITY}': 4000"):
        precheck(cfg)


@pytest.mark.parametrize("override, path", [
    ("patient={sstr_density_nmol_per_l:500}", DENSITY),                 # a parent node
    ("lesions=founding_case1", "lesions.liver_1.volume_ml"),             # a group option
])
def test_a_sampled_value_set_by_a_group_or_parent_is_not_silently_ignored(override, path):
    """Adversarial review: only the exact dotted key used to count as an override."""
    with pytest.raises(simulator.ConfigError, match=rf"value set by {re.escape(override)} for "
                                                    rf"{re.escape(path)} = "):
        simulator.compose(["cohort=example", override])
    cfg = simulator.validate(simulator.compose(["cohort=example", override,
                                                "cohort.sampled_override=fix"]))
    from simulator.config.dotted import get
    assert cfg["cohort"]["parameters"][path] == get(cfg, path)


def test_the_cli_sees_a_group_file_from_a_config_dir(tmp_path, capsys):
    patient = tmp_path / "patient"
    patient.mkdir()
    reference = (simulator.config.config_dir() / "patient" / "reference.yaml").read_text()
    (patient / "hi.yaml").write_text(reference.replace(
        "sstr_density_nmol_per_l: 50.0", "sstr_density_nmol_per_l: 500.0"))
    assert "500.0" in (patient / "hi.yaml").read_text()
    with pytest.raises(SystemExit) as code:
        _prevalidate(["--config-dir", str(tmp_path), "cohort=example", "patient=hi"])
    assert code.value.code == EXIT_CONFIG_ERROR
    assert f"value set by patient=hi for {DENSITY} = 500" in capsys.readouterr().err


def test_choices_that_do_not_touch_a_sampled_value_pass():
    simulator.compose(["cohort=example", "therapy.activity_gbq=5.55", "therapy=standard"])
    simulator.compose(["cohort=netter1", "therapy=none"])        # the NETTER-1 control arm


def test_choosing_a_group_counts_even_when_its_value_is_the_default():
    """``fix`` with ``patient=reference`` fixes 50 nmol/L, as ``patient.sstr_density=50``
    would, instead of silently leaving the distribution (a sweep patient=hi,reference)."""
    cfg = simulator.validate(simulator.compose(["cohort=example", "patient=reference",
                                                "cohort.sampled_override=fix"]))
    assert cfg["cohort"]["parameters"][DENSITY] == 50.0
