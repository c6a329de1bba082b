"""experiments/site_clearance.py: the pancreatic clearance search, its fallback where no
clearance reaches the target, the NETTER-2 site mix and the declared intervals.  The
simulations are replaced by toy responses (the script's logic, not the model)."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def script():
    g = runpy.run_path(str(ROOT / "experiments" / "site_clearance.py"))["main"].__globals__
    calls = []

    def medians_of(edit):
        cfg = {"cohort": {"parameters": {g["CLEARANCE"]: {"median": None},
                                         g["ALPHA"]: {"median": None}}}}
        edit(cfg)
        p = cfg["cohort"]["parameters"]
        return p[g["CLEARANCE"]]["median"], p[g["ALPHA"]]["median"]

    def fake_arm(n, seed, control, edit=None, cohort="netter1", overrides=()):
        median, alpha = medians_of(edit)
        calls.append({"n": n, "seed": seed, "control": control, "median": median,
                      "alpha": alpha, "cohort": cohort, "overrides": overrides})
        if alpha is not None:
            return {"orr": g["TOY_ALPHA"](median, alpha)}
        return {"orr": g["TOY"](median) if median is not None else 0.2}

    g["run_arm"] = fake_arm
    g["endpoint_values"] = lambda arm: arm
    g["TOY"] = lambda median: 0.9 - 0.1 * math.log(median)   # ORR falls with the half-time
    return g, calls


def test_the_clearance_that_reaches_ezziddin_is_found_on_the_fitting_patients(script):
    g, calls = script
    median, orr, reached = g["fit_pancreatic_clearance"](lambda cfg: None, 900.0, 50,
                                                         ("solver.lanes=64",))
    assert reached
    assert median == pytest.approx(math.exp((0.9 - 41 / 68) / 0.1), rel=0.02)
    assert orr == pytest.approx(41 / 68, abs=0.01)
    assert {c["seed"] for c in calls} == {g["FIT_SEED"]} and g["FIT_SEED"] != g["VALIDATION_SEED"]
    assert all(not c["control"] and c["overrides"] == ("solver.lanes=64",) for c in calls)
    assert min(c["median"] for c in calls) == pytest.approx(g["BRACKET_LOW_D"])


def test_where_no_clearance_reaches_it_the_fastest_is_kept_and_flagged(script):
    g, _ = script
    g["TOY"] = lambda median: 0.55 - 0.01 * math.log(median)     # at most 0.539 at 3 d
    median, orr, reached = g["fit_pancreatic_clearance"](lambda cfg: None, 900.0, 50, ())
    assert (median, reached) == (g["BRACKET_LOW_D"], False)
    assert orr == pytest.approx(0.55 - 0.01 * math.log(3.0))


def test_a_population_already_above_the_target_is_an_error(script):
    g, _ = script
    g["TOY"] = lambda median: 0.7
    with pytest.raises(ValueError, match="already reaches 0.603"):
        g["fit_pancreatic_clearance"](lambda cfg: None, 900.0, 50, ())


def test_netter2_gives_54_percent_of_its_patients_the_pancreatic_change(script):
    g, _ = script
    mixed, seen = [], {}

    def fake_mixed(n, seed, control, parts, cohort="netter1", overrides=()):
        mixed.append((n, seed, control, [(w, e("cfg")) for w, e in parts], cohort))
        return f"arm{int(control)}"

    g["run_mixed_arm"] = fake_mixed
    g["predictive_summaries"] = lambda t, c: seen.update(treated=t, control=c) or {"ok": 1}
    base = lambda cfg: "base"                                        # noqa: E731
    site = lambda edit: (lambda cfg: "pancreatic " + edit(cfg))     # noqa: E731
    assert g["netter2_site_mix"](base, site, 1000, ()) == {"ok": 1}
    parts = [(0.54, "pancreatic base"), (pytest.approx(0.46), "base")]
    assert mixed == [(1000, g["VALIDATION_SEED"], False, parts, "netter2"),
                     (1000, g["VALIDATION_SEED"], True, parts, "netter2")]
    assert seen == {"treated": "arm0", "control": "arm1"}


def test_the_declared_intervals_are_read_from_the_validation_file(script):
    g, _ = script
    value, (lo, hi) = g["declared"]("netter2_orr_treated")     # Wilson on 65/151
    assert value == 0.43 and lo == pytest.approx(0.354, abs=0.002)
    assert hi == pytest.approx(0.510, abs=0.002)
    assert g["declared"]("netterr_pnet_orr") == (0.403, (0.281, 0.536))


def test_the_alpha_factor_is_fitted_at_the_held_clearance(script):
    g, calls = script
    g["TOY_ALPHA"] = lambda median, alpha: 0.2 + 4.0 * alpha        # ORR rises with alpha
    k, orr, reached = g["fit_pancreatic_alpha"](lambda cfg: None, 0.02, 30.0, 50, ())
    assert reached and k == pytest.approx((41 / 68 - 0.2) / 4.0 / 0.02, rel=0.02)
    assert orr == pytest.approx(41 / 68, abs=0.01)
    assert {c["median"] for c in calls} == {30.0}                  # the clearance is held
    assert {c["seed"] for c in calls} == {g["FIT_SEED"]}


@pytest.mark.parametrize("toy, end", [(lambda m, a: 0.3, 1), (lambda m, a: 0.9, 0)])
def test_an_alpha_factor_outside_the_bracket_keeps_its_end_and_is_flagged(script, toy, end):
    g, _ = script
    g["TOY_ALPHA"] = toy
    k, _, reached = g["fit_pancreatic_alpha"](lambda cfg: None, 0.02, 30.0, 50, ())
    assert (k, reached) == (g["ALPHA_FACTOR_BRACKET"][end], False)


def test_the_draws_done_so_far_are_saved_with_units(script, tmp_path):
    g, _ = script
    g["RESULTS"] = tmp_path
    args = type("A", (), {"fit": "alpha", "pancreatic_clearance_d": 30.0, "draws": 5, "n": 200,
                          "lanes": 64})()
    rows = [{"pancreatic_clearance_median_d": 30.0, "pancreatic_alpha_median_per_gy": 0.03,
             "netter2_median_pfs_treated_months": 24.0, "fit_orr": 0.6}] * 2
    ds = g["save"](rows, args, "site_alpha", 0.0)
    back = xr.load_dataset(tmp_path / "site_alpha.nc")
    assert back.sizes["draw"] == 2 and ds.attrs["fit"] == "alpha"
    assert [back[k].attrs["units"] for k in rows[0]] == ["d", "1/Gy", "months", "1"]
    assert "--fit alpha --pancreatic-clearance-d 30 --draws 5" in back.attrs["command"]
