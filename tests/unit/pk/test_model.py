"""Coupled kernel: analytic Jacobian, the independent scipy reference, conservation of peptide."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.assembly import build_model, initial_states
from simulator.engine import layout as el
from simulator.engine import model
from simulator.pk import layout
from simulator.population import Columns
from simulator.reference import coupled_reference_rhs
from simulator.runner import run_patient
from tests.conftest import plain_cfg


@pytest.fixture(scope="module", params=[("exponential", "follows_volume", 1.0),
                                        ("gompertz", "follows_volume", 0.4),
                                        ("exponential", "fixed", 0.4)])
def state_and_model(request):
    growth, space, doomed_r = request.param
    cfg = plain_cfg("+lesions={bone_1:{volume_ml:3,site:bone,sstr_density_nmol_per_l:300}}",
                    f"tumour.growth={growth}", f"tumour.vascular_space={space}",
                    f"tumour.doomed_receptor_fraction={doomed_r}")
    m = build_model(Columns(cfg, 1))
    y = initial_states(m)[0]
    rng = np.random.default_rng(3)
    n_pk = el.oar_offset(m.system.n_tissues)
    y[:n_pk] = rng.uniform(0.0, 0.3, n_pk)
    y[n_pk:el.lesion_offset(m.system.n_tissues)] = rng.uniform(0.0, 2.0, 4)
    les0 = el.lesion_offset(m.system.n_tissues)
    y[les0 + el.LES_L::el.N_LES_STATES] -= [0.4, 1.5]
    y[les0 + el.LES_ND::el.N_LES_STATES] = [3e9, 2e8]
    y[les0 + el.LES_GAMMA::el.N_LES_STATES] = [0.4, 0.1]
    return y, m.args(0), m


def test_jacobian_matches_central_differences(state_and_model):
    y, args, _ = state_and_model
    n = y.size
    jac = np.zeros((n, n))
    model.jac(0.0, y, args, jac)
    fd = np.zeros((n, n))
    for k in range(n):
        h = 1e-6 * max(1.0, abs(y[k]))
        fp, fm = np.zeros(n), np.zeros(n)
        yp, ym = y.copy(), y.copy()
        yp[k] += h
        ym[k] -= h
        model.rhs(0.0, yp, args, fp)
        model.rhs(0.0, ym, args, fm)
        fd[:, k] = (fp - fm) / (2 * h)
    scale = np.abs(fd).max(axis=1, keepdims=True) + 1e-300
    assert np.max(np.abs(jac - fd) / scale) < 1e-6


def test_kernel_agrees_with_independent_reference(state_and_model):
    """The numba right-hand side and Jacobian against the scipy reference's separate coding
    (simulator/reference.py) at an off-equilibrium state, exponential and Gompertz growth.

    Replaces a comparison of the jit kernel with its own Python source (``py_func``), which
    shares every line of the equations and so could not catch a wrong equation.
    """
    y, args, m = state_and_model
    ours = np.zeros(y.size)
    model.rhs(0.0, y, args, ours)
    theirs = coupled_reference_rhs(0.0, y, m, 0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-11 * np.abs(theirs).max())
    # the analytic Jacobian against central differences of the reference right-hand side
    jac = np.zeros((y.size, y.size))
    model.jac(0.0, y, args, jac)
    fd = np.zeros_like(jac)
    for k in range(y.size):
        h = 1e-6 * max(1.0, abs(y[k]))
        yp, ym = y.copy(), y.copy()
        yp[k] += h
        ym[k] -= h
        fd[:, k] = (coupled_reference_rhs(0.0, yp, m, 0) - coupled_reference_rhs(0.0, ym, m, 0)
                    ) / (2 * h)
    scale = np.abs(fd).max(axis=1, keepdims=True) + 1e-300
    assert np.max(np.abs(jac - fd) / scale) < 1e-6


def test_rhs_moves_peptide_without_creating_it(state_and_model):
    y, args, _ = state_and_model
    d = np.zeros(y.size)
    model.rhs(0.0, y, args, d)
    species = d[:layout.tia_offset(args[0].shape[0])]
    assert abs(species.sum()) < 1e-12 * np.abs(species).max()


def test_total_peptide_conserved_over_a_course():
    """All compartments + urine, hot + cold (decayed hot is cold): 1e-9 relative."""
    cfg = plain_cfg("therapy.n_cycles=3", "radiobiology.tumour_alpha_per_gy=0.05",
                    "response.follow_up_months=6",
                    "+lesions={bone_1:{volume_ml:30,site:bone,sstr_density_nmol_per_l:400}}")
    res = run_patient(cfg)
    off = layout.tia_offset(res.system.n_tissues)
    totals = res.boundary_states[0, :, :off].sum(axis=1)
    injected = cfg["therapy"]["peptide_nmol"] * np.arange(4)
    np.testing.assert_allclose(totals, injected, rtol=1e-9, atol=1e-12)
    nb = layout.block_size(res.system.n_tissues)
    hot_left = res.boundary_states[0, -1, :nb].sum()
    assert 0.0 < hot_left < 1e-4 * res.schedule.hot_nmol[0, -1]  # 20 weeks after the last cycle
