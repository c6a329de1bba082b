"""The calibration report: ``experiments/results/calibration.md`` and its figure.

Reads what the stages of ``experiments/calibrate_posterior.py`` wrote (design, posterior,
fit summary, posterior predictive, founding cases) and the declared target files; every
number in the report comes from those files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from .design import load_design
from .likelihood import target_interval
from .posterior import load_posterior
from .predictive import FOUNDING_OVERRIDES, FOUNDING_TWIN_CORRELATIONS, FOUNDING_TWIN_SPREADS
from .space import Space

#: validation target -> statistic of the posterior predictive (None: not run, with why)
VALIDATION_STATISTICS = {
    "netter2_orr_treated": "netter2_orr_treated",
    "netter2_orr_control": "netter2_orr_control",
    "netter2_median_pfs_treated": "netter2_median_pfs_treated_months",
    "netter2_hazard_ratio": "netter2_hazard_ratio",
    "netter2_median_pfs_control": "netter2_median_pfs_control_months",
    # the pancreatic population's arm since the fifth calibration (docs/targets.md, dated
    # 2026-12-02); the midgut treated arm before
    "netterr_pnet_orr": "pancreatic_orr_treated",
    "netterr_pnet_median_pfs": "pancreatic_median_pfs_treated_months",
    "sundlov2022_pr": "sundlov_pr", "sundlov2022_sd": "sundlov_sd",
    "sundlov2022_pd": "sundlov_pd",
    "alipour2023_pr": "after_last_cycle_cr_or_pr", "alipour2023_sd": "after_last_cycle_sd",
    "alipour2023_pd": "after_last_cycle_pd",
}
#: validation targets whose declared emulation has a second run (validation.yaml: "two runs,
#: both reported"): target -> (statistic, label); reported beside the scored run, not counted
VALIDATION_SECOND_RUNS = {
    "netterr_pnet_orr": ("orr_treated", "run (b): the calibrated midgut population unchanged"),
    "netterr_pnet_median_pfs": ("median_pfs_treated_months",
                                "run (b): the calibrated midgut population unchanged"),
}
#: validation targets that are inputs of the emulation, not scored (docs/targets.md (b))
NOT_SCORED = {"netter2_median_pfs_control": "emulation input: the NETTER-2 control growth is "
                                            "fitted to it for every draw"}
#: posterior predictive checks: statistic -> (target of calibration.yaml, which end of a
#: range, note); their published values are read from that file, never copied here
CHECK_TARGETS = {
    "recist_cr_treated": ("netter1_cr_treated", None, "recalled, not verified"),
    "lesion_gy_per_cycle_p0p1": ("roth2022_lesion_dose_range", 0, "minimum of 880 lesion-cycles"),
    "lesion_gy_per_cycle_p99p9": ("roth2022_lesion_dose_range", 1, "maximum of 880 lesion-cycles"),
    "median_pfs_treated_months": ("netter1_median_pfs_treated_bound", None,
                                  "lower 95 % bound of a median not reached"),
    "kwekkeboom_pr": ("kwekkeboom2008_pr", None, "not fitted, docs/calibration.md §2; "
                                                 "his population's mixture (§19)"),
    "kwekkeboom_mr": ("kwekkeboom2008_mr", None, "not fitted; mixture"),
    "kwekkeboom_sd": ("kwekkeboom2008_sd", None, "not fitted; mixture"),
    "kwekkeboom_cr": ("kwekkeboom2008_cr", None, "fitted, with a discrepancy; mixture"),
    "kwekkeboom_pd": ("kwekkeboom2008_pd", None, "fitted, with a discrepancy; not seen in the "
                                                 "abstract; mixture"),
    "ezziddin_pr": ("ezziddin2014_pnet_pr", None, "fitted (the pancreatic alpha factor's "
                                                  "term, fifth calibration)"),
}


def check_rows(targets: list[dict]) -> dict[str, tuple[float | None, tuple | None, str]]:
    """statistic -> (published value, interval, source) of the posterior predictive checks:
    the targets of :data:`CHECK_TARGETS`, the NETTER-1 hazard ratio
    (:data:`simulator.netter1.PUBLISHED`) and the cycle-4 / cycle-1 lesion-dose ratio implied
    by Roth 2022's fall per cycle ((1 - fall)^3 over its declared span)."""
    from ..netter1 import PUBLISHED

    by_name = {t["name"]: t for t in targets}
    hr, hr_ci, _ = PUBLISHED["hazard_ratio"]
    rows = {"hazard_ratio": (hr, hr_ci, "NETTER-1 (same trial as the targets: a check, not "
                                        "validation)")}
    for stat, (name, end, note) in CHECK_TARGETS.items():
        t = by_name[name]
        src = f"{name}: {note}"
        if end is not None:
            rows[stat] = (float(t["interval"][end]), None, src)
        elif t["interval_kind"] == "lower_bound":
            rows[stat] = (None, (float(t["interval"][0]), None), src)
        else:
            rows[stat] = (float(t["k"]) / float(t["n"]) if t.get("n") else float(t["value"]),
                          target_interval(t), src)
    fall = by_name["roth2022_lesion_dose_fall_per_cycle"]
    lo, hi = (1.0 - float(fall["interval"][1])) ** 3, (1.0 - float(fall["interval"][0])) ** 3
    rows["lesion_dose_ratio_last_first_median"] = (
        None, (lo, hi), f"{fall['name']}: (1 - fall)^3 over the declared span")
    return rows


def _fmt(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:.{digits}g}"


def _span(lo: str, hi: str) -> str:
    """``lo-hi``, or ``lo to hi`` when a dash would read as a minus sign."""
    return f"{lo} to {hi}" if lo.startswith("-") or hi.startswith("-") else f"{lo}-{hi}"


def _band(values: np.ndarray) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    q = np.quantile(v, [0.05, 0.5, 0.95])
    return float(q[0]), float(q[1]), float(q[2])


def validation_rows(pred: xr.Dataset, validation: list[dict]) -> list[dict]:
    """Per validation target: posterior predictive mean (pooled over draws) with its Monte
    Carlo 95 % interval, the 90 % band over draws, the standardised residual and the
    declared pass criterion (pooled value and its Monte Carlo interval inside the published
    95 % interval; one-sided for an open interval)."""
    rows = []
    stats = list(pred.statistic.values)
    runs = []
    for t in validation:
        runs.append((t, VALIDATION_STATISTICS.get(t["name"]), t["name"],
                     t["name"] not in NOT_SCORED, None))
        second = VALIDATION_SECOND_RUNS.get(t["name"])
        if second is not None and second[0] in stats and \
                VALIDATION_STATISTICS.get(t["name"]) != second[0]:
            runs.append((t, second[0], f"{t['name']} ({second[1]})", False, second[1]))
    for t, stat, name, scored, second in runs:
        lo, hi = target_interval(t)
        row = {"name": name, "value": t["value"], "low": lo, "high": hi,
               "statistic": stat, "scored": scored}
        if stat is None or stat not in stats:
            row["status"] = "not run"
            rows.append(row)
            continue
        v = pred.statistic_value.sel(statistic=stat).values
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if v.size else float("nan")
        se_mc = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
        band = _band(v)
        se_pub = ((hi if hi is not None else 2 * t["value"] - lo) - lo) / 3.92
        z = (mean - t["value"]) / np.sqrt(se_pub ** 2 + se_mc ** 2)
        sd_draws = float(v.std(ddof=1)) if v.size > 1 else float("nan")
        z_post = (mean - t["value"]) / np.sqrt(se_pub ** 2 + sd_draws ** 2)
        inside = (mean - 1.96 * se_mc >= lo) and (hi is None or mean + 1.96 * se_mc <= hi)
        row |= {"mean": mean, "se_mc": se_mc, "band": band, "z": float(z),
                "z_posterior": float(z_post),
                "n_draws_finite": int(v.size),
                "status": ("consistent" if inside else "miss") if row["scored"]
                else (f"{'consistent' if inside else 'miss'}, not counted" if second
                      else "input (not scored)")}
        rows.append(row)
    return rows


def write_report(out: Path, targets_path: Path, validation_path: Path, space: Space) -> Path:
    """Write ``calibration.md`` (beside ``out``) and ``calibration_posterior.png``."""
    out = Path(out)
    design = load_design(out / "design.nc", space)
    fit = json.loads((out / "fit.json").read_text())
    post = load_posterior(out / "posterior.nc")
    pred = xr.load_dataset(out / "predictive.nc") if (out / "predictive.nc").exists() else None
    founding = xr.load_dataset(out / "founding.nc") if (out / "founding.nc").exists() else None
    validation = yaml.safe_load(Path(validation_path).read_text())["targets"]
    lines = ["# Calibration of the virtual NETTER-1 population as inference (issue 14)", "",
             "Generated by `python experiments/calibrate_posterior.py report` from the files in "
             "`experiments/results/calibration/`; method: docs/calibration.md; targets and "
             "validation set declared before the fit: docs/targets.md.", "",
             "## Compute", "",
             f"- design: {design.sizes['point']} points in {int(design.wave.max()) + 1} "
             f"wave(s), {design.attrs['n_patients_per_arm']} virtual patients per arm, seed "
             f"{design.attrs['seed']} (common random numbers), simulated at commit "
             f"{design.attrs.get('git_commit', 'unknown')}: `{design.attrs['command']}`",
             f"- fit: `{fit['command']}`: {fit['wall_time_s']:.0f} s (5-fold emulator "
             f"cross-validation, GP fits, emcee {fit['n_steps']} steps x "
             f"{post.sizes['chain']} walkers, burn-in {fit['burn']}, thin {fit['thin']}: "
             f"{fit['n_draws']} draws; acceptance {fit['acceptance_fraction']:.2f})"]
    if pred is not None:
        lines.append(f"- posterior predictive: `{pred.attrs['command']}`: "
                     f"{pred.sizes['draw']} draws x {pred.attrs['n_patients_per_arm']} patients "
                     f"per arm, trial seed {pred.attrs['trial_seed']}, "
                     f"{pred.attrs['wall_time_s']:.0f} s")
    if founding is not None:
        lines.append(f"- founding cases: `{founding.attrs['command']}`: "
                     f"{founding.sizes['draw']} draws x {founding.attrs['n_twins_per_draw']} "
                     f"twins per case, {founding.attrs['wall_time_s']:.0f} s")
    lines += ["", "## Posterior of the hyperparameters", "",
              "Those without a config path in docs/calibration.md §1 (the Kwekkeboom share and "
              "factor, the pancreatic alpha factor) enter only their own statistics, no "
              "NETTER-1 arm; `swog_cr` and `swog_pd` below are the midgut arm alone at factor 1 "
              "(the first four calibrations' emulation of Kwekkeboom).", "",
              "| hyperparameter | prior | posterior median | 90 % credible interval | "
              "autocorrelation (steps) |", "|---|---|---|---|---|"]
    for p in space.parameters:
        q = fit["posterior_quantiles"][p.name]
        prior = f"{'log-' if p.log else ''}uniform {_span(f'{p.low:g}', f'{p.high:g}')}"
        lines.append(f"| `{p.name}` | {prior} | {_fmt(q[1])} | {_span(_fmt(q[0]), _fmt(q[2]))} | "
                     f"{fit['autocorr_steps'][p.name]:.0f} |")
    lines += ["", f"{post.sizes['chain']} walkers x {fit['n_steps']} steps, the first "
              f"{fit['burn']} discarded; emcee's integrated autocorrelation times above (the "
              "kept chain should be >= 50 of them).", "",
              "## Emulator: 5-fold cross-validation on the design", "",
              "| statistic | RMSE | R^2 | RMS of error / predictive sd |", "|---|---|---|---|"]
    for s, r in fit["cross_validation"].items():
        lines.append(f"| `{s}` | {r['rmse']:.3g} | {r['r2']:.3f} | {r['z_rms']:.2f} |")
    lines += ["", "## Targets (fitted): published, emulated and simulated posterior predictive",
              "", "| target | statistic | published | SE or n | emulated 90 % | simulated "
              "median (90 %) | mean log-lik |", "|---|---|---|---|---|---|---|"]
    for t in fit["terms"]:
        emu = fit["emulated_predictive"][t["statistic"]]
        sim = "-"
        if pred is not None and t["statistic"] in pred.statistic.values:
            b = _band(pred.statistic_value.sel(statistic=t["statistic"]).values)
            sim = f"{_fmt(b[1])} ({_fmt(b[0])}-{_fmt(b[2])})"
        unc = f"n = {t['n_trial']}" if t["kind"] == "binomial" else f"SE {t['se']:.3g}"
        if t["kind"] == "lower_bound":
            unc += " (one-sided: >=)"
        if t["discrepancy_sd"]:
            unc += f", discrepancy sd {t['discrepancy_sd']:g}"
        lines.append(f"| {t['name']} | `{t['statistic']}` | {_fmt(t['value'])} | {unc} | "
                     f"{_fmt(emu[0])}-{_fmt(emu[2])} | {sim} | {t['mean_log_lik']:.2f} |")
    if pred is not None:
        lines += ["", "## Posterior predictive checks (not fitted)", "",
                  "| statistic | published | simulated median (90 % over draws) | source |",
                  "|---|---|---|---|"]
        targets = yaml.safe_load(Path(targets_path).read_text())["targets"]
        for s, (v, iv, src) in check_rows(targets).items():
            if s not in pred.statistic.values:
                continue
            b = _band(pred.statistic_value.sel(statistic=s).values)
            pub = _fmt(v) if v is not None else ""
            if iv is not None:
                pub += f" ({_fmt(iv[0])}-{_fmt(iv[1]) if iv[1] is not None else ''})"
            lines.append(f"| `{s}` | {pub} | {_fmt(b[1])} ({_fmt(b[0])}-{_fmt(b[2])}) | "
                         f"{src} |")
        for s in ("swog_cr", "swog_pd", "recist_pr_treated", "recist_sd_treated",
                  "recist_pd_treated",
                  "near_complete_treated", "cmr_and_near_complete_treated",
                  "sundlov_median_cycles", "netter2_growth_mean_percent_per_month",
                  "netter2_site_mix_orr_treated", "netter2_site_mix_orr_control",
                  "netter2_site_mix_hazard_ratio",
                  "netter2_site_mix_median_pfs_treated_months"):
            if s in pred.statistic.values:
                b = _band(pred.statistic_value.sel(statistic=s).values)
                lines.append(f"| `{s}` | | {_fmt(b[1])} ({_fmt(b[0])}-{_fmt(b[2])}) | |")
        lines += ["", "## Validation set (declared before the fit; reported whatever it shows)",
                  "", "Pass criterion as declared in docs/targets.md (b): the simulated value "
                  "(here the posterior predictive mean pooled over the draws) with its Monte "
                  "Carlo 95 % interval inside the published 95 % interval; z = (simulated - "
                  "published) / sqrt(SE_published^2 + SE_MC^2) as declared, and z_post with the "
                  "sd over draws (posterior uncertainty) in place of SE_MC. The spread over draws "
                  "is the posterior uncertainty of the population value plus the Monte Carlo "
                  "noise of each draw's cohort, not the sampling spread of a real trial of the "
                  "published size.", "",
                  "| target | published (95 %) | simulated mean +/- MC SE | 90 % over draws | z "
                  "| z_post | result |", "|---|---|---|---|---|---|---|"]
        for r in validation_rows(pred, validation):
            pub = f"{_fmt(r['value'])} ({_fmt(r['low'])}-{_fmt(r['high'])})"
            if r["status"] == "not run":
                lines.append(f"| {r['name']} | {pub} | - | - | - | - | not run |")
                continue
            b = r["band"]
            lines.append(f"| {r['name']} | {pub} | {_fmt(r['mean'])} +/- "
                         f"{_fmt(r['se_mc'], 2)} | {_fmt(b[0])}-{_fmt(b[2])} | "
                         f"{r['z']:+.1f} | {r['z_posterior']:+.1f} | {r['status']} |")
    for path in sorted(out.glob("predictive_*.nc")):
        if pred is not None:
            lines += variant_section(pred, xr.load_dataset(path), out, targets_path)
    if founding is not None:
        lines += ["", "## Founding cases: P(CMR + near-complete response) before conditioning "
                  "on it", "", f"Each posterior draw's {', '.join(FOUNDING_OVERRIDES)} put into "
                  "the case's population block, its "
                  f"{', '.join(FOUNDING_TWIN_SPREADS)} as the twins' spreads and its "
                  f"{', '.join(FOUNDING_TWIN_CORRELATIONS)} as their correlation "
                  "(predictive.founding_config); the case's own assumptions otherwise "
                  "(docs/founding_cases.md).", "",
                  "| case | pooled probability (Wilson 95 %, Monte Carlo) | 90 % over draws | "
                  "draws with no such twin |", "|---|---|---|---|"]
        from ..summary import wilson_interval
        for case in founding.case.values:
            k = founding.n_accepted.sel(case=case).values
            n = int(founding.attrs["n_twins_per_draw"]) * len(k)
            p, lo, hi = wilson_interval(int(k.sum()), n)
            b = _band(founding.p_cmr_and_near_complete.sel(case=case).values)
            lines.append(f"| {case} | {100 * p:.2f} % ({100 * lo:.2f}-{100 * hi:.2f} %) | "
                         f"{100 * b[0]:.2f}-{100 * b[2]:.2f} % | {int((k == 0).sum())} of "
                         f"{len(k)} |")
    maps = xr.load_dataset(out / "maps.nc") if (out / "maps.nc").exists() else None
    if maps is not None:
        lines += ["", "## Founding cases: where CMR + near-complete response arises "
                  "(activity x SSTR2 density, posterior band)", "",
                  f"`{maps.attrs['command']}`: {maps.sizes['draw']} posterior draws x "
                  f"{maps.attrs['n_twins_per_point']} twins per grid point (common random "
                  f"numbers), {maps.attrs['wall_time_s']:.0f} s. Each cell: mean over draws "
                  "(5-95 % over draws); the band includes each draw's Monte Carlo noise "
                  f"(one twin = {100 / maps.attrs['n_twins_per_point']:.2g} %). Figure: "
                  "`calibration_maps.png`.", ""]
        dens = maps.sstr_density_nmol_per_l.values
        for case in maps.case.values:
            pc = maps.p_cmr_and_near_complete.sel(case=case)
            lines += [f"**{case}**: P(CMR + near-complete), %", "",
                      "| activity per cycle \\ SSTR2 density | "
                      + " | ".join(f"{d:g} nmol/L" for d in dens) + " |",
                      "|---|" + "---|" * len(dens)]
            for a in maps.activity_gbq.values:
                cells = []
                for d in dens:
                    v = pc.sel(activity_gbq=a, sstr_density_nmol_per_l=d).values
                    q = np.quantile(v, [0.05, 0.95])
                    cells.append(f"{100 * v.mean():.1f} ({100 * q[0]:.1f}-{100 * q[1]:.1f})")
                lines.append(f"| {a:g} GBq | " + " | ".join(cells) + " |")
            lines.append("")
        _maps_figure(out.parent / "calibration_maps.png", maps)
    path = out.parent / "calibration.md"
    path.write_text("\n".join(lines) + "\n")
    _figure(out.parent / "calibration_posterior.png", post, space, fit, pred)
    return path


#: statistics that a variant's section reports beside its fitted terms' (the CR band, the
#: Kwekkeboom categories and the NETTER-1 arm's best response)
VARIANT_EXTRA_STATISTICS = ("recist_cr_treated", "recist_pd_treated", "kwekkeboom_pr",
                            "kwekkeboom_mr", "kwekkeboom_sd", "hazard_ratio",
                            "lesion_dose_ratio_last_first_median")


def variant_section(pred: xr.Dataset, variant: xr.Dataset, out: Path,
                    targets_path: Path) -> list[str]:
    """Report lines comparing a declared variant's simulated posterior predictive
    (``predictive<suffix>.nc``, from ``posterior<suffix>.nc``) with the main one, statistic
    by statistic: median (5-95 % over draws) of each, and the published value with its
    interval where the statistic has a target or a check."""
    suffix = Path(variant.attrs["posterior"]).stem.removeprefix("posterior")
    fit_path = out / f"fit{suffix}.json"
    terms = json.loads(fit_path.read_text())["terms"] if fit_path.exists() else []
    from ..summary import wilson_interval

    published = {}
    for t in terms:
        if t["kind"] == "binomial":
            iv = wilson_interval(round(t["value"] * t["n_trial"]), t["n_trial"])[1:]
        elif t["kind"] == "lower_bound":
            iv = (t["value"], None)
        else:
            iv = (t["value"] - 1.96 * t["se"], t["value"] + 1.96 * t["se"])
        published[t["statistic"]] = (t["value"], iv)
    targets = yaml.safe_load(Path(targets_path).read_text())["targets"]
    published |= {s: (v, iv) for s, (v, iv, _) in check_rows(targets).items()}
    lines = ["", f"## Declared variant `{suffix}`: simulated posterior predictive", "",
             f"`{variant.attrs['command']}`: {variant.sizes['draw']} draws of "
             f"`{variant.attrs['posterior']}` x {variant.attrs['n_patients_per_arm']} patients "
             f"per arm, trial seed {variant.attrs['trial_seed']} (the main predictive's), "
             f"validation arms {variant.attrs.get('validation_arms', 'simulated')}, "
             f"{variant.attrs['wall_time_s']:.0f} s. A sensitivity variant declared in "
             "docs/targets.md (c), not a candidate posterior. Median (5-95 % over draws).", "",
             "| statistic | published (95 %, as the likelihood or check reads it) | main | "
             "variant |", "|---|---|---|---|"]
    stats = [t["statistic"] for t in terms] + list(VARIANT_EXTRA_STATISTICS)
    for s in dict.fromkeys(stats):
        if s not in pred.statistic.values or s not in variant.statistic.values:
            continue
        cells = []
        for ds in (pred, variant):
            b = _band(ds.statistic_value.sel(statistic=s).values)
            cells.append(f"{_fmt(b[1])} ({_fmt(b[0])}-{_fmt(b[2])})")
        v, iv = published.get(s, (None, None))
        pub = _fmt(v) if v is not None else ""
        if iv is not None:
            pub += f" ({_fmt(iv[0])}-{_fmt(iv[1]) if iv[1] is not None else ''})"
        lines.append(f"| `{s}` | {pub} | {cells[0]} | {cells[1]} |")
    return lines


def _figure(path: Path, post: xr.Dataset, space: Space, fit: dict, pred) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    n, cols = space.dim, 5
    rows = -(-n // cols) + 1            # the hyperparameters, then the targets on a full row
    fig = plt.figure(figsize=(16, 3 * rows))
    grid = fig.add_gridspec(rows, cols)
    for j, p in enumerate(space.parameters):
        ax = fig.add_subplot(grid[j // cols, j % cols])
        v = post[p.name].values.ravel()
        bins = np.geomspace(p.low, p.high, 40) if p.log else np.linspace(p.low, p.high, 40)
        ax.hist(v, bins=bins, density=True, color="C0", alpha=0.8)
        if p.log:
            from matplotlib.ticker import NullFormatter
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(p.low, p.high)
        ax.set_title(p.name, fontsize=8)
        ax.set_yticks([])
    ax = fig.add_subplot(grid[rows - 1, :])
    terms = fit["terms"]
    for i, t in enumerate(terms):
        emu = fit["emulated_predictive"][t["statistic"]]
        ax.plot([i, i], [emu[0], emu[2]], color="C0", lw=4, alpha=0.6,
                label="emulated 90 %" if i == 0 else None)
        if pred is not None and t["statistic"] in pred.statistic.values:
            b = _band(pred.statistic_value.sel(statistic=t["statistic"]).values)
            ax.plot([i + 0.2] * 2, [b[0], b[2]], color="C1", lw=2,
                    label="simulated 90 %" if i == 0 else None)
        ax.plot(i, t["value"], "k*", label="target" if i == 0 else None)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_xticks(range(len(terms)))
    ax.set_xticklabels([t["name"].replace("_", " ") for t in terms], rotation=30, ha="right",
                       fontsize=7)
    ax.legend(fontsize=7)
    ax.set_title("targets and posterior predictive", fontsize=9)
    fig.suptitle("Posterior of the NETTER-1 population hyperparameters (prior range = x axis)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _maps_figure(path: Path, maps: xr.Dataset) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    cases = list(maps.case.values)
    fig, axes = plt.subplots(1, len(cases), figsize=(6 * len(cases), 4.8), squeeze=False)
    acts, dens = maps.activity_gbq.values, maps.sstr_density_nmol_per_l.values
    for ax, case in zip(axes[0], cases, strict=True):
        pc = maps.p_cmr_and_near_complete.sel(case=case).transpose(
            "draw", "activity_gbq", "sstr_density_nmol_per_l").values
        mean = pc.mean(axis=0)
        lo, hi = np.quantile(pc, [0.05, 0.95], axis=0)
        im = ax.imshow(100 * mean, origin="lower", cmap="viridis", aspect="auto",
                       vmin=0, vmax=max(1.0, 100 * float(mean.max())))
        for i in range(len(acts)):
            for j in range(len(dens)):
                ax.text(j, i, f"{100 * mean[i, j]:.1f}\n({100 * lo[i, j]:.1f}-"
                        f"{100 * hi[i, j]:.1f})", ha="center", va="center", fontsize=7,
                        color="w" if mean[i, j] < 0.6 * mean.max() else "k")
        ax.set_xticks(range(len(dens)), [f"{d:g}" for d in dens])
        ax.set_yticks(range(len(acts)), [f"{a:g}" for a in acts])
        ax.set_xlabel("tumour SSTR2 density [nmol/L]")
        ax.set_ylabel("activity per cycle [GBq]")
        ax.set_title(f"{case}: P(CMR + near-complete) [%]\nmean (5-95 % over posterior draws)",
                     fontsize=9)
        fig.colorbar(im, ax=ax, label="%")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
