"""Would a pancreatic share and more early progression bring Kwekkeboom's categories into
their intervals?  A sensitivity over his population, not a fit.

    NUMBA_NUM_THREADS=2 python experiments/kwekkeboom_site_mix.py [--site alpha] [--n 2000]
        [--lanes 64] [--hazard-factors 1 1.5 2 3 4 6 8 12 16]
    python experiments/kwekkeboom_site_mix.py --report     # the report again, from the .nc

writes ``results/kwekkeboom_site_mix.md`` and ``.nc`` (``--site clearance``:
``results/kwekkeboom_site_mix_clearance.*``).

The calibration emulates Kwekkeboom 2008's 310 GEP-NET patients (targets ``kwekkeboom2008_cr``
and ``_pd``, docs/targets.md) with the midgut NETTER-1 population, and its posterior predictive
stays below both intervals (docs/validation.md, rung 4). Kwekkeboom's population was mixed,
pancreatic NETs among them, but its composition by tumour type was not found
(docs/targets.md, verification note of 2026-12-01), and nothing says how often his patients
grew new lesions against NETTER-1's. So this is a **sensitivity over two unknowns of his
population**, not a validation and not a fit (docs/calibration.md §15 and §18): for each of the
20 posterior draws of ``results/calibration/predictive.nc``,

* the midgut part is that draw's own predictive trial, simulated again (the treated arm, its
  seed and lanes; its Kwekkeboom categories must equal ``predictive.nc``'s within a few
  patients (another CPU's rounding), else the file is stale and the run stops);
* the pancreatic part is the draw's treated arm with the pancreatic change fitted by
  ``experiments/site_clearance.py`` (``--site alpha``, default: clearance 30 d and the fitted
  alpha of ``results/site_alpha.nc``; ``--site clearance``: the fitted clearance of
  ``results/site_clearance.nc``), other virtual patients (seed 20170113), on Kwekkeboom's
  categories (``simulator.calibration.summaries.swog_best_response``);
* a share s of pancreatic patients gives each category's rate as (1 - s) midgut + s pancreatic
  (the expectation of a mixed cohort);
* a **study-level new-lesion hazard factor** f >= 1 multiplies every patient's new-lesion
  hazard in both parts, read from the same arms (``swog_best_response(...,
  new_lesion_hazard_factor=f)``, exact: the same categories as arms simulated with that
  hazard, tests/unit/calibration/test_calibration.py).

Reported per (s, f): CR, PR, MR, SD and PD, median and 5-95 % over draws, against Kwekkeboom's
Wilson intervals, and the factor at which each share reaches his PD of 20 %.  The pancreatic
part differs from the midgut part in alpha and clearance only; f is the same for both parts.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import xarray as xr

from simulator.calibration.design import lanes_overrides
from simulator.calibration.likelihood import declared_target
from simulator.calibration.predictive import median_editor
from simulator.calibration.space import ALPHA, CLEARANCE, Space
from simulator.calibration.summaries import SWOG_CATEGORIES, swog_rates
from simulator.trial import run_arm

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PREDICTIVE = RESULTS / "calibration" / "predictive.nc"
TARGETS = HERE / "targets" / "calibration.yaml"
#: the pancreatic part's virtual patients (the midgut part's are predictive.nc's, 20170112)
PANCREATIC_SEED = 20170113
SHARES = (0.0, 0.1, 0.2, 0.3, 0.5)
HAZARD_FACTORS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
CATEGORIES = SWOG_CATEGORIES
#: Kwekkeboom 2008's categories that are declared calibration targets or checks
#: (docs/targets.md (a)), with their Wilson intervals
DECLARED = {c: f"kwekkeboom2008_{c.lower()}" for c in CATEGORIES}


def declared(name: str) -> tuple[float, float, float]:
    """(value, Wilson low, Wilson high) of a declared calibration target."""
    value, (lo, hi) = declared_target(TARGETS, name)
    return value, lo, hi


def site_edit(edit, site: xr.Dataset, i: int):
    """The draw's edit with the pancreatic clearance and alpha medians of ``site``."""
    alpha = (float(site.pancreatic_alpha_median_per_gy.values[i])
             if "pancreatic_alpha_median_per_gy" in site else None)
    return median_editor(edit, {CLEARANCE: float(site.pancreatic_clearance_median_d.values[i]),
                                ALPHA: alpha})


def check_same_draws(site: xr.Dataset, pred: xr.Dataset, name: str) -> None:
    """The site run's draws must be predictive.nc's first draws, in order (it records each
    draw's own alpha and clearance medians): a regenerated predictive.nc is refused."""
    n = site.sizes["draw"]
    if n > pred.sizes["draw"]:
        raise SystemExit(f"{name} has {n} draws, {PREDICTIVE.name} only {pred.sizes['draw']}")
    for ours, theirs in (("own_alpha_median_per_gy", "alpha_median_per_gy"),
                         ("own_clearance_median_d", "clearance_median_d")):
        if ours not in site:
            raise SystemExit(f"{name} does not record its draws' {ours}: the draws cannot be "
                             f"matched to {PREDICTIVE.name}; rerun experiments/site_clearance.py")
        if not np.array_equal(
                site[ours].values, pred.theta.sel(hyperparameter=theirs).values[:n]):
            raise SystemExit(f"{name} was made from other posterior draws than {PREDICTIVE.name}"
                             f" ({ours}): rerun experiments/site_clearance.py first")


#: how many patients' worth the re-simulated midgut arm may differ from predictive.nc per
#: category: on another CPU numpy rounds exp/log differently, which can move a patient across
#: a response threshold (docs/reproducibility.md); a stale file or a changed engine moves more
MIDGUT_TOLERANCE_PATIENTS = 3


def check_midgut(rates: dict[str, float], pred: xr.Dataset, i: int) -> None:
    """The midgut arm simulated again must give ``predictive.nc``'s Kwekkeboom categories of
    draw ``i`` (same draw, seed and lanes) within :data:`MIDGUT_TOLERANCE_PATIENTS` patients
    of its evaluable ones: else the engine or the file changed."""
    n = float(pred.statistic_value.sel(statistic="n_evaluable_treated").values[i])
    for c in ("CR", "PR", "MR", "PD"):
        old = float(pred.statistic_value.sel(statistic=f"swog_{c.lower()}").values[i])
        if abs(rates[c] - old) * n > MIDGUT_TOLERANCE_PATIENTS + 1e-9:
            raise SystemExit(f"draw {i}: the midgut arm gives Kwekkeboom {c} {rates[c]:.4f}, "
                             f"{PREDICTIVE.name} {old:.4f} (more than "
                             f"{MIDGUT_TOLERANCE_PATIENTS} of {n:.0f} patients apart): "
                             "regenerate it or find what changed")


def categories(arm: xr.Dataset, factors) -> dict[str, np.ndarray]:
    """Kwekkeboom's category rates (factor,) per category."""
    per_factor = [swog_rates(arm, f) for f in factors]
    return {c: np.array([r[c] for r in per_factor]) for c in CATEGORIES}


def mixed(midgut: np.ndarray, pancreatic: np.ndarray, share: float) -> np.ndarray:
    """Rates of a cohort with a pancreatic ``share`` (expectation over its composition)."""
    return (1.0 - share) * midgut + share * pancreatic


def hazard_factor_type(text: str) -> float:
    value = float(text)
    if not (np.isfinite(value) and value >= 1.0):
        raise argparse.ArgumentTypeError(f"--hazard-factors: {text!r}: allowed 1 <= f < inf")
    return value


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", choices=("alpha", "clearance"), default="alpha")
    parser.add_argument("--n", type=int, default=2000, help="pancreatic virtual patients")
    parser.add_argument("--lanes", type=int, default=64, help="solver.lanes (1..64)")
    parser.add_argument("--hazard-factors", type=hazard_factor_type, nargs="+",
                        default=list(HAZARD_FACTORS), metavar="F",
                        help="study-level new-lesion hazard factors (>= 1, the first 1)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite the report from the results' .nc")
    args = parser.parse_args(argv)
    if args.report:
        report(xr.load_dataset(RESULTS / f"{output_name(args.site)}.nc"))
        return
    factors = sorted(set(args.hazard_factors))
    if factors[0] != 1.0:
        parser.error(f"--hazard-factors {factors}: must include 1 (the calibrated population)")
    site = xr.load_dataset(RESULTS / f"site_{args.site}.nc")
    pred = xr.load_dataset(PREDICTIVE)
    space = Space()
    if list(pred.hyperparameter.values) != space.names:
        raise SystemExit(f"{PREDICTIVE}: its hyperparameters are not this Space's")
    check_same_draws(site, pred, f"site_{args.site}.nc")
    draws, lanes, t0 = site.sizes["draw"], lanes_overrides(args.lanes), time.perf_counter()
    own_lanes = lanes_overrides(int(pred.attrs["solver_lanes"]))
    shape = (draws, len(factors))
    parts = {part: {c: np.zeros(shape) for c in CATEGORIES} for part in ("midgut", "pancreatic")}
    for i in range(draws):
        edit = space.editor(pred.theta.values[i])
        arms = {"midgut": run_arm(int(pred.attrs["n_patients_per_arm"]),
                                  int(pred.attrs["trial_seed"]), False, edit,
                                  overrides=own_lanes),
                "pancreatic": run_arm(args.n, PANCREATIC_SEED, False, site_edit(edit, site, i),
                                      overrides=lanes)}
        for part, arm in arms.items():
            rates = categories(arm, factors)
            for c in CATEGORIES:
                parts[part][c][i] = rates[c]
        check_midgut({c: parts["midgut"][c][i, 0] for c in CATEGORIES}, pred, i)
        print(f"draw {i + 1}/{draws} ({time.perf_counter() - t0:.0f} s): PD midgut "
              f"{parts['midgut']['PD'][i, 0]:.3f} -> {parts['midgut']['PD'][i, -1]:.3f}, "
              f"pancreatic {parts['pancreatic']['PD'][i, 0]:.3f} -> "
              f"{parts['pancreatic']['PD'][i, -1]:.3f} (x1 -> x{factors[-1]:g})", flush=True)
    dims = ("draw", "hazard_factor")
    data = {f"{part}_{c.lower()}": (dims, rates[c], {"units": "1", "long_name": (
        f"Kwekkeboom {c} rate of the {part} part")})
        for part, rates in parts.items() for c in CATEGORIES}
    ds = xr.Dataset(
        data, coords={"draw": np.arange(draws), "hazard_factor": (
            "hazard_factor", np.asarray(factors), {"units": "1", "long_name": (
                "study-level factor on every patient's new-lesion hazard")})},
        attrs={"command": "NUMBA_NUM_THREADS=2 python experiments/kwekkeboom_site_mix.py "
                          f"--site {args.site} --n {args.n} --lanes {args.lanes} "
                          f"--hazard-factors {' '.join(f'{f:g}' for f in factors)}",
               "site": f"experiments/results/site_{args.site}.nc", "site_fit": args.site,
               "predictive": str(PREDICTIVE.relative_to(HERE.parent)),
               "site_draws_at_search_end": int(np.sum(site.fit_reached.values == 0)),
               "wall_time_s": time.perf_counter() - t0})
    ds.to_netcdf(RESULTS / f"{output_name(args.site)}.nc")
    report(ds)


def output_name(site: str) -> str:
    """The results' file name (without suffix) for a site run."""
    return "kwekkeboom_site_mix" if site == "alpha" else f"kwekkeboom_site_mix_{site}"


def band(x: np.ndarray) -> str:
    q = np.percentile(x, [50, 5, 95]) * 100.0
    return f"{q[0]:.2g} % ({q[1]:.2g}-{q[2]:.2g})"


def factor_for(pd_rate: np.ndarray, factors: np.ndarray, target: float) -> np.ndarray:
    """Per draw, the hazard factor at which ``pd_rate`` (draw, factor) reaches ``target``
    (linear in log f between grid points; inf beyond the grid, 1 if already there)."""
    out = np.full(pd_rate.shape[0], np.inf)
    logf = np.log(factors)
    for i, row in enumerate(pd_rate):
        if row[0] >= target:
            out[i] = 1.0
        elif row[-1] >= target:
            k = int(np.argmax(row >= target))
            w = (target - row[k - 1]) / (row[k] - row[k - 1])
            out[i] = float(np.exp(logf[k - 1] + w * (logf[k] - logf[k - 1])))
    return out


def report(ds: xr.Dataset) -> None:
    n = ds.sizes["draw"]
    factors = ds.hazard_factor.values
    targets = {c: declared(name) for c, name in DECLARED.items()}
    floor = int(ds.attrs.get("site_draws_at_search_end", 0))
    head = " | ".join(f"{c} ({v:.0%}, {lo:.1%}-{hi:.1%})" for c, (v, lo, hi) in targets.items())
    lines = [
        "# Kwekkeboom's categories with a pancreatic share and a study-level new-lesion hazard: "
        "a sensitivity (experiments/kwekkeboom_site_mix.py)", "",
        f"`{ds.attrs['command']}`; midgut part: `{ds.attrs.get('predictive', PREDICTIVE.name)}`'s "
        f"treated arms simulated again (categories checked against it); "
        f"pancreatic change from "
        f"`{ds.attrs['site']}`"
        + (f" (in {floor} of {n} draws the search's end, not a fit)" if floor else "")
        + f"; {n} posterior draws, wall time {ds.attrs['wall_time_s']:.0f} s. Median (5-95 %) "
        "over draws, and in how many draws the rate lies inside Kwekkeboom's Wilson interval. "
        "The share s and the factor f are unknowns of his population (not a fit, not a "
        "validation): docs/calibration.md §18.", "",
        f"| s | f | {head} | CR, PR, PD all inside | all five inside |",
        "|---|---|" + "---|" * (len(CATEGORIES) + 2)]
    for s in SHARES:
        for k, f in enumerate(factors):
            m = {c: mixed(ds[f"midgut_{c.lower()}"].values[:, k],
                          ds[f"pancreatic_{c.lower()}"].values[:, k], s) for c in CATEGORIES}
            inside = {c: (m[c] >= lo) & (m[c] <= hi) for c, (_, lo, hi) in targets.items()}
            cells = " | ".join(f"{band(m[c])}, {int(inside[c].sum())}" for c in CATEGORIES)
            three = int(np.sum(inside["CR"] & inside["PR"] & inside["PD"]))
            five = int(np.sum(np.all(list(inside.values()), axis=0)))
            lines.append(f"| {s:.1f} | {f:g} | {cells} | {three} of {n} | {five} of {n} |")
    lines += ["",
              f"Hazard factor at which the mixed PD reaches Kwekkeboom's "
              f"{targets['PD'][0]:.0%} (linear in log f; median over all draws, a draw "
              f"that does not reach it by x{factors[-1]:g} counted as beyond the grid), and the "
              "CR and PR there (over the draws that reach it):", "",
              "| s | f for PD 20 % | draws reaching it | CR there | PR there |",
              "|---|---|---|---|---|"]
    for s in SHARES:
        pd_ = mixed(ds.midgut_pd.values, ds.pancreatic_pd.values, s)
        f20 = factor_for(pd_, factors, targets["PD"][0])
        ok = np.isfinite(f20)
        at = {}
        for c in ("CR", "PR"):
            rate = mixed(ds[f"midgut_{c.lower()}"].values, ds[f"pancreatic_{c.lower()}"].values, s)
            at[c] = np.array([np.interp(np.log(f), np.log(factors), rate[i])
                              for i, f in enumerate(f20) if np.isfinite(f)])
        m = np.median(f20)
        med = f"{m:.2g}" if np.isfinite(m) else f"> {factors[-1]:g}"
        lines.append(f"| {s:.1f} | {med} | {int(ok.sum())} of {n} | "
                     f"{band(at['CR']) if ok.any() else '-'} | "
                     f"{band(at['PR']) if ok.any() else '-'} |")
    lines.append("")
    text = "\n".join(lines)
    (RESULTS / f"{output_name(ds.attrs.get('site_fit', 'alpha'))}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
