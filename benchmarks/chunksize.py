"""Does a small ``prange`` chunk size help the 2-core throughput? (docs/performance.md, issue 15)

    NUMBA_NUM_THREADS=2 python benchmarks/chunksize.py 0    # numba's default chunking
    NUMBA_NUM_THREADS=2 python benchmarks/chunksize.py 1    # one patient per chunk

``cohort=wide`` patients (per-patient cost varies by > 10x), 4 cycles; a warm-up run first,
then ``--repeat`` timed runs of the whole simulation; prints patient-cycles/s and the
threading layer.
"""

from __future__ import annotations

import argparse
import time

import numba

from simulator.configure import compose, validate
from simulator.run import simulate_validated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chunksize", type=int, help="0 = numba's default")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    cfg = validate(compose(["cohort=wide", f"cohort.n_patients={args.n}",
                            "output.progress=false", "seed=3"]))
    simulate_validated(validate(compose(["cohort=wide", "cohort.n_patients=8",
                                         "output.progress=false"])))     # compile / load
    n_cycles = int(cfg["therapy"]["n_cycles"])
    for _ in range(args.repeat):
        with numba.parallel_chunksize(args.chunksize):
            t = time.perf_counter()
            simulate_validated(cfg)
            el = time.perf_counter() - t
        print(f"chunksize {args.chunksize}: {args.n * n_cycles / el:.0f} patient-cycles/s "
              f"({el:.2f} s), threading layer {numba.threading_layer()}")


if __name__ == "__main__":
    main()
