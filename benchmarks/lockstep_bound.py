"""How much would integrating patients in lockstep cost in extra steps? (issue 15)

    PYTHONPATH=. python benchmarks/lockstep_bound.py [N] [RTOL] [GROUP ...]

A SIMD batch of G patients sharing one step sequence pays, per group, at least the cost of
its most expensive patient G times over.  This times every patient's course alone (one
thread, the engine's own ``run_course``, best of 3) on ``N`` wide-cohort patients at ``RTOL``
(default 200, 1e-5: the matched tolerance of docs/performance.md) and reports, for groups of
G consecutive patients (the order a batch would take them in), the lower bound
sum over groups of G x max(time) / sum(time): the speed-up a lockstep kernel must win per
step just to break even.  Sorting patients by their cost first (which a scheduler could do
from a cheap predictor) is reported beside it as the best case.
"""

from __future__ import annotations

import sys
import time

import numba
import numpy as np

from simulator.assembly import (
    absolute_tolerance,
    build_model,
    initial_states,
    jacobian_structure,
    make_schedule,
)
from simulator.cohort import sample_lesions, sample_parameters
from simulator.engine import model
from simulator.engine.course import run_course
from simulator.engine.rodas import make_workspace_nb
from simulator.pk.layout import COLD, HOT, PLASMA, block_size
from simulator.population import Columns
from simulator.reference import wide_config


def main() -> None:
    numba.set_num_threads(1)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rtol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    groups = [int(g) for g in sys.argv[3:]] or [4, 8]
    cfg = wide_config(n, [f"solver.rtol={rtol:g}"])
    cols = Columns(cfg, n, sample_parameters(cfg["cohort"], cfg["seed"], 0, n))
    m = build_model(cols, sample_lesions(cfg["cohort"]["lesions"], cfg["seed"], 0, n))
    sched = make_schedule(cols, m.system.mbq_per_nmol)
    times, nt = sched.assessment_times_h, m.system.n_tissues
    atol = absolute_tolerance(m, cfg["solver"]["atol_nmol"])
    st = jacobian_structure(m)
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = m.kernel_arrays()
    y0 = initial_states(m)
    hi, ci = HOT * block_size(nt) + PLASMA, COLD * block_size(nt) + PLASMA
    n_cyc = sched.injection_times_h.size

    def one(p: int) -> float:
        args = (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s,
                consts[p], np.zeros((2, tissue.shape[1])))
        y = y0[p].copy()
        b = np.zeros((n_cyc + 1, m.n_states))
        s = np.zeros((times.size, m.n_states))
        work = make_workspace_nb(y.size)
        t0 = time.perf_counter()
        status = run_course(model.rhs, model.jac, args, y, sched.injection_times_h, hi, ci,
                            sched.hot_nmol[p], sched.cold_nmol[p], sched.end_h, times, rtol,
                            atol[p], 200000, 1e-6, work, b, s, st)
        dt = time.perf_counter() - t0
        if status != 0:
            raise RuntimeError(f"patient {p}: status {status}")
        return dt

    one(0)                                              # compile
    cost = np.array([min(one(p) for _ in range(3)) for p in range(n)])
    print(f"{n} wide patients, rtol {rtol:g}, 1 thread: per-patient course time "
          f"median {1e3 * np.median(cost):.2f} ms, 5-95 % {1e3 * np.quantile(cost, 0.05):.2f}-"
          f"{1e3 * np.quantile(cost, 0.95):.2f} ms, max/min {cost.max() / cost.min():.1f}")
    for g in groups:
        k = n - n % g
        for label, c in (("in order", cost[:k]), ("sorted by cost", np.sort(cost)[:k])):
            bound = g * c.reshape(-1, g).max(axis=1).sum() / c.sum()
            print(f"  groups of {g} ({label}): lockstep cost >= {bound:.2f} x the sum")


if __name__ == "__main__":
    main()
