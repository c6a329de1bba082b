"""How much early progression can the NETTER-1 population take?  New lesions against PFS.

    NUMBA_NUM_THREADS=2 python experiments/early_progression.py [--n 2000] [--lanes 64]

writes ``results/early_progression.md``.

Kwekkeboom 2008's PD (20 %, Wilson 15.9-24.8 %; target ``kwekkeboom2008_pd``) is progression by
his first evaluation after the last cycle (month 8.3 on NETTER-1's grid), and the calibrated
population gives 9.5 % (docs/calibration.md §12); a pancreatic share lowers it further (§15).
In this model early progression without growth of the measured lesions is a new lesion; the
default population (``conf/cohort/fitted/netter1.yaml``) has a median new-lesion hazard of
0.0013 /month (x 0.77 on PRRT). This script multiplies that median (everything else the
default draw's, GSD 2 kept) and reports, on both NETTER-1 arms of the same 2000 virtual
patients (seed 20170112, the posterior predictive's), what it does to Kwekkeboom's PD and to
the NETTER-1 endpoints the calibration fits (PFS at 20 months in both arms, the control
median PFS). A sensitivity of one hyperparameter at one posterior draw, not a fit.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from simulator.calibration.design import lanes_overrides
from simulator.calibration.likelihood import declared_target
from simulator.calibration.space import NEW_LESION
from simulator.calibration.summaries import swog_best_response
from simulator.trial import arm_config, endpoint_values, interpolated_median_months, run_arm

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGETS = HERE / "targets" / "calibration.yaml"
SEED = 20170112
FACTORS = (1.0, 4.0, 8.0, 11.0, 16.0, 39.0)   # 39 x 0.00128 = 0.05 /month: the prior's top


def target(name: str) -> str:
    """'value, low-high' of a declared calibration target (rates in %)."""
    value, (lo, hi) = declared_target(TARGETS, name)
    if value <= 1.0:
        return f"{value:.1%}, {lo:.1%}-{hi:.1%}"
    return f"{value:.1f}, {lo:.1f}-{hi:.1f}"


def with_rate_factor(factor: float):
    def edit(cfg):
        cfg["cohort"]["parameters"][NEW_LESION]["median"] *= factor
    return edit


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--lanes", type=int, default=64, help="solver.lanes (1..64)")
    args = parser.parse_args(argv)
    lanes, t0 = lanes_overrides(args.lanes), time.perf_counter()
    rows = []
    for f in FACTORS:
        treated = run_arm(args.n, SEED, False, with_rate_factor(f), overrides=lanes)
        control = run_arm(args.n, SEED, True, with_rate_factor(f), overrides=lanes)
        t, c = endpoint_values(treated), endpoint_values(control)
        rows.append((f, float(np.mean(swog_best_response(treated) == "PD")), t["orr"],
                     t["pfs_20"], c["pfs_20"], interpolated_median_months(control)))
        print(f"x{f:g} ({time.perf_counter() - t0:.0f} s): Kwekkeboom PD {rows[-1][1]:.3f}, "
              f"PFS20 treated {t['pfs_20']:.3f}", flush=True)
    lines = ["# Early progression against NETTER-1's PFS (experiments/early_progression.py)", "",
             f"`NUMBA_NUM_THREADS=2 python experiments/early_progression.py --n {args.n} "
             f"--lanes {args.lanes}`; the default `cohort=netter1` draw with its new-lesion "
             f"hazard median multiplied; {args.n} virtual patients per arm (seed {SEED}); wall "
             f"time {time.perf_counter() - t0:.0f} s.", "",
             f"| new-lesion median x | /month | Kwekkeboom PD ({target('kwekkeboom2008_pd')}) | "
             f"ORR ({target('netter1_orr_treated')}) | PFS 20 mo, treated "
             f"({target('netter1_pfs20_treated')}) | PFS 20 mo, control "
             f"({target('netter1_pfs20_control')}) | control median PFS, months "
             f"({target('netter1_median_pfs_control')}) |", "|---|---|---|---|---|---|---|"]
    base = float(arm_config(10, SEED, False)["cohort"]["parameters"][NEW_LESION]["median"])
    for f, pd_, orr, p20t, p20c, med in rows:
        lines.append(f"| {f:g} | {base * f:.4f} | {pd_:.1%} | {orr:.1%} | {p20t:.1%} | "
                     f"{p20c:.1%} | {med:.1f} |")
    lines.append("")
    text = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "early_progression.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
