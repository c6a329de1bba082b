"""A virtual NETTER-1 trial: both arms on the same virtual patients (issue 6).

    python experiments/netter1.py [--n 10000]   # writes results/netter1.md, netter1_pfs.png

NETTER-1 (Strosberg et al., N Engl J Med 2017;376:125-135, doi:10.1056/NEJMoa1607427):
progressive, SSTR-positive, G1-2 midgut NETs; arm A 177Lu-DOTATATE 7.4 GBq every 8 weeks x 4
(+ octreotide LAR 30 mg), arm B octreotide LAR 60 mg every 4 weeks; RECIST 1.1 by central
review every 12 weeks.  Both arms here are ``cohort=netter1`` with the same seed, so patient i
has the same parameters and lesions in both; arm A is ``therapy=standard``, arm B
``therapy=none`` (no peptide: exact pure growth, the somatostatin analogue's effect being
part of the fitted growth distribution).  Endpoints over the evaluable patients (>= 1 RECIST
target lesion): ORR with Wilson 95 % intervals, Kaplan-Meier PFS with Greenwood intervals,
the Cox hazard ratio (lifelines) with the log-rank p, the tumour absorbed dose per cycle and
the cycle-1 kidney Gy/GBq.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import xarray as xr

import simulator
from simulator.netter1 import PUBLISHED, SOURCE
from simulator.response.recist import CR
from simulator.summary import wilson_interval
from simulator.trial import (
    ArmEndpoints,
    arm_endpoints,
    evaluable,
    interpolated_median_months,
    run_arm,
    trial_hazard_ratio,
)

RESULTS = Path(__file__).resolve().parent / "results"
def write_report(name: str, lines: list[str]) -> None:
    """Write ``lines`` as ``results/<name>`` (markdown) and print them."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text("\n".join(lines))
    print("\n".join(lines))


def dose_quantiles(treated: xr.Dataset, q=(0.01, 0.05, 0.5, 0.95, 0.99)) -> dict:
    """Quantiles of lesion Gy per cycle (all lesions, cycles) and cycle-1 kidney Gy/GBq."""
    s = simulator.summarize(treated, quantiles=q)
    return {"q": np.asarray(q), "lesion": s.lesion_dose_per_cycle_gy_quantiles.values,
            "kidney": s.kidney_gy_per_gbq_quantiles.values}


def _fmt_ci(ci, scale=100.0, digits=1):
    return f"{ci[0] * scale:.{digits}f}-{ci[1] * scale:.{digits}f}"


def _within(value, ci):
    return "yes" if ci[0] <= value <= ci[1] else "**no**"


def complete_response(ds: xr.Dataset) -> tuple[float, tuple[float, float]]:
    """RECIST CR rate of the evaluable patients with its Wilson 95 % interval."""
    best = evaluable(ds).best_response.values
    p, low, high = wilson_interval(int(np.sum(best == CR)), best.size)
    return p, (low, high)


def table(a: ArmEndpoints, b: ArmEndpoints, hr, doses, median_c_interp=None,
          cr=None) -> list[str]:
    """Markdown rows: simulated vs published."""
    pub = PUBLISHED
    kid_med = float(doses["kidney"][list(doses["q"]).index(0.5)])
    rows = [
        ("ORR, 177Lu-DOTATATE arm", f"{a.orr:.1%} ({_fmt_ci(a.orr_ci)} %)",
         pub["orr_treated"], a.orr),
        ("ORR, control arm", f"{b.orr:.1%} ({_fmt_ci(b.orr_ci)} %)", pub["orr_control"], b.orr),
        ("PFS at 20 months, 177Lu-DOTATATE", f"{a.pfs[20.0]:.1%} ({_fmt_ci(a.pfs_ci[20.0])} %)",
         pub["pfs20_treated"], a.pfs[20.0]),
        ("PFS at 20 months, control", f"{b.pfs[20.0]:.1%} ({_fmt_ci(b.pfs_ci[20.0])} %)",
         pub["pfs20_control"], b.pfs[20.0]),
        ("median PFS, control (months)", f"{b.median_pfs_months:.2f}",
         pub["median_pfs_control"], b.median_pfs_months),
        ("median PFS, control, interpolated between assessments (months)",
         f"{median_c_interp:.2f}", pub["median_pfs_control"], median_c_interp),
        ("median PFS, 177Lu-DOTATATE (months)", f"{a.median_pfs_months:.2f}",
         (None, None, "not reached at the primary analysis [ABS]"), None),
        ("PFS hazard ratio (Cox), Lu vs control", f"{hr.hr:.3f} ({hr.ci[0]:.3f}-{hr.ci[1]:.3f})",
         pub["hazard_ratio"], hr.hr),
        ("kidney Gy/GBq, median (cycle 1)", f"{kid_med:.3f}", pub["kidney_gy_per_gbq"], kid_med),
        ("CR (RECIST), 177Lu-DOTATATE arm (not fitted)",
         f"{cr[0]:.2%} ({_fmt_ci(cr[1], digits=2)} %)", pub["cr_treated"], cr[0]),
    ]
    out = ["| endpoint | simulated (95 % CI) | published (95 % CI) | inside the published "
           "interval | source |", "|---|---|---|---|---|"]
    for name, sim, (value, ci, src), x in rows:
        if value is None and ci is None:
            out.append(f"| {name} | {sim} | n/a | n/a | {src} |")
            continue
        percent = name.startswith(("ORR", "PFS at", "CR"))
        scale, unit = (100.0, " %") if percent else (1.0, "")
        pv = f"{value * scale:g}{unit}"
        pci = f"{ci[0] * scale:g}-{ci[1] * scale:g}{unit}"
        out.append(f"| {name} | {sim} | {pv} ({pci}) | {_within(x, ci)} | {src} |")
    lq = doses["lesion"]
    lo, hi = pub["lesion_gy_per_cycle"][1]
    low_ok, high_ok = (lq[0] <= 2 * lo), (lq[-1] >= hi / 2)   # "roughly": within a factor 2
    out.append(f"| tumour Gy per cycle, 1st-99th (5th-95th) percentile | {lq[0]:.1f}-{lq[-1]:.1f} "
               f"({lq[1]:.1f}-{lq[-2]:.1f}) | {lo:g}-{hi:g} (min-max) | lower end "
               f"{'yes' if low_ok else '**no**'}, upper end {'yes' if high_ok else '**no**'} "
               f"(within a factor 2) | {pub['lesion_gy_per_cycle'][2]} |")
    return out


def figure(treated: xr.Dataset, control: xr.Dataset, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    months = np.arange(0.0, 36.01, 0.25)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for ds, label, colour in ((treated, "177Lu-DOTATATE (simulated)", "C0"),
                              (control, "octreotide LAR, no PRRT (simulated)", "C3")):
        s = simulator.summarize(evaluable(ds), quantiles=(0.5,), pfs_months=months)
        ax.step(months, s.pfs.values, where="post", color=colour, label=label)
        ax.fill_between(months, s.pfs_ci_low.values, s.pfs_ci_high.values, step="post",
                        color=colour, alpha=0.2, lw=0)
    for key, colour, label in (("pfs20_treated", "C0", "NETTER-1 177Lu-DOTATATE"),
                               ("pfs20_control", "C3", "NETTER-1 control")):
        value, (lo, hi), _ = PUBLISHED[key]
        ax.errorbar([20.0], [value], yerr=[[value - lo], [hi - value]], fmt="o", color=colour,
                    mec="k", capsize=4, label=f"{label}, month 20 (95 % CI)")
    ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
    ax.plot([8.4], [0.5], "x", color="C3", mec="k", label="NETTER-1 control median 8.4 mo")
    ax.set(xlabel="months since randomisation / cycle 1", ylabel="progression-free survival",
           xlim=(0, 36), ylim=(0, 1.02), title="Virtual NETTER-1: Kaplan-Meier PFS")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="virtual patients per arm")
    parser.add_argument("--seed", type=int, default=20170112)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    treated = run_arm(args.n, args.seed, control=False)
    control = run_arm(args.n, args.seed, control=True)
    wall = time.perf_counter() - t0
    same = np.array_equal(treated.parameter_value.values, control.parameter_value.values)
    a, b = arm_endpoints(treated), arm_endpoints(control)
    hr = trial_hazard_ratio(treated, control)
    doses = dose_quantiles(treated)
    RESULTS.mkdir(exist_ok=True)
    figure(treated, control, RESULTS / "netter1_pfs.png")
    lines = [
        "# Virtual NETTER-1 trial (experiments/netter1.py)", "",
        f"`python experiments/netter1.py --n {args.n} --seed {args.seed}`: {args.n} virtual "
        f"patients per arm (`cohort=netter1`), the same patients in both arms "
        f"(sampled parameters identical: {same}); {a.n} and {b.n} evaluable (>= 1 RECIST "
        f"target lesion). Wall time {wall:.0f} s. Published values: {SOURCE}.", "",
        *table(a, b, hr, doses, interpolated_median_months(control), complete_response(treated)),
        "",
        f"Log-rank p (lifelines): {hr.logrank_p:.3g}. Simulated ORR and PFS intervals are the "
        "Monte Carlo (Wilson / Greenwood) intervals of the virtual cohort; published ones are "
        "the trial's.", "",
        "Quantiles (1st, 5th, 50th, 95th, 99th percentile):", "",
        "| quantity | " + " | ".join(f"q{q:g}" for q in doses["q"]) + " |",
        "|---|" + "---|" * len(doses["q"]),
        "| tumour absorbed dose per cycle [Gy] (all lesions, cycles) | "
        + " | ".join(f"{v:.2f}" for v in doses["lesion"]) + " |",
        "| kidney absorbed dose per GBq, cycle 1 [Gy/GBq] | "
        + " | ".join(f"{v:.3f}" for v in doses["kidney"]) + " |", "",
        "Kaplan-Meier PFS (evaluable patients):", "",
        "| month | 177Lu-DOTATATE | control |", "|---|---|---|",
    ]
    grid = (2.76, 5.52, 8.28, 11.04, 13.8, 16.56, 19.32, 22.08, 24.84, 30.36, 35.88)
    sa = simulator.summarize(evaluable(treated), quantiles=(0.5,), pfs_months=grid)
    sb = simulator.summarize(evaluable(control), quantiles=(0.5,), pfs_months=grid)
    lines += [f"| {m:.2f} | {x:.3f} | {y:.3f} |" for m, x, y in
              zip(grid, sa.pfs.values, sb.pfs.values, strict=True)]
    lines += ["", "![PFS](netter1_pfs.png)", ""]
    write_report("netter1.md", lines)


if __name__ == "__main__":
    main()
