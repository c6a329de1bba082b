"""experiments/early_progression.py: the hazard edit multiplies the population's median, and
the published values in its header are read from the declared targets (no simulation)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def g():
    return runpy.run_path(str(ROOT / "experiments" / "early_progression.py"))["main"].__globals__


def test_the_new_lesion_hazard_median_is_multiplied(g):
    cfg = {"cohort": {"parameters": {g["NEW_LESION"]: {"median": 0.002, "gsd": 2.0}}}}
    g["with_rate_factor"](8.0)(cfg)
    assert cfg["cohort"]["parameters"][g["NEW_LESION"]] == {"median": 0.016, "gsd": 2.0}


def test_the_published_values_come_from_the_declared_targets(g):
    assert g["target"]("kwekkeboom2008_pd") == "20.0%, 15.9%-24.8%"      # Wilson on 62/310
    assert g["target"]("netter1_pfs20_treated") == "65.2%, 50.0%-76.8%"


def test_the_spread_is_set_only_when_asked(g):
    cfg = {"cohort": {"parameters": {g["NEW_LESION"]: {"median": 0.002, "gsd": 2.0}}}}
    g["with_rate_factor"](2.0, 6.0)(cfg)
    assert cfg["cohort"]["parameters"][g["NEW_LESION"]] == {"median": 0.004, "gsd": 6.0}


@pytest.mark.parametrize("gsd", ["1.0", "0.5", "25"])
def test_a_spread_outside_its_range_is_refused_before_any_simulation(g, gsd, capsys):
    with pytest.raises(SystemExit):
        g["main"](["--gsd", "2", gsd])
    assert "--gsd" in capsys.readouterr().err


def test_the_correlation_with_growth_is_set_only_when_asked(g):
    base = {"cohort": {"parameters": {g["NEW_LESION"]: {"median": 0.002, "gsd": 2.0}},
                       "correlations": [{"a": "x", "b": "y", "rho": -0.5}]}}
    g["with_rate_factor"](1.0)(base)
    assert base["cohort"]["correlations"] == [{"a": "x", "b": "y", "rho": -0.5}]
    assert base["cohort"]["parameters"][g["NEW_LESION"]]["gsd"] == 2.0   # spread untouched
    g["with_rate_factor"](1.0, None, 0.8)(base)
    pairs = base["cohort"]["correlations"]
    assert {"a": "x", "b": "y", "rho": -0.5} in pairs
    assert any({c["a"], c["b"]} == {g["NEW_LESION"], g["GROWTH"]} and c["rho"] == 0.8
               for c in pairs)


@pytest.mark.parametrize("rho", ["1.0", "-1", "1.5"])
def test_a_correlation_outside_its_range_is_refused(g, rho, capsys):
    with pytest.raises(SystemExit):
        g["main"](["--rho", rho])
    assert "--rho" in capsys.readouterr().err
