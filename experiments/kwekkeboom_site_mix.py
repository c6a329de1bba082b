"""Would a pancreatic share bring Kwekkeboom's CR and PD into their intervals?  A sensitivity.

    NUMBA_NUM_THREADS=2 python experiments/kwekkeboom_site_mix.py [--site alpha] [--n 2000]
        [--lanes 64]
    python experiments/kwekkeboom_site_mix.py --report     # the report again, from the .nc

writes ``results/kwekkeboom_site_mix.md`` and ``.nc``.

The calibration emulates Kwekkeboom 2008's 310 GEP-NET patients (targets ``kwekkeboom2008_cr``
and ``_pd``, docs/targets.md) with the midgut NETTER-1 population, and its posterior predictive
stays below both intervals (CR 0.53 %, PD 9.5 %; docs/calibration.md §12). Kwekkeboom's
population was mixed, pancreatic NETs among them, but its composition by tumour type was not
found (docs/targets.md, verification note of 2026-12-01). So this is a **sensitivity over the
unknown pancreatic share s**, not a validation and not a fit: for each of the 20 posterior draws
of ``results/calibration/predictive.nc``,

* the midgut part is that draw's own predictive trial (its Kwekkeboom categories, 2000 patients,
  seed 20170112, already in ``predictive.nc``);
* the pancreatic part is the draw's treated arm with the pancreatic change fitted by
  ``experiments/site_clearance.py`` (``--site alpha``, default: clearance 30 d and the fitted
  alpha of ``results/site_alpha.nc``; ``--site clearance``: the fitted clearance of
  ``results/site_clearance.nc``), other virtual patients (seed 20170113), on Kwekkeboom's
  categories (``simulator.calibration.summaries.swog_best_response``);
* a share s of pancreatic patients gives each category's rate as (1 - s) midgut + s pancreatic
  (the expectation of a mixed cohort).

Reported per s in 0-0.5: CR, PR, CR + PR and PD, median and 5-95 % over draws, against
Kwekkeboom's Wilson intervals.  The pancreatic part differs from the midgut part in alpha and
clearance only (growth and new lesions stay the draw's): a site effect on progression is not
what this sensitivity explores.
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
from simulator.calibration.summaries import swog_best_response
from simulator.trial import run_arm

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PREDICTIVE = RESULTS / "calibration" / "predictive.nc"
TARGETS = HERE / "targets" / "calibration.yaml"
#: the pancreatic part's virtual patients (the midgut part's are predictive.nc's, 20170112)
PANCREATIC_SEED = 20170113
SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
CATEGORIES = ("CR", "PR", "MR", "PD")


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
        if ours in site and not np.array_equal(
                site[ours].values, pred.theta.sel(hyperparameter=theirs).values[:n]):
            raise SystemExit(f"{name} was made from other posterior draws than {PREDICTIVE.name}"
                             f" ({ours}): rerun experiments/site_clearance.py first")


def mixed(midgut: np.ndarray, pancreatic: np.ndarray, share: float) -> np.ndarray:
    """Rates of a cohort with a pancreatic ``share`` (expectation over its composition)."""
    return (1.0 - share) * midgut + share * pancreatic


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", choices=("alpha", "clearance"), default="alpha")
    parser.add_argument("--n", type=int, default=2000, help="pancreatic virtual patients")
    parser.add_argument("--lanes", type=int, default=64, help="solver.lanes (1..64)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite the report from results/kwekkeboom_site_mix.nc")
    args = parser.parse_args(argv)
    if args.report:
        report(xr.load_dataset(RESULTS / "kwekkeboom_site_mix.nc"))
        return
    site = xr.load_dataset(RESULTS / f"site_{args.site}.nc")
    pred = xr.load_dataset(PREDICTIVE)
    space = Space()
    if list(pred.hyperparameter.values) != space.names:
        raise SystemExit(f"{PREDICTIVE}: its hyperparameters are not this Space's")
    check_same_draws(site, pred, f"site_{args.site}.nc")
    draws, lanes, t0 = site.sizes["draw"], lanes_overrides(args.lanes), time.perf_counter()
    own = {c: pred.statistic_value.sel(statistic=f"swog_{c.lower()}").values[:draws]
           for c in CATEGORIES}
    pan = {c: np.zeros(draws) for c in CATEGORIES}
    for i in range(draws):
        arm = run_arm(args.n, PANCREATIC_SEED, False, site_edit(space.editor(
            pred.theta.values[i]), site, i), overrides=lanes)
        best = swog_best_response(arm)
        for c in CATEGORIES:
            pan[c][i] = float(np.mean(best == c))
        print(f"draw {i + 1}/{draws} ({time.perf_counter() - t0:.0f} s): pancreatic CR "
              f"{pan['CR'][i]:.3f}, PR {pan['PR'][i]:.3f}, PD {pan['PD'][i]:.3f}", flush=True)
    ds = xr.Dataset(
        {f"{part}_{c.lower()}": ("draw", rates[c], {"units": "1"})
         for part, rates in (("midgut", own), ("pancreatic", pan)) for c in CATEGORIES},
        coords={"draw": np.arange(draws)},
        attrs={"command": f"NUMBA_NUM_THREADS=2 python experiments/kwekkeboom_site_mix.py "
                          f"--site {args.site} --n {args.n} --lanes {args.lanes}",
               "site": f"experiments/results/site_{args.site}.nc",
               "site_draws_at_search_end": int(np.sum(site.fit_reached.values == 0)),
               "wall_time_s": time.perf_counter() - t0})
    ds.to_netcdf(RESULTS / "kwekkeboom_site_mix.nc")
    report(ds)


def band(x: np.ndarray) -> str:
    q = np.percentile(x, [50, 5, 95]) * 100.0
    return f"{q[0]:.2g} % ({q[1]:.2g}-{q[2]:.2g})"


def report(ds: xr.Dataset) -> None:
    cr, cr_lo, cr_hi = declared("kwekkeboom2008_cr")
    pd_, pd_lo, pd_hi = declared("kwekkeboom2008_pd")
    pr, pr_lo, pr_hi = declared("kwekkeboom2008_pr")
    n = ds.sizes["draw"]
    floor = int(ds.attrs.get("site_draws_at_search_end", 0))
    lines = [
        "# Kwekkeboom's categories with a pancreatic share: a sensitivity "
        "(experiments/kwekkeboom_site_mix.py)", "",
        f"`{ds.attrs['command']}`; pancreatic change from `{ds.attrs['site']}`"
        + (f" (in {floor} of {n} draws the search's end, not a fit)" if floor else "")
        + f", {n} posterior draws, wall time {ds.attrs['wall_time_s']:.0f} s. Median (5-95 %) "
        "over draws; the share is unknown (not a fit, not a validation); the pancreatic part "
        "differs in alpha and clearance only.", "",
        f"| pancreatic share | CR (Kwekkeboom {cr:.0%}, {cr_lo:.1%}-{cr_hi:.1%}) | "
        f"PR ({pr:.0%}, {pr_lo:.1%}-{pr_hi:.1%}) | CR + PR | "
        f"PD ({pd_:.0%}, {pd_lo:.1%}-{pd_hi:.1%}) |",
        "|---|---|---|---|---|"]

    def inside(x, lo, hi):
        return f"inside in {int(np.sum((x >= lo) & (x <= hi)))} of {n}"

    for s in SHARES:
        m = {c: mixed(ds[f"midgut_{c}"].values, ds[f"pancreatic_{c}"].values, s)
             for c in ("cr", "pr", "pd")}
        lines.append(f"| {s:.1f} | {band(m['cr'])}, {inside(m['cr'], cr_lo, cr_hi)} | "
                     f"{band(m['pr'])}, {inside(m['pr'], pr_lo, pr_hi)} | "
                     f"{band(m['cr'] + m['pr'])} | {band(m['pd'])}, "
                     f"{inside(m['pd'], pd_lo, pd_hi)} |")
    lines.append("")
    text = "\n".join(lines)
    (RESULTS / "kwekkeboom_site_mix.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
