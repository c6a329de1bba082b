"""Patients in lockstep (solver.lanes > 1): the lane kernels equal the scalar ones, the
courses agree with the scalar engine within the tolerance, and nothing depends on threads.

The course-level tests are ``slow``: the first use of the lockstep batch kernel compiles for
~45 s on a machine without numba's cache (the default suite must stay within 3 minutes on
a fresh CI machine, and ``solver.lanes`` is opt-in); the lane kernels' own tests run by
default."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import xarray as xr

import simulator
from simulator.assembly import (
    absolute_tolerance,
    initial_states,
    jacobian_pattern,
    jacobian_structure,
)
from simulator.engine import model
from simulator.engine.batch import run_coupled_batch, run_lockstep_batch
from simulator.engine.bordered import assemble_core, factor_bordered, solve_structured
from simulator.engine.course import FINAL, INJECT, INTEGRATE, STORE, course_actions
from simulator.engine.lockstep import (
    assemble_lanes,
    factor_lanes,
    lane_plan,
    solve_structured_lanes,
    stage_argument,
    stage_increment,
)
from simulator.engine.model_lanes import (
    jac_lanes,
    lane_arrays,
    make_lane_scratch,
    rhs_lanes,
    slot_map,
)
from simulator.outcomes import compute_outcomes
from simulator.pk.layout import COLD, HOT, PLASMA, block_size
from simulator.pk.parameters import KON
from simulator.reference import engine_chunk, wide_config
from simulator.runner import rerun_alone
from simulator.tumour.parameters import ALPHA

N = 10


@pytest.fixture(scope="module")
def wide_run():
    """Scalar-engine course of N wide-cohort patients (model, states, columns)."""
    res, cols, _ = engine_chunk(wide_config(N), N)
    return res, cols


def _lane_states(res, k):
    """Every patient's state at output time index k, as (n, L)."""
    return np.ascontiguousarray(res.states[:, k, :].T)


def test_rhs_lanes_is_bit_identical_to_the_scalar_rhs(wide_run):
    res, _ = wide_run
    m = res.model
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = m.kernel_arrays()
    lanes = lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, 0, N)
    w = make_lane_scratch(tissue.shape[1], N)
    rng = np.random.default_rng(4)
    states = [_lane_states(res, k) for k in (0, 1, res.states.shape[1] // 2, -1)]
    states.append(rng.uniform(0.5, 1.5, states[0].shape) * np.abs(states[1]) + 1e-3)
    for yt in states:
        dyt = np.zeros_like(yt)
        rhs_lanes(yt, lanes, log_m, log_s, w, dyt)
        for p in range(N):
            expected = np.zeros(m.n_states)
            model.rhs(0.0, np.ascontiguousarray(yt[:, p]), m.args(p), expected)
            assert np.array_equal(dyt[:, p], expected), p


def test_jac_lanes_is_bit_identical_to_the_scalar_jacobian(wide_run):
    """Every entry the structured solve reads, in every lane, on real and random states."""
    res, _ = wide_run
    m = res.model
    n = m.n_states
    slots = slot_map(jacobian_structure(m), n)
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = m.kernel_arrays()
    lanes = lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, 0, N)
    w = make_lane_scratch(tissue.shape[1], N)
    read = slots < slots.max()
    assert read.sum() == slots.max() and read[np.diag_indices(n)].all()
    assert (read | ~jacobian_pattern(m)).all()       # every structural nonzero is read
    rng = np.random.default_rng(5)
    states = [_lane_states(res, k) for k in (1, res.states.shape[1] // 2, -1)]
    states.append(rng.uniform(0.5, 1.5, states[0].shape) * np.abs(states[0]) + 1e-3)
    for yt in states:
        jc = np.full((slots.max() + 1, N), np.nan)
        jac_lanes(yt, lanes, log_m, log_s, w, slots, jc)
        for p in range(N):
            expected = np.zeros((n, n))
            model.jac(0.0, np.ascontiguousarray(yt[:, p]), m.args(p), expected)
            assert np.array_equal(jc[slots[read], p], expected[read]), p


@pytest.mark.parametrize("overrides", [
    ["tumour.growth=gompertz", "tumour.vascular_space=fixed"],
    ["tumour.growth=gompertz"]])
def test_lane_model_is_bit_identical_on_the_other_branches(overrides):
    """Gompertz growth and a fixed vascular space (the wide cohort has neither), a huge
    log-kill (the e^600 cap of dJ/dt) and lanes of different patients side by side."""
    from simulator.assembly import build_model
    from simulator.population import Columns

    cfg = simulator.compose(["+lesions={node:{volume_ml:2.5,site:lymph_node}}", *overrides])
    m = build_model(Columns(cfg, 3, {"radiobiology.tumour_alpha_per_gy":
                                     np.array([0.01, 0.03, 0.2])}))
    assert len({float(a) for a in m.lesion[:, 0, ALPHA]}) == 3      # three different lanes
    n = m.n_states
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = m.kernel_arrays()
    lanes = lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, 0, 3)
    w = make_lane_scratch(tissue.shape[1], 3)
    rng = np.random.default_rng(7)
    yt = rng.uniform(0.5, 1.5, (n, 3))
    yt[-6, 2] = -700.0                       # first lesion's L: N_v = e^-700 N_v(0) -> cap
    slots = slot_map(jacobian_structure(m), n)
    read = slots < slots.max()
    dyt, jc = np.zeros((n, 3)), np.zeros((slots.max() + 1, 3))
    rhs_lanes(yt, lanes, log_m, log_s, w, dyt)
    jac_lanes(yt, lanes, log_m, log_s, w, slots, jc)
    for p in range(3):
        f, jm = np.zeros(n), np.zeros((n, n))
        y = np.ascontiguousarray(yt[:, p])
        model.rhs(0.0, y, m.args(p), f)
        model.jac(0.0, y, m.args(p), jm)
        assert np.array_equal(dyt[:, p], f) and np.array_equal(jc[slots[read], p], jm[read])


@pytest.mark.parametrize("s", range(6))
def test_fused_stage_sums_are_the_term_by_term_sums(s):
    """stage_argument / stage_increment (one pass per stage) give bit for bit what adding
    one tableau term per pass gives (the scalar engine's order), signed zeros included."""
    from simulator.engine.rodas import _A, _G

    rng = np.random.default_rng(s)
    n, n_l = 13, 7                       # 91 (state, lane) entries; each lane its own 1 / h
    size = n * n_l
    y, f = rng.standard_normal(size), rng.standard_normal(size)
    k6 = rng.standard_normal((6, size)) * 10.0 ** rng.integers(-12, 12, (6, size))
    k6[:, :5] = -0.0                     # zero terms: the sums must keep their signed zeros
    f[:3] = -0.0
    y[3] = -0.0
    o = s * (s - 1) // 2
    hc = 1.0 / rng.uniform(1e-6, 10.0, n_l)
    for j in range(s):                   # every term -0.0: only a sum started from +0.0 gives
        k6[j, 5:8] = np.copysign(0.0, -_G[o + j])    # +0.0 (then f = -0.0 gives +0.0), and
        k6[j, 8:11] = np.copysign(0.0, -_A[o + j])   # y = -0.0 plus -0.0 terms stays -0.0
    f[5:8] = -0.0
    y[8:11] = -0.0
    term = np.zeros(size)
    for j in range(s):
        term += _G[o + j] * k6[j]
    expected = f + np.tile(hc, n) * term
    got = np.empty((n, n_l))
    stage_increment(got, f.reshape(n, n_l), hc, k6.reshape(6, n, n_l), o, s)
    got = got.reshape(size)
    assert np.array_equal(got, expected) and np.array_equal(np.signbit(got), np.signbit(expected))
    if s > 0:
        arg = y.copy()
        for j in range(s):
            arg += _A[o + j] * k6[j]
        stage_argument(got, y, k6, o, s)
        assert np.array_equal(got, arg) and np.array_equal(np.signbit(got), np.signbit(arg))


def test_a_stage_outside_the_tableau_is_an_error():
    out, y, k6 = np.zeros(4), np.zeros(4), np.zeros((6, 4))
    with pytest.raises(ValueError, match="stage must be 1 to 5"):
        stage_argument(out, y, k6, 0, 0)
    with pytest.raises(ValueError, match="stage must be 0 to 5"):
        stage_increment(out.reshape(2, 2), y.reshape(2, 2), np.ones(2), k6.reshape(6, 2, 2),
                        15, 6)


_I, _T, _S, _F = INJECT, INTEGRATE, STORE, FINAL
_NEAR_10 = 10.0 * (1 + 1e-13)        # within _SAME_TIME_H of the injection at 10 h


@pytest.mark.parametrize(("outputs", "expected"), [
    ([], [(_I, 0, 0.0), (_T, 0, 10.0), (_I, 1, 10.0), (_T, 0, 20.0), (_F, 2, 20.0)]),
    # an output at an injection time is stored just after it; the end time is stored
    ([0.0, 5.0, 10.0, 15.0, 20.0],
     [(_I, 0, 0.0), (_S, 0, 0.0), (_T, 0, 5.0), (_S, 1, 5.0), (_T, 0, 10.0), (_I, 1, 10.0),
      (_S, 2, 10.0), (_T, 0, 15.0), (_S, 3, 15.0), (_T, 0, 20.0), (_S, 4, 20.0),
      (_F, 2, 20.0)]),
    ([2.0, 10.0, 20.0],
     [(_I, 0, 0.0), (_T, 0, 2.0), (_S, 0, 2.0), (_T, 0, 10.0), (_I, 1, 10.0), (_S, 1, 10.0),
      (_T, 0, 20.0), (_S, 2, 20.0), (_F, 2, 20.0)]),
    # an output a rounding error after an injection is stored without integrating to it
    ([_NEAR_10, 12.0],
     [(_I, 0, 0.0), (_T, 0, 10.0), (_I, 1, 10.0), (_S, 0, _NEAR_10), (_T, 0, 12.0),
      (_S, 1, 12.0), (_T, 0, 20.0), (_F, 2, 20.0)]),
])
def test_course_actions_order_injections_integrations_and_outputs(outputs, expected):
    """The one list that the scalar driver (``run_course``) and every lane walk."""
    kind, index, time_h = course_actions(np.array([0.0, 10.0]), 20.0, np.array(outputs))
    assert list(zip(kind.tolist(), index.tolist(), time_h.tolist(), strict=True)) == expected


def _scalar_solve(jm, st, fac, b):
    n = b.size
    e, piv, x = np.zeros((n, n)), np.zeros(n, dtype=np.int64), b.copy()
    assemble_core(e, jm, st[0], st[1], fac)
    assert factor_bordered(e, piv, st[1]) == 0
    solve_structured(e, piv, jm, x, np.zeros(n), st, fac)
    return x


def _lane_solve(jm, structure, pattern, fac, b):
    """Solve (fac I - J_p) x_p = b_p for every p with the lane kernels."""
    n_l, n = b.shape
    slots, plan = lane_plan(structure, pattern)
    jc = np.zeros((slots.max() + 1, n_l))
    read = slots < slots.max()
    for p in range(n_l):       # the lanes' Jacobians in the compact layout
        jc[slots[read], p] = jm[p][read]
    ec, rdiag = np.zeros((plan[6].size, n_l)), np.zeros((plan[0].size, n_l))
    assemble_lanes(ec, jc, plan, np.full(n_l, fac))
    assert factor_lanes(ec, rdiag, plan, np.zeros(n_l, dtype=np.int64)) == 0
    x = np.ascontiguousarray(b.T)
    solve_structured_lanes(ec, rdiag, jc, 1.0 / (fac - jc[plan[5]]), x, np.zeros(n_l), plan)
    return x.T


@pytest.mark.parametrize("h", [1e-6, 1e-3, 1.0, 100.0])
def test_unpivoted_lane_solve_is_as_accurate_as_the_pivoted_one(wide_run, h):
    """The lane LU does not pivot and visits only structural nonzeros; on the model's own
    matrices its error against LAPACK stays within a small factor of the scalar (pivoted,
    dense-block) solve's, plus the rounding any backward-stable solve may make (machine
    epsilon x the condition number of the scaled matrix x the scaled solution; LAPACK's
    "exact" answer is itself only that close).  That floor was an absolute 1e-9 until
    2026-12-01, when an AMD EPYC gave 4e-9 at h = 100 (condition number ~1e13; the rounding
    allowance there is ~3e-2).  As that allowance is loose where the matrix is
    ill-conditioned, the lane solve's normwise backward error, which does not depend on the
    conditioning, must also stay within a few hundred machine epsilons: an unstable
    elimination fails it."""
    res, _ = wide_run
    m = res.model
    n, st, pattern = m.n_states, jacobian_structure(m), jacobian_pattern(m)
    fac = 1.0 / (h * 0.25)
    rng = np.random.default_rng(int(1 / h) % 1000)
    for k in (1, res.states.shape[1] // 3):
        y = res.states[:, k, :]
        jm = np.zeros((N, n, n))
        for p in range(N):
            model.jac(0.0, y[p], m.args(p), jm[p])
        scale = absolute_tolerance(m, 1e-6) + 1e-6 * np.abs(y)          # (N, n)
        b = rng.normal(size=(N, n)) * scale * fac
        x = _lane_solve(jm, st, pattern, fac, b)
        for p in range(N):
            a = fac * np.eye(n) - jm[p]
            exact = np.linalg.solve(a, b[p])
            pivoted = np.max(np.abs(_scalar_solve(jm[p], st, fac, b[p]) - exact) / scale[p])
            lanes = np.max(np.abs(x[p] - exact) / scale[p])
            scaled = a * scale[p][None, :] / scale[p][:, None]     # D^-1 A D, D = diag(scale)
            rounding = np.finfo(float).eps * np.linalg.cond(scaled) \
                * np.max(np.abs(exact) / scale[p])
            assert lanes <= 10.0 * pivoted + rounding, (p, lanes, pivoted, rounding)
            residual = np.max(np.abs(b[p] - a @ x[p]))
            backward = residual / (np.max(np.abs(a).sum(axis=1)) * np.max(np.abs(x[p]))
                                   + np.max(np.abs(b[p])))
            assert backward <= 300 * np.finfo(float).eps, (p, backward)


def _toy_structure():
    """Two blocks {0, 1}, {2} and a hub {3}; state 4 downstream of 0 and 3."""
    structure = (np.array([0, 1, 2, 3]), np.array([0, 2, 3, 4]), np.array([4]),
                 np.array([0, 2]), np.array([0, 3]))
    pattern = np.eye(5, dtype=bool)
    for i, j in ((0, 1), (1, 0), (0, 3), (3, 0), (2, 3), (3, 2), (4, 0), (4, 3)):
        pattern[i, j] = True
    return tuple(a.astype(np.int64) for a in structure), pattern


def test_the_sparse_lu_with_fill_in_equals_a_dense_solve():
    """Eliminating the block-row 0 fills the hub row's column 1: the plan must carry it."""
    structure, pattern = _toy_structure()
    rng = np.random.default_rng(2)
    jm = np.where(pattern, rng.uniform(-1.0, 1.0, (3, 5, 5)), 0.0)
    b = rng.normal(size=(3, 5))
    x = _lane_solve(jm, structure, pattern, 4.0, b)
    for p in range(3):
        np.testing.assert_allclose(x[p], np.linalg.solve(4.0 * np.eye(5) - jm[p], b[p]),
                                   rtol=1e-12)


def test_a_zero_pivot_is_reported():
    structure, pattern = _toy_structure()
    slots, plan = lane_plan(structure, pattern)
    ec = np.ones((plan[6].size, 2))
    ec[plan[7][1], 1] = 0.0                       # lane 1's second pivot is zero
    for e in range(plan[6].size):                 # no elimination changes it: zero the
        if e not in plan[7]:                      # off-diagonal entries
            ec[e] = 0.0
    flag = np.full(2, 7, dtype=np.int64)
    assert factor_lanes(ec, np.zeros((4, 2)), plan, flag) == 1
    assert flag.tolist() == [0, 2]                # lane 1, pivot 1; lane 0 unaffected


def test_a_non_finite_pivot_stops_only_its_lane():
    """A NaN in one lane's matrix flags that lane and leaves the other's factors equal
    to those of the same matrix factorised alone."""
    structure, pattern = _toy_structure()
    slots, plan = lane_plan(structure, pattern)
    rng = np.random.default_rng(5)
    jm = np.where(pattern, rng.uniform(-1.0, 1.0, (5, 5)), 0.0)
    jc = np.zeros((slots.max() + 1, 2))
    read = slots < slots.max()
    jc[slots[read], 0] = jm[read]
    jc[slots[read], 1] = jm[read]
    jc[slots[0, 0], 1] = np.nan                   # lane 1's first pivot
    ec, rdiag = np.zeros((plan[6].size, 2)), np.zeros((4, 2))
    assemble_lanes(ec, jc, plan, np.array([4.0, 4.0]))
    flag = np.zeros(2, dtype=np.int64)
    assert factor_lanes(ec, rdiag, plan, flag) == 1 and flag.tolist() == [0, -1]
    alone, rd1 = np.zeros((plan[6].size, 1)), np.zeros((4, 1))
    assemble_lanes(alone, jc[:, :1].copy(), plan, np.array([4.0]))
    assert factor_lanes(alone, rd1, plan, np.zeros(1, dtype=np.int64)) == 0
    assert np.array_equal(ec[:, 0], alone[:, 0]) and np.array_equal(rdiag[:, 0], rd1[:, 0])


def _bed(n, rtol, lanes):
    res, cols, _ = engine_chunk(wide_config(n, [f"solver.rtol={rtol:g}",
                                                f"solver.lanes={lanes}"]), n)
    out = compute_outcomes(res, cols)
    return out.lesion_bed_gy, out.organ_dose_gy[:, 0], res


@pytest.mark.slow
@pytest.mark.parametrize("lanes", [3, 8])
def test_lockstep_courses_agree_with_the_scalar_engine(lanes):
    """At rtol 1e-8 both solve the same problem to ~1e-8 (docs/performance.md): lesion BED
    and kidney dose agree within 1e-6 relative; and the lane kernel really ran (its
    unpivoted LU rounds differently: the states differ in the last bits from the scalar
    engine's)."""
    bed1, kid1, res1 = _bed(N, 1e-8, 1)
    bed_l, kid_l, res_l = _bed(N, 1e-8, lanes)
    finite = np.isfinite(bed1)
    np.testing.assert_array_equal(finite, np.isfinite(bed_l))
    np.testing.assert_allclose(bed_l[finite], bed1[finite], rtol=1e-6)
    np.testing.assert_allclose(kid_l, kid1, rtol=1e-6)
    assert not np.array_equal(res_l.boundary_states, res1.boundary_states)


def _run_batch(res, lanes, rtol=1e-5, poison=None, lane_status=False):
    m, sched = res.model, res.schedule
    arrays = list(m.kernel_arrays())
    if poison is not None:                       # a NaN binding rate: that patient fails
        arrays[0] = arrays[0].copy()
        arrays[0][poison, :, KON] = np.nan
    n_t = m.system.n_tissues
    boundary = np.zeros((m.n, sched.injection_times_h.size + 1, m.n_states))
    series = np.zeros((m.n, res.time_h.size, m.n_states))
    status = np.full(m.n, -1, dtype=np.int64)
    args = (*arrays, initial_states(m), absolute_tolerance(m, 1e-6), sched.injection_times_h,
            HOT * block_size(n_t) + PLASMA, COLD * block_size(n_t) + PLASMA, sched.hot_nmol,
            sched.cold_nmol, sched.end_h, res.time_h, rtol, 200000, 1e-6, boundary, series,
            status, jacobian_structure(m))
    if lanes > 1:
        run_lockstep_batch(*args[:-1], *lane_plan(args[-1], jacobian_pattern(m)), lanes)
        if not lane_status:
            rerun_alone(args, np.flatnonzero(status))
    else:
        run_coupled_batch(*args)
    return boundary, series, status


@pytest.mark.slow
def test_lockstep_results_do_not_depend_on_the_threads(wide_run):
    res, _ = wide_run
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run_batch(res, 4)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _run_batch(res, 4)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_a_failing_patient_stops_alone_and_falls_back_to_the_scalar_engine(wide_run):
    """Patient 5 cannot be integrated: its lane reports the failure while the other lanes go
    on, every other patient with the very states it gets without patient 5; the runner
    integrates patient 5 again with the scalar engine (``rerun_alone``), which reports its
    own failure status."""
    res, _ = wide_run
    clean = _run_batch(res, 4)
    boundary, series, lane_status = _run_batch(res, 4, poison=5, lane_status=True)
    assert lane_status[5] != 0 and (np.delete(lane_status, 5) == 0).all()
    for p in np.delete(np.arange(N), 5):
        assert np.array_equal(boundary[p], clean[0][p])
        assert np.array_equal(series[p], clean[1][p])
    _, _, status = _run_batch(res, 4, poison=5)
    _, _, scalar = _run_batch(res, 1, poison=5)
    assert status[5] != 0 and status[5] == scalar[5]
    assert (np.delete(status, 5) == 0).all()


@pytest.mark.slow
def test_a_patient_s_results_do_not_depend_on_its_group(wide_run):
    """Every lane takes its own steps: the same patients integrated 3, 4, 8 and 64 lanes at
    a time (64: more lanes than patients) get bit-identical states."""
    res, _ = wide_run
    runs = [_run_batch(res, lanes) for lanes in (3, 4, 8, 64)]
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("value", [0, 65])
def test_lanes_out_of_range_is_a_config_error(value):
    with pytest.raises(simulator.ConfigError, match="solver.lanes"):
        simulator.validate(simulator.compose([f"solver.lanes={value}"]))


@pytest.mark.slow
def test_the_whole_pipeline_with_lanes_agrees_with_lanes_1():
    """simulate() end to end (sampling, engine, outcomes, Dataset) with solver.lanes=8:
    every dose and BED within 1e-5 relative of the scalar engine at the default rtol, and
    the same response classes for these patients."""
    runs = {k: simulator.simulate(wide_config(12, [f"solver.lanes={k}",
                                                   "output.progress=false"]))
            for k in (1, 8)}
    a, b = runs[1], runs[8]
    for name in ("lesion_bed_gy", "lesion_dose_gy", "kidney_dose_gy", "kidney_bed_gy",
                 "marrow_bed_gy"):
        x, y = a[name].values, b[name].values
        finite = np.isfinite(x)
        np.testing.assert_array_equal(finite, np.isfinite(y))
        np.testing.assert_allclose(y[finite], x[finite], rtol=1e-5, err_msg=name)
    np.testing.assert_array_equal(a["best_response"].values, b["best_response"].values)


def _cohort(*extra):
    return simulator.simulate(simulator.compose(
        ["cohort=example", "cohort.n_patients=12", "response.follow_up_months=6",
         "output.progress=false", *extra]))


@pytest.mark.slow
def test_with_lanes_results_do_not_depend_on_chunks_lanes_or_threads():
    """The reproducibility promise of lanes 1 (docs/reproducibility.md) holds with lanes:
    the Dataset is identical for other chunk sizes, lane counts and thread counts, and a
    patient's values for another cohort size."""
    reference = _cohort("solver.lanes=8", "solver.chunk_size=12").drop_attrs()
    xr.testing.assert_identical(_cohort("solver.lanes=8", "solver.chunk_size=5").drop_attrs(),
                                reference)
    xr.testing.assert_identical(_cohort("solver.lanes=3").drop_attrs(), reference)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _cohort("solver.lanes=8").drop_attrs()
    finally:
        numba.set_num_threads(before)
    xr.testing.assert_identical(one, reference)
    # nor on the cohort size: the first 7 of the 12 patients, run as a cohort of 7
    seven = _cohort("solver.lanes=8", "cohort.n_patients=7").drop_attrs()
    per_patient = [v for v in reference.data_vars if "patient" in reference[v].dims]
    assert len(per_patient) > 10
    xr.testing.assert_identical(seven[per_patient],
                                reference[per_patient].isel(patient=slice(0, 7)))


@pytest.mark.slow
def test_an_adaptive_schedule_runs_with_lanes():
    """A dosimetry-guided schedule re-simulates its patients and relies on causality (the
    doses of the cycles given do not depend on later cycles): with lanes the doses of the
    given cycles equal those of the every-cycle run bit for bit, the cycle counts are the
    scalar engine's, and the Dataset does not depend on the lane count."""
    from tests.unit.test_adaptive import cohort_cfg

    limits = ("patient.renal_risk_factors=true", "limits.marrow_dose_gy=1.0")
    every = simulator.simulate(cohort_cfg("therapy.n_cycles=10", "solver.lanes=8", *limits))
    guided = {k: simulator.simulate(cohort_cfg("therapy=dosimetry_guided", f"solver.lanes={k}",
                                               *limits)) for k in (1, 4, 8)}
    xr.testing.assert_identical(guided[4].drop_attrs(), guided[8].drop_attrs())
    count = (guided[8].injected_activity_gbq.values > 0).sum(axis=1)
    assert count.min() < count.max()             # the rule stops patients at different cycles
    assert np.array_equal(count, (guided[1].injected_activity_gbq.values > 0).sum(axis=1))
    for p, k in enumerate(count):
        assert np.array_equal(guided[8].kidney_bed_gy.values[p, :k - 1],
                              every.kidney_bed_gy.values[p, :k - 1])


@pytest.mark.slow
def test_a_plan_runs_with_lanes():
    """A plan re-simulates its patients grouped by the plan chosen: with lanes the
    re-simulation reproduces the searched objective exactly and keeps every limit."""
    from tests.unit.test_planning import _cohort as plan_cohort

    cfg = plan_cohort("cohort.n_patients=6", "plan.scope=patient", "plan.n_cycles=[3,6]",
                      "plan.activity_points=2", "solver.lanes=4")
    result = simulator.plan(cfg)
    plan = result.plan
    assert plan.plan_found.values.all() and plan.resimulated_constraints_met.values.all()
    assert np.all(plan.resimulated_objective.values == plan.plan_objective.values)


def test_numba_does_not_use_svml():
    """A patient's results are bit-identical whatever lanes it shares (tested above) because
    each lane's arithmetic is IEEE scalar arithmetic; SVML's vector ``exp``/``log`` could
    round differently from the scalar ones in the remainder loops (docs/reproducibility.md)."""
    assert not numba.config.USING_SVML, "SVML (icc_rt) is installed: lane results may " \
        "depend on the lane count; uninstall icc_rt or set NUMBA_DISABLE_INTEL_SVML=1"


@pytest.mark.slow
def test_a_patient_rescued_by_the_scalar_engine_is_reported(wide_run):
    """rerun_alone on a patient the scalar engine integrates warns: its results are the
    scalar engine's, equal to the lanes' only within the tolerance."""
    res, _ = wide_run
    m, sched = res.model, res.schedule
    boundary = np.zeros((m.n, sched.injection_times_h.size + 1, m.n_states))
    series = np.zeros((m.n, res.time_h.size, m.n_states))
    status = np.full(m.n, 3, dtype=np.int64)
    args = (*m.kernel_arrays(), initial_states(m), absolute_tolerance(m, 1e-6),
            sched.injection_times_h, HOT * block_size(m.system.n_tissues) + PLASMA,
            COLD * block_size(m.system.n_tissues) + PLASMA, sched.hot_nmol, sched.cold_nmol,
            sched.end_h, res.time_h, 1e-5, 200000, 1e-6, boundary, series, status,
            jacobian_structure(m))
    with pytest.warns(RuntimeWarning, match="1 patient.*first index 2.*scalar engine"):
        rerun_alone(args, np.array([2]))
    assert status[2] == 0 and (np.delete(status, 2) == 3).all()


def test_the_lanes_need_a_positive_first_step():
    args = [np.zeros((1, 1))] * 26
    args[19] = 0.0
    with pytest.raises(ValueError, match="first_step_h = 0.0 must be > 0"):
        run_lockstep_batch(*args)
