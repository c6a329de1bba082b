"""Structured linear solve (block-arrowhead core + downstream substitution) == dense solve."""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.assembly import build_model, jacobian_structure
from simulator.engine import model
from simulator.engine.bordered import (
    assemble_core,
    factor_bordered,
    solve_bordered,
    solve_structured,
)
from simulator.engine.structure import solver_structure
from simulator.population import Columns


@pytest.fixture(scope="module")
def two_lesion_model():
    cfg = simulator.compose(["+lesions={node:{volume_ml:2.5,site:lymph_node}}",
                             "tumour.growth=gompertz"])
    return build_model(Columns(cfg, 1))


def test_structure_of_the_coupled_model(two_lesion_model):
    m = two_lesion_model
    core, bptr, down, dptr, dcols = jacobian_structure(m)
    # rest of body, 3 organs (free/bound, 2 species), 2 lesions (+ hot internalised,
    # L, N_d, Gamma), plasma hub; everything else downstream
    assert np.diff(bptr).tolist() == [2, 6, 6, 6, 10, 10, 2]
    assert np.union1d(core, down).tolist() == list(range(m.n_states))
    position = {int(d): i for i, d in enumerate(down)}
    for i in range(down.size):  # substitution order: dependencies solved before
        for c in dcols[dptr[i]:dptr[i + 1]]:
            assert c in core or position[int(c)] < i


@pytest.mark.parametrize("inv_hg", [1e-3, 0.1, 10.0, 1e4])
def test_structured_solve_equals_dense_solve(two_lesion_model, inv_hg):
    m = two_lesion_model
    n, st = m.n_states, jacobian_structure(m)
    rng = np.random.default_rng(int(inv_hg * 1000))
    jm = np.zeros((n, n))
    model.jac(0.0, rng.uniform(0.0, 3.0, n), m.args(0), jm)
    b = rng.normal(size=n)
    expected = np.linalg.solve(inv_hg * np.eye(n) - jm, b)
    e, piv = np.zeros((n, n)), np.zeros(n, dtype=np.int64)
    assemble_core(e, jm, st[0], st[1], inv_hg)
    assert factor_bordered(e, piv, st[1]) == 0
    x = b.copy()
    solve_structured(e, piv, jm, x, np.zeros(n), st, inv_hg)
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def test_pivoting_inside_a_block():
    a = np.array([[1e-12, 1.0, 0.0, 0.5], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 1.0],
                  [0.3, 0.0, 1.0, 4.0]])  # blocks {0, 1}, {2}, hub {3}; a[0, 0] ~ 0
    bptr = np.array([0, 2, 3, 4])
    b = np.array([1.0, 2.0, 3.0, 4.0])
    lu, piv = a.copy(), np.zeros(4, dtype=np.int64)
    assert factor_bordered(lu, piv, bptr) == 0
    assert piv[0] == 1
    x = b.copy()
    solve_bordered(lu, piv, bptr, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)


def test_structure_violations_raise():
    two_cores = np.zeros((4, 4), dtype=bool)
    two_cores[0, 1] = two_cores[1, 0] = two_cores[2, 3] = two_cores[3, 2] = True
    with pytest.raises(ValueError, match="one coupled core"):
        solver_structure(two_cores, hub=[0])
    upstream = np.zeros((3, 3), dtype=bool)
    upstream[0, 1] = upstream[1, 0] = upstream[0, 2] = True  # the core reads state 2
    with pytest.raises(ValueError, match="outside the core"):
        solver_structure(upstream, hub=[0])
