"""Is the response of pancreatic NETs a faster clearance of killed cells?  Across the posterior.

    NUMBA_NUM_THREADS=2 python experiments/site_clearance.py [--draws 20] [--n 2000]
        [--lanes 64]
    NUMBA_NUM_THREADS=2 python experiments/site_clearance.py --fit alpha
        [--pancreatic-clearance-d 30]
    python experiments/site_clearance.py [--fit alpha] --report   # the report again

writes ``results/site_clearance.md`` and ``.nc`` (``--fit alpha``: ``results/site_alpha.*``).

docs/calibration.md §14 found the calibrated NETTER-1 (midgut) population clearance-limited:
its ORR saturates near a third whatever the radiosensitivity, and one parameter, the median
half-time of the clearance of lethally damaged cells, brings it to the pancreatic PR rate of
Ezziddin 2014 (60.3 %, 41/68; doi:10.1007/s00259-013-2677-3) at 42.7 d against 1210 d, for the
default posterior draw only. Our reading there [INFER] was that the same mechanism is behind
the validation miss on NETTER-2 (ORR 43 %, 54 % pancreatic), simulated at ~24 % by the
calibrated population with only its growth refitted; that run had not been made. This script
makes it, for every posterior draw of the committed posterior predictive
(``results/calibration/predictive.nc``: its hyperparameters and its NETTER-2 growth):

1. **pancreatic clearance** (fitted, one number per draw): the clearance median at which the
   treated arm of ``cohort=netter1`` (the draw's population, that median alone changed)
   reaches Ezziddin's 60.3 %, by Brent's method on its logarithm (common random numbers:
   the same virtual patients at every evaluation, seed 6 as ``calibrate_pnet.py``); reported
   as the ratio to the draw's own clearance median;
2. **NETTER-R pancreatic NETs** (validation, declared in ``targets/validation.yaml``, never
   fitted): the treated arm at that clearance, other patients (seed 20170112);
3. **NETTER-2 with its primary-site mix** (validation, declared with "primary-site mix"):
   ``cohort=netter2`` at the draw's refitted growth, 54 % of the virtual patients with the
   pancreatic clearance and 46 % with the draw's (NETTER-2's other primaries, 29 % small
   intestine, given the midgut value [INFER]); both arms on the same patients (seed 20170112
   for the pancreatic part, 20170113 for the rest); ORR, hazard ratio, median PFS.

``--fit alpha`` asks the question the first run raises (docs/calibration.md §15): the clearance
Ezziddin's rate needs is days, no measured half-time of cell disintegration. It holds the
pancreatic clearance median at a measured value instead (``--pancreatic-clearance-d``, default
30 d: the lower end of the 28-72 d half-times of cell disintegration after stereotactic
radiotherapy of lung tumours, Chvetsov 2008, doi:10.1088/0031-9155/53/9/013; the most
favourable plausible value) and fits a factor on the draw's alpha median instead (searched in
0.2-10), then runs the same two validations.

The site effect is an *effective* parameter: it lumps every difference between pancreatic and
midgut NETs (grade, Ki-67, uptake) into the clearance of killed cells. The growth is not
refitted for the site mix: without PRRT the clearance of killed cells plays no part, so the
control arm the growth was fitted to is the same.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from simulator.calibration.design import lanes_overrides
from simulator.calibration.likelihood import declared_target
from simulator.calibration.predictive import (
    NETTER2_PANCREATIC_SHARE,
    growth_editor,
    median_editor,
    predictive_summaries,
)
from simulator.calibration.space import ALPHA, CLEARANCE, Space
from simulator.trial import (
    endpoint_values,
    interpolated_median_months,
    run_arm,
    run_mixed_arm,
)

HERE = Path(__file__).resolve().parent
PREDICTIVE = HERE / "results" / "calibration" / "predictive.nc"
VALIDATION = HERE / "targets" / "validation.yaml"
RESULTS = HERE / "results"
#: Ezziddin 2014: partial response in 41 of 68 pancreatic NETs [ABS] (calibrate_pnet.py)
TARGET_ORR = 41 / 68
FIT_SEED, VALIDATION_SEED = 6, 20170112
#: NETTER-2's pancreatic share (simulator.calibration.predictive, docs/targets.md)
PANCREATIC_SHARE = NETTER2_PANCREATIC_SHARE
#: the bracket of the clearance median search [d]: the schema's lower end of the prior (30 d
#: in calibrate_pnet.py) lowered to 3 d for draws whose population needs faster clearance
BRACKET_LOW_D = 3.0
#: the bracket of the pancreatic alpha factor (x the draw's alpha median); 10 x the prior's
#: upper bound of the median (0.04 /Gy) stays below the alpha distribution's truncation at
#: 0.6 /Gy
ALPHA_FACTOR_BRACKET = (0.2, 10.0)


def declared(name: str) -> tuple[float, tuple[float, float]]:
    """Value and interval of a declared validation target (an open upper end as inf)."""
    value, (lo, hi) = declared_target(VALIDATION, name)
    return value, (lo, float("inf") if hi is None else hi)


def with_clearance(edit, median_d: float | None):
    """``edit`` followed by setting the clearance median (``None``: unchanged)."""
    return median_editor(edit, {CLEARANCE: median_d})


def with_site(edit, clearance_d: float | None = None, alpha_median: float | None = None):
    """``edit`` followed by a pancreatic clearance median [d] and alpha median [/Gy]."""
    return median_editor(edit, {CLEARANCE: clearance_d, ALPHA: alpha_median})


def fit_pancreatic_alpha(edit, own_alpha: float, clearance_d: float, n: int, lanes
                         ) -> tuple[float, float, bool]:
    """(factor on the alpha median, ORR there, reached) at which the treated ``cohort=netter1``
    arm with the clearance median ``clearance_d`` reaches Ezziddin's PR rate; outside the
    bracket, its nearer end and ``reached=False``."""
    def gap(log_factor: float) -> float:
        arm = run_arm(n, FIT_SEED, control=False, overrides=lanes, edit=with_site(
            edit, clearance_d, own_alpha * math.exp(log_factor)))
        return endpoint_values(arm)["orr"] - TARGET_ORR

    lo, hi = (math.log(x) for x in ALPHA_FACTOR_BRACKET)
    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo >= 0:
        return ALPHA_FACTOR_BRACKET[0], g_lo + TARGET_ORR, False
    if g_hi <= 0:
        return ALPHA_FACTOR_BRACKET[1], g_hi + TARGET_ORR, False
    log_k = brentq(gap, lo, hi, xtol=math.log(1.02))
    return math.exp(log_k), gap(log_k) + TARGET_ORR, True


def fit_pancreatic_clearance(edit, own_median_d: float, n: int, lanes
                             ) -> tuple[float, float, bool]:
    """(clearance median [d], ORR there, reached) at which the treated ``cohort=netter1`` arm
    reaches Ezziddin's PR rate, searched in [3 d, the draw's own median]; where even 3 d stays
    below it (the population's radiosensitivity caps the response), 3 d and ``reached=False``:
    the closest this structure gets."""
    def gap(log_median: float) -> float:
        arm = run_arm(n, FIT_SEED, control=False, overrides=lanes,
                      edit=with_clearance(edit, math.exp(log_median)))
        return endpoint_values(arm)["orr"] - TARGET_ORR

    lo, hi = math.log(BRACKET_LOW_D), math.log(own_median_d)
    g_lo, g_hi = gap(lo), gap(hi)
    if g_hi >= 0:
        raise ValueError(f"ORR {g_hi + TARGET_ORR:.3f} at the draw's own clearance "
                         f"({own_median_d:.0f} d) already reaches {TARGET_ORR:.3f}")
    if g_lo <= 0:
        return BRACKET_LOW_D, g_lo + TARGET_ORR, False
    log_m = brentq(gap, lo, hi, xtol=math.log(1.02))
    return math.exp(log_m), gap(log_m) + TARGET_ORR, True


def netter2_site_mix(edit2, site, n: int, lanes) -> dict:
    """NETTER-2's two arms, 54 % of the patients with the pancreatic change ``site`` (a function
    of an edit returning the edit with the change), the rest without; same patients in both
    arms (:func:`simulator.trial.run_mixed_arm`)."""
    parts = ((PANCREATIC_SHARE, site(edit2)), (1.0 - PANCREATIC_SHARE, edit2))
    treated, control = (run_mixed_arm(n, VALIDATION_SEED, c, parts, cohort="netter2",
                                      overrides=lanes) for c in (False, True))
    return predictive_summaries(treated, control)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", choices=("clearance", "alpha"), default="clearance",
                        help="the pancreatic parameter fitted to Ezziddin (default clearance)")
    parser.add_argument("--pancreatic-clearance-d", type=float, default=30.0,
                        help="--fit alpha: the pancreatic clearance median held [d]")
    parser.add_argument("--draws", type=int, default=20, help="first N draws of predictive.nc")
    parser.add_argument("--n", type=int, default=2000, help="virtual patients per arm")
    parser.add_argument("--lanes", type=int, default=64, help="solver.lanes (1..64)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite the report from its .nc")
    args = parser.parse_args(argv)
    stem = "site_clearance" if args.fit == "clearance" else "site_alpha"
    if args.report:
        report(xr.load_dataset(RESULTS / f"{stem}.nc"), stem)
        return
    if args.draws < 1 or args.n < 100:
        parser.error("--draws >= 1 and --n >= 100")
    if not 0.1 <= args.pancreatic_clearance_d <= 3650:
        parser.error(f"--pancreatic-clearance-d {args.pancreatic_clearance_d:g}: the schema "
                     "allows 0.1-3650 d")
    pred = xr.load_dataset(PREDICTIVE)
    space = Space()
    if list(pred.hyperparameter.values) != space.names:
        raise SystemExit(f"{PREDICTIVE}: its hyperparameters are not this Space's")
    lanes = lanes_overrides(args.lanes)
    draws = min(args.draws, pred.sizes["draw"])
    theta = pred.theta.values[:draws]
    growth = pred.statistic_value.sel(statistic="netter2_growth_mean_percent_per_month").values
    rows, t0 = [], time.perf_counter()
    for i in range(draws):
        th = dict(zip(space.names, theta[i], strict=True))
        edit = space.editor(theta[i])
        own, own_alpha = float(th["clearance_median_d"]), float(th["alpha_median_per_gy"])
        if args.fit == "clearance":
            m_p, orr_fit, reached = fit_pancreatic_clearance(edit, own, args.n, lanes)
            a_p = own_alpha
        else:
            m_p = args.pancreatic_clearance_d
            k, orr_fit, reached = fit_pancreatic_alpha(edit, own_alpha, m_p, args.n, lanes)
            a_p = own_alpha * k

        def site(e, m_p=m_p, a_p=a_p):
            return with_site(e, m_p, a_p)

        netter_r = run_arm(args.n, VALIDATION_SEED, False, site(edit), overrides=lanes)
        n2 = netter2_site_mix(growth_editor(space, theta[i], growth[i]), site, args.n, lanes)
        rows.append({"own_clearance_median_d": own, "pancreatic_clearance_median_d": m_p,
                     "pancreatic_clearance_ratio": m_p / own,
                     "own_alpha_median_per_gy": own_alpha, "pancreatic_alpha_median_per_gy": a_p,
                     "pancreatic_alpha_ratio": a_p / own_alpha, "fit_orr": orr_fit,
                     "fit_reached": float(reached),
                     "netterr_orr": endpoint_values(netter_r)["orr"],
                     "netterr_median_pfs_months": interpolated_median_months(netter_r),
                     "netter2_orr_treated": n2["orr_treated"],
                     "netter2_hazard_ratio": n2["hazard_ratio"],
                     "netter2_median_pfs_treated_months": n2["median_pfs_treated_months"],
                     "netter2_median_pfs_control_months": n2["median_pfs_control_months"],
                     "netter2_orr_treated_midgut_only": float(pred.statistic_value.sel(
                         statistic="netter2_orr_treated").values[i])})
        r = rows[-1]
        print(f"draw {i + 1}/{draws} ({time.perf_counter() - t0:.0f} s): pancreatic clearance "
              f"{m_p:.1f} d (x{r['pancreatic_clearance_ratio']:.3f}), alpha {a_p:.4f} /Gy "
              f"(x{r['pancreatic_alpha_ratio']:.2f}), reached {reached}; NETTER-R ORR "
              f"{r['netterr_orr']:.3f}; NETTER-2 ORR {r['netter2_orr_treated']:.3f} "
              f"(midgut only {r['netter2_orr_treated_midgut_only']:.3f})", flush=True)
        ds = save(rows, args, stem, t0)
    report(ds, stem)


def save(rows: list[dict], args, stem: str, t0: float) -> xr.Dataset:
    """The draws done so far as ``results/<stem>.nc`` (rewritten after every draw)."""
    names = list(rows[0])
    fit = ("" if args.fit == "clearance" else
           f" --fit alpha --pancreatic-clearance-d {args.pancreatic_clearance_d:g}")
    ds = xr.Dataset({k: ("draw", np.array([r[k] for r in rows]), {"units": unit(k)})
                     for k in names},
                    coords={"draw": np.arange(len(rows))},
                    attrs={"command": "NUMBA_NUM_THREADS=2 python experiments/site_clearance.py"
                                      f"{fit} --draws {args.draws} --n {args.n} "
                                      f"--lanes {args.lanes}",
                           "fit": args.fit,
                           "source": str(PREDICTIVE.relative_to(HERE.parent)),
                           "solver_lanes": args.lanes, "n_patients_per_arm": args.n,
                           "wall_time_s": time.perf_counter() - t0})
    RESULTS.mkdir(exist_ok=True)
    ds.to_netcdf(RESULTS / f"{stem}.nc")
    return ds


def unit(name: str) -> str:
    return ("d" if name.endswith("_d") else "months" if name.endswith("_months") else
            "1/Gy" if name.endswith("_per_gy") else "1")


def fitted_rows(v: dict) -> list[str]:
    return [f"| pancreatic clearance median, fitted to Ezziddin's PR 60.3 % (d) | - | "
            f"{band(v['pancreatic_clearance_median_d'])} | - |",
            f"| its ratio to the draw's midgut median | - | "
            f"{band(v['pancreatic_clearance_ratio'])} | - |",
            f"| draws where some clearance >= 3 d reaches 60.3 % | - | "
            f"{int(v['fit_reached'].sum())} of {v['fit_reached'].size} | - |"]


def fitted_rows_alpha(v: dict) -> list[str]:
    lo, hi = ALPHA_FACTOR_BRACKET
    return [f"| pancreatic clearance median, held (d) | - | "
            f"{band(v['pancreatic_clearance_median_d'])} | - |",
            f"| alpha median of the draw, midgut (/Gy) | - | "
            f"{band(v['own_alpha_median_per_gy'])} | - |",
            f"| pancreatic alpha median, fitted to Ezziddin's PR 60.3 % (/Gy) | - | "
            f"{band(v['pancreatic_alpha_median_per_gy'])} | - |",
            f"| its ratio to the draw's midgut median | - | "
            f"{band(v['pancreatic_alpha_ratio'])} | - |",
            f"| draws where a factor in {lo:g}-{hi:g} reaches 60.3 % | - | "
            f"{int(v['fit_reached'].sum())} of {v['fit_reached'].size} | - |"]


def band(x: np.ndarray, percent: bool = False) -> str:
    """Median (5-95 % over draws)."""
    q = np.nanpercentile(x, [50, 5, 95]) * (100.0 if percent else 1.0)
    u = " %" if percent else ""
    f = [f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}" for v in q]
    return f"{f[0]}{u} ({f[1]}-{f[2]}{u})"


def report(ds: xr.Dataset, stem: str = "site_clearance") -> None:
    n2, n2_ci = declared("netter2_orr_treated")
    hr, hr_ci = declared("netter2_hazard_ratio")
    rr, rr_ci = declared("netterr_pnet_orr")
    rp, rp_ci = declared("netterr_pnet_median_pfs")
    pf, pf_ci = declared("netter2_median_pfs_treated")

    def verdict(x, ci):
        m, k = float(np.nanmedian(x)), int(np.sum((x >= ci[0]) & (x <= ci[1])))
        where = "inside" if ci[0] <= m <= ci[1] else "**outside**"
        return f"{where} ({k} of {x.size} draws inside)"

    v = {k: ds[k].values for k in ds.data_vars}
    lines = [
        f"# A pancreatic {ds.attrs.get('fit', 'clearance')} across the posterior, and NETTER-2 "
        "with its site mix (experiments/site_clearance.py)", "",
        f"`{ds.attrs['command']}`; {ds.sizes['draw']} posterior draws of `{ds.attrs['source']}`, "
        f"{ds.attrs['n_patients_per_arm']} virtual patients per arm, wall time "
        f"{ds.attrs['wall_time_s']:.0f} s. Median (5-95 %) over draws.", "",
        "| quantity | published (95 % CI) | simulated | the median is |", "|---|---|---|---|",
        f"| clearance median of the draw, midgut (d) | - | "
        f"{band(v['own_clearance_median_d'])} | - |",
        *(fitted_rows(v) if ds.attrs.get("fit", "clearance") == "clearance" else
          fitted_rows_alpha(v)),
        f"| treated-arm ORR at the fitted value (the search's end where not reached), "
        f"fitting patients | 60.3 % | "
        f"{band(v['fit_orr'], True)} | - |",
        f"| NETTER-R pancreatic ORR (validation) | {rr:.1%} ({rr_ci[0]:.1%}-{rr_ci[1]:.1%}) | "
        f"{band(v['netterr_orr'], True)} | {verdict(v['netterr_orr'], rr_ci)} |",
        f"| NETTER-R pancreatic median PFS, months (validation) | {rp:g} "
        f"({rp_ci[0]:g}-{rp_ci[1]:g}) | {band(v['netterr_median_pfs_months'])} | "
        f"{verdict(v['netterr_median_pfs_months'], rp_ci)} |",
        f"| NETTER-2 ORR, 54 % pancreatic (validation) | {n2:.1%} ({n2_ci[0]:.1%}-{n2_ci[1]:.1%})"
        f" | {band(v['netter2_orr_treated'], True)} | {verdict(v['netter2_orr_treated'], n2_ci)} |",
        f"| NETTER-2 ORR, midgut population only (`predictive.nc`) | {n2:.1%} | "
        f"{band(v['netter2_orr_treated_midgut_only'], True)} | "
        f"{verdict(v['netter2_orr_treated_midgut_only'], n2_ci)} |",
        f"| NETTER-2 hazard ratio, 54 % pancreatic (validation) | {hr:g} ({hr_ci[0]:g}-"
        f"{hr_ci[1]:g}) | {band(v['netter2_hazard_ratio'])} | "
        f"{verdict(v['netter2_hazard_ratio'], hr_ci)} |",
        f"| NETTER-2 treated median PFS, months (validation: pass if >= {pf_ci[0]:g}) | {pf:g} "
        f"({pf_ci[0]:g}-NE) | {band(v['netter2_median_pfs_treated_months'])} | "
        f"{int(np.sum(v['netter2_median_pfs_treated_months'] >= pf_ci[0]))} of "
        f"{ds.sizes['draw']} draws >= {pf_ci[0]:g} |", ""]
    text = "\n".join(lines)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
