"""experiments/calibrate_pnet.py: the bisection finds the value in either direction, a bracket
without the target writes its evidence and stops, the fit may not use the validation seed.
The simulations are replaced by monotone toy responses (the script's logic, not the model)."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def script(tmp_path):
    g = runpy.run_path(str(ROOT / "experiments" / "calibrate_pnet.py"))["main"].__globals__
    g["RESULTS"] = tmp_path
    calls = []

    def fake_arm(key, value, n, seed):
        calls.append((key, value, seed))
        if key == g["CLEARANCE"]:           # ORR falls with the clearance half-time
            orr = 1.0 - 0.1 * math.log(value)
        else:                               # ORR rises with alpha and saturates at 0.35
            orr = 0.35 * value / (value + 0.05)
        return {"orr": orr, "cr": 0.01, "pfs_20": 0.6}

    g["treated_arm"] = fake_arm
    g["endpoints"] = lambda arm: arm
    g["interpolated_median_months"] = lambda arm: 22.0
    g["print"] = lambda *a, **k: None
    return g, calls, tmp_path


def test_clearance_is_bisected_downwards_and_validated_on_other_patients(script):
    g, calls, out = script
    g["main"](["--parameter", "clearance", "--n", "10", "--seed", "6"])
    target = math.exp((1.0 - 41 / 68) / 0.1)           # where the toy ORR is 41/68
    text = (out / "calibrate_pnet_clearance.md").read_text()
    value = float(text.split("**Effective clearance median: ")[1].split(" d**")[0])
    assert value == pytest.approx(target, rel=0.02)
    assert {seed for _, _, seed in calls[:-1]} == {6}   # the fit's patients
    assert calls[-1][2] == g["VALIDATION_SEED"] != 6   # the validation's are others
    assert "| ORR | 40.3% (28.1%-53.6%) |" in text      # read from the declared file


def test_a_bracket_without_the_target_writes_its_evidence_and_stops(script):
    g, _, out = script
    with pytest.raises(SystemExit, match="does not contain ORR 0.603"):
        g["main"](["--parameter", "alpha", "--n", "10"])
    text = (out / "calibrate_pnet_alpha.md").read_text()
    assert "does not contain ORR 0.603" in text and "| 1 | 0.333 |" in text


def test_the_fit_may_not_use_the_validation_seed(script):
    g, calls, _ = script
    with pytest.raises(SystemExit):
        g["main"](["--seed", str(g["VALIDATION_SEED"])])
    assert calls == []                                  # refused before any simulation
