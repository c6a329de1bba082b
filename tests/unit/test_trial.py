"""Virtual-trial analysis (simulator.trial): evaluable patients, endpoints, hazard ratio."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simulator.response.recist import CR, NOT_EVALUABLE, PD, PR, SD
from simulator.trial import arm_endpoints, evaluable, hazard_ratio

pytest.importorskip("lifelines")


def _arm(best, time, observed) -> xr.Dataset:
    p = ("patient",)
    return xr.Dataset({"best_response": (p, np.asarray(best)),
                       "progression_time_months": (p, np.asarray(time, float)),
                       "progression_observed": (p, np.asarray(observed, bool))})


def test_endpoints_of_a_tiny_arm():
    ds = _arm([CR, PR, SD, SD, PD, NOT_EVALUABLE], [30, 30, 12, 24, 3, 30],
              [False, False, True, True, True, False])
    assert evaluable(ds).sizes["patient"] == 5
    e = arm_endpoints(ds, months=(8.4, 20.0))
    assert e.n == 5 and e.orr == pytest.approx(2 / 5)
    assert e.orr_ci[0] < 0.4 < e.orr_ci[1]
    # no censoring before 24 months: KM = fraction still free of progression
    assert e.pfs[8.4] == pytest.approx(4 / 5) and e.pfs[20.0] == pytest.approx(3 / 5)
    assert e.median_pfs_months == pytest.approx(24.0)


def test_hazard_ratio_of_exponential_arms_is_the_rate_ratio():
    u = (np.arange(2000) + 0.5) / 2000        # deterministic exponential quantiles
    t_a, t_b = -np.log1p(-u) / 1.0, -np.log1p(-u) / 5.0
    ones = np.ones(u.size, bool)
    hr = hazard_ratio(t_a, ones, t_b, ones)
    assert hr.hr == pytest.approx(0.2, rel=0.05)
    assert hr.ci[0] < hr.hr < hr.ci[1] and hr.logrank_p < 1e-10


def test_hazard_ratio_is_antisymmetric_and_matches_lifelines():
    import pandas as pd
    from lifelines import CoxPHFitter

    t_a, e_a = np.array([5.0, 8.0, 12.0, 20.0, 30.0]), np.array([1, 1, 0, 1, 0], bool)
    t_b, e_b = np.array([2.0, 3.0, 6.0, 9.0, 15.0]), np.array([1, 1, 1, 1, 0], bool)
    ab, ba = hazard_ratio(t_a, e_a, t_b, e_b), hazard_ratio(t_b, e_b, t_a, e_a)
    assert ab.hr * ba.hr == pytest.approx(1.0, rel=1e-6)
    assert ab.hr < 1.0 and ab.logrank_p == pytest.approx(ba.logrank_p)
    df = pd.DataFrame({"t": np.r_[t_a, t_b], "e": np.r_[e_a, e_b], "x": np.r_[np.ones(5),
                                                                           np.zeros(5)]})
    ref = CoxPHFitter().fit(df, "t", "e")
    assert ab.hr == pytest.approx(float(np.exp(ref.params_["x"])), rel=1e-9)
