"""Issue 16, item 2: optimised plans (``prrt-sim plan``).

* every optimised plan, re-simulated as an ordinary run, meets every constraint;
* on a test cohort the optimised schedule is never worse than the fixed one on the objective
  (where the fixed one keeps the limits), and the gain is reported with an interval;
* with twins, the plan keeps the chance of passing a limit within its bound and reports it;
* bad input (infeasible limits, bounds that exclude every plan, an unknown objective) is a
  ConfigError naming the field before any compute.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import simulator
from simulator.cli import plan_argv
from simulator.planning import exceeded, paired_gain, pareto_front
from tests.conftest import plain_cfg

SMALL = ("plan=default", "output.progress=false", "plan.interval_weeks=[8.0]",
         "plan.peptide_nmol=[150.0]")


def _cohort(*overrides: str) -> dict:
    """Example cohort with kidney masses spread, renal risk factors (kidney BED limit 28 Gy)."""
    cfg = plain_cfg("cohort=example", "patient.renal_risk_factors=true", *SMALL, *overrides)
    cfg["cohort"]["parameters"]["patient.kidney_mass_g"] = {
        "dist": "normal", "mean": 310.0, "sd": 70.0, "low": 150.0, "high": 500.0}
    return simulator.validate(cfg)


def test_per_patient_plans_meet_every_constraint_and_never_lose_to_the_fixed_schedule():
    cfg = _cohort("cohort.n_patients=6", "plan.scope=patient", "plan.n_cycles=[3,6]",
                  "plan.activity_points=2")
    result = simulator.plan(cfg)
    plan, resim = result.plan, result.resimulation
    assert plan.plan_found.values.all()
    # re-simulated, every plan keeps every enforced limit (and the flags agree)
    assert plan.resimulated_constraints_met.values.all()
    assert not exceeded(resim, cfg).any()
    assert np.all(resim.kidney_bed_cumulative_gy.values <= 28.0)
    # the re-simulation gives each patient its chosen schedule
    activity = resim.injected_activity_gbq.values
    np.testing.assert_array_equal((activity > 0).sum(axis=1), plan.plan_n_cycles.values)
    np.testing.assert_allclose(activity.max(axis=1), plan.plan_activity_gbq.values)
    # never worse than the fixed schedule where that keeps the limits, searched or re-run
    fixed_ok = plan.configured_feasible.values
    assert fixed_ok.any()
    assert np.all(plan.plan_objective.values[fixed_ok]
                  >= plan.configured_objective.values[fixed_ok])
    assert np.all(plan.resimulated_objective.values == plan.plan_objective.values)
    a = plan.attrs
    assert a["gain_ci_low"] <= a["gain_over_configured"] <= a["gain_ci_high"]
    assert a["gain_over_configured"] >= 0.0
    # the 6-cycle plans reach the kidney limit: their largest activity is a root
    six = (plan.n_cycles.values == 6) & plan.feasible.values
    assert np.any(plan.kidney_bed_max_gy.values[six] > 0.99 * 28.0)


def test_a_plan_on_a_cohort_with_new_lesions_sees_the_patients_own_observation_draws():
    """The search draws each patient's observation variates (new lesions) from its own stream,
    as the re-simulation does: the searched and re-simulated PFS agree patient by patient."""
    cfg = _cohort("cohort.n_patients=4", "plan.scope=patient", "plan.objective=pfs",
                  "plan.n_cycles=[4]", "plan.activity_points=2",
                  "tumour.new_lesion_rate_per_month=0.1")
    result = simulator.plan(cfg)
    plan, resim = result.plan, result.resimulation
    assert np.isfinite(resim.new_lesion_time_months.values).any()   # new lesions occur
    np.testing.assert_array_equal(plan.resimulated_objective.values, plan.plan_objective.values)


@pytest.mark.slow
def test_a_plan_over_twins_bounds_the_chance_of_passing_a_limit():
    cfg = _cohort("cohort.n_patients=30", "plan.n_cycles=[4,8]", "plan.objective=pfs",
                  "plan.max_exceedance_probability=0.1")
    result = simulator.plan(cfg)
    plan, resim = result.plan, result.resimulation
    over = exceeded(resim, cfg)
    assert plan.resimulated_constraints_met.values[0]
    assert over.mean() <= 0.1 and over.mean() == plan.attrs["resimulated_over_limit"]
    chosen = plan.chosen.values
    assert plan.exceedance_probability.values[chosen][0] == over.mean()   # same patients
    assert plan.plan_objective.values[0] >= plan.configured_objective.values[0]


@pytest.mark.slow
def test_a_single_patient_plan_from_the_command_line(tmp_path, cli_in_process):
    res = cli_in_process(tmp_path, "plan", "plan.n_cycles=[2,4]", "plan.interval_weeks=[8.0]",
                         "plan.peptide_nmol=[150.0]")
    assert res.returncode == 0, res.stderr
    assert "chosen:" in res.stdout and "constraints met by 1 of 1" in res.stdout
    plan = simulator.open_results(tmp_path / "run" / "plan.nc")
    resim = simulator.open_results(tmp_path / "run" / "results.nc")
    assert bool(plan.resimulated_constraints_met[0])
    assert int(plan.plan_n_cycles[0]) == int((resim.injected_activity_gbq > 0).sum())
    assert plan.pareto.values.any() and (tmp_path / "run" / "pareto.png").is_file()
    front = plan.pareto.values
    x, y = plan.kidney_bed_mean_gy.values, plan.objective.values
    feasible = plan.feasible.values
    for k in np.flatnonzero(front):           # no feasible candidate beats a front point
        beats = feasible & (x <= x[k]) & (y >= y[k]) & ((x < x[k]) | (y > y[k]))
        assert not beats.any()


@pytest.fixture(scope="module")
def plan_cfg() -> dict:
    return plain_cfg("plan=default")


@pytest.mark.parametrize(("values", "field"), [
    ({"plan.objective": "response"}, "plan.objective"),                     # unknown objective
    ({"limits.kidney_bed_gy_with_risk_factors": 45.0},                       # infeasible limits
     "limits.kidney_bed_gy_with_risk_factors"),
    ({"limits.enforced": []}, "limits.enforced"),
    ({"limits.enforced": ["kidney_bed", "liver_dose"]}, "limits.enforced"),
    ({"therapy.min_activity_gbq": 12.0, "therapy.max_activity_gbq": 10.0},  # bounds that
     "therapy.max_activity_gbq"),                                            # exclude every plan
    ({"plan.peptide_nmol": [10.0]}, "plan.peptide_nmol"),
    ({"plan.n_cycles": []}, "plan.n_cycles"),
    ({"plan.n_cycles": [0, 4]}, "plan.n_cycles"),
    ({"plan.n_cycles": [2.5]}, "plan.n_cycles[0]"),
    ({"plan.interval_weeks": [60.0]}, "plan.interval_weeks"),
    ({"plan.max_exceedance_probability": 1.0}, "plan.max_exceedance_probability"),
    ({"therapy.schedule": "dosimetry_guided"}, "therapy.schedule"),
    ({"plan.filename": "results.nc"}, "plan.filename"),
    ({"therapy.schedule": "personalised_activity", "therapy.n_cycles": 1}, "therapy.n_cycles"),
    ({"therapy.schedule": "dosimetry_guided", "therapy.activity_gbq": 0.0,
      "plan": None}, "therapy.activity_gbq"),
    ({"therapy.schedule": "personalised_activity", "therapy.peptide_nmol": 15.0,
      "plan": None}, "therapy.peptide_nmol"),
])
def test_bad_input_names_the_field_before_any_compute(plan_cfg, values, field, monkeypatch):
    import simulator.planning
    from simulator.config.dotted import with_values

    def no_compute(*args, **kwargs):
        raise AssertionError("computed before the error")

    monkeypatch.setattr(simulator.planning.Patients, "evaluate", no_compute)
    monkeypatch.setattr(simulator.planning, "simulate_cohort", no_compute)
    with pytest.raises(simulator.ConfigError, match=re.escape(f"{field} = ")):
        simulator.plan(with_values(plan_cfg, values))


def test_bad_input_on_the_command_line_exits_2(tmp_path, cli_in_process):
    res = cli_in_process(tmp_path, "plan", "plan.objective=response")
    assert res.returncode == 2 and "plan.objective = 'response'" in res.stderr
    assert not (tmp_path / "run").exists()


def test_pareto_front_and_paired_gain():
    objective = np.array([0.2, 0.5, 0.5, 0.9, 0.1])
    kidney = np.array([10.0, 20.0, 25.0, 30.0, 5.0])
    assert pareto_front(objective, kidney).tolist() == [True, True, False, True, True]
    gain, low, high = paired_gain(np.array([1.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 0.0]),
                                  seed=1)
    assert gain == 0.5 and 0.0 <= low < 0.5 < high <= 1.0
    assert paired_gain(np.ones(5), np.ones(5), seed=1) == (0.0, 0.0, 0.0)


def test_plan_command_line_sugar():
    assert plan_argv(["plan", "cohort=example"]) == ["cohort=example", "plan=default"]
    assert plan_argv(["plan", "plan=default", "plan.objective=tcp"]) == [
        "plan=default", "plan.objective=tcp"]
    assert plan_argv(["therapy.activity_gbq=5"]) == ["therapy.activity_gbq=5"]
