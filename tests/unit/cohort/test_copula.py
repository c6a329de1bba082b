"""Gaussian copula: correlation matrix checks and correlated normals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulator import ConfigError
from simulator.cohort import correlated_normals, correlation_matrix, sample_parameters

N = 20_000
NAMES = ["a.x", "b.y", "c.z"]


def test_unlisted_pairs_are_uncorrelated():
    corr = correlation_matrix(NAMES, [{"a": "b.y", "b": "a.x", "rho": 0.3}])
    assert corr[0, 1] == corr[1, 0] == 0.3
    assert corr[0, 2] == corr[1, 2] == 0.0
    assert np.all(np.diag(corr) == 1.0)


def test_correlated_normals_is_z_times_cholesky_transpose():
    corr = correlation_matrix(NAMES, [{"a": "a.x", "b": "b.y", "rho": 0.5},
                                      {"a": "b.y", "b": "c.z", "rho": -0.2}])
    chol = np.linalg.cholesky(corr)
    z = np.random.default_rng(1).standard_normal((50, 3))
    np.testing.assert_allclose(correlated_normals(z, chol), z @ chol.T, rtol=1e-14, atol=1e-15)


def test_non_positive_definite_matrix_lists_eigenvalues():
    pairs = [{"a": "a.x", "b": "b.y", "rho": 0.9}, {"a": "a.x", "b": "c.z", "rho": 0.9},
             {"a": "b.y", "b": "c.z", "rho": -0.9}]
    with pytest.raises(ConfigError) as err:
        correlation_matrix(NAMES, pairs)
    message = str(err.value)
    assert message.startswith("Invalid configuration: cohort.correlations = ")
    assert "positive definite" in message and "eigenvalues" in message


@pytest.mark.parametrize("pairs, field, fragment", [
    ([{"a": "a.x", "b": "b.y", "rho": 1.0}], "cohort.correlations[0].rho", "-1 < rho < 1"),
    ([{"a": "a.x", "b": "q.q", "rho": 0.1}], "cohort.correlations[0].b", "sampled parameters"),
    ([{"a": "a.x", "b": "a.x", "rho": 0.1}], "cohort.correlations[0].b", "must differ"),
    ([{"a": "a.x", "b": "b.y", "r": 0.1}], "cohort.correlations[0]", "expected a mapping"),
    ([{"a": "a.x", "b": "b.y", "rho": 0.1}, {"a": "b.y", "b": "a.x", "rho": 0.2}],
     "cohort.correlations[1]", "duplicate"),
])
def test_bad_entries_name_the_field(pairs, field, fragment):
    with pytest.raises(ConfigError) as err:
        correlation_matrix(NAMES, pairs)
    assert str(err.value).startswith(f"Invalid configuration: {field} = ")
    assert fragment in str(err.value)


@pytest.mark.parametrize("sampling", ["random", "sobol"])
def test_sampled_normals_and_ranks_follow_rho(sampling):
    rho = 0.6
    cohort = {"sampling": sampling, "correlations": [{"a": "p.x", "b": "p.y", "rho": rho}],
              "parameters": {"p.x": {"dist": "normal", "mean": 0.0, "sd": 1.0},
                             "p.y": {"dist": "normal", "mean": 0.0, "sd": 1.0},
                             "p.w": {"dist": "lognormal", "median": 50.0, "gsd": 2.0},
                             "p.v": {"dist": "lognormal", "median": 0.02, "gsd": 1.4}}}
    cohort["correlations"].append({"a": "p.w", "b": "p.v", "rho": -rho})
    s = sample_parameters(cohort, seed=11, start=0, stop=N)
    assert abs(np.corrcoef(s["p.x"], s["p.y"])[0, 1] - rho) < 4 / math.sqrt(N)
    spearman = stats.spearmanr(s["p.w"], s["p.v"]).statistic
    expected = -(6 / math.pi) * math.asin(rho / 2)
    assert abs(spearman - expected) < 4 / math.sqrt(N)
    assert abs(np.corrcoef(s["p.x"], s["p.w"])[0, 1]) < 4 / math.sqrt(N)
