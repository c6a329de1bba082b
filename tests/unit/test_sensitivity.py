"""Global sensitivity (issue 16, item 4): simulator/sensitivity.py.

SALib's Ishigami function through the same code path as the simulator reproduces its
analytic Sobol' indices; bad input is refused naming the field before any compute; a tiny
simulator run gives the indices physics predicts, and its rows equal ordinary runs.
"""

from __future__ import annotations

import copy
import math
import runpy
from pathlib import Path

import numpy as np
import pytest
import yaml

import simulator
from simulator import sensitivity as sens
from simulator.errors import ConfigError

pytest.importorskip("SALib")

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "experiments" / "sensitivity.yaml"
UNIFORM_PI = {"dist": "uniform", "low": -math.pi, "high": math.pi}


def ishigami_indices(a: float = 7.0, b: float = 0.1):
    """Analytic S1 and ST of Y = sin x1 + a sin^2 x2 + b x3^4 sin x1, x ~ U(-pi, pi)^3
    (Ishigami & Homma 1990; Saltelli et al. 2008, Global Sensitivity Analysis: The Primer,
    doi:10.1002/9780470725184, section 4.4)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def ishigami_model(values):
    from SALib.test_functions import Ishigami

    return {"y": Ishigami.evaluate(np.column_stack([values["x1"], values["x2"], values["x3"]]))}


def ishigami_problem():
    return sens.parse_problem({"x1": UNIFORM_PI, "x2": UNIFORM_PI, "x3": UNIFORM_PI})


def test_analytic_ishigami_indices_are_the_published_ones():
    s1, st = ishigami_indices()
    np.testing.assert_allclose(s1, [0.314, 0.442, 0.0], atol=6e-4)
    np.testing.assert_allclose(st, [0.558, 0.442, 0.244], atol=6e-4)


def test_ishigami_through_the_same_path_reproduces_its_indices():
    ds = sens.sobol_indices(ishigami_problem(), ishigami_model, 1024, seed=3)
    s1, st = ishigami_indices()
    d = ds.sel(output="y")
    # every estimate lies within its own 95 % bootstrap interval of the analytic value
    assert np.all(np.abs(d.S1.values - s1) <= d.S1_conf.values), (d.S1.values, s1)
    assert np.all(np.abs(d.ST.values - st) <= d.ST_conf.values), (d.ST.values, st)
    assert np.all(d.ST_conf.values < 0.1)
    # and it has converged: doubling 512 -> 1024 changes no ST by more than the interval
    assert bool(d.converged.all())
    assert ds.attrs["n_evaluations"] == 1024 * 5
    assert list(ds.parameter.values) == ["x1", "x2", "x3"]


def test_the_half_design_is_the_design_of_half_the_points():
    """Convergence needs no extra runs: the first N/2 (D + 2) rows of the N design are the
    N/2 design (Sobol' sequences extend; SALib lays rows out point by point)."""
    problem = ishigami_problem()
    big, small = sens.sample(problem, 64, seed=5), sens.sample(problem, 32, seed=5)
    assert np.array_equal(big[:small.shape[0]], small)
    assert not np.array_equal(sens.sample(problem, 32, seed=6), small)


def test_a_constant_output_gives_nan_indices_not_an_error():
    ds = sens.sobol_indices(ishigami_problem(),
                            lambda v: {"c": np.ones(v["x1"].size), **ishigami_model(v)}, 16,
                            min_informative_rows=1)
    assert np.isnan(ds.ST.sel(output="c")).all()
    assert float(ds.output_std.sel(output="c")) == 0.0
    assert np.isfinite(ds.ST.sel(output="y")).all()


def test_a_rare_event_gets_nan_indices_and_its_count():
    """An indicator true in a few rows: estimates would rest on those rows alone."""
    def model(values):
        y = ishigami_model(values)["y"]
        return {"rare": (y > np.quantile(y, 0.995)).astype(float),
                "common": (y > np.median(y)).astype(float)}

    ds = sens.sobol_indices(ishigami_problem(), model, 256)     # 1280 rows
    assert int(ds.informative_rows.sel(output="rare")) == 7
    assert np.isnan(ds.ST.sel(output="rare")).all()
    assert int(ds.informative_rows.sel(output="common")) == 640
    assert np.isfinite(ds.ST.sel(output="common")).all()


def test_a_non_finite_output_names_the_row():
    def model(values):
        y = ishigami_model(values)["y"]
        y[7] = np.nan
        return {"y": y}

    with pytest.raises(ValueError, match="'y' is nan for row 7"):
        sens.sobol_indices(ishigami_problem(), model, 16)


# --- bad input: a clear error naming the field, before any compute ---------------------

def never_called(values):
    raise AssertionError("the model ran although the input was invalid")


@pytest.mark.parametrize("n_base", [1000, 8, 0, -16, 2**23, 16.0, True, "1024"])
def test_n_base_must_be_a_power_of_two(n_base):
    with pytest.raises(ConfigError, match=r"sensitivity\.n_base = .*power of 2"):
        sens.sobol_indices(ishigami_problem(), never_called, n_base)


@pytest.mark.parametrize("key, value, field", [
    ("n_bootstrap", 10, "sensitivity.n_bootstrap"),
    ("conf_level", 1.0, "sensitivity.conf_level"),
    ("seed", -1, "sensitivity.seed"),
    ("min_informative_rows", -1, "sensitivity.min_informative_rows"),
])
def test_bad_settings_are_refused(key, value, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        sens.sobol_indices(ishigami_problem(), never_called, 16, **{key: value})


@pytest.mark.parametrize("parameters, field, why", [
    ({"x1": UNIFORM_PI}, "sensitivity.parameters", "at least two"),
    ({"x1": UNIFORM_PI, "x2": 3.0}, "sensitivity.parameters.x2", "does not vary"),
    ({"x1": UNIFORM_PI, "x2": {"dist": "uniform", "low": 1.0}}, "sensitivity.parameters.x2",
     "high"),
    ({"x1": UNIFORM_PI, "x2": {"dist": "gamma"}}, "sensitivity.parameters.x2", "gamma"),
])
def test_bad_problems_are_refused(parameters, field, why):
    with pytest.raises(ConfigError, match=rf"{field.replace('.', '[.]')}\b.*{why}"):
        sens.parse_problem(parameters)


@pytest.fixture(scope="module")
def model(reference_cfg):
    return sens.SimulatorModel(reference_cfg)


GFR = {"dist": "uniform", "low": 60.0, "high": 120.0}


@pytest.mark.parametrize("path, spec, why", [
    ("patient.not_a_field", GFR, "unknown config path"),
    ("patient.gfr_ml_per_min", {"dist": "uniform", "low": 1.0, "high": 100.0},
     r"reaches 1 .*allowed range is 5 <= patient.gfr_ml_per_min <= 250 mL/min"),
    ("radiobiology.tumour_alpha_per_gy", {"dist": "lognormal", "median": 0.5, "gsd": 3.0},
     r"reaches .* upper end.*allowed range is 0 <= radiobiology.tumour_alpha_per_gy <= 2"),
    ("response.follow_up_months", GFR, "run-level"),
    ("therapy.n_cycles", {"dist": "choice", "values": [2, 4]}, "integer field"),
    ("therapy.interval_weeks", {"dist": "uniform", "low": 6.0, "high": 10.0},
     "one per engine batch"),
    ("lesions", GFR, "only numeric"),
])
def test_bad_config_inputs_name_the_field(model, path, spec, why):
    parameters = {"patient.kidney_mass_g": {"dist": "uniform", "low": 250.0, "high": 350.0},
                  path: spec}
    with pytest.raises(ConfigError, match=rf"sensitivity\.parameters\.{path}\b.*{why}"):
        model.problem(parameters)


def tiny_spec(**changes) -> dict:
    spec = {"n_base": 16, "seed": 1, "n_bootstrap": 200, "min_informative_rows": 10,
            "outputs": ["lesion_bed_gy",
                                                                      "kidney_bed_gy"],
            "parameters": {
                "patient.sstr_density_nmol_per_l": {"dist": "loguniform", "low": 10.0,
                                                    "high": 200.0},
                "pk.kidney_reabsorbed_fraction": {"dist": "loguniform", "low": 0.01,
                                                  "high": 0.04},
                "patient.gfr_ml_per_min": GFR}}
    spec.update(changes)
    return spec


@pytest.mark.parametrize("changes, field, why", [
    ({"n_base": 24}, "sensitivity.n_base", "power of 2"),
    ({"outputs": ["lesion_bed_gy", "orr"]}, "sensitivity.outputs", "allowed outputs"),
    ({"colour": "red"}, "sensitivity.colour", "unknown key"),
    ({"parameters": None}, "sensitivity.parameters", "required"),
    ({"overrides": ["cohort=example"]}, "cohort.parameters", "cohort=single"),
    ({"overrides": ["patient.gfr_ml_per_min=-3"]}, "patient.gfr_ml_per_min", "allowed range"),
    ({"parameters": {"patient.gfr_ml_per_min": "cohort",
                     "pk.kidney_reabsorbed_fraction": GFR}},
     "sensitivity.parameters.patient.gfr_ml_per_min", "needs sensitivity.cohort"),
    ({"cohort": "example", "parameters": {"patient.gfr_ml_per_min": "cohort",
                                          "patient.kidney_mass_g": GFR}},
     "sensitivity.parameters.patient.gfr_ml_per_min", "cohort=example has no distribution"),
    # a cross-field rule broken by some row of the design: peptide below the labelled amount
    ({"parameters": {"therapy.peptide_nmol": {"dist": "uniform", "low": 5.0, "high": 50.0},
                     "patient.gfr_ml_per_min": GFR}},
     "therapy.peptide_nmol",
     r"patient \d+ \(sampled by sensitivity.parameters\) breaks the rule.*177Lu-labelled"),
])
def test_bad_specs_are_refused_before_any_compute(monkeypatch, changes, field, why):
    monkeypatch.setattr(sens, "run_chunk", never_called)
    with pytest.raises(ConfigError, match=rf"{field.replace('.', '[.]')}\b.*{why}"):
        sens.prepare(tiny_spec(**changes))


def test_cohort_specs_take_the_cohorts_distribution_and_merge_keys():
    cohort = simulator.validate(simulator.compose(["cohort=netter1"]))["cohort"]
    out = sens.cohort_specs({"patient.gfr_ml_per_min": "cohort",
                             "patient.sstr_density_nmol_per_l": {"cohort": True, "high": 900.0},
                             "x": GFR}, cohort, "netter1")
    assert out["patient.gfr_ml_per_min"] == cohort["parameters"]["patient.gfr_ml_per_min"]
    assert out["patient.sstr_density_nmol_per_l"] == {
        **cohort["parameters"]["patient.sstr_density_nmol_per_l"], "high": 900.0}
    assert out["x"] == GFR


def test_inputs_a_cohort_correlates_are_refused_unless_the_drop_is_declared():
    cohort = simulator.validate(simulator.compose(["cohort=netter1"]))["cohort"]
    alpha, clearance = "radiobiology.tumour_alpha_per_gy", "tumour.doomed_clearance_half_time_d"
    cohort = {**cohort, "correlations": [{"a": alpha, "b": clearance, "rho": -0.7}]}
    params = {alpha: "cohort", clearance: {"cohort": True, "high": 3000.0}}
    with pytest.raises(ConfigError, match=r"sensitivity.cohort_correlations = 'error'.*"
                                          r"correlates .*alpha.* and .*clearance.*rho -0.7"):
        sens.cohort_specs(params, cohort, "netter1")
    out = sens.cohort_specs(params, cohort, "netter1", "ignore")
    assert set(out) == set(params)
    assert sens.dropped_correlations(params, cohort) == cohort["correlations"]
    # one of the pair with its own distribution: nothing is dropped, no error
    own = {alpha: "cohort", clearance: {"dist": "lognormal", "median": 300.0, "gsd": 2.0}}
    sens.cohort_specs(own, cohort, "netter1")
    assert sens.dropped_correlations(own, cohort) == []
    with pytest.raises(ConfigError, match="cohort_correlations = 'maybe'"):
        sens.cohort_specs(params, cohort, "netter1", "maybe")


def test_the_committed_spec_passes_every_check(monkeypatch):
    monkeypatch.setattr(sens, "run_chunk", never_called)
    analysis = sens.prepare(yaml.safe_load(SPEC.read_text()))
    assert len(analysis.problem.names) >= 10
    # the spec declares that the cohort's correlations between its inputs are dropped: exactly
    # the fitted pairs whose both members are inputs are recorded (they go into the results'
    # attrs): alpha-clearance; not the new-lesion hazard-growth pair (the hazard is no input)
    fitted = simulator.validate(simulator.compose(["cohort=netter1"]))["cohort"]["correlations"]
    inputs = set(analysis.problem.names)
    between_inputs = [c for c in fitted if {c["a"], c["b"]} <= inputs]
    assert len(between_inputs) == 1 and len(fitted) == 2
    assert list(analysis.ignored_correlations) == between_inputs
    assert {"patient.sstr_density_nmol_per_l", "radiobiology.tumour_alpha_per_gy",
            "patient.gfr_ml_per_min", "tumour.stroma_fraction"} <= set(analysis.problem.names)


# --- the simulator as a model ---------------------------------------------------------

@pytest.fixture(scope="module")
def tiny():
    return sens.prepare(tiny_spec()).run()


def test_tiny_run_ranks_the_inputs_physics_predicts(tiny):
    st = tiny.ST.to_pandas()
    # kidney BED: tubular reabsorption sets the kidney uptake, the tumour's SSTR2 hardly
    assert st.loc["kidney_bed_gy", "pk.kidney_reabsorbed_fraction"] > 0.5
    assert st.loc["kidney_bed_gy", "patient.sstr_density_nmol_per_l"] < 0.1
    # lesion BED: the tumour's receptor density dominates
    assert st.loc["lesion_bed_gy"].idxmax() == "patient.sstr_density_nmol_per_l"
    assert tiny.attrs["n_evaluations"] == 16 * 5
    assert str(tiny.parameter_units.sel(parameter="patient.gfr_ml_per_min").values) == "mL/min"
    assert str(tiny.output_units.sel(output="kidney_bed_gy").values) == "Gy"
    assert "gfr_ml_per_min" in tiny.attrs["config_yaml"]
    assert tiny.attrs["cohort_correlations_ignored"] == "[]"     # nothing dropped here


def test_each_row_is_an_ordinary_run_of_that_patient(reference_cfg):
    """A row of the design gives what a run of the config with those values gives."""
    model = sens.SimulatorModel(reference_cfg, ["lesion_bed_gy", "kidney_bed_gy",
                                                "pfs_months"])
    values = {"patient.sstr_density_nmol_per_l": np.array([20.0, 120.0]),
              "patient.gfr_ml_per_min": np.array([70.0, 110.0])}
    out = model(values)
    for row in range(2):
        cfg = copy.deepcopy(reference_cfg)
        cfg["patient"]["sstr_density_nmol_per_l"] = float(values[
            "patient.sstr_density_nmol_per_l"][row])
        cfg["patient"]["gfr_ml_per_min"] = float(values["patient.gfr_ml_per_min"][row])
        ds = simulator.simulate(cfg)
        assert out["kidney_bed_gy"][row] == pytest.approx(
            float(ds.kidney_bed_cumulative_gy[0]), rel=1e-12)
        assert out["lesion_bed_gy"][row] == pytest.approx(
            float(ds.lesion_bed_gy[0].sum("cycle").mean("lesion")), rel=1e-12)
        assert out["pfs_months"][row] == float(ds.progression_time_months[0])
    assert out["lesion_bed_gy"][1] > out["lesion_bed_gy"][0]


def test_a_new_lesion_hazard_input_draws_each_rows_new_lesion(reference_cfg):
    """A row with a new-lesion hazard gets its own new-lesion draw (seeded stream 3), as an
    ordinary cohort run of that row would: high hazard, early progression."""
    model = sens.SimulatorModel(reference_cfg, ["pfs_months"])
    out = model({"tumour.new_lesion_rate_per_month": np.array([0.0, 10.0])})
    assert out["pfs_months"][1] < out["pfs_months"][0]
    assert out["pfs_months"][1] <= 3.0     # PD at the first 12-week assessment


@pytest.mark.slow
def test_the_experiment_script_writes_its_outputs(tmp_path):
    script = runpy.run_path(str(ROOT / "experiments" / "sensitivity.py"))
    ds = script["main"](["--small", "--out", str(tmp_path)])
    assert {p.name for p in tmp_path.iterdir()} >= {"sensitivity.nc", "sensitivity.png",
                                                    "results.md"}
    back = simulator.open_results(tmp_path / "sensitivity.nc")
    np.testing.assert_array_equal(back.ST.values, ds.ST.values)
    assert "| `patient.sstr_density_nmol_per_l` |" in (tmp_path / "results.md").read_text()
