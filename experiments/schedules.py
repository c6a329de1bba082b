"""A virtual trial of schedules on one cohort: the same virtual patients under each (issue 16).

    NUMBA_NUM_THREADS=2 python experiments/schedules.py [--n 200] [--train 100]

Arms, all on ``cohort=netter1`` with one seed (patient i has the same parameters and lesions
in every arm):

* fixed: the Lutathera label, 4 x 7.4 GBq every 8 weeks (``therapy=standard``);
* dosimetry-guided: 7.4 GBq cycles until the next would pass the kidney BED limit (28 Gy with
  renal risk factors, 40 Gy without; Bodei 2008) or 2 Gy to the red marrow, at most 10
  (``therapy=dosimetry_guided``);
* personalised: cycle 1 at 7.4 GBq, cycles 2-4 at the activity that brings the binding limit
  to its value at cycle 4, in [3.7, 14.8] GBq (``therapy=personalised_activity``);
* optimised (population): ``prrt-sim plan`` (objective: objective response, at most 5 % of
  patients over a limit) on a separate training cohort of the same population (another
  seed), its one schedule then given to every trial patient: no knowledge of the trial
  patients;
* optimised (per patient, oracle): ``prrt-sim plan plan.scope=patient plan.objective=pfs``
  on the trial patients themselves, each with its own parameters known exactly: an upper
  bound of what personalisation could reach in this model, not a realistic arm.

Endpoints over the evaluable patients (>= 1 RECIST target lesion): ORR with Wilson 95 %
intervals and its paired difference to the fixed arm (percentile bootstrap), Kaplan-Meier PFS,
restricted mean PFS, cumulative activity, number of cycles, fraction over any enforced limit
(and over the 23 Gy kidney absorbed-dose limit, not enforced).  Writes
``results/schedules.md``, ``results/schedules.png`` and ``results/schedules.nc``.

    NUMBA_NUM_THREADS=2 python experiments/schedules.py --rules [--n 100]

measures how closely the adaptive rules meet the kidney limit (``results/schedules_rules.md``):
per patient the cumulative kidney BED over its limit, for the dosimetry-guided rule and for
the personalised activity set after every cycle's dosimetry or after the first only, with
and without renal risk factors.

    NUMBA_NUM_THREADS=2 python experiments/schedules.py --twins 50

plans the reference patient robustly over ``--twins`` virtual twins (``cohort=example``: its
SSTR2 density, tumour alpha and lesion volume uncertain) with the default search
(``conf/plan/default.yaml``): ``results/plan_twins.md``, ``plan_twins.nc`` and
``plan_twins_pareto.png``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import xarray as xr

import simulator
from simulator.planning import exceeded, paired_gain
from simulator.response.recist import CR, PR
from simulator.summary import wilson_interval
from simulator.trial import evaluable

RESULTS = Path(__file__).resolve().parent / "results"
SEED, TRAIN_SEED = 12345, 2026
COMMON = ["output.progress=false"]
#: the search of the optimised arms (a reduced grid: one interval and peptide amount)
POPULATION_PLAN = ["plan=default", "plan.n_cycles=[3,4,6,8,10]", "plan.interval_weeks=[8.0]",
                   "plan.peptide_nmol=[100.0,150.0,250.0]", "plan.activity_points=3"]
PATIENT_PLAN = ["plan=default", "plan.scope=patient", "plan.objective=pfs",
                "plan.n_cycles=[2,4,6,8,10]", "plan.interval_weeks=[8.0]",
                "plan.peptide_nmol=[150.0]", "plan.activity_points=3"]


def config(n: int, seed: int, *overrides: str, cohort: str = "netter1") -> dict:
    return simulator.validate(simulator.compose([*COMMON, f"cohort={cohort}",
                                                 f"cohort.n_patients={n}", f"seed={seed}",
                                                 *overrides]))


def responders(ds: xr.Dataset) -> np.ndarray:
    return np.isin(ds.best_response.values, (CR, PR))


def arm_row(name: str, ds: xr.Dataset, cfg: dict, fixed: xr.Dataset, wall_s: float) -> dict:
    """Endpoints of one arm (evaluable patients; the same patients in every arm)."""
    ev, ev_fixed = evaluable(ds), evaluable(fixed)
    assert np.array_equal(ev.patient.values, ev_fixed.patient.values)
    r = responders(ev)
    orr, low, high = wilson_interval(int(r.sum()), r.size)
    gain = paired_gain(r, responders(ev_fixed), SEED)
    activity = ds.injected_activity_gbq.values
    over = exceeded(ds, cfg)
    s = simulator.summarize(ev, quantiles=(0.5,), pfs_months=np.arange(0.0, 37.0, 1.0))
    return {
        "arm": name, "n": int(r.size), "orr": orr, "orr_low": low, "orr_high": high,
        "orr_gain": gain[0], "orr_gain_low": gain[1], "orr_gain_high": gain[2],
        "rmst_months": float(ev.progression_time_months.mean()),
        "pfs20": float(s.pfs.sel(month=20.0)), "median_pfs_months": float(s.median_pfs_months),
        "activity_median_gbq": float(np.median(activity.sum(axis=1))),
        "activity_range_gbq": (float(activity.sum(axis=1).min()),
                               float(activity.sum(axis=1).max())),
        "cycles_median": float(np.median((activity > 0).sum(axis=1))),
        "cycles_range": (int((activity > 0).sum(axis=1).min()),
                         int((activity > 0).sum(axis=1).max())),
        "over_limit": wilson_interval(int(over.sum()), over.size),
        "over_limit_1pct": float(np.mean(ds.kidney_bed_cumulative_gy.values
                                         > 1.01 * _kidney_limit(cfg))),
        "kidney_bed_median_gy": float(np.median(ds.kidney_bed_cumulative_gy.values)),
        "kidney_dose_over_23": float(ds.kidney_dose_limit_exceeded.values.mean()),
        "pfs_curve": s.pfs.values, "months": s.month.values, "wall_s": wall_s,
        "activity_gbq": activity.sum(axis=1),
    }


def _kidney_limit(cfg: dict) -> float:
    limits = cfg["limits"]
    return limits["kidney_bed_gy_with_risk_factors"] if cfg["patient"]["renal_risk_factors"] \
        else limits["kidney_bed_gy"]


def run(n: int, n_train: int) -> list[dict]:
    rows, arms = [], {}
    for name, overrides in (("fixed 4 x 7.4 GBq", ["therapy=standard"]),
                            ("dosimetry-guided", ["therapy=dosimetry_guided"]),
                            ("personalised activity", ["therapy=personalised_activity"])):
        cfg = config(n, SEED, *overrides)
        start = time.perf_counter()
        arms[name] = (simulator.simulate(cfg), cfg, time.perf_counter() - start)
        print(f"{name}: {arms[name][2]:.0f} s", flush=True)
    start = time.perf_counter()
    trained = simulator.plan(config(n_train, TRAIN_SEED, *POPULATION_PLAN)).plan
    best = {k: trained[f"plan_{k}"].values[0] for k in ("activity_gbq", "n_cycles",
                                                        "interval_weeks", "peptide_nmol")}
    cfg = config(n, SEED, f"therapy.activity_gbq={best['activity_gbq']:.6f}",
                 f"therapy.n_cycles={int(best['n_cycles'])}",
                 f"therapy.interval_weeks={best['interval_weeks']}",
                 f"therapy.peptide_nmol={best['peptide_nmol']}")
    name = (f"optimised, population ({int(best['n_cycles'])} x {best['activity_gbq']:.2f} GBq, "
            f"{best['peptide_nmol']:g} nmol)")
    arms[name] = (simulator.simulate(cfg), cfg, time.perf_counter() - start)
    print(f"{name}: {arms[name][2]:.0f} s (training on {n_train}: "
          f"{trained.attrs['search_wall_time_s']:.0f} s)", flush=True)
    start = time.perf_counter()
    cfg = config(n, SEED, *PATIENT_PLAN)
    oracle = simulator.plan(cfg)
    arms["optimised, per patient (oracle, PFS)"] = (oracle.resimulation, cfg,
                                                   time.perf_counter() - start)
    print(f"oracle: {arms['optimised, per patient (oracle, PFS)'][2]:.0f} s", flush=True)
    fixed = arms["fixed 4 x 7.4 GBq"][0]
    for name, (ds, cfg, wall_s) in arms.items():
        rows.append(arm_row(name, ds, cfg, fixed, wall_s))
    rows[0]["training_plan"] = trained
    return rows


def markdown(rows: list[dict], n: int, n_train: int, total_s: float) -> list[str]:
    lines = [
        "# Virtual trial of schedules (experiments/schedules.py)", "",
        f"`NUMBA_NUM_THREADS=2 python experiments/schedules.py --n {n} --train {n_train}`: "
        f"{n} virtual patients of `cohort=netter1` (seed {SEED}), the same in every arm; the "
        f"population plan trained on {n_train} other patients (seed {TRAIN_SEED}). "
        f"Wall time {total_s / 60:.1f} min on 2 shared cores.", "",
        "| arm | evaluable | ORR % (95 % CI) | ORR difference to fixed, points (95 % CI) | "
        "PFS at 20 mo % | restricted mean PFS, mo | cumulative GBq, median (range) | "
        "cycles, median (range) | kidney BED median, Gy | over an enforced limit % (95 % CI) "
        "| over by > 1 % | kidney dose > 23 Gy % | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        o = r["over_limit"]
        lines.append(
            f"| {r['arm']} | {r['n']} | {100 * r['orr']:.1f} ({100 * r['orr_low']:.1f}-"
            f"{100 * r['orr_high']:.1f}) | {100 * r['orr_gain']:+.1f} "
            f"({100 * r['orr_gain_low']:+.1f} to {100 * r['orr_gain_high']:+.1f}) | "
            f"{100 * r['pfs20']:.1f} | {r['rmst_months']:.1f} | {r['activity_median_gbq']:.1f} "
            f"({r['activity_range_gbq'][0]:.1f}-{r['activity_range_gbq'][1]:.1f}) | "
            f"{r['cycles_median']:g} ({r['cycles_range'][0]}-{r['cycles_range'][1]}) | "
            f"{r['kidney_bed_median_gy']:.1f} | {100 * o[0]:.1f} ({100 * o[1]:.1f}-"
            f"{100 * o[2]:.1f}) | {100 * r['over_limit_1pct']:.1f} | "
            f"{100 * r['kidney_dose_over_23']:.1f} | {r['wall_s']:.0f} |")
    t = rows[0]["training_plan"]
    chosen, configured = 100 * float(t.plan_objective[0]), 100 * float(t.configured_objective[0])
    lines += ["", f"Population plan (training cohort): {int(t.plan_n_cycles[0])} x "
              f"{float(t.plan_activity_gbq[0]):.2f} GBq every {float(t.plan_interval_weeks[0]):g}"
              f" weeks, {float(t.plan_peptide_nmol[0]):g} nmol; ORR on the training patients "
              f"{chosen:.1f} % vs {configured:.1f} % for the fixed schedule (gain "
              f"{100 * t.attrs['gain_over_configured']:+.1f} points, 95 % CI "
              f"{100 * t.attrs['gain_ci_low']:+.1f} to {100 * t.attrs['gain_ci_high']:+.1f}); "
              f"{100 * t.attrs['resimulated_over_limit']:.1f} % over a limit there; "
              f"{int(t.sizes['candidate'])} candidates, {t.attrs['courses_simulated']} courses, "
              f"{t.attrs['search_wall_time_s']:.0f} s."]
    return lines


SHORT = {"fixed": "fixed\n4 x 7.4 GBq", "dosimetry-guided": "dosimetry-\nguided",
         "personalised": "personalised\nactivity",
         "optimised, population": "optimised,\npopulation",
         "optimised, per patient": "optimised, per\npatient (oracle)"}


def _short(arm: str) -> str:
    return next(v for k, v in SHORT.items() if arm.startswith(k))


def figure(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(17, 5.0))
    for k, r in enumerate(rows):
        ax1.step(r["months"], 100 * r["pfs_curve"], where="post", label=r["arm"], color=f"C{k}")
        ax2.errorbar([k], [100 * r["orr"]], yerr=[[100 * (r["orr"] - r["orr_low"])],
                                                  [100 * (r["orr_high"] - r["orr"])]],
                     fmt="o", color=f"C{k}", capsize=4)
    box = ax3.boxplot([r["activity_gbq"] for r in rows], positions=range(len(rows)),
                      widths=0.5, patch_artist=True)
    top = max(r["activity_gbq"].max() for r in rows)
    for k, (patch, r) in enumerate(zip(box["boxes"], rows, strict=True)):
        patch.set_facecolor(f"C{k}")
        patch.set_alpha(0.5)
        ax3.text(k, 1.04 * top, f"{100 * r['over_limit'][0]:.1f} %\nover", ha="center",
                 va="bottom", fontsize="small")
    ax1.set(xlabel="months since cycle 1", ylabel="progression-free survival (%)",
            title="Kaplan-Meier PFS (evaluable patients)", ylim=(0, 101))
    ax1.legend(fontsize="small", loc="lower left")
    labels = [_short(r["arm"]) for r in rows]
    ax2.set(xticks=range(len(rows)), ylabel="ORR (%)", title="Objective response (95 % CI)")
    ax2.set_xticklabels(labels, fontsize="small")
    ax3.set(xticks=range(len(rows)), ylabel="cumulative activity (GBq)", ylim=(0, 1.2 * top),
            title="Cumulative activity; patients over an enforced limit")
    ax3.set_xticklabels(labels, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def rule_accuracy(n: int) -> list[str]:
    """Cumulative kidney BED / limit under the adaptive rules (patients whose activity the
    bounds did not clip, for the personalised rule)."""
    lines = ["# Adaptive rules against the kidney limit (experiments/schedules.py --rules)", "",
             f"`NUMBA_NUM_THREADS=2 python experiments/schedules.py --rules --n {n}`: {n} "
             f"patients of `cohort=netter1` (seed {SEED}); BED/limit = cumulative kidney BED "
             "over the patient's limit (28 Gy with renal risk factors, 40 Gy without).", "",
             "| schedule | renal risk factors | patients at the kidney limit (dosimetry-guided: "
             "within one cycle of it) | BED/limit, min-max | their largest distance from the "
             "limit | over the limit | over by > 1 % | "
             "cycles, median (range) | wall s |", "|---|---|---|---|---|---|---|---|---|"]
    for risk in (False, True):
        for name, overrides in (("dosimetry_guided", ["therapy=dosimetry_guided"]),
                                ("personalised, replan every cycle",
                                 ["therapy=personalised_activity"]),
                                ("personalised, first cycle only",
                                 ["therapy=personalised_activity", "therapy.replan=first_cycle"])):
            cfg = config(n, SEED, *overrides, f"patient.renal_risk_factors={str(risk).lower()}")
            start = time.perf_counter()
            ds = simulator.simulate(cfg)
            wall = time.perf_counter() - start
            ratio = ds.kidney_bed_cumulative_gy.values / _kidney_limit(cfg)
            activity = ds.injected_activity_gbq.values
            cycles = (activity > 0).sum(axis=1)
            if name.startswith("personalised"):
                last = activity[:, -1]
                inside = (last > cfg["therapy"]["min_activity_gbq"]) & (
                    last < cfg["therapy"]["max_activity_gbq"])
                marrow = ds.marrow_dose_gy.sum("cycle").values / cfg["limits"]["marrow_dose_gy"]
                at_limit = inside & (ratio > marrow)       # the kidney limit binds
            else:   # stopped by the kidney: the next cycle would have passed it
                at_limit = ratio > 1.0 - ds.kidney_bed_gy.values[np.arange(n), cycles - 1] \
                    / _kidney_limit(cfg)
            dev = np.abs(ratio[at_limit] - 1.0)
            lines.append(
                f"| {name} | {'yes' if risk else 'no'} | {int(at_limit.sum())} | "
                f"{ratio.min():.4f}-{ratio.max():.4f} | "
                f"{(100 * dev.max()) if dev.size else float('nan'):.2f} % | "
                f"{100 * np.mean(ratio > 1.0):.1f} % | {100 * np.mean(ratio > 1.01):.1f} % | "
                f"{np.median(cycles):g} ({cycles.min()}-{cycles.max()}) | {wall:.0f} |")
            print(lines[-1], flush=True)
    return lines


def twins_plan(n: int) -> list[str]:
    """``prrt-sim plan cohort=example cohort.n_patients=n`` with the default search."""
    from simulator.plots import save_pareto_figure
    from simulator.report import plan_report

    start = time.perf_counter()
    result = simulator.plan(config(n, SEED, "plan=default", cohort="example"))
    wall = time.perf_counter() - start
    plan = result.plan
    plan.to_netcdf(RESULTS / "plan_twins.nc")
    save_pareto_figure(plan, RESULTS).rename(RESULTS / "plan_twins_pareto.png")
    front = plan.pareto.values
    lines = ["# Plan of the reference patient over its twins (experiments/schedules.py --twins)",
             "", f"`NUMBA_NUM_THREADS=2 python experiments/schedules.py --twins {n}`, i.e. "
             f"`prrt-sim plan cohort=example cohort.n_patients={n}` (seed {SEED}): "
             f"{wall:.0f} s in all on 2 shared cores.", "", "```", plan_report(plan), "```", "",
             "Pareto front (objective vs mean cumulative kidney BED, feasible candidates):", "",
             "| cycles | GBq per cycle | interval, weeks | peptide, nmol | ORR % | kidney BED "
             "mean, Gy | max, Gy | over a limit % |", "|---|---|---|---|---|---|---|---|"]
    order = np.argsort(plan.kidney_bed_mean_gy.values[front])
    for k in np.flatnonzero(front)[order]:
        lines.append(f"| {int(plan.n_cycles[k])} | {float(plan.activity_gbq[k]):.2f} | "
                     f"{float(plan.interval_weeks[k]):g} | {float(plan.peptide_nmol[k]):g} | "
                     f"{100 * float(plan.objective[k]):.0f} | "
                     f"{float(plan.kidney_bed_mean_gy[k]):.1f} | "
                     f"{float(plan.kidney_bed_max_gy[k]):.1f} | "
                     f"{100 * float(plan.exceedance_probability[k]):.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="trial patients per arm")
    parser.add_argument("--train", type=int, default=100, help="training patients")
    parser.add_argument("--rules", action="store_true", help="measure the adaptive rules")
    parser.add_argument("--twins", type=int, default=0, help="plan over this many twins")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.rules or args.twins:
        name, lines = (("schedules_rules.md", rule_accuracy(args.n)) if args.rules else
                       ("plan_twins.md", twins_plan(args.twins)))
        (RESULTS / name).write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        return
    start = time.perf_counter()
    rows = run(args.n, args.train)
    total = time.perf_counter() - start
    lines = markdown(rows, args.n, args.train, total)
    (RESULTS / "schedules.md").write_text("\n".join(lines) + "\n")
    figure(rows, RESULTS / "schedules.png")
    table = xr.Dataset(
        {key: ("arm", [r[key] for r in rows], {"units": unit})
         for key, unit in (("orr", "1"), ("orr_low", "1"), ("orr_high", "1"), ("orr_gain", "1"),
                           ("orr_gain_low", "1"), ("orr_gain_high", "1"), ("pfs20", "1"),
                           ("rmst_months", "months"), ("activity_median_gbq", "GBq"),
                           ("cycles_median", "1"), ("kidney_bed_median_gy", "Gy"))},
        coords={"arm": [r["arm"] for r in rows], "month": rows[0]["months"]},
        attrs={"command": f"python experiments/schedules.py --n {args.n} --train {args.train}",
               "wall_time_s": round(total, 1)})
    table["pfs"] = (("arm", "month"), np.stack([r["pfs_curve"] for r in rows]),
                    {"units": "1", "long_name": "Kaplan-Meier PFS, evaluable patients"})
    table["cumulative_activity_gbq"] = (("arm", "patient"), np.stack(
        [r["activity_gbq"] for r in rows]), {"units": "GBq"})
    table.to_netcdf(RESULTS / "schedules.nc")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
