"""Would a pancreatic share bring Kwekkeboom's CR and PD into their intervals?  A sensitivity.

    NUMBA_NUM_THREADS=2 python experiments/kwekkeboom_site_mix.py [--site alpha] [--n 2000]
        [--lanes 64]

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

Reported per s in 0-0.5: CR, PR + CR and PD, median and 5-95 % over draws, against Kwekkeboom's
Wilson intervals.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from simulator.calibration.design import lanes_overrides
from simulator.calibration.space import Space
from simulator.calibration.summaries import swog_best_response
from simulator.summary import wilson_interval
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
    entry = next(e for e in yaml.safe_load(TARGETS.read_text())["targets"]
                 if e["name"] == name)
    _, lo, hi = wilson_interval(int(entry["k"]), int(entry["n"]))
    return float(entry["value"]), float(lo), float(hi)


def site_edit(edit, site: xr.Dataset, i: int):
    """The draw's edit with the pancreatic clearance and alpha medians of ``site``."""
    clearance = float(site.pancreatic_clearance_median_d.values[i])
    alpha = (float(site.pancreatic_alpha_median_per_gy.values[i])
             if "pancreatic_alpha_median_per_gy" in site else None)

    def e(cfg):
        edit(cfg)
        params = cfg["cohort"]["parameters"]
        params["tumour.doomed_clearance_half_time_d"]["median"] = clearance
        if alpha is not None:
            params["radiobiology.tumour_alpha_per_gy"]["median"] = alpha
    return e


def mixed(midgut: np.ndarray, pancreatic: np.ndarray, share: float) -> np.ndarray:
    """Rates of a cohort with a pancreatic ``share`` (expectation over its composition)."""
    return (1.0 - share) * midgut + share * pancreatic


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", choices=("alpha", "clearance"), default="alpha")
    parser.add_argument("--n", type=int, default=2000, help="pancreatic virtual patients")
    parser.add_argument("--lanes", type=int, default=64, help="solver.lanes (1..64)")
    args = parser.parse_args(argv)
    site = xr.load_dataset(RESULTS / f"site_{args.site}.nc")
    pred = xr.load_dataset(PREDICTIVE)
    space = Space()
    if list(pred.hyperparameter.values) != space.names:
        raise SystemExit(f"{PREDICTIVE}: its hyperparameters are not this Space's")
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
               "wall_time_s": time.perf_counter() - t0})
    ds.to_netcdf(RESULTS / "kwekkeboom_site_mix.nc")
    report(ds)


def band(x: np.ndarray) -> str:
    q = np.percentile(x, [50, 5, 95]) * 100.0
    return f"{q[0]:.2g} % ({q[1]:.2g}-{q[2]:.2g})"


def report(ds: xr.Dataset) -> None:
    cr, cr_lo, cr_hi = declared("kwekkeboom2008_cr")
    pd_, pd_lo, pd_hi = declared("kwekkeboom2008_pd")
    pr, _, _ = declared("kwekkeboom2008_pr")
    lines = [
        "# Kwekkeboom's categories with a pancreatic share: a sensitivity "
        "(experiments/kwekkeboom_site_mix.py)", "",
        f"`{ds.attrs['command']}`; pancreatic change from `{ds.attrs['site']}`, "
        f"{ds.sizes['draw']} posterior draws, wall time {ds.attrs['wall_time_s']:.0f} s. "
        "Median (5-95 %) over draws; the share is unknown (not a fit, not a validation).", "",
        f"| pancreatic share | CR (Kwekkeboom {cr:.0%}, {cr_lo:.1%}-{cr_hi:.1%}) | "
        f"CR + PR ({cr + pr:.0%}) | PD ({pd_:.0%}, {pd_lo:.1%}-{pd_hi:.1%}) |",
        "|---|---|---|---|"]
    for s in SHARES:
        m = {c: mixed(ds[f"midgut_{c}"].values, ds[f"pancreatic_{c}"].values, s)
             for c in ("cr", "pr", "pd")}
        inside_cr = int(np.sum((m["cr"] >= cr_lo) & (m["cr"] <= cr_hi)))
        inside_pd = int(np.sum((m["pd"] >= pd_lo) & (m["pd"] <= pd_hi)))
        n = ds.sizes["draw"]
        lines.append(f"| {s:.1f} | {band(m['cr'])}, inside in {inside_cr} of {n} | "
                     f"{band(m['cr'] + m['pr'])} | {band(m['pd'])}, inside in {inside_pd} of "
                     f"{n} |")
    lines.append("")
    text = "\n".join(lines)
    (RESULTS / "kwekkeboom_site_mix.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
