"""Issue 16, item 1: adaptive schedules evaluated inside the simulation.

* dosimetry_guided gives, for patients whose per-cycle kidney BED and marrow dose are known
  (a run with every cycle given), the number of cycles a hand calculation of the rule gives;
  the doses of the cycles it gives are those of that run (the simulation is causal);
* personalised_activity brings the kidney BED to the limit within 1 % wherever the kidney
  limit binds and the activity is inside its bounds;
* a cycle of activity 0 is not given: a course with trailing empty cycles equals the shorter
  course.
"""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.adaptive import activity_to_limit, dosimetry_guided_cycles
from tests.conftest import plain_cfg

COHORT = ("cohort=example", "cohort.n_patients=8", "output.progress=false")


def cohort_cfg(*overrides: str) -> dict:
    """The example cohort with kidney masses spread (so kidney doses per GBq differ)."""
    cfg = plain_cfg(*COHORT, *overrides)
    cfg["cohort"]["parameters"]["patient.kidney_mass_g"] = {
        "dist": "normal", "mean": 310.0, "sd": 70.0, "low": 150.0, "high": 500.0}
    return simulator.validate(cfg)


def _hand_count(kidney_bed, marrow, kidney_limit, marrow_limit, n_max):
    """The rule, written out cycle by cycle for one patient."""
    given = 1
    while given < n_max:
        kidney_so_far = sum(kidney_bed[:given])
        marrow_so_far = sum(marrow[:given])
        if (kidney_so_far + kidney_bed[given - 1] > kidney_limit
                or marrow_so_far + marrow[given - 1] > marrow_limit):
            break
        given += 1
    return given


def test_dosimetry_guided_rule_on_known_doses():
    # 7 Gy per cycle, limit 28: after 3 cycles 21 + 7 = 28 is not past it, after 4 it is
    bed = np.full((3, 6), 7.0)
    bed[1] = [7.0, 7.0, 7.0, 7.5, 7.0, 7.0]     # predicted from cycle 3 (7): 4 given
    bed[2] = [5.0, 6.0, 8.0, 8.0, 1.0, 1.0]     # 5+5, 11+6, 19+8 = 27 <= 28: 4 given
    marrow = np.zeros((3, 6))
    count = dosimetry_guided_cycles({"kidney_bed": bed, "marrow_dose": marrow},
                                    {"kidney_bed": np.full(3, 28.0),
                                     "marrow_dose": np.full(3, 2.0)}, 6)
    assert count.tolist() == [4, 4, 4]
    marrow[0] = 0.6                              # 0.6 + 0.6, 1.2 + 0.6, 1.8 + 0.6 > 2: 3
    count = dosimetry_guided_cycles({"kidney_bed": bed, "marrow_dose": marrow},
                                    {"kidney_bed": np.full(3, 28.0),
                                     "marrow_dose": np.full(3, 2.0)}, 6)
    assert count.tolist() == [3, 4, 4]
    assert dosimetry_guided_cycles({"kidney_bed": bed}, {"kidney_bed": np.full(3, 1.0)},
                                   6).tolist() == [1, 1, 1]     # cycle 1 is always given
    assert dosimetry_guided_cycles({"kidney_bed": bed}, {"kidney_bed": np.full(3, 1e3)},
                                   5).tolist() == [5, 5, 5]     # at most n_cycles


def test_dosimetry_guided_matches_a_hand_calculation():
    limits = ("patient.renal_risk_factors=true", "limits.marrow_dose_gy=1.0")
    every = simulator.simulate(cohort_cfg("therapy.n_cycles=10", *limits))
    guided = simulator.simulate(cohort_cfg("therapy=dosimetry_guided", *limits))
    kidney, marrow = every.kidney_bed_gy.values, every.marrow_dose_gy.values
    expected = [_hand_count(kidney[p], marrow[p], 28.0, 1.0, 10) for p in range(len(kidney))]
    activity = guided.injected_activity_gbq.values
    count = (activity > 0).sum(axis=1)
    assert count.tolist() == expected
    assert np.all(activity[activity > 0] == 7.4)
    stops = np.array(expected) - 1                # both limits stop someone
    kidney_stops = kidney[:, :stops.max() + 1].cumsum(axis=1)[np.arange(8), stops] \
        + kidney[np.arange(8), stops] > 28.0
    assert kidney_stops.any() and not kidney_stops.all()
    for p, k in enumerate(count):                 # causal: the given cycles' doses are those
        assert np.array_equal(guided.kidney_bed_gy.values[p, :k - 1], kidney[p, :k - 1])
    assert not guided.marrow_dose_limit_exceeded.values.any()
    assert np.all(guided.kidney_bed_cumulative_gy.values < 28.0 * 1.01)


def test_trailing_cycles_of_no_activity_are_not_given():
    from simulator.outcomes import compute_outcomes
    from simulator.population import Columns
    from simulator.runner import run_chunk

    two, four = plain_cfg("therapy.n_cycles=2"), plain_cfg()
    short = compute_outcomes(run_chunk(Columns(two, 1)), Columns(two, 1))
    res = run_chunk(Columns(four, 1), activity_gbq=np.array([[7.4, 7.4, 0.0, 0.0]]))
    padded = compute_outcomes(res, Columns(four, 1))
    assert np.all(res.schedule.cold_nmol[0, 2:] == 0.0)
    np.testing.assert_allclose(padded.oar_bed_gy.sum(axis=2), short.oar_bed_gy.sum(axis=2),
                               rtol=1e-9)
    np.testing.assert_allclose(padded.lesion_bed_gy.sum(axis=2),
                               short.lesion_bed_gy.sum(axis=2), rtol=1e-9)


def test_activity_to_limit_solves_the_quadratic():
    rng = np.random.default_rng(3)
    lin, quad = rng.uniform(0.3, 0.6, 20), rng.uniform(0.0, 0.02, 20)
    remaining, cycles = rng.uniform(5.0, 30.0, 20), 3
    a = activity_to_limit(remaining, lin, quad, cycles)
    np.testing.assert_allclose(cycles * (lin * a + quad * a**2), remaining, rtol=1e-12)
    assert activity_to_limit(-1.0, 0.5, 0.01, 2) == 0.0
    assert activity_to_limit(1.0, 0.0, 0.0, 2) == np.inf


def test_personalised_activity_hits_the_kidney_limit_within_one_percent():
    cfg = cohort_cfg("therapy=personalised_activity", "patient.renal_risk_factors=true",
                     "therapy.n_cycles=6", "therapy.max_activity_gbq=30")
    ds = simulator.simulate(cfg)
    activity = ds.injected_activity_gbq.values
    assert np.all(activity[:, 0] == 7.4) and np.all(activity > 3.7)
    assert np.ptp(activity[:, -1]) > 0.1          # personalised: the patients differ
    kidney = ds.kidney_bed_cumulative_gy.values
    np.testing.assert_allclose(kidney, 28.0, rtol=0.01)
    assert not ds.marrow_dose_limit_exceeded.values.any()


@pytest.mark.slow
def test_personalised_activity_keeps_its_bounds():
    cfg = plain_cfg(*COHORT, "cohort.n_patients=3", "therapy=personalised_activity",
                    "therapy.replan=first_cycle")
    ds = simulator.simulate(cfg)
    activity = ds.injected_activity_gbq.values
    assert np.all(activity[:, 1:] <= 14.8) and np.all(activity[:, 1:] >= 3.7)
    assert np.all(activity[:, 1:] == activity[:, 1:2])   # first_cycle: one activity after 1
    assert np.all(ds.kidney_bed_cumulative_gy.values < 40.0 * 1.01)
