"""Where a lockstep step's time goes, and what the group's slowest patient costs.

    PYTHONPATH=. NUMBA_NUM_THREADS=1 python benchmarks/lockstep_profile.py [LANES] [RTOL]

Not a test.  On ``LANES`` (default 32) wide-cohort patients, one thread:

1. each piece of one lockstep Rodas4 step timed alone on a real state (best of 3 x 20,000
   calls): the lane Jacobian (and the zeroing of its compact array), assembly + unpivoted
   sparse LU, one structured solve (core + downstream substitution), the right-hand side;
   a step makes one Jacobian and factorisation and six solves and right-hand sides;
2. the cost of the slowest lane: the group's course time with ``LANES`` different
   patients (every lane takes its own steps, the group runs until its slowest patient is
   done) over the mean course time of groups made of ``LANES`` copies of one patient (8
   patients tried).  Until 2026-12-01 the lanes shared one step sequence and this measured
   the cost of sharing it.
"""

from __future__ import annotations

import sys
import time

import numba
import numpy as np
from kernel_inputs import FIRST_STEP_H, MAX_STEPS, wide_kernel_inputs

from simulator.assembly import jacobian_pattern
from simulator.engine.batch import run_lockstep_batch
from simulator.engine.lockstep import (
    assemble_lanes,
    factor_lanes,
    lane_plan,
    solve_lanes,
    solve_structured_lanes,
)
from simulator.engine.model_lanes import jac_lanes, lane_arrays, make_lane_scratch_nb, rhs_lanes


@numba.njit
def _piece(reps, which, yt, lanes, log_m, log_s, slots, plan, fac):
    n, n_l = yt.shape
    w = make_lane_scratch_nb(lanes[0].shape[0], n_l)
    jc = np.zeros((slots.max() + 1, n_l))
    ec, rdiag = np.zeros((plan[6].size, n_l)), np.zeros((plan[0].size, n_l))
    acc, rdown = np.zeros(n_l), np.zeros((plan[5].size, n_l))
    flag, facs = np.zeros(n_l, dtype=np.int64), np.full(n_l, fac)
    jac_lanes(yt, lanes, log_m, log_s, w, slots, jc)
    assemble_lanes(ec, jc, plan, facs)
    factor_lanes(ec, rdiag, plan, flag)
    for i in range(plan[5].size):
        for ln in range(n_l):
            rdown[i, ln] = 1.0 / (fac - jc[plan[5][i], ln])
    k, dy = yt * 1e-3, np.zeros_like(yt)
    for _ in range(reps):
        if which == 0:
            jac_lanes(yt, lanes, log_m, log_s, w, slots, jc)
        elif which == 1:
            jc[:, :] = 0.0
        elif which == 2:
            assemble_lanes(ec, jc, plan, facs)
            factor_lanes(ec, rdiag, plan, flag)
        elif which == 3:
            solve_structured_lanes(ec, rdiag, jc, rdown, k, acc, plan)
        elif which == 4:
            solve_lanes(ec, rdiag, plan, k, acc)
        else:
            rhs_lanes(yt, lanes, log_m, log_s, w, dy)


def main() -> None:
    n_lanes = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    rtol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    numba.set_num_threads(1)
    inp = wide_kernel_inputs(n_lanes, rtol)
    n, sched = inp.model.n_states, inp.schedule
    slots, plan = lane_plan(inp.structure, jacobian_pattern(inp.model))
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = inp.arrays
    lanes = lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, 0, n_lanes)
    y = inp.y0.copy()
    y[:, inp.hot_index] += 1.0
    y[:, inp.cold_index] += 100.0
    yt = np.ascontiguousarray(y.T)
    fac = 1.0 / (0.01 * 0.25)               # h = 0.01 h
    names = ("lane Jacobian (incl. zeroing)", "  of which zeroing", "assembly + sparse LU",
             "one structured solve", "  of which core", "right-hand side")
    print(f"{n_lanes} lanes, n = {n} states, core {plan[0].size}, LU entries {plan[6].size}, "
          f"Jacobian slots {slots.max()}; us per call for the whole group (per lane)")
    for which, name in enumerate(names):
        _piece(1, which, yt, lanes, log_m, log_s, slots, plan, fac)
        reps, best = 20000, float("inf")
        for _ in range(3):
            start = time.perf_counter()
            _piece(reps, which, yt, lanes, log_m, log_s, slots, plan, fac)
            best = min(best, time.perf_counter() - start)
        us = best / reps * 1e6
        print(f"  {name:<32s}{us:8.2f} ({us / n_lanes:.3f})")

    def course(idx):
        arrays = tuple(a if i in (5, 6) else a[idx] for i, a in enumerate(inp.arrays))
        m = idx.size
        out = (np.zeros((m, sched.injection_times_h.size + 1, n)),
               np.zeros((m, inp.times_h.size, n)), np.zeros(m, dtype=np.int64))
        start = time.perf_counter()
        run_lockstep_batch(*arrays, inp.y0[idx], inp.atol[idx], sched.injection_times_h,
                           inp.hot_index, inp.cold_index, sched.hot_nmol[idx],
                           sched.cold_nmol[idx], sched.end_h, inp.times_h, rtol, MAX_STEPS,
                           FIRST_STEP_H, *out, slots, plan, n_lanes)
        return time.perf_counter() - start

    distinct = np.arange(n_lanes)
    course(distinct)
    t_distinct = min(course(distinct) for _ in range(3))
    copies = [min(course(np.full(n_lanes, p)) for _ in range(2))
              for p in range(0, n_lanes, max(1, n_lanes // 8))]
    print(f"course of the group at rtol {rtol:g}: {t_distinct:.3f} s with {n_lanes} different "
          f"patients, {np.mean(copies):.3f} s (range {min(copies):.3f}-{max(copies):.3f}) with "
          f"{n_lanes} copies of one patient -> overhead of the group's slowest patient "
          f"{t_distinct / np.mean(copies):.2f}x")


if __name__ == "__main__":
    main()
