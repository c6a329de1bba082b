"""PBPK kernel: analytic Jacobian, jit vs Python, conservation of peptide."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.course import run_patient
from simulator.pk import layout, model
from simulator.pk.parameters import build_pk_system
from tests.conftest import plain_cfg


@pytest.fixture(scope="module")
def two_lesion_system():
    cfg = plain_cfg("+lesions={bone_1:{volume_ml:3,site:bone,sstr_density_nmol_per_l:300}}")
    return build_pk_system(cfg)


def _random_state(system, seed=3):
    n = layout.n_states(system.n_tissues)
    return np.random.default_rng(seed).uniform(0.0, 0.3, n)


def test_jacobian_matches_central_differences(two_lesion_system):
    s = two_lesion_system
    y = _random_state(s)
    n = y.size
    jac = np.zeros((n, n))
    model.jac(0.0, y, s.args, jac)
    fd = np.zeros((n, n))
    for k in range(n):
        h = 1e-6 * max(1.0, abs(y[k]))
        fp, fm = np.zeros(n), np.zeros(n)
        yp, ym = y.copy(), y.copy()
        yp[k] += h
        ym[k] -= h
        model.rhs(0.0, yp, s.args, fp)
        model.rhs(0.0, ym, s.args, fm)
        fd[:, k] = (fp - fm) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-6 * np.abs(jac).max())


def test_jit_and_python_rhs_agree(two_lesion_system):
    s = two_lesion_system
    y = _random_state(s, seed=9)
    a, b = np.zeros(y.size), np.zeros(y.size)
    model.rhs(0.0, y, s.args, a)
    model.rhs.py_func(0.0, y, s.args, b)
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=0)


def test_rhs_moves_peptide_without_creating_it(two_lesion_system):
    s = two_lesion_system
    y = _random_state(s, seed=4)
    d = np.zeros(y.size)
    model.rhs(0.0, y, s.args, d)
    species = d[:layout.tia_offset(s.n_tissues)]
    assert abs(species.sum()) < 1e-12 * np.abs(species).max()


def test_total_peptide_conserved_over_a_course():
    """All compartments + urine, hot + cold (decayed hot is cold): 1e-9 relative."""
    cfg = plain_cfg("therapy.n_cycles=3",
                    "+lesions={bone_1:{volume_ml:30,site:bone,sstr_density_nmol_per_l:400}}")
    res = run_patient(cfg)
    off = layout.tia_offset(res.system.n_tissues)
    totals = res.boundary_states[:, :off].sum(axis=1)
    injected = cfg["therapy"]["peptide_nmol"] * np.arange(4)
    np.testing.assert_allclose(totals, injected, rtol=1e-9, atol=1e-12)
    nb = layout.block_size(res.system.n_tissues)
    hot_left = res.boundary_states[-1, :nb].sum()
    assert 0.0 < hot_left < 1e-4 * res.schedule.hot_nmol  # 20 weeks after the last cycle
