"""Calibrate the virtual NETTER-1 population once, against the published trial (issue 6).

SUPERSEDED (issue 14): the population is now calibrated as inference by
``experiments/calibrate_posterior.py`` (docs/calibration.md), which writes
``conf/cohort/fitted/netter1.yaml``. This point fit is kept to reproduce the earlier fits
(``experiments/results/calibrate_netter1.md``); its ``--write`` is refused.

    python experiments/calibrate_netter1.py           # fit, write results/calibrate_netter1.md
    python experiments/calibrate_netter1.py --write   # ... and the fitted values into
                                                      # conf/cohort/fitted/netter1.yaml (generated)

Declared fitted parameters (everything else in the hand-written ``conf/cohort/netter1.yaml``
keeps its literature value or stated assumption, and the PK is not touched):

=====================================================  =========================================
fitted                                                 to
=====================================================  =========================================
``tumour.volume_growth_percent_per_month``: a mixture  control arm (``therapy=none``): PFS at
of the progressive majority (normal mean, sd) and a    8.4 months = 0.5 (the median), PFS at 20
regressing somatostatin-analogue-responder subgroup    months 10.8 %, ORR 3 %
(its weight; its own distribution is assumed)
``radiobiology.tumour_alpha_per_gy`` lognormal median  177Lu-DOTATATE arm: ORR 18 %, PFS at 20
(GSD kept at 1.4)                                      months 65.2 %
``tumour.doomed_clearance_half_time_d`` lognormal      the same (alpha sets the cell kill and so
median (GSD kept at 1.5)                               PFS; the clearance of the lethally
                                                       damaged cells sets how far a tumour has
                                                       shrunk by each assessment, and so ORR)
=====================================================  =========================================

The stroma fraction is *not* fitted (an earlier calibration fitted it to 0.15-0.45, which caps
every RECIST response at 1 - f^(1/3) <= 47 % and so rules out any complete response and any
control-arm response; see docs/validation.md).

Objective: the sum of squared standardised residuals ((simulated - published) / SE)^2,
SE from the published interval ((high - low) / 3.92) or, for a rate without one, the
binomial SE at the trial's size (ORR: 18/101 and 3/100; the median: SE 0.05 of PFS(8.4)
around 0.5, the binomial SE of a proportion 0.5 in 100 patients).  Procedure, with common
random numbers (one seed, the same virtual patients for every evaluation, one process, so
the numba kernel compiles once):

1. fit the growth mixture (majority mean and sd, responder weight) to the control arm
   (closed-form pure growth, cheap) by Nelder-Mead on ``--n-control`` patients; the control
   arm does not depend on alpha or on the clearance;
2. simulate the 177Lu-DOTATATE arm on ``--n-prrt`` patients on the grid of alpha medians x
   clearance medians and evaluate its objective;
3. fit a quadratic surface to the objective in (ln alpha, ln clearance) over the grid and
   simulate its minimum once (kept only if better than the best grid point).

The fit is then confirmed once on >= 10,000 patients by ``experiments/netter1.py``.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special
from scipy.optimize import minimize

from simulator.config import config_dir
from simulator.config.generated import write_generated
from simulator.netter1 import ALPHA, CLEARANCE, GROWTH, PUBLISHED, fitted_block
from simulator.trial import endpoint_values as endpoints
from simulator.trial import run_arm

#: the generated block of fitted values that conf/cohort/netter1.yaml includes
FITTED_YAML = config_dir() / "cohort" / "fitted" / "netter1.yaml"
RESULTS = Path(__file__).resolve().parent / "results"


def write_report(name: str, lines: list[str]) -> None:
    """Write ``lines`` as ``results/<name>`` (markdown) and print them."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text("\n".join(lines))
    print("\n".join(lines))


def _se(key: str, n_trial: int | None = None) -> float:
    value, ci, _ = PUBLISHED[key]
    if n_trial is not None:
        return math.sqrt(value * (1.0 - value) / n_trial)
    return (ci[1] - ci[0]) / 3.92


#: (endpoint key, published value, SE) per arm
CONTROL_TARGETS = (("pfs_8.4", 0.5, 0.05), ("pfs_20", 0.108, _se("pfs20_control")),
                   ("orr", 0.03, _se("orr_control", 100)))
TREATED_TARGETS = (("orr", 0.18, _se("orr_treated", 101)),
                   ("pfs_20", 0.652, _se("pfs20_treated")))


def objective(values: dict, targets) -> float:
    return float(sum(((values[k] - v) / se) ** 2 for k, v, se in targets))


def editor(growth=None, alpha_median=None, clearance_median=None):
    """A config edit setting the declared parameters (None: keep the YAML value).

    ``growth`` = (majority mean, majority sd, responder weight) of the growth mixture.
    """
    def edit(cfg):
        params = cfg["cohort"]["parameters"]
        if growth is not None:
            mix = params[GROWTH]
            major = mix["components"]["progressive"]
            major["mean"], major["sd"] = map(float, growth[:2])
            mix["weights"] = [1.0 - float(growth[2]), float(growth[2])]
        if alpha_median is not None:
            params[ALPHA]["median"] = float(alpha_median)
        if clearance_median is not None:
            params[CLEARANCE]["median"] = float(clearance_median)
    return edit


def fit_growth(n: int, seed: int, start=(9.24, 4.06, 0.04)):
    """Nelder-Mead fit of the growth mixture to the control arm (weight via its logit)."""
    cache = {}

    def unpack(x):
        return (float(x[0]), max(float(x[1]), 0.05), float(special.expit(x[2])))

    def f(x):
        growth = unpack(x)
        vals = endpoints(run_arm(n, seed, control=True, edit=editor(growth)))
        cache[growth] = vals
        return objective(vals, CONTROL_TARGETS)

    x0 = np.array([start[0], start[1], special.logit(start[2])])
    res = minimize(f, x0, method="Nelder-Mead",
                   options={"xatol": 0.02, "fatol": 0.02, "maxfev": 120})
    growth = unpack(res.x)
    return growth, cache[growth], float(res.fun), int(res.nfev)


def treated_row(n: int, seed: int, growth, alpha: float, clearance: float) -> dict:
    """Simulate the 177Lu-DOTATATE arm at one grid point: endpoints and objective."""
    vals = endpoints(run_arm(n, seed, control=False, edit=editor(growth, alpha, clearance)))
    return {"alpha": alpha, "clearance": clearance, "J_t": objective(vals, TREATED_TARGETS),
            **vals}


def quadratic_minimum(rows):
    """Minimum of a quadratic fitted to J_t over (ln alpha, ln clearance); None if not convex."""
    x = np.log([[r["alpha"], r["clearance"]] for r in rows])
    design = np.column_stack([np.ones(len(x)), x, x[:, 0] ** 2, x[:, 0] * x[:, 1], x[:, 1] ** 2])
    c = np.linalg.lstsq(design, [r["J_t"] for r in rows], rcond=None)[0]
    hess = np.array([[2 * c[3], c[4]], [c[4], 2 * c[5]]])
    if np.any(np.linalg.eigvalsh(hess) <= 0):
        return None
    lo, hi = x.min(axis=0), x.max(axis=0)
    return np.exp(np.clip(np.linalg.solve(hess, -c[1:3]), lo, hi))


def write_fitted(path: Path, fitted: dict, command: str) -> None:
    """Write the generated block of fitted values (``conf/cohort/fitted/netter1.yaml``)."""
    write_generated(path, command, fitted_block(fitted), comment=(
        "The fitted values of the virtual NETTER-1 population, merged over the hand-written\n"
        "conf/cohort/netter1.yaml (its defaults list); report: "
        "experiments/results/calibrate_netter1.md."))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-control", type=int, default=4000)
    parser.add_argument("--n-prrt", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--alpha-grid", type=float, nargs="+", default=[0.012, 0.015, 0.018])
    parser.add_argument("--clearance-grid", type=float, nargs="+",
                        default=[120.0, 180.0, 240.0], help="clearance half-time medians [d]")
    parser.add_argument("--write", action="store_true",
                        help="write the fitted values into conf/cohort/fitted/netter1.yaml")
    args = parser.parse_args(argv)
    if args.write:
        parser.error("--write: the NETTER-1 block is written by calibrate_posterior.py fit "
                     "--write (the posterior of issue 14); this point fit is superseded")
    t0 = time.perf_counter()
    growth, vals_c, j_c, nfev = fit_growth(args.n_control, args.seed)
    print(f"growth {growth}: control {vals_c}, J {j_c:.2f} ({nfev} evaluations)", flush=True)
    rows = []
    for clearance in args.clearance_grid:
        for alpha in args.alpha_grid:
            rows.append(treated_row(args.n_prrt, args.seed, growth, alpha, clearance))
            print(f"  {rows[-1]} ({time.perf_counter() - t0:.0f} s)", flush=True)
    best = min(rows, key=lambda r: r["J_t"])
    refined = None
    point = quadratic_minimum(rows)
    if point is not None:
        refined = treated_row(args.n_prrt, args.seed, growth, float(point[0]), float(point[1]))
        print(f"refined: {refined}", flush=True)
        if refined["J_t"] < best["J_t"]:
            best = refined
    wall = time.perf_counter() - t0
    fitted = {"growth_mean": round(growth[0], 2), "growth_sd": round(growth[1], 2),
              "growth_weights": [round(1.0 - round(growth[2], 4), 4), round(growth[2], 4)],
              "alpha_median": round(best["alpha"], 5),
              "clearance_median": round(best["clearance"], 1)}
    report(args, growth, vals_c, j_c, nfev, rows, refined, best, fitted, wall)
    if args.write:
        write_fitted(FITTED_YAML, fitted, shlex.join(["python", "experiments/calibrate_netter1.py",
                                                      *sys.argv[1:]]))
        print(f"wrote the fitted values into {FITTED_YAML}")


def report(args, growth, vals_c, j_c, nfev, rows, refined, best, fitted, wall) -> None:
    lines = [
        "# Calibration of the virtual NETTER-1 population (experiments/calibrate_netter1.py)",
        "",
        f"`python experiments/calibrate_netter1.py --n-control {args.n_control} --n-prrt "
        f"{args.n_prrt} --seed {args.seed} --alpha-grid {' '.join(map(str, args.alpha_grid))}"
        f" --clearance-grid {' '.join(map(str, args.clearance_grid))}"
        f"{' --write' if args.write else ''}`; wall time {wall:.0f} s (2 cores).", "",
        "Objective: sum of ((simulated - published) / SE)^2; control targets PFS(8.4 mo) = 0.5 "
        "(SE 0.05), PFS(20 mo) = 0.108 (SE 0.050), ORR 0.03 (SE 0.017); treated targets "
        "ORR 0.18 (SE 0.038), PFS(20 mo) = 0.652 (SE 0.068).", "",
        "## Step 1: growth mixture fitted to the control arm", "",
        "| majority mean %/mo | majority sd %/mo | responder weight | ORR | PFS 8.4 mo | "
        "PFS 20 mo | median PFS mo | J_control | evaluations |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {growth[0]:.2f} | {growth[1]:.2f} | {growth[2]:.4f} | {vals_c['orr']:.3f} | "
        f"{vals_c['pfs_8.4']:.3f} | {vals_c['pfs_20']:.3f} | {vals_c['median']:.2f} | "
        f"{j_c:.2f} | {nfev} |", "",
        "## Step 2: alpha median (GSD 1.4) x doomed-cell clearance median (GSD 1.5), "
        "177Lu-DOTATATE arm", "",
        "| alpha median /Gy | clearance median d | ORR | CR | PFS 20 mo | median PFS mo | "
        "J_treated |", "|---|---|---|---|---|---|---|"]
    for r in rows + ([refined] if refined else []):
        tag = " (refined)" if r is refined else ""
        lines.append(f"| {r['alpha']:.4g}{tag} | {r['clearance']:.1f} | {r['orr']:.3f} | "
                     f"{r['cr']:.4f} | {r['pfs_20']:.3f} | {r['median']:.2f} | "
                     f"{r['J_t']:.2f} |")
    lines += ["", "## Fitted values (written into conf/cohort/fitted/netter1.yaml with --write)",
              "",
              "| tag | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in fitted.items()]
    lines += ["", f"Best point: J_treated {best['J_t']:.2f}, J_control {j_c:.2f} at "
              f"{args.n_prrt} / {args.n_control} patients; confirmed on 10,000 patients per arm "
              "in [netter1.md](netter1.md).", ""]
    write_report("calibrate_netter1.md", lines)


if __name__ == "__main__":
    main()
