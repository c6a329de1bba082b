"""Validation rung 2: the numba Rodas4 engine against an independent scipy integration.

The reference (:mod:`simulator.reference`) codes the coupled right-hand side again,
vectorised with numpy, and integrates it with ``scipy.integrate.solve_ivp`` (Radau,
its own finite-difference Jacobian) at rtol 1e-10.  Requirements: time-integrated
activities within 1e-6 relative (issue 2); log-survival and lesion volume within 1e-6
relative (issue 3).  Rodas4 runs at the default rtol 1e-8.

The default suite compares with the scipy states stored in
``tests/literature/golden/engine_reference.npz`` (made by ``python -m tests.golden --update``);
the same comparison against a live scipy integration is ``slow``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator.engine import layout as el
from simulator.engine import model
from simulator.outcomes import lesion_cells, lesion_volume_and_mass
from simulator.pk.layout import tia_offset
from simulator.reference import coupled_reference_rhs, reference_course
from simulator.runner import run_patient
from tests import golden
from tests.conftest import plain_cfg

CASES = golden.ENGINE_CASES


def _source_params():
    """(case, source) pairs: the golden scipy states by default, scipy live when ``slow``."""
    return [pytest.param((case, source), id=f"{case}-{source}",
                         marks=[pytest.mark.slow] if source == "scipy" else [])
            for source in ("golden", "scipy") for case in CASES]


@pytest.fixture(scope="module", params=_source_params())
def pair(request):
    case, source = request.param
    res = run_patient(plain_cfg(*CASES[case]))
    if source == "scipy":
        boundary, series = reference_course(res.model, res.schedule, res.time_h,
                                            **golden.ENGINE_TOL)
    else:
        stored = golden.Golden(golden.ENGINE_FILE).case(case)
        for name, value in golden.schedule_arrays(res).items():
            np.testing.assert_allclose(value, stored[f"input/{name}"], rtol=1e-12, atol=0,
                                       err_msg=name)   # same inputs, to rounding
        boundary, series = stored["boundary"], stored["series"]
    return res, boundary, series, res.boundary_states[0], res.states[0]


def test_golden_file_holds_the_configs_and_tolerances_used_here():
    """A changed config or case cannot compare silently with a stale golden file."""
    stored = golden.Golden(golden.ENGINE_FILE)
    assert stored.meta["solver"] == {"method": "Radau", "rtol": 1e-10, "atol": 1e-14}
    assert list(stored.meta["cases"]) == list(CASES)
    for case, overrides in CASES.items():
        entry = stored.meta["cases"][case]
        assert entry["overrides"] == list(overrides)
        assert entry["config"] == json.loads(golden.config_json(plain_cfg(*overrides))), (
            f"{case}: the config changed since the golden file was made; "
            f"rerun the slow tests and {golden.UPDATE_COMMAND}")
        assert stored.case(case)["series"].shape[1] == stored.case(case)["boundary"].shape[1]


def test_time_integrated_activity_matches_scipy(pair):
    res, boundary, _, ours_boundary, _ = pair
    n_t = res.system.n_tissues
    sl = slice(tia_offset(n_t), el.oar_offset(n_t))
    ours = np.diff(ours_boundary[:, sl], axis=0)
    theirs = np.diff(boundary[:, sl], axis=0)
    assert np.all(theirs > 0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)


def test_log_survival_and_volume_match_scipy(pair):
    res, _, series, _, states = pair
    les0 = el.lesion_offset(res.system.n_tissues)
    log_n = states[:, les0 + el.LES_L::el.N_LES_STATES]
    log_n_ref = series[:, les0 + el.LES_L::el.N_LES_STATES]
    l0 = log_n[0]
    np.testing.assert_allclose(log_n - l0, log_n_ref - l0, rtol=1e-6, atol=1e-9)
    n_t = res.system.n_tissues
    vol, _ = lesion_volume_and_mass(*lesion_cells(states[None], n_t), res.model.lesion)
    vol_ref, _ = lesion_volume_and_mass(*lesion_cells(series[None], n_t), res.model.lesion)
    np.testing.assert_allclose(vol, vol_ref, rtol=1e-6)
    assert np.ptp(vol) > 0.1 * vol.max()   # the lesions did change


def test_dose_and_repair_accumulators_match_scipy(pair):
    res, boundary, _, ours_boundary, _ = pair
    n_t = res.system.n_tissues
    sl = slice(el.oar_offset(n_t), None)
    fields = np.ones(res.model.n_states - el.oar_offset(n_t), dtype=bool)
    fields[el.N_OAR_STATES * 2 + el.LES_L::el.N_LES_STATES] = False   # log cells: tested above
    fields[el.N_OAR_STATES * 2 + el.LES_ND::el.N_LES_STATES] = False
    np.testing.assert_allclose(ours_boundary[-1, sl][fields], boundary[-1, sl][fields],
                               rtol=1e-6, atol=1e-10)


def test_reference_rhs_equals_kernel_rhs():
    """Two independent codings of the same equations give the same derivative."""
    res = run_patient(plain_cfg(*CASES["saturating_gompertz_strong_kill"]))
    y = res.states[0, -1].copy()
    y[:tia_offset(res.system.n_tissues)] += np.random.default_rng(5).uniform(
        0.0, 0.5, tia_offset(res.system.n_tissues))
    ours = np.zeros(y.size)
    model.rhs(0.0, y, res.model.args(0), ours)
    np.testing.assert_allclose(ours, coupled_reference_rhs(0.0, y, res.model), rtol=1e-11,
                               atol=1e-11)
