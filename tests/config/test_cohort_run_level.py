"""A cohort cannot sample what every patient of a batch shares (found by the sensitivity
work: a sampled therapy.interval_weeks was silently ignored)."""

from __future__ import annotations

import pytest

import simulator


@pytest.mark.parametrize("path", ["therapy.interval_weeks", "therapy.n_cycles",
                                  "observation.recist_diameter_cv"])
def test_sampling_a_batch_level_field_is_an_error(path):
    spec = "{dist:uniform,low:1,high:2}" if "cv" not in path else "{dist:uniform,low:0,high:0.1}"
    with pytest.raises(simulator.ConfigError, match=rf"cohort\.parameters\.{path}"):
        simulator.simulate(simulator.compose(["cohort=example", "cohort.n_patients=3",
                                              f"++cohort.parameters={{{path}:{spec}}}"]))
