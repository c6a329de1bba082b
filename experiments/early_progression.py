"""How much early progression can the NETTER-1 population take?  New lesions against PFS.

    NUMBA_NUM_THREADS=2 python experiments/early_progression.py [--n 2000] [--lanes 64]
        [--gsd 2 4 8] [--rho 0 0.8]

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

``--gsd`` also widens the patients' spread of that hazard (its lognormal GSD, fixed at 2 in
the calibration, [INFER]): at a wider spread the same median puts more of the new lesions
into a few patients, early (a fast-progressing subgroup), and fewer into the rest. Each GSD
runs every factor, so the rows show which spread gives Kwekkeboom's PD at the least cost in
PFS at 20 months.

``--rho`` also correlates the hazard with the net growth rate of the patient's tumours
(Gaussian copula, ``cohort.correlations``; none in the fitted population, [INFER]): the
patients who would progress late by growth are then the ones who grow new lesions early, so an
early progression can replace a late one instead of adding to it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from simulator.calibration.design import lanes_overrides
from simulator.calibration.likelihood import declared_target
from simulator.calibration.space import GROWTH, NEW_LESION
from simulator.calibration.summaries import swog_best_response
from simulator.cohort.copula import with_correlation
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


def with_rate_factor(factor: float, gsd: float | None = None, rho: float = 0.0):
    """Config edit: the new-lesion hazard median times ``factor``, if given its GSD, and if
    ``rho`` is not 0 its copula correlation with the growth rate."""
    def edit(cfg):
        cfg["cohort"]["parameters"][NEW_LESION]["median"] *= factor
        if gsd is not None:
            cfg["cohort"]["parameters"][NEW_LESION]["gsd"] = float(gsd)
        if rho:
            cfg["cohort"]["correlations"] = with_correlation(
                cfg["cohort"].get("correlations"), NEW_LESION, GROWTH, float(rho))
    return edit


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--lanes", type=int, default=64, help="solver.lanes (1..64)")
    parser.add_argument("--gsd", type=float, nargs="+", default=[2.0],
                        help="GSDs of the new-lesion hazard to run (default: 2, the fitted "
                             "population's)")
    parser.add_argument("--rho", type=float, nargs="+", default=[0.0],
                        help="copula correlations of the hazard with the growth rate "
                             "(default: 0, the fitted population's)")
    args = parser.parse_args(argv)
    if any(not 1.0 < g <= 20.0 for g in args.gsd):
        parser.error(f"--gsd {args.gsd}: every GSD must lie in (1, 20]")
    if any(not -1.0 < r < 1.0 for r in args.rho):
        parser.error(f"--rho {args.rho}: every correlation must lie in (-1, 1)")
    lanes, t0 = lanes_overrides(args.lanes), time.perf_counter()
    rows = []
    for g, rho in [(g, r) for r in args.rho for g in args.gsd]:
        for f in FACTORS:
            edit = with_rate_factor(f, g, rho)
            treated = run_arm(args.n, SEED, False, edit, overrides=lanes)
            control = run_arm(args.n, SEED, True, edit, overrides=lanes)
            t, c = endpoint_values(treated), endpoint_values(control)
            rows.append((g, rho, f, float(np.mean(swog_best_response(treated) == "PD")), t["orr"],
                         t["pfs_20"], c["pfs_20"], interpolated_median_months(control)))
            print(f"GSD {g:g} rho {rho:g} x{f:g} ({time.perf_counter() - t0:.0f} s): "
                  f"Kwekkeboom PD {rows[-1][3]:.3f}, PFS20 treated {t['pfs_20']:.3f}", flush=True)
    lines = ["# Early progression against NETTER-1's PFS (experiments/early_progression.py)", "",
             f"`NUMBA_NUM_THREADS=2 python experiments/early_progression.py --n {args.n} "
             f"--lanes {args.lanes} --gsd {' '.join(f'{g:g}' for g in args.gsd)} "
             f"--rho {' '.join(f'{r:g}' for r in args.rho)}`; the "
             f"default `cohort=netter1` draw with its new-lesion hazard median multiplied and "
             f"its GSD and its correlation with the growth rate (rho) set; {args.n} virtual "
             f"patients per arm (seed {SEED}); wall time "
             f"{time.perf_counter() - t0:.0f} s.", "",
             f"| GSD | rho | new-lesion median x | /month | Kwekkeboom PD "
             f"({target('kwekkeboom2008_pd')}) | "
             f"ORR ({target('netter1_orr_treated')}) | PFS 20 mo, treated "
             f"({target('netter1_pfs20_treated')}) | PFS 20 mo, control "
             f"({target('netter1_pfs20_control')}) | control median PFS, months "
             f"({target('netter1_median_pfs_control')}) |", "|---|---|---|---|---|---|---|---|---|"]
    base = float(arm_config(10, SEED, False)["cohort"]["parameters"][NEW_LESION]["median"])
    for g, rho, f, pd_, orr, p20t, p20c, med in rows:
        lines.append(f"| {g:g} | {rho:g} | {f:g} | {base * f:.4f} | {pd_:.1%} | {orr:.1%} | "
                     f"{p20t:.1%} | {p20c:.1%} | {med:.1f} |")
    lines.append("")
    text = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "early_progression.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
