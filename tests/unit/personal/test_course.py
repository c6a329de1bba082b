"""The cycle-by-cycle course over the unchanged batch kernel."""

from __future__ import annotations

import numpy as np

from simulator.personal.course import CourseSchedule, run_course, simulate_twins
from simulator.population import Columns
from simulator.runner import run_chunk


def test_regular_schedule_equals_the_engine_run_bit_for_bit(small_patient, small_prior):
    z = np.random.default_rng(3).standard_normal((3, small_prior.dim))
    cols = Columns(small_prior.cfg, 3, small_prior.values(z))
    reference = run_chunk(cols)
    course = run_course(cols, CourseSchedule.of(small_patient, 150.0))
    assert np.array_equal(reference.boundary_states, course.boundary_states)
    assert np.array_equal(reference.states, course.states)
    assert np.array_equal(reference.tail_tia_mbq_h, course.tail_tia_mbq_h)


def test_a_later_activity_leaves_the_past_unchanged(small_patient, small_prior):
    """Causality: the measured cycle does not depend on the planned cycles' activity, so the
    posterior weights hold for any plan (simulator.personal.predict.alternatives)."""
    values = small_prior.values(np.zeros((1, small_prior.dim)))
    runs = [simulate_twins(small_prior.cfg, values, small_patient,
                           CourseSchedule.of(small_patient, 150.0, [7.4, a, a]))
            for a in (3.7, 11.1)]
    (low, p_low), (high, p_high) = runs
    assert np.array_equal(p_low.activity_mbq, p_high.activity_mbq)
    assert low.kidney_dose_gy.sel(cycle=1).item() == high.kidney_dose_gy.sel(cycle=1).item()
    assert high.kidney_dose_gy.sel(cycle=3).item() > 2.5 * low.kidney_dose_gy.sel(cycle=3).item()
    assert list(high.injected_activity_gbq.values[0]) == [7.4, 11.1, 11.1]
