"""Patients in lockstep: Rodas4 over a group of patients sharing one step sequence (numba).

The scalar engine (:mod:`simulator.engine.rodas`, :mod:`simulator.engine.bordered`) spends
most of a step in tiny dense loops over blocks of 2-10 states: loop overhead and latency, not
arithmetic (docs/performance.md).  Here ``L`` patients ("lanes") of one chunk take the same
steps: every linear-algebra and stage loop runs over the lanes innermost, on arrays laid out
``[..., lane]``, so the compiler turns it into vector instructions.  The model's right-hand
side and Jacobian are evaluated for all lanes at once by :mod:`simulator.engine.model_lanes`
(bit-identical per lane to :mod:`simulator.engine.model`, tested); the Jacobian goes into a
compact array of the entries the solve reads.

What differs from the scalar engine, and why it is safe:

* **One step size for the group.**  A step is accepted only if every lane's error norm (the
  scalar engine's, with that lane's tolerances) is <= 1, and the controller acts on the
  largest (a NaN in any lane rejects the step): every lane passes its own local error test
  at every step, with more steps than it alone would take (the price of lockstep; the
  global error is measured, not guaranteed: docs/performance.md).  Results therefore
  depend, within the tolerance, on which patients share a group; groups are consecutive
  patients of a chunk, fixed by the patient order, never by the number of threads, so the
  results are bit-identical whatever the threads.
* **A sparse LU without pivoting.**  Partial pivoting would give each lane its own row
  order.  The scalar LU does swap rows (the lesion block's cell-count rows are large
  because of their units), but the unpivoted factorisation solves the same systems about as
  accurately: on wide-cohort states and h = 1e-6 ... 100 h its error against a dense LAPACK
  solve stays within 10x the pivoted one's (tests/unit/engine/test_lockstep.py; a probe
  over 1e-7 ... 1e3 h during development found them of the same size).  It visits only the
  core's structural nonzeros and their fill-in (:func:`sparse_plan`).  An exactly zero
  pivot in any lane halves the step, as a singular matrix does in the scalar engine; a
  non-finite one stops the group (status 3).
* **A group that fails falls back.**  If the group's integration stops (step limit,
  underflow, non-finite values), every member reports it and the runner integrates them
  again alone with the scalar engine (:func:`simulator.runner.rerun_alone`): a failing
  patient reports its own status, and its group partners get the scalar engine's results
  (other groups are not affected).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..jit import JIT
from .course import _SAME_TIME_H
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
    """Every lane's ``fac I - J`` on the LU's entries: ``ec`` (n_entries, L) from the
    compact lane Jacobian ``jc`` (:func:`simulator.engine.model_lanes.jac_lanes`)."""
    ent_slot, diag_ent = plan[6], plan[7]
    n_l = ec.shape[1]
    for e in range(ent_slot.size):
        src, dst = jc[ent_slot[e]], ec[e]
        for ln in range(n_l):
            dst[ln] = -src[ln]
    for k in range(diag_ent.size):
        d = ec[diag_ent[k]]
        for ln in range(n_l):
            d[ln] += fac


@numba.njit(**JIT)
def factor_lanes(ec, rdiag, plan):
    """Unpivoted sparse LU of every lane's core in place (:func:`sparse_plan`); ``rdiag``
    (nc, L) receives the pivots' reciprocals.  Returns 0; ``k + 1`` if pivot k is exactly
    zero in some lane (a singular matrix: the step is retried with h / 2, as the scalar
    engine does); ``-(k + 1)`` if it is not finite (the integration stops, status 3)."""
    diag_ent, kptr, row_ent, uptr, upd_tgt, upd_src = plan[7:13]
    n_l = ec.shape[1]
    for k in range(diag_ent.size):
        d, inv = ec[diag_ent[k]], rdiag[k]
        for ln in range(n_l):
            if not math.isfinite(d[ln]):
                return -(k + 1)
            if d[ln] == 0.0:
                return k + 1
            inv[ln] = 1.0 / d[ln]
        for r in range(kptr[k], kptr[k + 1]):
            m = ec[row_ent[r]]
            for ln in range(n_l):
                m[ln] = m[ln] * inv[ln]
            for u in range(uptr[r], uptr[r + 1]):
                t, src = ec[upd_tgt[u]], ec[upd_src[u]]
                for ln in range(n_l):
                    t[ln] -= m[ln] * src[ln]
    return 0


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
def stage_increment(kf, f, hc, k6, o, s):
    """Stage ``s``'s right-hand side ``kf = f + hc (0 + sum_j G[o + j] k_j)`` (j < s,
    0 <= s <= 5), the sum left to right from +0.0 as the unfused loops did (bit-identical,
    signed zeros included)."""
    size = f.size
    if s == 0:
        for q in range(size):
            kf[q] = f[q] + hc * 0.0
    elif s == 1:
        g0 = _G[o]
        k0 = k6[0]
        for q in range(size):
            kf[q] = f[q] + hc * (0.0 + g0 * k0[q])
    elif s == 2:
        g0 = _G[o]
        g1 = _G[o + 1]
        k0 = k6[0]
        k1 = k6[1]
        for q in range(size):
            kf[q] = f[q] + hc * ((0.0 + g0 * k0[q]) + g1 * k1[q])
    elif s == 3:
        g0 = _G[o]
        g1 = _G[o + 1]
        g2 = _G[o + 2]
        k0 = k6[0]
        k1 = k6[1]
        k2 = k6[2]
        for q in range(size):
            kf[q] = f[q] + hc * (((0.0 + g0 * k0[q]) + g1 * k1[q]) + g2 * k2[q])
    elif s == 4:
        g0 = _G[o]
        g1 = _G[o + 1]
        g2 = _G[o + 2]
        g3 = _G[o + 3]
        k0 = k6[0]
        k1 = k6[1]
        k2 = k6[2]
        k3 = k6[3]
        for q in range(size):
            kf[q] = f[q] + hc * ((((0.0 + g0 * k0[q]) + g1 * k1[q]) + g2 * k2[q])
                                 + g3 * k3[q])
    elif s == 5:
        g0 = _G[o]
        g1 = _G[o + 1]
        g2 = _G[o + 2]
        g3 = _G[o + 3]
        g4 = _G[o + 4]
        k0 = k6[0]
        k1 = k6[1]
        k2 = k6[2]
        k3 = k6[3]
        k4 = k6[4]
        for q in range(size):
            kf[q] = f[q] + hc * (((((0.0 + g0 * k0[q]) + g1 * k1[q]) + g2 * k2[q])
                                  + g3 * k3[q]) + g4 * k4[q])
    else:
        raise ValueError("stage_increment: the stage must be 0 to 5")


def lane_plan(structure, pattern):
    """``(slots, plan)`` for the lockstep kernels: the compact-Jacobian slot map
    (:func:`simulator.engine.model_lanes.slot_map`) and :func:`sparse_plan`."""
    slots = slot_map(structure, pattern.shape[0])
    return slots, sparse_plan(structure, pattern, slots)


def make_lane_workspace(n_lanes, n, nc, n_down, n_slots, n_entries):
    """Workspace of :func:`integrate_lanes`: ``(vec, jc, ec, lanes)`` with ``vec``
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
def largest_error(errs, n):
    """The group's error norm: the largest lane's ``sqrt(errs[l] / n)``, NaN if any lane's
    is NaN (a NaN must reject the step, never hide behind a finite lane)."""
    err = 0.0
    for ln in range(errs.size):
        el = math.sqrt(errs[ln] / n)
        if math.isnan(el):
            return el
        if el > err:
            err = el
    return err


@numba.njit(**JIT)
def integrate_lanes(t0, t1, y, lanes, log_m, log_s, w, rtol, atol, h0, max_steps, work,
                    slots, plan):
    """Integrate the coupled model of every lane in place from ``t0`` to exactly ``t1``.

    ``y`` (n, L): the lanes' states; ``lanes``, ``w``: their model arrays and scratch
    (:func:`simulator.engine.model_lanes.lane_arrays`, ``make_lane_scratch``); ``log_m``,
    ``log_s`` the S-value tables; ``atol`` (n, L); ``slots``, ``plan`` from :func:`lane_plan`.
    ``h0 > 0`` is the first trial step.  Returns ``(status, n_steps, h_last)`` as
    :func:`simulator.engine.rodas.integrate` (the model is autonomous: no time-derivative
    term).
    """
    vec, jc, e, (rdiag, rdown, errs, acc) = work
    diag_slots = plan[5]
    n, n_l = y.shape
    size = n * n_l
    ynew, dy1, dy = vec[0], vec[1], vec[2]
    kk = vec[3:9]
    k6 = kk.reshape(6, size)
    t, span = t0, t1 - t0
    h = min(h0, span)
    hacc, erracc, hopt = h, 1.0, h
    n_steps, n_acc, n_bad, reject = 0, 0, 0, False
    while True:
        if n_steps >= max_steps:
            return 1, n_steps, h
        if h < 1e-14 * abs(t) or t + h == t:
            return 2, n_steps, h
        hopt = h
        last = t + 1.0001 * h >= t1
        if last:
            h = t1 - t
        if not reject:  # new Jacobians at the accepted point
            rhs_lanes(y, lanes, log_m, log_s, w, dy1)
            jac_lanes(y, lanes, log_m, log_s, w, slots, jc)
            if not math.isfinite(np.sum(dy1)):
                return 3, n_steps, hopt
        n_steps += 1
        inv_hg = 1.0 / (h * GAMMA)
        assemble_lanes(e, jc, plan, inv_hg)
        singular = factor_lanes(e, rdiag, plan)
        if singular < 0:
            return 3, n_steps, hopt
        if singular != 0:
            h *= 0.5
            reject = True
            continue
        for idx in range(diag_slots.size):
            dd = jc[diag_slots[idx]]
            for ln in range(n_l):
                rdown[idx, ln] = 1.0 / (inv_hg - dd[ln])
        hc = 1.0 / h
        # stage sums over the flattened (state, lane) arrays: one pass each
        yf, nf = y.reshape(size), ynew.reshape(size)
        for s in range(6):
            o = s * (s - 1) // 2
            if s > 0:
                stage_argument(nf, yf, k6, o, s)
                rhs_lanes(ynew, lanes, log_m, log_s, w, dy)
            ks = kk[s]
            stage_increment(ks.reshape(size), (dy1 if s == 0 else dy).reshape(size), hc, k6,
                            o, s)
            solve_structured_lanes(e, rdiag, jc, rdown, ks, acc, plan)
        k5 = kk[5]
        errs[:] = 0.0
        for i in range(n):  # stiffly accurate: y_new = (stage-6 argument) + k6
            for ln in range(n_l):
                ynew[i, ln] += k5[i, ln]
                sk = atol[i, ln] + rtol * max(abs(y[i, ln]), abs(ynew[i, ln]))
                errs[ln] += (k5[i, ln] / sk) ** 2
        err = largest_error(errs, n)
        if not math.isfinite(err):
            n_bad += 1
            if n_bad >= 5:
                return 3, n_steps, hopt
            err = 1e4
        fac = step_factor(err, n_acc > 0, h, hacc, erracc)
        if err <= 1.0:
            n_acc, n_bad = n_acc + 1, 0
            hacc = h
            erracc = max(1e-2, err)
            y[:] = ynew
            t = t1 if last else t + h
            hnew = min(h / fac, span, h if reject else span)
            reject = False
            if last:
                return 0, n_steps, hopt
            h = hnew
        else:
            reject = True
            h = h / fac


@numba.njit(**JIT)
def run_course_lanes(arrays, p0, p1, y, injection_times_h, hot_index, cold_index, hot_nmol,
                     cold_nmol, end_h, out_times_h, rtol, atol, max_steps, first_step_h,
                     boundary_out, series_out, slots, plan):
    """:func:`simulator.engine.course.run_course` for the group of patients ``p0 .. p1 - 1``
    of ``arrays`` (:meth:`simulator.assembly.KernelModel.kernel_arrays`), in lockstep.

    ``y``, ``atol``: (L, n); ``hot_nmol``, ``cold_nmol``: (L, n_cycles);
    ``boundary_out`` (L, n_cycles + 1, n) and ``series_out`` (L, n_out, n).  Returns the
    group's status (0 = success).  ``slots``, ``plan``: :func:`lane_plan`.
    """
    n_l, n = y.shape
    work = make_lane_workspace_nb(n_l, n, plan[0].size, plan[1].size, slots.max(),
                                  plan[6].size)
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = arrays
    lanes = lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, p0, p1)
    w = make_lane_scratch_nb(tissue.shape[1], n_l)
    yt = np.ascontiguousarray(y.T)  # lanes innermost
    at = np.ascontiguousarray(atol.T)
    n_cyc = injection_times_h.size
    k_out = 0
    for c in range(n_cyc):
        t = injection_times_h[c]
        t_next = injection_times_h[c + 1] if c + 1 < n_cyc else end_h
        for ln in range(n_l):
            boundary_out[ln, c, :] = yt[:, ln]
            yt[hot_index, ln] += hot_nmol[ln, c]
            yt[cold_index, ln] += cold_nmol[ln, c]
        h = first_step_h
        last = c == n_cyc - 1
        while k_out < out_times_h.size and (out_times_h[k_out] < t_next
                                            or (last and out_times_h[k_out] <= t_next)):
            t_out = out_times_h[k_out]
            if t_out > t + _SAME_TIME_H * max(1.0, abs(t)):
                status, _, h = integrate_lanes(t, t_out, yt, lanes, log_m, log_s, w, rtol,
                                               at, h, max_steps, work, slots, plan)
                if status != 0:
                    return status
                t = t_out
            for ln in range(n_l):
                series_out[ln, k_out, :] = yt[:, ln]
            k_out += 1
        if t_next > t + _SAME_TIME_H * max(1.0, abs(t)):
            status, _, h = integrate_lanes(t, t_next, yt, lanes, log_m, log_s, w, rtol,
                                           at, h, max_steps, work, slots, plan)
            if status != 0:
                return status
    for ln in range(n_l):
        boundary_out[ln, n_cyc, :] = yt[:, ln]
    y[:] = yt.T
    return 0
