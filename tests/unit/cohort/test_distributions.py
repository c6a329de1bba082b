"""Marginal distributions: parsing, validation and inverse-CDF sampling.

Tolerances are 4 standard errors of the estimate at n = 20000 (fixed seed): the sample
median of ln X has SE ~ 1.25 sigma / sqrt(n), a sample standard deviation sigma / sqrt(2n),
a frequency sqrt(p (1 - p) / n).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulator import ConfigError
from simulator.cohort import parse_distribution

N = 20_000


@pytest.fixture(scope="module")
def u():
    return np.random.default_rng(20240611).random(N)


def test_plain_number_is_fixed(u):
    dist = parse_distribution("patient.gfr_ml_per_min", 80.0)
    assert dist.kind == "fixed"
    assert np.all(dist.ppf(u[:5]) == 80.0)
    assert dist.median() == 80.0


def test_lognormal_median_and_gsd(u):
    median, gsd = 50.0, 2.0
    x = parse_distribution("p", {"dist": "lognormal", "median": median, "gsd": gsd}).ppf(u)
    sigma = math.log(gsd)
    assert np.all(x > 0)
    assert abs(np.log(np.median(x)) - math.log(median)) < 4 * 1.25 * sigma / math.sqrt(N)
    assert abs(np.std(np.log(x), ddof=1) - sigma) < 4 * sigma / math.sqrt(2 * N)


def test_truncated_lognormal_respects_bounds_and_median(u):
    spec = {"dist": "lognormal", "median": 90.0, "gsd": 1.4, "low": 20.0, "high": 120.0}
    x = parse_distribution("p", spec).ppf(u)
    assert x.min() >= 20.0 and x.max() <= 120.0 and x.max() > 110.0
    # median of the truncated law: ln X is N(ln 90, ln 1.4) truncated to [ln 20, ln 120]
    sigma = math.log(1.4)
    a, b = (math.log(20.0) - math.log(90.0)) / sigma, (math.log(120.0) - math.log(90.0)) / sigma
    expected = math.exp(stats.truncnorm.median(a, b, loc=math.log(90.0), scale=sigma))
    assert abs(np.log(np.median(x)) - math.log(expected)) < 4 * 1.25 * sigma / math.sqrt(N)
    with pytest.raises(ConfigError, match="p.low"):
        parse_distribution("p", {**spec, "low": 0.0})


def test_lognormal_gsd_one_is_fixed(u):
    dist = parse_distribution("p", {"dist": "lognormal", "median": 0.02, "gsd": 1})
    assert np.all(dist.ppf(u) == 0.02)


def test_normal_mean_and_sd(u):
    mu, sd = 3.0, 0.5
    x = parse_distribution("p", {"dist": "normal", "mean": mu, "sd": sd}).ppf(u)
    assert abs(x.mean() - mu) < 4 * sd / math.sqrt(N)
    assert abs(x.std(ddof=1) - sd) < 4 * sd / math.sqrt(2 * N)


@pytest.mark.parametrize("low, high", [(2.5, 4.0), (2.9, None), (None, 3.1)])
def test_truncated_normal_respects_bounds_and_mean(u, low, high):
    spec = {"dist": "normal", "mean": 3.0, "sd": 0.5}
    if low is not None:
        spec["low"] = low
    if high is not None:
        spec["high"] = high
    x = parse_distribution("p", spec).ppf(u)
    lo, hi = low if low is not None else -np.inf, high if high is not None else np.inf
    assert np.all((x >= lo) & (x <= hi))
    ref = stats.truncnorm((lo - 3.0) / 0.5, (hi - 3.0) / 0.5, loc=3.0, scale=0.5)
    assert abs(x.mean() - ref.mean()) < 4 * ref.std() / math.sqrt(N)


def test_uniform_bounds_and_mean(u):
    x = parse_distribution("p", {"dist": "uniform", "low": 2.0, "high": 6.0}).ppf(u)
    assert np.all((x >= 2.0) & (x <= 6.0))
    assert abs(x.mean() - 4.0) < 4 * (4.0 / math.sqrt(12)) / math.sqrt(N)


def test_loguniform_bounds_and_log_mean(u):
    x = parse_distribution("p", {"dist": "loguniform", "low": 1.0, "high": 1000.0}).ppf(u)
    assert np.all((x >= 1.0) & (x <= 1000.0))
    width = math.log(1000.0)
    assert abs(np.log(x).mean() - width / 2) < 4 * (width / math.sqrt(12)) / math.sqrt(N)
    assert parse_distribution("p", {"dist": "loguniform", "low": 1, "high": 100}).median() == (
        pytest.approx(10.0))


def test_choice_frequencies_match_the_weights(u):
    dist = parse_distribution("p", {"dist": "choice", "values": [1, 2, 5],
                                    "weights": [0.25, 0.25, 0.5]})
    x = dist.ppf(u)
    assert set(np.unique(x)) <= {1, 2, 5}
    assert dist.integer_valued
    for value, p in zip([1, 2, 5], [0.25, 0.25, 0.5], strict=True):
        assert abs(np.mean(x == value) - p) < 4 * math.sqrt(p * (1 - p) / N)


def test_choice_without_weights_is_equiprobable(u):
    x = parse_distribution("p", {"dist": "choice", "values": [0.5, 1.5]}).ppf(u)
    assert abs(np.mean(x == 0.5) - 0.5) < 4 * math.sqrt(0.25 / N)


def test_zero_weight_value_is_never_drawn(u):
    x = parse_distribution("p", {"dist": "choice", "values": [1, 2, 3],
                                 "weights": [0.5, 0.0, 0.5]}).ppf(u)
    assert not np.any(x == 2)


MIXTURE = {"dist": "mixture", "weights": [0.75, 0.25],
           "components": [{"dist": "normal", "mean": 9.0, "sd": 4.0, "low": -20, "high": 60},
                          {"dist": "lognormal", "median": 2.0, "gsd": 1.5}]}


def test_mixture_ppf_inverts_the_weighted_component_cdfs(u):
    dist = parse_distribution("p", MIXTURE)
    x = dist.ppf(u)
    # the exact mixture CDF, from scipy's own distributions (not our code)
    lo, hi = (-20 - 9.0) / 4.0, (60 - 9.0) / 4.0
    exact = (0.75 * stats.truncnorm.cdf(x, lo, hi, loc=9.0, scale=4.0)
             + 0.25 * stats.lognorm.cdf(x, math.log(1.5), scale=2.0))
    np.testing.assert_allclose(exact, u, atol=1e-12)
    assert np.all(np.diff(x[np.argsort(u)]) >= 0)  # monotone: copulas and QMC keep meaning
    assert dist.median() == pytest.approx(float(dist.ppf(np.array([0.5]))[0]))
    assert not dist.positive
    assert parse_distribution("p", {**MIXTURE, "components": [
        {"dist": "uniform", "low": 1, "high": 2}, {"dist": "loguniform", "low": 3, "high": 4}]}
                              ).positive


def test_mixture_weights_give_the_subgroup_frequency(u):
    # components that do not overlap: the share below 5 is the first weight
    spec = {"dist": "mixture", "weights": [0.97, 0.03],
            "components": [{"dist": "uniform", "low": 10, "high": 20},
                           {"dist": "normal", "mean": -4.0, "sd": 1.0, "low": -10, "high": 0}]}
    x = parse_distribution("p", spec).ppf(u)
    assert abs(np.mean(x < 5) - 0.03) < 4 * math.sqrt(0.03 * 0.97 / N)
    assert np.all(((x >= 10) & (x <= 20)) | ((x >= -10) & (x <= 0)))


@pytest.mark.parametrize("spec, field, fragment", [
    ({"dist": "mixture", "weights": [1.0], "components": [{"dist": "normal", "mean": 1,
                                                            "sd": 1}]},
     "cohort.parameters.x.components", "at least 2"),
    ({**MIXTURE, "weights": [1.0]}, "cohort.parameters.x.weights", "one per component"),
    ({**MIXTURE, "weights": [1.0, 0.0]}, "cohort.parameters.x.weights", "> 0"),
    # issue 18 item 10: weights that do not sum to 1 were silently normalised
    ({**MIXTURE, "weights": [3.0, 1.0]}, "cohort.parameters.x.weights", "must sum to 1"),
    ({**MIXTURE, "weights": [0.75, 0.25 + 2e-9]}, "cohort.parameters.x.weights", "sum to 1"),
    ({"dist": "choice", "values": [1, 2, 5], "weights": [1, 1, 2]},
     "cohort.parameters.x.weights", "they sum to 4"),
    ({"dist": "choice", "values": [1, 2], "weights": [0.5, 0.4]},
     "cohort.parameters.x.weights", "must sum to 1"),
    ({**MIXTURE, "components": [MIXTURE["components"][0], {"dist": "choice", "values": [1]}]},
     "cohort.parameters.x.components[1]", "continuous"),
    ({**MIXTURE, "components": [MIXTURE["components"][0],
                                {"dist": "lognormal", "median": 1, "gsd": 0.5}]},
     "cohort.parameters.x.components[1].gsd", ">= 1"),
    ({"dist": "gamma", "shape": 2}, "cohort.parameters.x.dist", "allowed distributions"),
    ({"median": 1, "gsd": 2}, "cohort.parameters.x.dist", "lognormal"),
    ({"dist": "lognormal", "median": 50}, "cohort.parameters.x", "missing ['gsd']"),
    ({"dist": "lognormal", "median": 50, "gsd": 2, "sd": 1}, "cohort.parameters.x",
     "unknown keys ['sd']"),
    ({"dist": "lognormal", "median": 50, "gsd": 0.5}, "cohort.parameters.x.gsd", ">= 1"),
    ({"dist": "lognormal", "median": 0, "gsd": 2}, "cohort.parameters.x.median", "> 0"),
    ({"dist": "lognormal", "median": "a", "gsd": 2}, "cohort.parameters.x.median", "number"),
    ({"dist": "normal", "mean": 1, "sd": 0}, "cohort.parameters.x.sd", "> 0"),
    ({"dist": "normal", "mean": 1, "sd": 1, "low": 2, "high": 2}, "cohort.parameters.x.low",
     "< cohort.parameters.x.high"),
    ({"dist": "uniform", "low": 3, "high": 1}, "cohort.parameters.x.low", "<"),
    ({"dist": "loguniform", "low": 0, "high": 1}, "cohort.parameters.x.low", "0 < low < high"),
    ({"dist": "choice", "values": [1, 2], "weights": [1]}, "cohort.parameters.x.weights",
     "one per value"),
    ({"dist": "choice", "values": [1, 2], "weights": [1, -1]}, "cohort.parameters.x.weights",
     ">= 0"),
    ({"dist": "choice", "values": []}, "cohort.parameters.x.values", "non-empty"),
    ("fifty", "cohort.parameters.x", "finite number"),
    (True, "cohort.parameters.x", "finite number"),
])
def test_bad_spec_names_the_field(spec, field, fragment):
    with pytest.raises(ConfigError) as err:
        parse_distribution("x", spec)
    message = str(err.value)
    assert message.startswith(f"Invalid configuration: {field} = ")
    assert fragment in message


def test_mixture_components_may_be_named():
    """A mapping ``{name: spec}`` is the list of its values, in order (so that a layered
    config, e.g. a generated block of fitted values, can set one component's keys)."""
    u = np.linspace(0.01, 0.99, 25)
    named = {**MIXTURE, "components": dict(zip(("a", "b"), MIXTURE["components"],
                                               strict=True))}
    np.testing.assert_array_equal(parse_distribution("x", named).ppf(u),
                                  parse_distribution("x", MIXTURE).ppf(u))


@pytest.mark.parametrize("weights", [[0.1] * 10, [0.3, 0.4, 0.3], [0.65, 0.20, 0.08, 0.07]])
def test_weights_summing_to_one_up_to_rounding_are_accepted(weights):
    dist = parse_distribution("x", {"dist": "choice", "values": list(range(len(weights))),
                                    "weights": weights})
    assert math.isclose(sum(dist.params["weights"]), 1.0, rel_tol=1e-15)


@pytest.mark.parametrize("median, gsd", [(3650.0, 8.0), (3650.0, 1.2), (1000.0, 4.0),
                                         (30.0, 8.0)])
def test_a_truncated_lognormal_never_leaves_its_bounds(median, gsd):
    """exp(ln high) can round one ulp above high (found at the calibration's clearance
    corners): every value of the inverse CDF stays inside [low, high]."""
    d = parse_distribution("x", {"dist": "lognormal", "median": median, "gsd": gsd,
                                 "low": 0.1, "high": 3650.0})
    tail = np.logspace(-16, -1, 200)
    x = d.ppf(np.concatenate([tail, 1.0 - tail]))
    assert x.min() >= 0.1 and x.max() <= 3650.0
