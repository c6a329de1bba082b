"""A looser solver tolerance as the fast path: its error on outcomes and its speed, side by side.

    PYTHONPATH=. python benchmarks/fast_solver.py [--n 2000] [--rtol 1e-6 1e-5 1e-4]
        [--reference-rtol 1e-8] [--threads 2] [--lanes 64] [--repeat 2]

Not a test.  ``simulator.simulate`` on the first ``--n`` patients of ``cohort=wide`` (4 cycles,
the whole pipeline), once at ``--reference-rtol`` (the full model integrated tightly: the
reference) and at every ``--rtol``; each ``--rtol`` run is timed (best of ``--repeat``,
interleaved so that load affects them alike) and compared with the reference on the outcomes
the issue names (and so is the preset ``solver=fast`` exactly as shipped, last column):
lesion BED (cumulative, relative), kidney BED (cumulative, relative),
true best response (RECIST class per patient), near-complete and complete metabolic response,
cure, TCP (absolute) and true progression time (months), and the cohort's ORR.  The last line
names the loosest tolerance that changes no patient's class or progression and keeps the
largest lesion-BED error below ``--max-bed-error`` (the rule that chose ``solver=fast``'s rtol,
docs/performance.md), with its throughput against the first ``--rtol`` (the default, 1e-6).
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

import simulator
from simulator.reference import wide_config
from simulator.response.recist import CR, PR

PRESET = "solver=fast"
CLASSES = ("best_response_true", "near_complete_response", "complete_metabolic_response",
           "cured")


def compare(ds, ref) -> dict:
    """Errors of the run ``ds`` against the reference run ``ref`` (same patients)."""
    out = {}
    bed, bed0 = ds.lesion_bed_gy.sum("cycle").values, ref.lesion_bed_gy.sum("cycle").values
    keep = np.isfinite(bed0) & (bed0 > 1e-3)           # lesions that received dose
    rel = np.abs(bed[keep] - bed0[keep]) / bed0[keep]
    out["lesion BED rel, median"] = float(np.median(rel))
    out["lesion BED rel, 99th pct"] = float(np.percentile(rel, 99))
    out["lesion BED rel, max"] = float(rel.max())
    kid, kid0 = ds.kidney_bed_cumulative_gy.values, ref.kidney_bed_cumulative_gy.values
    out["kidney BED rel, max"] = float(np.max(np.abs(kid - kid0) / kid0))
    out["TCP abs, max"] = float(np.max(np.abs(ds.tcp.values - ref.tcp.values)))
    t, t0 = ds.progression_time_true_months.values, ref.progression_time_true_months.values
    both = np.isfinite(t) & np.isfinite(t0)
    out["progression time true, max abs [months]"] = \
        float(np.max(np.abs(t[both] - t0[both]))) if both.any() else 0.0
    out["progression seen in one run only"] = int(np.sum(np.isfinite(t) != np.isfinite(t0)))
    for name in CLASSES:
        out[f"{name} differs [patients]"] = int(np.sum(ds[name].values != ref[name].values))
    orr = np.isin(ds.best_response_true.values, (CR, PR)).mean()
    orr0 = np.isin(ref.best_response_true.values, (CR, PR)).mean()
    out["ORR (true) difference [percentage points]"] = float(100 * (orr - orr0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rtol", type=float, nargs="+", default=[1e-6, 1e-5, 1e-4])
    parser.add_argument("--reference-rtol", type=float, default=1e-8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lanes", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-bed-error", type=float, default=5e-5,
                        help="largest relative lesion-BED error of an acceptable rtol")
    args = parser.parse_args()

    def cfg(rtol):
        return wide_config(args.n, [f"solver.lanes={args.lanes}", f"solver.rtol={rtol:g}",
                                    "output.progress=false"])

    cfgs = {r: cfg(r) for r in args.rtol}
    cfgs[PRESET] = wide_config(args.n, ["solver=fast", "output.progress=false"])
    n_cyc = cfgs[args.rtol[0]]["therapy"]["n_cycles"]
    print(f"cohort=wide, {args.n} patients x {n_cyc} cycles, {args.lanes} lanes, "
          f"{args.threads} threads, numba {numba.__version__}, {os.cpu_count()} CPUs; "
          "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    before = numba.get_num_threads()
    numba.set_num_threads(args.threads)
    try:
        start = time.perf_counter()
        ref = simulator.simulate(cfg(args.reference_rtol))
        print(f"reference rtol {args.reference_rtol:g}: {time.perf_counter() - start:.1f} s "
              "(compilation included)")
        runs = {r: simulator.simulate(cfgs[r]) for r in cfgs}   # warm, and the results
        best = {r: float("inf") for r in cfgs}
        for _ in range(args.repeat):
            for r in cfgs:
                start = time.perf_counter()
                simulator.simulate(cfgs[r])
                best[r] = min(best[r], time.perf_counter() - start)
    finally:
        numba.set_num_threads(before)
    print("load average at the end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    errors = {r: compare(runs[r], ref) for r in cfgs}
    rates = {r: args.n * n_cyc / best[r] for r in cfgs}
    width = max(len(k) for k in errors[args.rtol[0]])
    print(f"{'rtol':<{width}s}" + "".join(f"{r:>12g}" for r in args.rtol) + f"{PRESET:>12s}")
    print(f"{'patient-cycles/s':<{width}s}" + "".join(f"{rates[r]:12.1f}" for r in cfgs))
    print(f"{'vs rtol ' + format(args.rtol[0], 'g'):<{width}s}"
          + "".join(f"{rates[r] / rates[args.rtol[0]]:11.2f}x" for r in cfgs))
    for key in errors[args.rtol[0]]:
        cells = "".join(f"{errors[r][key]:12d}" if isinstance(errors[r][key], int)
                        else f"{errors[r][key]:12.2e}" for r in cfgs)
        print(f"{key:<{width}s}{cells}")
    ok = [r for r in args.rtol if errors[r]["lesion BED rel, max"] < args.max_bed_error
          and errors[r]["progression seen in one run only"] == 0
          and all(errors[r][f"{c} differs [patients]"] == 0 for c in CLASSES)]
    if ok:
        r = max(ok)
        print(f"loosest rtol with no class or progression changed and lesion BED within "
              f"{args.max_bed_error:g}: {r:g}, {rates[r]:.1f} patient-cycles/s "
              f"({rates[r] / rates[args.rtol[0]]:.2f}x rtol {args.rtol[0]:g})")
    else:
        print(f"no rtol changes no class and keeps lesion BED within {args.max_bed_error:g}")
    print(f"solver=fast as shipped: {rates[PRESET]:.1f} patient-cycles/s on {args.threads} "
          f"threads ({rates[PRESET] / rates[args.rtol[0]]:.2f}x rtol {args.rtol[0]:g} at "
          f"{args.lanes} lanes), lesion BED within {errors[PRESET]['lesion BED rel, max']:.2e}")


if __name__ == "__main__":
    main()
