"""Patients in lockstep: Rodas4 over a group of patients, vectorised across them (numba).

The scalar engine (:mod:`simulator.engine.rodas`, :mod:`simulator.engine.bordered`) spends
most of a step in tiny dense loops over blocks of 2-10 states: loop overhead and latency, not
arithmetic (docs/performance.md).  Here ``L`` patients ("lanes") of one chunk are integrated
together: every linear-algebra and stage loop runs over the lanes innermost, on arrays laid
out ``[..., lane]``, so the compiler turns it into vector instructions.  The model's
right-hand side and Jacobian are evaluated for all lanes at once by
:mod:`simulator.engine.model_lanes` (bit-identical per lane to :mod:`simulator.engine.model`,
tested); the Jacobian goes into a compact array of the entries the solve reads.

What differs from the scalar engine, and why it is safe:

* **Each lane its own steps.**  Every lane walks the course (:func:`course_actions`:
  injections, outputs, the end) with its own step size, error test, step-size controller and
  step counter, those of :func:`simulator.engine.rodas.integrate`; only the arithmetic is
  shared.  A lane's numbers never mix with another lane's, so a patient's results do not
  depend on which patients share its group or on the number of lanes (bit-identical, tested;
  numba's SVML, which could give vector and scalar ``exp`` different last bits, is not used:
  ``numba.config.USING_SVML`` is False without the ``icc_rt`` package).  A lane whose patient
  is done takes the next patient of its range (:func:`run_lanes`); lanes idle only when the
  range is exhausted.  (Until 2026-12-01 the lanes shared one step sequence, the shortest
  member's: ~1.48x each patient's own steps with 64 lanes, docs/performance.md.)
* **A sparse LU without pivoting.**  Partial pivoting would give each lane its own row
  order.  The scalar LU does swap rows (the lesion block's cell-count rows are large
  because of their units), but the unpivoted factorisation solves the same systems about as
  accurately: on wide-cohort states and h = 1e-6 ... 100 h its error against a dense LAPACK
  solve stays within 10x the pivoted one's (tests/unit/engine/test_lockstep.py; a probe
  over 1e-7 ... 1e3 h during development found them of the same size).  It visits only the
  core's structural nonzeros and their fill-in (:func:`sparse_plan`).  An exactly zero
  pivot in a lane halves that lane's step, as a singular matrix does in the scalar engine;
  a non-finite one stops that lane (status 3).  So a lane's step sizes, though its own, can
  differ in the last digits from the scalar engine's, whose pivoted LU rounds differently.
* **A lane that fails is integrated again alone.**  A lane whose integration stops (step
  limit, underflow, non-finite values) reports its status and the others go on; the runner
  integrates it again with the scalar engine (:func:`simulator.runner.rerun_alone`), so a
  failing patient reports the scalar engine's own status.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..jit import JIT
from .course import INJECT, INTEGRATE, STORE, course_actions
from .model_lanes import jac_lanes, lane_arrays, make_lane_scratch_nb, rhs_lanes, slot_map
from .rodas import _A, _G, GAMMA, step_factor


def sparse_plan(structure, pattern, slots):
    """Symbolic LU of the core (no pivoting, core order) as flat operation lists.

    ``structure``: :func:`simulator.engine.structure.solver_structure`; ``pattern`` (n, n)
    the Jacobian's structural nonzeros; ``slots`` from
    :func:`simulator.engine.model_lanes.slot_map`.  The core's nonzeros of ``I - J`` plus
    the fill-in of its elimination are numbered as *entries*; returns the tuple of int64
    arrays ``(core, down, dptr, dcols, down_slots, diag_slots, ent_slot, diag_ent, kptr,
    row_ent, uptr, upd_tgt, upd_src, lptr, l_ent, l_col, rptr, u_ent, u_col)``:

    * ``ent_slot[e]``: the compact-Jacobian slot of entry e (a fill-in entry's slot holds a
      structural zero); ``diag_ent[k]``: the entry of pivot k;
    * elimination of pivot k: for ``r`` in ``kptr[k]:kptr[k + 1]`` the multiplier entry
      ``row_ent[r]`` (row i, column k), whose row receives ``upd_tgt[u] -= m * upd_src[u]``
      for ``u`` in ``uptr[r]:uptr[r + 1]`` (columns j > k ascending, as a dense LU);
    * triangular solves: row i's strictly lower entries ``l_ent``/``l_col`` in
      ``lptr[i]:lptr[i + 1]`` and strictly upper ``u_ent``/``u_col`` in
      ``rptr[i]:rptr[i + 1]`` (ascending columns).

    Only structural nonzeros are visited: on the coupled model ~2.7x fewer multiply-adds
    than the dense block-arrowhead factorisation and ~1.6x fewer in each solve.
    """
    core, _, down, dptr, dcols = structure
    nc = core.size
    fill = pattern[np.ix_(core, core)] | np.eye(nc, dtype=bool)
    for k in range(nc):                      # symbolic elimination (fill-in)
        rows = np.flatnonzero(fill[k + 1:, k]) + k + 1
        cols = np.flatnonzero(fill[k, k + 1:]) + k + 1
        fill[np.ix_(rows, cols)] = True
    ent = np.full((nc, nc), -1, dtype=np.int64)
    ent[fill] = np.arange(int(fill.sum()))
    rr, cc = np.nonzero(fill)                # row-major: the same order as ``ent``
    ent_slot = slots[core[rr], core[cc]]
    dump = slots.max() if np.unique(slots).size < slots.size else -1   # -1: every entry read
    if (ent_slot == dump).any():
        raise ValueError("a core entry of the LU is not among the slots the Jacobian fills")
    kptr, row_ent, uptr, upd_tgt, upd_src = [0], [], [0], [], []
    for k in range(nc):
        cols = np.flatnonzero(fill[k, k + 1:]) + k + 1
        for i in np.flatnonzero(fill[k + 1:, k]) + k + 1:
            row_ent.append(ent[i, k])
            upd_tgt.extend(ent[i, cols])
            upd_src.extend(ent[k, cols])
            uptr.append(len(upd_tgt))
        kptr.append(len(row_ent))
    lower, upper = np.tril(fill, -1), np.triu(fill, 1)
    lr, lc = np.nonzero(lower)
    ur, uc = np.nonzero(upper)
    as_int = lambda v: np.asarray(v, dtype=np.int64)            # noqa: E731
    return tuple(as_int(v) for v in (
        core, down, dptr, dcols, slots[np.repeat(down, np.diff(dptr)), dcols],
        slots[down, down], ent_slot, ent[np.arange(nc), np.arange(nc)], kptr, row_ent, uptr,
        upd_tgt, upd_src, np.concatenate([[0], np.cumsum(lower.sum(axis=1))]), ent[lr, lc],
        lc, np.concatenate([[0], np.cumsum(upper.sum(axis=1))]), ent[ur, uc], uc))


@numba.njit(**JIT)
def assemble_lanes(ec, jc, plan, fac):
    """Every lane's ``fac[l] I - J_l`` on the LU's entries: ``ec`` (n_entries, L) from the
    compact lane Jacobian ``jc`` (:func:`simulator.engine.model_lanes.jac_lanes`); ``fac``
    (L,) each lane's ``1 / (gamma h_l)``."""
    ent_slot, diag_ent = plan[6], plan[7]
    n_l = ec.shape[1]
    for e in range(ent_slot.size):
        src, dst = jc[ent_slot[e]], ec[e]
        for ln in range(n_l):
            dst[ln] = -src[ln]
    for k in range(diag_ent.size):
        d = ec[diag_ent[k]]
        for ln in range(n_l):
            d[ln] += fac[ln]


@numba.njit(**JIT)
def factor_lanes(ec, rdiag, plan, flag):
    """Unpivoted sparse LU of every lane's core in place (:func:`sparse_plan`); ``rdiag``
    (nc, L) receives the pivots' reciprocals.  ``flag`` (L,) int64 receives per lane 0, or
    ``k + 1`` if its pivot k is exactly zero (a singular matrix: that lane retries its step
    with h / 2, as the scalar engine does), or ``-(k + 1)`` if it is not finite (its
    integration stops, status 3); such a lane's factorisation continues with a zero
    reciprocal (its numbers are not used) and the other lanes are not affected.  Returns the
    number of flagged lanes."""
    diag_ent, kptr, row_ent, uptr, upd_tgt, upd_src = plan[7:13]
    n_l = ec.shape[1]
    flag[:] = 0
    n_flagged = 0
    for k in range(diag_ent.size):
        d, inv = ec[diag_ent[k]], rdiag[k]
        for ln in range(n_l):
            if math.isfinite(d[ln]) and d[ln] != 0.0:
                inv[ln] = 1.0 / d[ln]
            else:
                inv[ln] = 0.0
                if flag[ln] == 0:
                    flag[ln] = k + 1 if d[ln] == 0.0 else -(k + 1)
                    n_flagged += 1
        for r in range(kptr[k], kptr[k + 1]):
            m = ec[row_ent[r]]
            for ln in range(n_l):
                m[ln] = m[ln] * inv[ln]
            for u in range(uptr[r], uptr[r + 1]):
                t, src = ec[upd_tgt[u]], ec[upd_src[u]]
                for ln in range(n_l):
                    t[ln] -= m[ln] * src[ln]
    return n_flagged


@numba.njit(**JIT)
def solve_lanes(ec, rdiag, plan, x, acc):
    """Solve in place in the core rows of ``x`` (n, L), ``x[core[i]]`` being unknown ``i``,
    with ``ec, rdiag`` from :func:`factor_lanes`; ``acc`` (L,) is scratch."""
    core = plan[0]
    lptr, l_ent, l_col, rptr, u_ent, u_col = plan[13:19]
    n_l = x.shape[1]
    nc = core.size
    for i in range(nc):
        xi = x[core[i]]
        for ln in range(n_l):
            acc[ln] = xi[ln]
        for p in range(lptr[i], lptr[i + 1]):
            a, xj = ec[l_ent[p]], x[core[l_col[p]]]
            for ln in range(n_l):
                acc[ln] -= a[ln] * xj[ln]
        for ln in range(n_l):
            xi[ln] = acc[ln]
    for i in range(nc - 1, -1, -1):
        xi, ri = x[core[i]], rdiag[i]
        for ln in range(n_l):
            acc[ln] = xi[ln]
        for p in range(rptr[i], rptr[i + 1]):
            a, xj = ec[u_ent[p]], x[core[u_col[p]]]
            for ln in range(n_l):
                acc[ln] -= a[ln] * xj[ln]
        for ln in range(n_l):
            xi[ln] = acc[ln] * ri[ln]


@numba.njit(**JIT)
def solve_structured_lanes(ec, rdiag, jc, rdown, k, acc, plan):
    """Solve ``(fac I - J_l) x_l = k_l`` in place in ``k`` (n, L) for every lane ``l``:
    the core with :func:`solve_lanes`, then the downstream states by substitution
    (``jc`` the compact lane Jacobian, ``rdown[i, l]`` = 1 / (fac - J_l[d, d]))."""
    down, dptr, dcols, down_slots = plan[1], plan[2], plan[3], plan[4]
    n_l = k.shape[1]
    solve_lanes(ec, rdiag, plan, k, acc)
    for idx in range(down.size):
        kd = k[down[idx]]
        for ln in range(n_l):
            acc[ln] = kd[ln]
        for c in range(dptr[idx], dptr[idx + 1]):
            kc, jcol = k[dcols[c]], jc[down_slots[c]]
            for ln in range(n_l):
                acc[ln] += jcol[ln] * kc[ln]
        rd = rdown[idx]
        for ln in range(n_l):
            kd[ln] = acc[ln] * rd[ln]


@numba.njit(**JIT)
def stage_argument(nf, yf, k6, o, s):
    """Stage ``s``'s argument ``nf = y + sum_j A[o + j] k_j`` (j < s, 1 <= s <= 5) in one pass
    over the flattened (state, lane) arrays, summed left to right (the same operations as
    adding one term per pass: bit-identical); ``k6`` (6, size) the stage vectors.

    Each stage count is written out so that the loop over q is the innermost and vectorises:
    a generic inner loop over j (one body for every s) ran the lockstep kernel at 1473
    instead of 2013 patient-cycles/s (64 lanes, ``benchmarks/lockstep_lanes.py``)."""
    size = yf.size
    if s == 1:
        a0 = _A[o]
        k0 = k6[0]
        for q in range(size):
            nf[q] = yf[q] + a0 * k0[q]
    elif s == 2:
        a0 = _A[o]
        a1 = _A[o + 1]
        k0 = k6[0]
        k1 = k6[1]
        for q in range(size):
            nf[q] = (yf[q] + a0 * k0[q]) + a1 * k1[q]
    elif s == 3:
        a0 = _A[o]
        a1 = _A[o + 1]
        a2 = _A[o + 2]
        k0 = k6[0]
        k1 = k6[1]
        k2 = k6[2]
        for q in range(size):
            nf[q] = ((yf[q] + a0 * k0[q]) + a1 * k1[q]) + a2 * k2[q]
    elif s == 4:
        a0 = _A[o]
        a1 = _A[o + 1]
        a2 = _A[o + 2]
        a3 = _A[o + 3]
        k0 = k6[0]
        k1 = k6[1]
        k2 = k6[2]
        k3 = k6[3]
        for q in range(size):
            nf[q] = (((yf[q] + a0 * k0[q]) + a1 * k1[q]) + a2 * k2[q]) + a3 * k3[q]
    elif s == 5:
        a0 = _A[o]
        a1 = _A[o + 1]
        a2 = _A[o + 2]
        a3 = _A[o + 3]
        a4 = _A[o + 4]
        k0 = k6[0]
        k1 = k6[1]
        k2 = k6[2]
        k3 = k6[3]
        k4 = k6[4]
        for q in range(size):
            nf[q] = ((((yf[q] + a0 * k0[q]) + a1 * k1[q]) + a2 * k2[q]) + a3 * k3[q]) \
                + a4 * k4[q]
    else:
        raise ValueError("stage_argument: the stage must be 1 to 5")


@numba.njit(**JIT)
def stage_increment(kf, f, hc, kk, o, s):
    """Stage ``s``'s right-hand side ``kf = f + hc (0 + sum_j G[o + j] k_j)`` (j < s,
    0 <= s <= 5) on (state, lane) arrays, with each lane's own ``hc[l] = 1 / h_l``; ``kk``
    (6, n, L) the stage vectors.  The sum runs left to right from +0.0 as the unfused loops
    did (bit-identical, signed zeros included)."""
    n, n_l = f.shape
    if s == 0:
        for i in range(n):
            for ln in range(n_l):
                kf[i, ln] = f[i, ln] + hc[ln] * 0.0
    elif s == 1:
        g0 = _G[o]
        k0 = kk[0]
        for i in range(n):
            for ln in range(n_l):
                kf[i, ln] = f[i, ln] + hc[ln] * (0.0 + g0 * k0[i, ln])
    elif s == 2:
        g0 = _G[o]
        g1 = _G[o + 1]
        k0 = kk[0]
        k1 = kk[1]
        for i in range(n):
            for ln in range(n_l):
                kf[i, ln] = f[i, ln] + hc[ln] * ((0.0 + g0 * k0[i, ln]) + g1 * k1[i, ln])
    elif s == 3:
        g0 = _G[o]
        g1 = _G[o + 1]
        g2 = _G[o + 2]
        k0 = kk[0]
        k1 = kk[1]
        k2 = kk[2]
        for i in range(n):
            for ln in range(n_l):
                kf[i, ln] = f[i, ln] + hc[ln] * (((0.0 + g0 * k0[i, ln]) + g1 * k1[i, ln])
                                                 + g2 * k2[i, ln])
    elif s == 4:
        g0 = _G[o]
        g1 = _G[o + 1]
        g2 = _G[o + 2]
        g3 = _G[o + 3]
        k0 = kk[0]
        k1 = kk[1]
        k2 = kk[2]
        k3 = kk[3]
        for i in range(n):
            for ln in range(n_l):
                kf[i, ln] = f[i, ln] + hc[ln] * ((((0.0 + g0 * k0[i, ln]) + g1 * k1[i, ln])
                                                  + g2 * k2[i, ln]) + g3 * k3[i, ln])
    elif s == 5:
        g0 = _G[o]
        g1 = _G[o + 1]
        g2 = _G[o + 2]
        g3 = _G[o + 3]
        g4 = _G[o + 4]
        k0 = kk[0]
        k1 = kk[1]
        k2 = kk[2]
        k3 = kk[3]
        k4 = kk[4]
        for i in range(n):
            for ln in range(n_l):
                kf[i, ln] = f[i, ln] + hc[ln] * (((((0.0 + g0 * k0[i, ln]) + g1 * k1[i, ln])
                                                   + g2 * k2[i, ln]) + g3 * k3[i, ln])
                                                 + g4 * k4[i, ln])
    else:
        raise ValueError("stage_increment: the stage must be 0 to 5")


def lane_plan(structure, pattern):
    """``(slots, plan)`` for the lockstep kernels: the compact-Jacobian slot map
    (:func:`simulator.engine.model_lanes.slot_map`) and :func:`sparse_plan`."""
    slots = slot_map(structure, pattern.shape[0])
    return slots, sparse_plan(structure, pattern, slots)


def make_lane_workspace(n_lanes, n, nc, n_down, n_slots, n_entries):
    """Workspace of :func:`run_lanes`: ``(vec, jc, ec, lanes)`` with ``vec``
    (9, n, L): the stage argument, the right-hand sides at the step's start and at the stage,
    and the six stage vectors, ``jc`` (n_slots + 1, L) the compact lane Jacobian, ``ec``
    (n_entries, L) the factorised cores and ``lanes`` a tuple of per-lane scratch: pivot
    reciprocals (nc, L), downstream reciprocal diagonals (n_down, L), error norms and an
    accumulator (L,)."""
    return (np.zeros((9, n, n_lanes)), np.zeros((n_slots + 1, n_lanes)),
            np.zeros((n_entries, n_lanes)),
            (np.zeros((nc, n_lanes)), np.zeros((n_down, n_lanes)), np.zeros(n_lanes),
             np.zeros(n_lanes)))


make_lane_workspace_nb = numba.njit(**JIT)(make_lane_workspace)

@numba.njit(**JIT)
def _to_next_integration(ln, p, pc, actions, yt, hot_index, cold_index, hot_nmol, cold_nmol,
                         first_step_h, t, h, boundary_out, series_out):
    """Perform lane ``ln``'s (patient ``p``'s) instantaneous actions from ``pc[ln]`` on;
    stop at the next ``INTEGRATE`` (return True) or at the end of the course (False)."""
    kind, index, time_h = actions
    while pc[ln] < kind.size and kind[pc[ln]] != INTEGRATE:
        a = pc[ln]
        k, i = kind[a], index[a]
        if k == INJECT:
            boundary_out[p, i, :] = yt[:, ln]
            yt[hot_index, ln] += hot_nmol[p, i]
            yt[cold_index, ln] += cold_nmol[p, i]
            t[ln] = time_h[a]
            h[ln] = first_step_h  # the injection is a discontinuity: restart from a small step
        elif k == STORE:
            series_out[p, i, :] = yt[:, ln]
        else:
            boundary_out[p, i, :] = yt[:, ln]
        pc[ln] += 1
    return pc[ln] < kind.size


@numba.njit(**JIT)
def load_lane(lanes, ln, tissue, glob, lesion, oar_map, oar_mu, consts, p):
    """Put patient ``p`` of the kernel arrays into lane ``ln`` of ``lanes``
    (:func:`simulator.engine.model_lanes.lane_arrays`)."""
    lt, lg, ll, lo, lm, lc = lanes
    lt[:, :, ln] = tissue[p]
    lg[:, ln] = glob[p]
    ll[:, :, ln] = lesion[p]
    lo[:, :, ln] = oar_map[p]
    lm[:, ln] = oar_mu[p]
    lc[:, ln] = consts[p]


@numba.njit(**JIT)
def run_lanes(arrays, p0, p1, n_lanes, y0, injection_times_h, hot_index, cold_index, hot_nmol,
              cold_nmol, end_h, out_times_h, rtol, atol, max_steps, first_step_h,
              boundary_out, series_out, status_out, slots, plan):
    """:func:`simulator.engine.course.run_course` for patients ``p0 .. p1 - 1`` of
    ``arrays`` (:meth:`simulator.assembly.KernelModel.kernel_arrays`), ``n_lanes`` at a
    time, vectorised over the lanes: every lane (patient) walks the course
    (:func:`course_actions`) with its own Rodas4 step sequence, controller and error test,
    those of :func:`simulator.engine.rodas.integrate`, while the arithmetic of each step
    runs over all lanes at once.  A lane whose patient has finished (or failed) takes the
    next patient of the range; lanes idle only when the range is exhausted.

    Arrays with a leading patient axis as :func:`simulator.engine.batch.run_coupled_batch`
    (``y0``, ``atol`` (N, n), ``hot_nmol``, ``cold_nmol`` (N, n_cycles), ``boundary_out``
    (N, n_cycles + 1, n), ``series_out`` (N, n_out, n), ``status_out`` (N,)), of which only
    ``p0 .. p1 - 1`` are read or written.  ``status_out`` receives each patient's status
    (0 = success, else that of :func:`simulator.engine.rodas.integrate`: a failing patient
    stops, its outputs are incomplete, and the others go on).  ``slots``, ``plan``:
    :func:`lane_plan`.
    """
    n = y0.shape[1]
    n_l = min(n_lanes, p1 - p0)
    size = n * n_l
    work = make_lane_workspace_nb(n_l, n, plan[0].size, plan[1].size, slots.max(),
                                  plan[6].size)
    vec, jc, e, (rdiag, rdown, errs, acc) = work
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = arrays
    lanes = lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, p0, p0 + n_l)
    w = make_lane_scratch_nb(tissue.shape[1], n_l)
    yt = np.zeros((n, n_l))  # lanes innermost
    at = np.ones((n, n_l))
    diag_slots = plan[5]
    ynew, dy1, dy = vec[0], vec[1], vec[2]
    kk = vec[3:9]
    k6 = kk.reshape(6, size)
    yf, nf = yt.reshape(size), ynew.reshape(size)
    actions = course_actions(injection_times_h, end_h, out_times_h)
    # each lane's patient and controller (rodas.integrate's locals)
    patient = np.full(n_l, -1, dtype=np.int64)
    t, h, hopt = np.zeros(n_l), np.full(n_l, first_step_h), np.zeros(n_l)
    hacc, erracc = np.zeros(n_l), np.ones(n_l)
    span, target = np.zeros(n_l), np.zeros(n_l)
    inv_hg, hc = np.ones(n_l), np.ones(n_l)
    pc, n_steps = np.zeros(n_l, dtype=np.int64), np.zeros(n_l, dtype=np.int64)
    n_acc, n_bad = np.zeros(n_l, dtype=np.int64), np.zeros(n_l, dtype=np.int64)
    flag = np.zeros(n_l, dtype=np.int64)
    reject = np.zeros(n_l, dtype=np.bool_)
    last = np.zeros(n_l, dtype=np.bool_)
    active = np.zeros(n_l, dtype=np.bool_)
    n_active = 0
    next_p = p0
    while True:
        for ln in range(n_l):
            # a lane without a course in progress takes the next patient
            while not active[ln] and next_p < p1:
                p = next_p
                next_p += 1
                patient[ln] = p
                load_lane(lanes, ln, tissue, glob, lesion, oar_map, oar_mu, consts, p)
                yt[:, ln] = y0[p]
                at[:, ln] = atol[p]
                status_out[p] = 0
                pc[ln] = 0
                if _to_next_integration(ln, p, pc, actions, yt, hot_index, cold_index,
                                        hot_nmol, cold_nmol, first_step_h, t, h,
                                        boundary_out, series_out):
                    _start_integration(ln, pc, actions, t, h, hacc, erracc, span, target,
                                       n_steps, n_acc, n_bad, reject)
                    active[ln] = True
                    n_active += 1
        if n_active == 0:
            break
        need_jac = False
        for ln in range(n_l):
            if not active[ln]:
                continue
            if n_steps[ln] >= max_steps:
                n_active -= _stop_lane(ln, 1, patient, status_out, active, yt, y0, h, first_step_h)
                continue
            if h[ln] < 1e-14 * abs(t[ln]) or t[ln] + h[ln] == t[ln]:
                n_active -= _stop_lane(ln, 2, patient, status_out, active, yt, y0, h, first_step_h)
                continue
            hopt[ln] = h[ln]
            last[ln] = t[ln] + 1.0001 * h[ln] >= target[ln]
            if last[ln]:
                h[ln] = target[ln] - t[ln]
            if not reject[ln]:
                need_jac = True
            n_steps[ln] += 1
        if need_jac:  # new Jacobians at the accepted points (a rejected lane's are unchanged)
            rhs_lanes(yt, lanes, log_m, log_s, w, dy1)
            jac_lanes(yt, lanes, log_m, log_s, w, slots, jc)
            for ln in range(n_l):
                if active[ln] and not reject[ln]:
                    for i in range(n):
                        if not math.isfinite(dy1[i, ln]):
                            n_active -= _stop_lane(ln, 3, patient, status_out, active, yt, y0, h,
                                                          first_step_h)
                            break
        for ln in range(n_l):
            inv_hg[ln] = 1.0 / (h[ln] * GAMMA)
            hc[ln] = 1.0 / h[ln]
        assemble_lanes(e, jc, plan, inv_hg)
        if factor_lanes(e, rdiag, plan, flag) > 0:
            for ln in range(n_l):
                if active[ln] and flag[ln] < 0:
                    n_active -= _stop_lane(ln, 3, patient, status_out, active, yt, y0, h,
                                                          first_step_h)
        for idx in range(diag_slots.size):
            dd = jc[diag_slots[idx]]
            for ln in range(n_l):
                rdown[idx, ln] = 1.0 / (inv_hg[ln] - dd[ln])
        for s in range(6):
            o = s * (s - 1) // 2
            if s > 0:
                stage_argument(nf, yf, k6, o, s)
                rhs_lanes(ynew, lanes, log_m, log_s, w, dy)
            ks = kk[s]
            stage_increment(ks, dy1 if s == 0 else dy, hc, kk, o, s)
            solve_structured_lanes(e, rdiag, jc, rdown, ks, acc, plan)
        k5 = kk[5]
        errs[:] = 0.0
        for i in range(n):  # stiffly accurate: y_new = (stage-6 argument) + k6
            for ln in range(n_l):
                ynew[i, ln] += k5[i, ln]
                sk = at[i, ln] + rtol * max(abs(yt[i, ln]), abs(ynew[i, ln]))
                errs[ln] += (k5[i, ln] / sk) ** 2
        for ln in range(n_l):
            if not active[ln]:
                continue
            if flag[ln] > 0:  # singular: retry with half the step
                h[ln] *= 0.5
                reject[ln] = True
                continue
            err = math.sqrt(errs[ln] / n)
            if not math.isfinite(err):  # overflow in a trial step: reject, then give up
                n_bad[ln] += 1
                if n_bad[ln] >= 5:
                    n_active -= _stop_lane(ln, 3, patient, status_out, active, yt, y0, h,
                                                          first_step_h)
                    continue
                err = 1e4
            fac = step_factor(err, n_acc[ln] > 0, h[ln], hacc[ln], erracc[ln])
            if err <= 1.0:
                n_acc[ln] += 1
                n_bad[ln] = 0
                hacc[ln] = h[ln]
                erracc[ln] = max(1e-2, err)
                for i in range(n):
                    yt[i, ln] = ynew[i, ln]
                t[ln] = target[ln] if last[ln] else t[ln] + h[ln]
                hnew = min(h[ln] / fac, span[ln], h[ln] if reject[ln] else span[ln])
                reject[ln] = False
                if not last[ln]:
                    h[ln] = hnew
                    continue
                h[ln] = hopt[ln]  # handed to the next integration, as run_course does
                pc[ln] += 1
                if _to_next_integration(ln, patient[ln], pc, actions, yt, hot_index,
                                        cold_index, hot_nmol, cold_nmol, first_step_h, t, h,
                                        boundary_out, series_out):
                    _start_integration(ln, pc, actions, t, h, hacc, erracc, span, target,
                                       n_steps, n_acc, n_bad, reject)
                else:
                    active[ln] = False
                    n_active -= 1
            else:
                reject[ln] = True
                h[ln] = h[ln] / fac
    return 0


@numba.njit(**JIT)
def _start_integration(ln, pc, actions, t, h, hacc, erracc, span, target, n_steps, n_acc,
                       n_bad, reject):
    """Lane ``ln`` starts integrating to its current ``INTEGRATE`` action's time, with the
    step ``h[ln]`` handed on (:func:`simulator.engine.rodas.integrate`'s start)."""
    target[ln] = actions[2][pc[ln]]
    span[ln] = target[ln] - t[ln]
    h[ln] = min(h[ln], span[ln])
    hacc[ln], erracc[ln] = h[ln], 1.0
    n_steps[ln], n_acc[ln], n_bad[ln] = 0, 0, 0
    reject[ln] = False


@numba.njit(**JIT)
def _stop_lane(ln, code, patient, status_out, active, yt, y0, h, first_step_h):
    """Stop lane ``ln``'s patient with status ``code``; returns 1 (one lane fewer is
    active).  The lane's state is reset to the patient's initial one (finite: an idle lane
    keeps being computed, and a non-finite state could reach table look-ups such as the
    S-value interpolation); its outputs are incomplete and the caller replaces them."""
    status_out[patient[ln]] = code
    active[ln] = False
    yt[:, ln] = y0[patient[ln]]
    h[ln] = first_step_h
    return 1
