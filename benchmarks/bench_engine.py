"""Benchmark: numba batch engine vs the scipy reference, scaling with patients and threads.

    python benchmarks/bench_engine.py                      # default: 20 reference patients
    python benchmarks/bench_engine.py --n-ref 200 --sizes 100 1000 10000

Not a test.  Everything is measured in this run, on this machine:
1. first-call compilation time of the batch kernel (this process starts cold);
2. the same wide-spread cohort (conf/cohort/wide.yaml) simulated by
   the engine and, patient by patient, by ``scipy.integrate.solve_ivp`` (Radau, rtol 1e-8,
   :mod:`simulator.reference`): patient-cycles per second of each, their ratio, and the
   maximum relative difference in lesion BED, kidney dose and log-survival;
3. engine throughput against cohort size, and against the number of threads.
Results are recorded by hand in docs/performance.md with the machine and command.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numba

import simulator
from simulator.reference import max_relative_difference as rel
from simulator.reference import reference_outcomes, wide_config
from simulator.simulation import simulate_chunk

config = wide_config   # conf/cohort/wide.yaml: wide spread of six parameters


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-ref", type=int, default=20, help="patients in the scipy comparison")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ref-rtol", type=float, default=1e-8)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"numba {numba.__version__}, default threads {numba.get_num_threads()}")
    cfg1 = config(1)
    _, t_first = timed(simulate_chunk, cfg1, 0, 1)
    _, t_second = timed(simulate_chunk, cfg1, 0, 1)
    print(f"first call {t_first:.2f} s, second call {t_second:.3f} s "
          f"-> compilation ~{t_first - t_second:.1f} s")

    cfg = config(args.n_ref)
    n_cyc = cfg["therapy"]["n_cycles"]
    ours, theirs, log_s, t_eng, t_ref = reference_outcomes(cfg, args.n_ref, args.ref_rtol)
    pc = args.n_ref * n_cyc
    print(f"\nengine vs scipy Radau (rtol {args.ref_rtol:g}), {args.n_ref} patients, "
          f"{pc} patient-cycles")
    print(f"  engine: {pc / t_eng:10.1f} patient-cycles/s  ({t_eng:.2f} s)")
    print(f"  scipy : {pc / t_ref:10.3f} patient-cycles/s  ({t_ref:.1f} s)")
    print(f"  ratio : {t_ref / t_eng:10.1f}x")
    print(f"  max rel diff lesion BED   {rel(ours.lesion_bed_gy, theirs.lesion_bed_gy):.2e}")
    kidney = rel(ours.organ_dose_gy[:, 0], theirs.organ_dose_gy[:, 0])
    print(f"  max rel diff kidney dose  {kidney:.2e}")
    print(f"  max rel diff log-survival {rel(log_s[0], log_s[1]):.2e}")

    print("\nengine scaling (all threads):")
    for n in args.sizes:
        c = config(n)
        _, t = timed(simulator.simulate, c)
        print(f"  {n:8d} patients: {t:8.2f} s, {n * n_cyc / t:10.1f} patient-cycles/s")
    n = args.sizes[0]
    print(f"\nthreads ({n} patients):")
    before = numba.get_num_threads()
    for k in args.threads:
        numba.set_num_threads(k)
        _, t = timed(simulator.simulate, config(n))
        print(f"  {k} thread(s): {t:8.2f} s, {n * n_cyc / t:10.1f} patient-cycles/s")
    numba.set_num_threads(before)


if __name__ == "__main__":
    main()
