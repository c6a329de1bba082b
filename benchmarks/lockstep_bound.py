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
from kernel_inputs import wide_kernel_inputs


def main() -> None:
    numba.set_num_threads(1)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rtol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    groups = [int(g) for g in sys.argv[3:]] or [4, 8]
    inputs = wide_kernel_inputs(n, rtol)

    def one(p: int) -> float:
        t0 = time.perf_counter()
        status = inputs.course(p, rtol)
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
