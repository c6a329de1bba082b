"""The response tail of the virtual NETTER-1 (issue 14): the audit's table, re-measured.

    NUMBA_NUM_THREADS=2 python experiments/tail.py [--n 2000] [--seed 7]   # results/tail.md

Both arms of ``cohort=netter1`` on the same virtual patients (:func:`simulator.trial.run_arm`,
measured with ``observation=trial``), then the variants the audit asked about, on the same
patients: the model before issue 14's lesion biology (``tumour.vascular_space=fixed``,
``tumour.doomed_receptor_fraction=1``); faster-growing disease (the progressive growth
component's mean doubled); and the treated arm and the faster-growing one with the doomed-cell
clearance tied to growth (``tumour.doomed_clearance_per_net_growth=3``, off in the cohort).
Reports, per arm or variant: best response CR / PR / SD / PD (as measured and true),
near-complete response, CMR, the median lesion dose cycle-4/cycle-1 and the fraction of
lesions whose dose rises, the median time to a first PR-level shrinkage, TCP, ORR and PFS at
8.4 and 20 months.  Targets: docs/targets.md (Kwekkeboom 2008, Roth 2022, NETTER-1); the
posterior calibration that will replace the provisional values is issue 14's next step.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simulator.tail import tail_metrics
from simulator.trial import arm_endpoints, run_arm

RESULTS = Path(__file__).resolve().parent / "results"
GROWTH = "tumour.volume_growth_percent_per_month"


def before_issue_14(cfg: dict) -> None:
    """Lesion vascular space fixed at baseline, doomed cells keep every receptor."""
    cfg["tumour"]["vascular_space"] = "fixed"
    cfg["tumour"]["doomed_receptor_fraction"] = 1.0


def growth_doubled(cfg: dict) -> None:
    """The progressive majority's mean net growth doubled."""
    cfg["cohort"]["parameters"][GROWTH]["components"]["progressive"]["mean"] *= 2.0


def clearance_tied_to_growth(cfg: dict) -> None:
    """Doomed-cell clearance tied to proliferation at c = 3 (off in the cohort until the
    calibration; docs/model.md §6.1)."""
    cfg["cohort"]["parameters"]["tumour.doomed_clearance_per_net_growth"] = 3.0


def tied_and_doubled(cfg: dict) -> None:
    clearance_tied_to_growth(cfg)
    growth_doubled(cfg)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="patients per arm")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "tail.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    arms = {
        "177Lu-DOTATATE": run_arm(args.n, args.seed, control=False),
        "control (no PRRT)": run_arm(args.n, args.seed, control=True),
        "177Lu, before issue 14's lesion biology": run_arm(args.n, args.seed, control=False,
                                                          edit=before_issue_14),
        "177Lu, growth doubled": run_arm(args.n, args.seed, control=False, edit=growth_doubled),
        "177Lu, clearance tied to growth (c = 3)": run_arm(
            args.n, args.seed, control=False, edit=clearance_tied_to_growth),
        "177Lu, c = 3, growth doubled": run_arm(args.n, args.seed, control=False,
                                                edit=tied_and_doubled),
    }
    wall = time.perf_counter() - start
    keys = [("CR_observed", "CR (measured)"), ("PR_observed", "PR"), ("SD_observed", "SD"),
            ("PD_observed", "PD"), ("CR_true", "CR (true)"), ("PR_true", "PR (true)"),
            ("PD_true", "PD (true)"), ("near_complete", "near-complete (PR >= 80 %)"),
            ("cmr", "CMR"), ("orr", "ORR"), ("pfs_8.4", "PFS 8.4 mo"), ("pfs_20", "PFS 20 mo"),
            ("dose_ratio_median", "median lesion dose cycle-last / cycle-1"),
            ("dose_rising_fraction", "lesions whose dose rises"),
            ("first_pr_weeks_median", "median weeks to first PR-level shrinkage"),
            ("tcp_median", "median TCP"), ("tcp_above_half", "TCP > 0.5")]
    metrics = {}
    for name, ds in arms.items():
        e = arm_endpoints(ds)
        metrics[name] = tail_metrics(ds) | {"orr": e.orr, "pfs_8.4": e.pfs[8.4],
                                            "pfs_20": e.pfs[20.0]}
    lines = [
        "# The response tail of the virtual NETTER-1 (experiments/tail.py)", "",
        f"`NUMBA_NUM_THREADS=2 python experiments/tail.py --n {args.n} --seed {args.seed}`; "
        f"{args.n} patients per arm, wall time {wall:.0f} s; git "
        f"{arms['177Lu-DOTATATE'].attrs.get('git_revision', 'unknown')}.", "",
        "Rates over the evaluable patients (>= 1 RECIST target at baseline); 'measured' = "
        "with the trial's observation model (docs/model.md §8.5).  Clinical reference: "
        "Kwekkeboom 2008 CR 2 / PR 28 / SD 35 / PD 20 % (a different population: all GEP-NETs); "
        "NETTER-1 ORR 18 %, PFS(20 mo) 65.2 % vs 10.8 %; Roth 2022 lesion dose falls 6 % (G1) "
        "to 14 % (G2) per cycle, cycle-4/cycle-1 0.83-0.64.", "",
        "| quantity | " + " | ".join(arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    for key, label in keys:
        cells = []
        for name in arms:
            value = metrics[name][key]
            pct = key not in ("dose_ratio_median", "first_pr_weeks_median")
            cells.append(f"{100 * value:.1f} %" if pct else f"{value:.3g}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Evaluable patients: " + ", ".join(
        f"{name} {int(metrics[name]['n_evaluable'])}" for name in arms) + "."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
