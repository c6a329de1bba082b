"""Calibrate the virtual NETTER-1 population as Bayesian inference (issue 14; docs/calibration.md).

    NUMBA_NUM_THREADS=2 python experiments/calibrate_posterior.py design --n 200   # wave 0
    python experiments/calibrate_posterior.py fit                   # emulator + emcee
    python experiments/calibrate_posterior.py refine --n 60         # wave 1 at posterior draws
    python experiments/calibrate_posterior.py fit                   # refit on both waves
    python experiments/calibrate_posterior.py predictive --draws 30 # posterior predictive +
                                                                    # validation set
    python experiments/calibrate_posterior.py founding --draws 20   # founding cases
    python experiments/calibrate_posterior.py cohort                # default cohort=netter1
    python experiments/calibrate_posterior.py maps --draws 8        # their response maps
    python experiments/calibrate_posterior.py report                # results/calibration.md

Declared sensitivity variants (docs/targets.md (c)) go under a suffix and never replace the
files above: ``fit --add-terms T --suffix _v`` writes ``posterior_v.nc`` and ``fit_v.json``;
``predictive --suffix _v [--skip-validation]`` simulates them into ``predictive_v.nc``, which
``report`` sets beside the main predictive.

Files in ``experiments/results/calibration/``: ``design.nc`` (simulated design points),
``posterior.nc`` (ArviZ layout: groups ``posterior`` (chain, draw) and ``sample_stats``),
``fit.json`` (emulator cross-validation, convergence, likelihood terms), ``predictive.nc``
(statistics of one virtual trial per posterior draw), ``founding.nc``, ``maps.nc``; the report
``experiments/results/calibration.md`` and ``calibration_posterior.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr

from simulator.calibration.design import (
    lanes_overrides,
    latin_hypercube,
    load_design,
    run_design,
)
from simulator.calibration.emulator import Emulator, cross_validate
from simulator.calibration.likelihood import load_terms, log_likelihood
from simulator.calibration.posterior import load_posterior, posterior_draws, sample
from simulator.calibration.space import KWEKKEBOOM_FACTOR, KWEKKEBOOM_SHARE, Space

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "calibration"
DESIGN_NC, POSTERIOR, FIT = OUT / "design.nc", OUT / "posterior.nc", OUT / "fit.json"
PREDICTIVE, FOUNDING = OUT / "predictive.nc", OUT / "founding.nc"
#: every founding-case twin of the founding stage (all posterior draws pooled): what
#: ``founding_cases.py --infer-from`` conditions on when the default draw gives too few
FOUNDING_TWINS = OUT / "founding_twins.nc"
MAPS = OUT / "maps.nc"
TARGETS = HERE / "targets" / "calibration.yaml"
VALIDATION = HERE / "targets" / "validation.yaml"
#: the Sundlöv 2022 protocol (validation): 7.4 GBq cycles every 10 weeks until the kidney
#: limit (conf/therapy/dosimetry_guided.yaml)
SUNDLOV_OVERRIDES = ("therapy=dosimetry_guided", "therapy.interval_weeks=10")
#: NETTER-2's statistics of the posterior predictive (validation, docs/targets.md (b))
NETTER2_STATISTICS = ("orr_treated", "orr_control", "hazard_ratio", "median_pfs_treated_months",
                      "median_pfs_control_months")
#: statistics emulated besides the likelihood's (reported, not fitted)
EXTRA_EMULATED = ["recist_cr_treated"]


def command_line() -> str:
    return shlex.join(["python", "experiments/calibrate_posterior.py", *sys.argv[1:]])


def emulated_statistics(terms) -> list[str]:
    stats = []
    for t in terms:
        if t.statistic not in stats:
            stats.append(t.statistic)
    return stats + [s for s in EXTRA_EMULATED if s not in stats]


def with_discrepancies(terms, items: list[str], suffix: str):
    """``terms`` with the declared model discrepancy of some replaced (``--discrepancy
    TARGET=SD``, SD in the statistic's units): a sensitivity variant, so it needs ``suffix``."""
    if not items:
        return terms
    if not suffix:
        raise SystemExit("--discrepancy needs --suffix (the full posterior is not replaced)")
    new = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            sd = float(value)
        except ValueError:
            sd = float("nan")
        if name not in {t.name for t in terms} or not 0.0 <= sd < float("inf"):
            raise SystemExit(f"--discrepancy {item!r}: expected TARGET=SD with TARGET one of "
                             f"{[t.name for t in terms]} and SD >= 0 (finite)")
        if name in new:
            raise SystemExit(f"--discrepancy: {name} given twice")
        new[name] = sd
    return [dataclasses.replace(t, discrepancy_sd=new[t.name],
                                note=f"{t.note} [discrepancy {t.discrepancy_sd:g} -> "
                                     f"{new[t.name]:g}, --discrepancy]")
            if t.name in new else t for t in terms]


def stage_fit(args, space: Space) -> None:
    t0 = time.perf_counter()
    design = load_design(DESIGN_NC, space)
    if args.add_terms and not args.suffix:
        raise SystemExit("--add-terms needs --suffix (the full posterior is not replaced)")
    try:
        terms = load_terms(TARGETS, add=tuple(args.add_terms))
    except ValueError as err:
        raise SystemExit(f"--add-terms: {err}") from None
    unknown = set(args.drop_terms) - {t.name for t in terms}
    if unknown:
        raise SystemExit(f"--drop-terms: no such likelihood term {sorted(unknown)}; terms: "
                         f"{[t.name for t in terms]}")
    if args.drop_terms and not args.suffix:
        raise SystemExit("--drop-terms needs --suffix (the full posterior is not replaced)")
    terms = [t for t in terms if t.name not in args.drop_terms]
    terms = with_discrepancies(terms, args.discrepancy, args.suffix)
    posterior_path = OUT / f"posterior{args.suffix}.nc"
    fit_path = OUT / f"fit{args.suffix}.json"
    stats = emulated_statistics(terms)
    u = space.to_unit(design.theta.values)
    values = design.statistic_value.sel(statistic=stats).values
    n_sim = int(design.attrs["n_patients_per_arm"])
    cv = cross_validate(u, values, stats, k=5, seed=args.seed)
    print("emulator cross-validation (5-fold):")
    for s, r in cv.items():
        print(f"  {s:32s} RMSE {r['rmse']:.4g}  R2 {r['r2']:.3f}  z_rms {r['z_rms']:.2f}")
    emulator = Emulator(stats, seed=args.seed).fit(u, values).calibrate_variance(cv)
    # walkers start around the design points of highest emulated likelihood
    m, v = emulator.predict(u, noise=False)
    ll = log_likelihood(terms, stats, m, v, n_sim)
    start = u[np.argsort(ll)[-5:]]
    post = sample(space, emulator, terms, n_sim, n_walkers=args.walkers, n_steps=args.steps,
                  burn=args.burn, thin=args.thin, seed=args.seed, start=start)
    wall = time.perf_counter() - t0
    post.save(posterior_path, attrs={"command": command_line(), "design_points": int(len(u)),
                                "design_waves": int(design.wave.max()) + 1,
                                "n_patients_per_arm": n_sim, "wall_time_s": wall,
                                "targets": str(TARGETS.relative_to(HERE.parent))})
    flat_u = space.to_unit(post.flat())
    pm, pv = emulator.predict(flat_u[:: max(1, len(flat_u) // 2000)], noise=False)
    per_term = log_likelihood(terms, stats, pm, pv, n_sim, per_term=True)
    summary = {
        "command": command_line(), "wall_time_s": wall, "design_points": int(len(u)),
        "n_patients_per_arm": n_sim, "cross_validation": cv, "kernels": emulator.kernels(),
        "variance_factor": emulator.variance_factor,
        "acceptance_fraction": post.acceptance,
        "autocorr_steps": dict(zip(space.names, post.autocorr_steps.tolist(), strict=True)),
        "n_steps": post.n_steps, "burn": post.burn, "thin": post.thin,
        "n_draws": int(len(post.flat())),
        "posterior_quantiles": {
            n: np.quantile(post.flat()[:, j], [0.05, 0.5, 0.95]).tolist()
            for j, n in enumerate(space.names)},
        "emulated_predictive": {
            s: np.quantile(pm[:, j], [0.05, 0.5, 0.95]).tolist() for j, s in enumerate(stats)},
        "terms": [{"name": t.name, "statistic": t.statistic, "value": t.value, "kind": t.kind,
                   "se": t.se, "n_trial": t.n_trial, "discrepancy_sd": t.discrepancy_sd,
                   "note": t.note, "mean_log_lik": float(per_term[:, i].mean())}
                  for i, t in enumerate(terms)],
    }
    fit_path.write_text(json.dumps(summary, indent=1))
    print(f"posterior: {len(post.flat())} draws, acceptance {post.acceptance:.2f}, "
          f"autocorrelation {np.round(post.autocorr_steps, 0)} steps; {wall:.0f} s")
    for n, q in summary["posterior_quantiles"].items():
        print(f"  {n:36s} {q[1]:.4g} (90 %: {q[0]:.4g}-{q[2]:.4g})")


def stage_cohort(args, space: Space) -> None:
    """Write the default ``cohort=netter1``'s calibrated block (one posterior draw)."""
    from simulator.calibration.posterior import best_predictive_draw, representative_draw
    from simulator.config import config_dir
    from simulator.config.generated import write_generated

    if args.criterion == "predictive":
        if not PREDICTIVE.exists():
            raise SystemExit(f"{PREDICTIVE} does not exist: run the predictive stage first "
                             "(or --criterion median)")
        i, theta, ll = best_predictive_draw(xr.open_dataset(PREDICTIVE), load_terms(TARGETS),
                                            space, posterior=load_posterior(POSTERIOR))
        how = (f"the posterior-predictive draw (index {i}, 0-based, of {len(ll)} in\n"
               "experiments/results/calibration/predictive.nc) whose simulated virtual trial\n"
               "has the highest likelihood of the declared targets (docs/calibration.md §10)")
        others = np.sort(ll[np.isfinite(ll)])[::-1][1:4]
        print(f"predictive draw index {i}: simulated log-likelihood {ll[i]:.2f} (next "
              f"{others.round(2)})")
    else:
        theta = representative_draw(load_posterior(POSTERIOR), space)
        how = "the posterior draw nearest the marginal posterior medians\n(docs/calibration.md)"
    path = config_dir() / "cohort" / "fitted" / "netter1.yaml"
    write_generated(path, command_line(), space.cohort_block(theta), comment=(
        "The calibrated hyperparameters of the virtual NETTER-1 population, merged over the\n"
        f"hand-written conf/cohort/netter1.yaml (its defaults list):\n{how}; the posterior:\n"
        "experiments/results/calibration/posterior.nc; report: "
        "experiments/results/calibration.md."))
    print(f"wrote {path}: {dict(zip(space.names, np.round(theta, 5), strict=True))}")


def stage_refine(args, space: Space) -> None:
    design = load_design(DESIGN_NC, space)
    draws = posterior_draws(load_posterior(POSTERIOR), space, args.n, args.seed)
    run_design(space, draws, DESIGN_NC, int(design.attrs["n_patients_per_arm"]),
               int(design.attrs["seed"]), wave=int(design.wave.max()) + 1,
               command=command_line(), lanes=int(design.attrs.get("solver_lanes", 1)))


def lanes_count(text: str) -> int:
    """``--lanes``: an integer in the range of ``solver.lanes``, 1..64."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r}: solver.lanes must be an integer 1..64")
    return value


def stage_predictive(args, space: Space) -> None:
    from simulator.calibration.design import simulate_arms
    from simulator.calibration.predictive import (
        NETTER2_PANCREATIC_SHARE,
        fit_control_growth,
        growth_editor,
        predictive_summaries,
    )
    from simulator.response.recist import PD, PR, SD
    from simulator.trial import evaluable, run_arm, run_mixed_arm

    posterior_path = OUT / f"posterior{args.suffix}.nc"
    if not posterior_path.exists():
        raise SystemExit(f"--suffix {args.suffix!r}: {posterior_path} does not exist (run "
                         f"fit --suffix {args.suffix} first)")
    if args.skip_validation and not args.suffix:
        raise SystemExit("--skip-validation needs --suffix (the main predictive.nc feeds the "
                         "validation report)")
    out_path = OUT / f"predictive{args.suffix}.nc"
    draws = posterior_draws(load_posterior(posterior_path), space, args.draws, args.seed)
    rows, t0 = [], time.perf_counter()
    lanes = lanes_overrides(args.lanes)
    for i, theta in enumerate(draws):
        edit = space.editor(theta)
        # midgut arms (seed trial_seed) and the pancreatic arm (trial_seed + 1: 20170113)
        treated, control, pancreatic = simulate_arms(space, theta, args.patients,
                                                     args.trial_seed, args.lanes)
        row = predictive_summaries(treated, control, pancreatic,
                                   share=space.value(theta, KWEKKEBOOM_SHARE, 0.0),
                                   factor=space.value(theta, KWEKKEBOOM_FACTOR, 1.0))
        if args.skip_validation:
            rows.append(row)
            print(f"draw {i + 1}/{len(draws)} ({time.perf_counter() - t0:.0f} s): ORR "
                  f"{row['orr_treated']:.3f}, CR {row['recist_cr_treated']:.4f}", flush=True)
            write_predictive(space, draws, rows, args, t0, out_path)
            continue
        # NETTER-2 (validation): the control growth refitted to a median PFS of 8.5 months
        g2 = fit_control_growth(space, theta, 8.5, args.patients, args.trial_seed,
                                cohort="netter2", overrides=lanes)
        e2 = growth_editor(space, theta, g2)
        t2 = run_arm(args.patients, args.trial_seed, control=False, edit=e2, cohort="netter2",
                     overrides=lanes)
        c2 = run_arm(args.patients, args.trial_seed, control=True, edit=e2, cohort="netter2",
                     overrides=lanes)
        n2 = predictive_summaries(t2, c2)
        row |= {"netter2_growth_mean_percent_per_month": g2,
                **{f"netter2_{k}": n2[k] for k in NETTER2_STATISTICS}}
        if pancreatic is not None:
            # NETTER-2 with its primary-site mix (docs/calibration.md §15, §19): 54 % of the
            # patients the draw's pancreatic population, both arms on the same patients
            parts = ((NETTER2_PANCREATIC_SHARE, space.pancreatic_editor(theta, base=e2)),
                     (1.0 - NETTER2_PANCREATIC_SHARE, e2))
            t2m, c2m = (run_mixed_arm(args.patients, args.trial_seed, c, parts,
                                      cohort="netter2", overrides=lanes) for c in (False, True))
            n2m = predictive_summaries(t2m, c2m)
            row |= {f"netter2_site_mix_{k}": n2m[k] for k in NETTER2_STATISTICS}
        # Sundlöv 2022 (validation): 7.4 GBq every 10 weeks until the kidney limit
        t3 = run_arm(args.sundlov_patients, args.trial_seed, control=False, edit=edit,
                     overrides=(*SUNDLOV_OVERRIDES, *lanes))
        best3 = evaluable(t3).best_response.values
        row |= {**{f"sundlov_{n.lower()}": float(np.mean(best3 == c))
                   for n, c in (("PR", PR), ("SD", SD), ("PD", PD))},
                "sundlov_median_cycles": float(np.median(
                    (t3.injected_activity_gbq.values > 0).sum(axis=1)))}
        rows.append(row)
        print(f"draw {i + 1}/{len(draws)} ({time.perf_counter() - t0:.0f} s): ORR "
              f"{row['orr_treated']:.3f}, PFS20 {row['pfs20_treated']:.3f}, HR "
              f"{row['hazard_ratio']:.3f}; NETTER-2 ORR {row['netter2_orr_treated']:.3f}",
              flush=True)
        write_predictive(space, draws, rows, args, t0, out_path)


def write_predictive(space: Space, draws: np.ndarray, rows: list[dict], args, t0: float,
                     path: Path) -> None:
    """Write the predictive rows simulated so far (one virtual trial per posterior draw)."""
    names = list(rows[0])
    xr.Dataset(
        {"theta": (("draw", "hyperparameter"), draws[: len(rows)]),
         "statistic_value": (("draw", "statistic"),
                             np.array([[r[k] for k in names] for r in rows]))},
        coords={"hyperparameter": space.names, "statistic": names},
        attrs={"command": command_line(), "n_patients_per_arm": args.patients,
               "solver_lanes": args.lanes,
               "trial_seed": args.trial_seed, "draw_seed": args.seed,
               "posterior": f"posterior{args.suffix}.nc",
               "validation_arms": "skipped" if args.skip_validation else "simulated",
               "wall_time_s": time.perf_counter() - t0,
               "description": "posterior predictive: one virtual trial per posterior draw"}
    ).to_netcdf(path)


def stage_founding(args, space: Space) -> None:
    import simulator
    from simulator.calibration.predictive import founding_config
    from simulator.inference import with_accepted

    draws = posterior_draws(load_posterior(POSTERIOR), space, args.draws, args.seed)
    cases = ("founding_case1", "founding_case2")
    p = np.zeros((len(cases), len(draws)))
    k = np.zeros_like(p, dtype=int)
    t0 = time.perf_counter()
    pooled = []
    for c, case in enumerate(cases):
        parts = []
        for i, theta in enumerate(draws):
            cfg = founding_config(space, theta, case, args.twins, extra=lanes_overrides(args.lanes))
            twins = with_accepted(simulator.simulate(cfg))
            acc = twins.accepted.values
            k[c, i], p[c, i] = int(acc.sum()), float(acc.mean())
            parts.append(pooled_twins(twins, i))
            print(f"{case} draw {i + 1}/{len(draws)} ({time.perf_counter() - t0:.0f} s): "
                  f"P(CMR + near-complete) {p[c, i]:.4f}", flush=True)
        pooled.append(xr.concat(parts, dim="patient").assign_coords(
            patient=np.arange(sum(x.sizes["patient"] for x in parts))))
    xr.concat(pooled, dim=xr.DataArray(list(cases), dims="case", name="case"),
              join="outer").assign_attrs(
        command=command_line(), n_twins_per_draw=args.twins, solver_lanes=args.lanes,
        description="the founding stage's twins of every posterior draw, pooled (draw: the "
                    "index of the draw in founding.nc); accepted = the reported outcome"
    ).to_netcdf(FOUNDING_TWINS)
    xr.Dataset(
        {"p_cmr_and_near_complete": (("case", "draw"), p, {
            "units": "1", "long_name": "fraction of the case's prior twins reaching CMR + "
                                       "near-complete response, at one posterior draw"}),
         "n_accepted": (("case", "draw"), k, {"units": "1"}),
         "theta": (("draw", "hyperparameter"), draws)},
        coords={"case": list(cases), "hyperparameter": space.names},
        attrs={"command": command_line(), "n_twins_per_draw": args.twins,
               "solver_lanes": args.lanes,
               "wall_time_s": time.perf_counter() - t0}).to_netcdf(FOUNDING)


def pooled_twins(twins: xr.Dataset, draw: int) -> xr.Dataset:
    """What the pooled twins file keeps of one draw's twins: the varied parameters (float32:
    medians are written to 4 significant digits), the accept flag, the best decrease and the
    draw index per twin."""
    return xr.Dataset(
        {"parameter_value": twins.parameter_value.astype(np.float32),
         "accepted": twins.accepted, "best_decrease": twins.best_decrease.astype(np.float32),
         "draw": ("patient", np.full(twins.sizes["patient"], draw, dtype=np.int16))})


def stage_maps(args, space: Space) -> None:
    """P(CMR + near-complete) of each founding case's twins over activity x SSTR density,
    per posterior draw (the response map with its posterior band)."""
    import simulator
    from simulator.calibration.predictive import founding_config
    from simulator.inference import reported_outcome

    draws = posterior_draws(load_posterior(POSTERIOR), space, args.draws, args.seed)
    cases = ("founding_case1", "founding_case2")
    acts, dens = [float(a) for a in args.activities], [float(d) for d in args.densities]
    p = np.zeros((len(cases), len(draws), len(acts), len(dens)))
    t0 = time.perf_counter()
    for c, case in enumerate(cases):
        for i, theta in enumerate(draws):
            cfg = simulator.validate(founding_config(
                space, theta, case, args.twins,
                extra=("cohort.sampled_override=shift", *lanes_overrides(args.lanes))))
            plain = dict(cfg)
            plain["grid"] = {"therapy.activity_gbq": acts,
                             "patient.sstr_density_nmol_per_l": dens}
            both = reported_outcome(simulator.simulate(plain))[1]
            p[c, i] = both.mean("patient").transpose(
                "activity_gbq", "sstr_density_nmol_per_l").values
            print(f"{case} draw {i + 1}/{len(draws)} ({time.perf_counter() - t0:.0f} s): "
                  f"max P {p[c, i].max():.3f}", flush=True)
    xr.Dataset(
        {"p_cmr_and_near_complete": (("case", "draw", "activity_gbq",
                                      "sstr_density_nmol_per_l"), p, {
            "units": "1", "long_name": "fraction of the case's twins reaching CMR + "
                                       "near-complete response, at one posterior draw"}),
         "theta": (("draw", "hyperparameter"), draws)},
        coords={"case": list(cases), "hyperparameter": space.names,
                "activity_gbq": ("activity_gbq", acts, {"units": "GBq",
                                                        "long_name": "activity per cycle"}),
                "sstr_density_nmol_per_l": ("sstr_density_nmol_per_l", dens, {
                    "units": "nmol/L", "long_name": "tumour SSTR2 density (twins' median)"})},
        attrs={"command": command_line(), "n_twins_per_point": args.twins,
               "solver_lanes": args.lanes,
               "wall_time_s": time.perf_counter() - t0}).to_netcdf(MAPS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("design", help="simulate a Latin-hypercube design (wave 0)")
    p.add_argument("--n", type=int, default=200, help="design points")
    p.add_argument("--patients", type=int, default=2000, help="virtual patients per arm")
    p.add_argument("--seed", type=int, default=6, help="root seed (common random numbers)")
    p.add_argument("--design-seed", type=int, default=14, help="seed of the hypercube")
    p.add_argument("--lanes", type=lanes_count, default=1, metavar="1..64",
                   help="solver.lanes of the trials (64: 2.9x faster per point on 2 cores, "
                        "within the solver tolerance of 1; refine keeps the design's)")
    p = sub.add_parser("fit", help="emulators + emcee posterior")
    p.add_argument("--walkers", type=int, default=40)
    # integrated autocorrelation times were ~70-100 steps with the DE moves on the design:
    # the kept chain (steps - burn) should be >= 50 and the burn-in >= 5 of them
    p.add_argument("--steps", type=int, default=12000)
    p.add_argument("--burn", type=int, default=3000)
    p.add_argument("--thin", type=int, default=15)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drop-terms", nargs="+", default=[], metavar="TARGET",
                   help="leave these likelihood terms out (a sensitivity check of the "
                        "posterior; needs --suffix)")
    p.add_argument("--add-terms", nargs="+", default=[], metavar="TARGET",
                   help="add a declared variant term (likelihood.VARIANT_TERMS: a sensitivity "
                        "variant; needs --suffix)")
    p.add_argument("--discrepancy", nargs="+", default=[], metavar="TARGET=SD",
                   help="replace a term's declared model discrepancy (a sensitivity variant; "
                        "needs --suffix)")
    p.add_argument("--suffix", default="",
                   help="write posterior<suffix>.nc and fit<suffix>.json")
    p = sub.add_parser("refine", help="simulate posterior draws as a new design wave")
    p.add_argument("--n", type=int, default=60)
    p.add_argument("--seed", type=int, default=2)
    p = sub.add_parser("predictive", help="one virtual trial per posterior draw")
    p.add_argument("--draws", type=int, default=30)
    p.add_argument("--patients", type=int, default=2000)
    p.add_argument("--sundlov-patients", type=int, default=500,
                   help="virtual patients of the Sundlöv 2022 protocol per draw (up to 10 "
                        "cycles: the costliest arm)")
    p.add_argument("--seed", type=int, default=3, help="seed of the draw selection")
    p.add_argument("--trial-seed", type=int, default=20170112,
                   help="root seed of the virtual patients (not the calibration's)")
    p.add_argument("--lanes", type=lanes_count, default=1, metavar="1..64",
                   help="solver.lanes of the simulations (results within the solver "
                        "tolerance of 1, docs/calibration.md §13)")
    p.add_argument("--suffix", default="",
                   help="read posterior<suffix>.nc (a fit --suffix variant) and write "
                        "predictive<suffix>.nc")
    p.add_argument("--skip-validation", action="store_true",
                   help="simulate only the calibration arms (NETTER-1 midgut arms and the "
                        "pancreatic arm), not NETTER-2 and Sundlöv; needs --suffix")
    p = sub.add_parser("founding", help="founding cases' P(CMR + near-complete) per draw")
    p.add_argument("--draws", type=int, default=20)
    p.add_argument("--twins", type=int, default=2000)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--lanes", type=lanes_count, default=1, metavar="1..64",
                   help="solver.lanes of the simulations (results within the solver "
                        "tolerance of 1, docs/calibration.md §13)")
    p = sub.add_parser("maps", help="founding-case response maps per posterior draw")
    p.add_argument("--draws", type=int, default=8)
    p.add_argument("--twins", type=int, default=150, help="twins per grid point")
    p.add_argument("--activities", type=float, nargs="+", default=[3.7, 7.4, 11.1, 14.8],
                   help="activity per cycle [GBq]")
    p.add_argument("--densities", type=float, nargs="+", default=[10.0, 30.0, 100.0, 300.0],
                   help="tumour SSTR2 density [nmol/L]")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--lanes", type=lanes_count, default=1, metavar="1..64",
                   help="solver.lanes of the simulations (results within the solver "
                        "tolerance of 1, docs/calibration.md §13)")
    p = sub.add_parser("cohort", help="write the default cohort=netter1's calibrated block "
                                      "(conf/cohort/fitted/netter1.yaml)")
    p.add_argument("--criterion", choices=("predictive", "median"), default="predictive",
                   help="predictive: the posterior-predictive draw whose simulated trial fits "
                        "the targets best (needs the predictive stage); median: the posterior "
                        "draw nearest the marginal medians")
    sub.add_parser("report", help="write results/calibration.md and the figure")
    args = parser.parse_args(argv)
    space = Space()
    if args.stage == "design":
        theta = latin_hypercube(space, args.n, args.design_seed)
        run_design(space, theta, DESIGN_NC, args.patients, args.seed, wave=0,
                   command=command_line(), lanes=args.lanes)
    elif args.stage == "fit":
        stage_fit(args, space)
    elif args.stage == "refine":
        stage_refine(args, space)
    elif args.stage == "predictive":
        stage_predictive(args, space)
    elif args.stage == "cohort":
        stage_cohort(args, space)
    elif args.stage == "founding":
        stage_founding(args, space)
    elif args.stage == "maps":
        stage_maps(args, space)
    else:
        from simulator.calibration.report import write_report
        print(f"wrote {write_report(OUT, TARGETS, VALIDATION, space)}")


if __name__ == "__main__":
    main()
