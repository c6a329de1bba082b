"""The benchmark's anchor (benchmarks/anchor.py: solve_ivp on the engine's numba rhs and
analytic Jacobian) integrates the same course as the engine: at a tight tolerance its
lesion BED, kidney dose and log-survival agree with the engine's within 1e-6."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from anchor import anchor_states  # noqa: E402

from simulator.outcomes import compute_outcomes  # noqa: E402
from simulator.reference import engine_chunk, outcomes_of_states, wide_config  # noqa: E402
from simulator.reference import max_relative_difference as rel  # noqa: E402


def test_anchor_at_tight_tolerance_matches_the_engine():
    res, cols, _ = engine_chunk(wide_config(1), 1)
    ours = compute_outcomes(res, cols)
    boundary, series = anchor_states(res, "LSODA", 1e-9, atol_scale=1e-3)
    theirs, log_s = outcomes_of_states(res, cols, boundary, series)
    assert rel(ours.lesion_bed_gy, theirs.lesion_bed_gy) <= 1e-6
    assert rel(ours.organ_dose_gy[:, 0], theirs.organ_dose_gy[:, 0]) <= 1e-6
    assert rel(log_s[0], log_s[1]) <= 1e-6
