"""Benchmark: the numba engine against the honest anchor at matched accuracy.

    python benchmarks/bench_engine.py                       # 10 wide-cohort patients, 1 thread
    python benchmarks/bench_engine.py --n 10 --rtols 1e-4 1e-5 1e-6 1e-7 1e-8 1e-9 1e-10
    python benchmarks/bench_engine.py --sizes 100 1000 10000 --threads 1 2   # also scaling
    python benchmarks/bench_engine.py --n 16 --lanes 8      # also the lockstep engine

Not a test.  Everything is measured in this run, in this process, on this machine:

1. *Matched accuracy* (the lead figure, docs/performance.md).  The anchor is what a modeller
   who cares about speed would write: ``scipy.integrate.solve_ivp`` (LSODA, BDF) driven by the
   engine's own numba ``rhs`` and analytic ``jac`` (:mod:`benchmarks.anchor`), the same
   schedule, restarts and per-state absolute tolerances; also ``scipy.integrate.odeint``
   (the same LSODA, stepping in Fortran without returning to Python between steps), which
   is faster than ``solve_ivp``'s LSODA and so counts as an anchor too (``--anchors LSODA
   BDF`` restricts the comparison to ``solve_ivp``).  A tight reference (Radau on the
   numba rhs/jac, rtol 1e-10, absolute tolerances x 1e-3) gives every patient's lesion BED
   (all lesions, all cycles); each solver's rtol is scanned in decades and its *matched*
   rtol is the loosest one at which it, and every tighter rtol scanned, stays within
   ``--target`` (1e-6) relative of the reference.  Each solver is then timed at its matched
   rtol (best of ``--repeat``, interleaved), on one thread (``numba.set_num_threads(1)``;
   the engine's time includes assembling the model, the anchor's does not).
2. The old reference (``simulator.reference``: Radau rtol 1e-8 on a pure-Python right-hand
   side with a finite-difference Jacobian) on ``--n-python`` patients, as a second line.
3. Optionally: first-call time of the engine, throughput against cohort size and threads.

The last line printed is ``matched-accuracy ratio (engine / best anchor): N.Nx``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from anchor import anchor_states  # noqa: E402

import simulator  # noqa: E402
from simulator.errors import SolverError  # noqa: E402
from simulator.outcomes import compute_outcomes  # noqa: E402
from simulator.reference import engine_chunk, outcomes_of_states, reference_states  # noqa: E402
from simulator.reference import max_relative_difference as rel  # noqa: E402
from simulator.reference import wide_config as config  # noqa: E402

RTOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def engine_cfg(n: int, rtol: float, lanes: int = 1) -> dict:
    return config(n, [f"solver.rtol={rtol:g}", f"solver.lanes={lanes}"])


def engine_bed(n: int, rtol: float, lanes: int = 1) -> tuple[np.ndarray, float]:
    """Lesion BED by the engine at ``rtol`` (``lanes`` patients in lockstep), and the
    engine's time (model assembly and kernel, as :func:`simulator.reference.engine_chunk`;
    config composition excluded)."""
    res, cols, t = engine_chunk(engine_cfg(n, rtol, lanes), n)
    return compute_outcomes(res, cols).lesion_bed_gy, t


def anchor_bed(res, cols, method: str, rtol: float, atol_scale: float = 1.0) -> np.ndarray:
    boundary, series = anchor_states(res, method, rtol, atol_scale)
    return outcomes_of_states(res, cols, boundary, series)[0].lesion_bed_gy


def matched(errors: dict, times: dict, target: float) -> tuple[float, float] | None:
    """The fastest (rtol, atol scale) of the scan that is matched: its error, and that of
    every tighter rtol scanned at the same atol scale (failed runs aside), is <= target."""
    ok = []
    for a in sorted({a for _, a in errors}):
        column = sorted((r, e) for (r, aa), e in errors.items() if aa == a)   # tightest first
        for r, e in column:
            if e is None:
                continue
            if e > target:
                break
            ok.append((r, a))
    return min(ok, key=lambda k: times[k]) if ok else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="wide-cohort patients compared")
    parser.add_argument("--rtols", type=float, nargs="+", default=list(RTOLS))
    parser.add_argument("--anchors", nargs="+", default=["LSODA", "BDF", "odeint"],
                        help="solve_ivp methods, or odeint (LSODA looping in Fortran)")
    parser.add_argument("--atol-scales", type=float, nargs="+", default=[1.0, 1e-2, 1e-4],
                        help="anchors: absolute tolerances (engine's vector) times these")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="max relative lesion-BED error that counts as matched")
    parser.add_argument("--ref-rtol", type=float, default=1e-10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-python", type=int, default=2,
                        help="patients for the pure-Python-RHS reference line (0: skip)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[],
                        help="also: engine throughput at these cohort sizes (all threads)")
    parser.add_argument("--threads", type=int, nargs="*", default=[],
                        help="also: engine throughput with these thread counts")
    parser.add_argument("--lanes", type=int, default=1,
                        help="also: the lockstep engine (solver.lanes) with this many lanes")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"numba {numba.__version__}, default threads {numba.get_num_threads()}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    cfg1 = config(1)
    _, t_first = timed(engine_chunk, cfg1, 1)
    _, t_second = timed(engine_chunk, cfg1, 1)
    print(f"engine first call {t_first:.2f} s (compile or cache load), second {t_second:.3f} s")

    threads_before = numba.get_num_threads()
    if args.sizes:
        print("\nengine scaling (all threads):")
        for n in args.sizes:
            _, t = timed(simulator.simulate, config(n))
            n_cyc = config(n)["therapy"]["n_cycles"]
            print(f"  {n:8d} patients: {t:8.2f} s, {n * n_cyc / t:10.1f} patient-cycles/s")
    for k in args.threads:
        n = args.sizes[0] if args.sizes else 100
        numba.set_num_threads(k)
        _, t = timed(simulator.simulate, config(n))
        n_cyc = config(n)["therapy"]["n_cycles"]
        print(f"  {k} thread(s), {n} patients: {t:8.2f} s, "
              f"{n * n_cyc / t:10.1f} patient-cycles/s")

    # ---- matched accuracy, one thread ------------------------------------------------
    numba.set_num_threads(1)
    n = args.n
    cfg = config(n)
    n_cyc = cfg["therapy"]["n_cycles"]
    pc = n * n_cyc
    res, cols, _ = engine_chunk(cfg, n)      # model, schedule and output times for the anchors
    print(f"\nmatched accuracy: {n} wide-cohort patients, {pc} patient-cycles, 1 thread; "
          f"lesion BED ({np.isfinite(compute_outcomes(res, cols).lesion_bed_gy).sum()} values)")
    ref, t_ref = timed(anchor_bed, res, cols, "Radau", args.ref_rtol, 1e-3)
    ref_loose = anchor_bed(res, cols, "Radau", args.ref_rtol, 1.0)
    print(f"tight reference: Radau (numba rhs + jac) rtol {args.ref_rtol:g}, absolute "
          f"tolerances x 1e-3 (engine's per-state vector), {t_ref:.1f} s; the same at "
          f"atol x 1 differs by {rel(ref_loose, ref):.2e}")

    lock = ["lockstep"] if args.lanes > 1 else []
    solvers = ["engine", *lock, *args.anchors]
    scales = {s: ([1.0] if s in ("engine", "lockstep") else args.atol_scales) for s in solvers}
    # errors[s][(rtol, atol_scale)] and the time of that one run
    errors: dict[str, dict] = {s: {} for s in solvers}
    scan_t: dict[str, dict] = {s: {} for s in solvers}
    for s in solvers:
        print(f"\nrtol scan, {s}: max relative lesion-BED error vs the reference "
              "(time of one run); columns: absolute tolerances x scale")
        print(f"  {'rtol':>8s}" + "".join(f"{'atol x ' + format(a, 'g'):>24s}"
                                         for a in scales[s]))
        for r in sorted(args.rtols, reverse=True):
            row = f"  {r:8.0e}"
            for a in scales[s]:
                try:
                    if s in ("engine", "lockstep"):
                        bed, t = engine_bed(n, r, args.lanes if s == "lockstep" else 1)
                    else:
                        bed, t = timed(anchor_bed, res, cols, s, r, a)
                    e = rel(bed, ref)
                    row += f"{e:>14.2e} ({t:6.2f} s)"
                except (SolverError, RuntimeError):
                    e, t = None, float("inf")        # failed: neither matched nor counted
                    row += f"{'failed':>24s}"
                errors[s][(r, a)] = e
                scan_t[s][(r, a)] = t
            print(row)

    chosen = {s: matched(errors[s], scan_t[s], args.target) for s in solvers}
    best_t = {s: float("inf") for s in solvers}
    for _ in range(args.repeat):             # interleaved, so load affects all alike
        for s in solvers:
            if chosen[s] is None:
                continue
            r, a = chosen[s]
            if s in ("engine", "lockstep"):
                lanes = args.lanes if s == "lockstep" else 1
                _, _, t = engine_chunk(engine_cfg(n, r, lanes), n)
            else:
                _, t = timed(anchor_states, res, s, r, a)
            best_t[s] = min(best_t[s], t)
    rate = {s: pc / best_t[s] for s in solvers if chosen[s] is not None}
    anchors = [s for s in args.anchors if s in rate]
    best_anchor = max(anchors, key=rate.get) if anchors else None

    print(f"\nmatched accuracy (max relative lesion-BED error <= {args.target:g}), "
          f"best of {args.repeat}, 1 thread, load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"  {'solver':<34s}{'matched rtol':>13s}{'atol x':>8s}{'max rel err':>13s}"
          f"{'patient-cycles/s':>18s}{'engine speedup':>16s}")
    names = {"engine": "engine (Rodas4, structured LU)",
             "lockstep": f"engine, {args.lanes} lanes in lockstep"}
    for s in solvers:
        name = names.get(s, f"solve_ivp {s}, numba rhs+jac")
        if s == "odeint":
            name = "odeint (LSODA), numba rhs+jac"
        if chosen[s] is None:
            print(f"  {name:<34s}{'none':>13s}{'-':>8s}{'-':>13s}{'-':>18s}{'-':>16s}")
            continue
        r, a = chosen[s]
        sp = rate["engine"] / rate[s] if "engine" in rate else float("nan")
        print(f"  {name:<34s}{r:>13.0e}{a:>8g}{errors[s][(r, a)]:>13.2e}{rate[s]:>18.1f}"
              f"{sp:>15.1f}x")
    chosen = {s: (c[0] if c else None) for s, c in chosen.items()}

    if args.n_python > 0 and "engine" in rate:
        k = args.n_python
        res_k, cols_k, _ = engine_chunk(engine_cfg(k, chosen["engine"]), k)
        (b, s), t_py = timed(reference_states, res_k, 1e-8, 1e-12)
        py_rate = k * n_cyc / t_py
        print(f"\nPython-RHS reference ratio (engine at rtol {chosen['engine']:g} / solve_ivp "
              f"Radau rtol 1e-8, pure-Python rhs, finite-difference Jacobian; {k} patients, "
              f"{py_rate:.3f} patient-cycles/s): {rate['engine'] / py_rate:.1f}x")
    numba.set_num_threads(threads_before)
    ivp = [s for s in anchors if s != "odeint"]
    if ivp and "engine" in rate and "odeint" in anchors:
        best_ivp = max(ivp, key=rate.get)
        print(f"matched-accuracy ratio against solve_ivp only (engine / {best_ivp}): "
              f"{rate['engine'] / rate[best_ivp]:.1f}x")
    if lock and best_anchor is not None and "lockstep" in rate:
        print(f"matched-accuracy ratio (lockstep engine, {args.lanes} lanes / best anchor): "
              f"{rate['lockstep'] / rate[best_anchor]:.1f}x")
    if best_anchor is None or "engine" not in rate:
        print("matched-accuracy ratio (engine / best anchor): not found (no matched rtol)")
    else:
        print(f"matched-accuracy ratio (engine / best anchor): "
              f"{rate['engine'] / rate[best_anchor]:.1f}x")


if __name__ == "__main__":
    main()
