"""The lockstep kernel alone over lane counts, and an A/B of two source trees.

    PYTHONPATH=. NUMBA_NUM_THREADS=1 python benchmarks/lockstep_lanes.py [--n 128]
        [--lanes 16 32 64 128] [--rtol 1e-5] [--repeat 3] [--save states.npz]

Not a test.  Integrates the courses of ``--n`` wide-cohort patients with
``simulator.engine.batch.run_lockstep_batch`` (no Dataset, no outcomes: the kernel only), one
thread, for each lane count, and prints the best of ``--repeat`` timed runs (after one
untimed run that compiles or loads the cache) in patient-cycles/s.  ``--save`` writes the
boundary and series states and statuses of the last lane count, so that two source trees can
be compared bit for bit: run the same command with ``PYTHONPATH`` pointing at a worktree of
another revision (``git worktree add /tmp/base REV``; this script's own ``kernel_inputs``
helper is taken from this tree) and compare the two files with ``numpy.array_equal``.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np
from kernel_inputs import FIRST_STEP_H, MAX_STEPS, wide_kernel_inputs

import simulator
from simulator.assembly import jacobian_pattern
from simulator.engine.batch import run_lockstep_batch
from simulator.engine.lockstep import lane_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=128, help="wide-cohort patients")
    parser.add_argument("--lanes", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", default=None, help="npz file for the last lane count's states")
    args = parser.parse_args()
    numba.set_num_threads(1)
    inp = wide_kernel_inputs(args.n, args.rtol)
    n, sched = inp.model.n_states, inp.schedule
    slots, plan = lane_plan(inp.structure, jacobian_pattern(inp.model))
    print(f"simulator from {os.path.dirname(simulator.__file__)}; {args.n} wide patients x "
          f"{sched.injection_times_h.size} cycles, rtol {args.rtol:g}, 1 thread, load average "
          f"{os.getloadavg()[0]:.2f}")

    def course(n_lanes):
        out = (np.zeros((args.n, sched.injection_times_h.size + 1, n)),
               np.zeros((args.n, inp.times_h.size, n)), np.zeros(args.n, dtype=np.int64))
        start = time.perf_counter()
        run_lockstep_batch(*inp.arrays, inp.y0, inp.atol, sched.injection_times_h,
                           inp.hot_index, inp.cold_index, sched.hot_nmol, sched.cold_nmol,
                           sched.end_h, inp.times_h, args.rtol, MAX_STEPS, FIRST_STEP_H, *out,
                           slots, plan, n_lanes)
        return time.perf_counter() - start, out

    pc = args.n * sched.injection_times_h.size
    out = None
    for n_lanes in args.lanes:
        course(n_lanes)
        times = []
        for _ in range(args.repeat):
            t, out = course(n_lanes)
            times.append(t)
        print(f"  {n_lanes:4d} lanes: best {min(times):.3f} s, {pc / min(times):8.1f} "
              f"patient-cycles/s (runs {', '.join(f'{t:.3f}' for t in times)} s); "
              f"failed groups' patients {int((out[2] != 0).sum())}")
    if args.save:
        np.savez(args.save, boundary=out[0], series=out[1], status=out[2])
        print(f"wrote {args.save} ({args.lanes[-1]} lanes)")


if __name__ == "__main__":
    main()
