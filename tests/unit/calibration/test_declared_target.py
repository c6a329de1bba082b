"""simulator.calibration.likelihood.declared_target: one reader of the declared target files,
with the Wilson interval of a count, a published interval, an open upper end, and an unknown
name refused with the file's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.calibration.likelihood import declared_target

TARGETS = Path(__file__).resolve().parents[3] / "experiments" / "targets"


def test_a_count_gets_its_wilson_interval():
    value, (lo, hi) = declared_target(TARGETS / "calibration.yaml", "kwekkeboom2008_pd")
    assert value == 0.20                                   # 62 of 310
    assert lo == pytest.approx(0.159, abs=5e-4) and hi == pytest.approx(0.248, abs=5e-4)


def test_a_published_interval_and_an_open_upper_end():
    assert declared_target(TARGETS / "validation.yaml", "netterr_pnet_orr") == (
        0.403, (0.281, 0.536))
    assert declared_target(TARGETS / "validation.yaml", "netter2_median_pfs_treated") == (
        22.8, (19.4, None))


def test_an_unknown_target_names_the_file():
    with pytest.raises(KeyError, match="validation.yaml.*no target 'netter3_orr'"):
        declared_target(TARGETS / "validation.yaml", "netter3_orr")
