"""Throughput of the engine with patients in lockstep (``solver.lanes``), side by side.

    PYTHONPATH=. python benchmarks/lanes_throughput.py [--n 1000] [--lanes 1 8 32]
        [--threads 1 2] [--rtol 1e-6] [--repeat 3]

Not a test.  ``simulator.simulate`` on the first ``--n`` patients of ``cohort=wide`` (4 cycles,
the whole pipeline: sampling, engine, outcomes, Dataset), for every (threads, lanes) pair,
interleaved so that load affects them alike; best of ``--repeat``.  Prints patient-cycles/s,
the speedup over ``lanes=1`` at the same thread count, and the largest relative difference
of lesion BED and kidney dose from the ``lanes=1`` run (the lanes' unpivoted LU rounds
differently from the scalar engine's: results agree within the solver tolerance).
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

import simulator
from simulator.reference import wide_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--lanes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cfgs = {k: wide_config(args.n, [f"solver.lanes={k}", f"solver.rtol={args.rtol:g}",
                                    "output.progress=false"]) for k in args.lanes}
    n_cyc = cfgs[args.lanes[0]]["therapy"]["n_cycles"]
    print(f"cohort=wide, {args.n} patients x {n_cyc} cycles, rtol {args.rtol:g}, "
          f"numba {numba.__version__}, {os.cpu_count()} CPUs, threading layer after the first "
          f"run below; load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    before = numba.get_num_threads()
    first = {}
    for k in args.lanes:                       # compile or load the cache; keep the results
        first[k] = simulator.simulate(cfgs[k])
    best = {(t, k): float("inf") for t in args.threads for k in args.lanes}
    try:
        for _ in range(args.repeat):
            for t in args.threads:
                numba.set_num_threads(t)
                for k in args.lanes:
                    start = time.perf_counter()
                    simulator.simulate(cfgs[k])
                    best[t, k] = min(best[t, k], time.perf_counter() - start)
    finally:
        numba.set_num_threads(before)
    print(f"threading layer {numba.threading_layer()}; load average at the end "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    base = first[args.lanes[0]]
    print(f"  {'threads':>7s}{'lanes':>6s}{'wall s':>9s}{'patient-cycles/s':>18s}"
          f"{'vs lanes ' + str(args.lanes[0]):>12s}{'max rel diff BED':>18s}"
          f"{'kidney dose':>13s}")
    for t in args.threads:
        for k in args.lanes:
            ds = first[k]
            d_bed = _rel(ds["lesion_bed_gy"].values, base["lesion_bed_gy"].values)
            d_kid = _rel(ds["kidney_dose_gy"].values, base["kidney_dose_gy"].values)
            rate = args.n * n_cyc / best[t, k]
            print(f"  {t:7d}{k:6d}{best[t, k]:9.2f}{rate:18.1f}"
                  f"{best[t, args.lanes[0]] / best[t, k]:11.2f}x{d_bed:18.2e}{d_kid:13.2e}")


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    finite = np.isfinite(b)
    return float(np.max(np.abs(a[finite] - b[finite]) / np.maximum(np.abs(b[finite]), 1e-300)))


if __name__ == "__main__":
    main()
