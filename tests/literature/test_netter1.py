"""Virtual NETTER-1 (Strosberg 2017, NEJM 376:125, doi:10.1056/NEJMoa1607427).

The committed ``cohort=netter1`` (calibrated by experiments/calibrate_netter1.py) on a small
cohort: endpoints inside the published 95 % intervals (experiments/netter1.PUBLISHED), with a
Monte Carlo margin of 2 SE of the simulated estimate.  The 10,000-patient confirmation is
experiments/results/netter1.md.
"""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.trial import arm_endpoints, trial_hazard_ratio

N = 600


def _arm(therapy):
    return simulator.simulate(simulator.compose([
        "cohort=netter1", f"cohort.n_patients={N}", f"therapy={therapy}",
        "output.progress=false"]))


def _interpolated_median(ds):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))
    from netter1 import interpolated_median_months

    return interpolated_median_months(ds)


def _inside(x, se, low, high):
    return low - 2 * se <= x <= high + 2 * se


@pytest.mark.slow
def test_virtual_netter1_matches_the_published_intervals():
    pytest.importorskip("lifelines")
    treated, control = _arm("standard"), _arm("none")
    a, b = arm_endpoints(treated), arm_endpoints(control)

    def se(p):
        return np.sqrt(p * (1 - p) / a.n)

    assert _inside(a.orr, se(a.orr), 0.116, 0.268)
    assert _inside(a.pfs[20.0], se(a.pfs[20.0]), 0.500, 0.768)
    assert _inside(b.pfs[20.0], se(b.pfs[20.0]), 0.035, 0.230)
    assert _inside(b.orr, se(b.orr), 0.010, 0.085)  # control ORR 3 % (1.0-8.5 %)
    # progression is seen only at the 12-week assessments: the step-function median jumps
    # between 8.28 and 11.04 months when PFS(8.28) is within noise of 0.5 (docs/validation.md)
    assert 0.75 * 8.4 <= _interpolated_median(control) <= 1.25 * 8.4
    hr = trial_hazard_ratio(treated, control)
    assert hr.hr < 0.5 and hr.ci[1] < 1.0
    kidney = (treated.kidney_dose_gy / treated.injected_activity_gbq).isel(cycle=0)
    assert 0.38 <= float(kidney.median()) <= 0.57


def test_calibration_rewrites_exactly_the_tagged_fitted_values(tmp_path):
    """``calibrate_netter1.py --write`` edits only the [FIT:name] lines of the cohort YAML."""
    import sys
    from pathlib import Path

    import yaml

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))
    from calibrate_netter1 import COHORT_YAML, write_fitted

    path = tmp_path / "netter1.yaml"
    path.write_text(COHORT_YAML.read_text())
    before = yaml.safe_load(path.read_text())
    fitted = {"growth_mean": 7.5, "growth_sd": 2.5, "growth_weights": [0.95, 0.05],
              "alpha_median": 0.011, "clearance_median": 150.0}
    write_fitted(path, fitted)
    after = yaml.safe_load(path.read_text())
    params = after["parameters"]
    growth = params["tumour.volume_growth_percent_per_month"]
    assert growth["components"][0]["mean"] == 7.5 and growth["components"][0]["sd"] == 2.5
    assert growth["weights"] == [0.95, 0.05]
    assert params["radiobiology.tumour_alpha_per_gy"]["median"] == 0.011
    assert params["tumour.doomed_clearance_half_time_d"]["median"] == 150.0
    # everything else unchanged
    for spec in (before, after):
        spec["parameters"]["tumour.volume_growth_percent_per_month"]["components"][0].update(
            mean=0, sd=0)
        spec["parameters"]["tumour.volume_growth_percent_per_month"]["weights"] = None
        spec["parameters"]["radiobiology.tumour_alpha_per_gy"]["median"] = None
        spec["parameters"]["tumour.doomed_clearance_half_time_d"]["median"] = None
    assert after == before
    with pytest.raises(ValueError, match="no_such_tag"):
        write_fitted(path, {"no_such_tag": 1.0})


def test_interpolated_median_lies_between_the_assessments_around_the_crossing():
    import sys
    from pathlib import Path

    import xarray as xr

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))
    from netter1 import interpolated_median_months

    from simulator.response.recist import SD

    # 1000 patients, no censoring: 10 % progress at 2.76, 39.8 % at 5.52 (PFS 0.502), 30 %
    # at 8.28 (PFS 0.202), the rest at 11.04 months
    counts = {2.76: 100, 5.52: 398, 8.28: 300, 11.04: 202}
    times = np.repeat(list(counts), list(counts.values()))
    p = ("patient",)
    ds = xr.Dataset({"best_response": (p, np.full(times.size, SD)),
                     "progression_time_months": (p, times),
                     "progression_observed": (p, np.ones(times.size, bool))})
    assert arm_endpoints(ds).median_pfs_months == pytest.approx(8.28)  # step function
    expected = 5.52 + (0.502 - 0.5) / (0.502 - 0.202) * 2.76          # linear, by hand
    assert interpolated_median_months(ds) == pytest.approx(expected, rel=1e-9)
