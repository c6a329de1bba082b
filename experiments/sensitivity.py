"""Global sensitivity of lesion BED, kidney BED, CMR + near-complete response and PFS (issue 16).

    NUMBA_NUM_THREADS=2 python experiments/sensitivity.py [--n-base 1024] [--out DIR]

Sobol' first-order and total indices (SALib) with bootstrap intervals of the outputs of
``experiments/sensitivity.yaml`` with respect to its uncertain inputs, each row of the
design one virtual patient (:mod:`simulator.sensitivity`, docs/sensitivity.md).  Writes
``sensitivity.nc`` (the indices, intervals and the convergence check), ``sensitivity.png``
(bar chart) and ``results.md`` (tables) into ``--out`` (default
``experiments/results/sensitivity``).  ``--small`` is a quick run (n_base 16) for tests.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from simulator.results.io import write_netcdf
from simulator.sensitivity import prepare

HERE = Path(__file__).resolve().parent
SPEC = HERE / "sensitivity.yaml"
OUT = HERE / "results" / "sensitivity"


def short_name(path: str) -> str:
    """``radiobiology.tumour.alpha_beta_gy`` -> ``tumour.alpha_beta_gy`` (last two parts)."""
    return ".".join(path.split(".")[-2:])


def defined(d: xr.Dataset) -> bool:
    """The output's indices were estimated (enough informative rows)."""
    return bool(np.isfinite(d.ST).any())


def figure(ds: xr.Dataset, path: Path) -> None:
    """One panel per output: S1 and ST per input with their bootstrap intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outputs = [str(o) for o in ds.output.values]
    order = np.argsort(ds.ST.fillna(0.0).max("output").values)   # most influential on top
    names = [short_name(str(p)) for p in ds.parameter.values[order]]
    y = np.arange(len(names))
    fig, axes = plt.subplots(1, len(outputs), figsize=(2.6 * len(outputs) + 2.2, 0.32 * len(y)
                                                       + 1.6), sharey=True, dpi=110)
    for ax, out in zip(np.atleast_1d(axes), outputs, strict=True):
        d = ds.sel(output=out).isel(parameter=order)
        if not defined(d):
            ax.text(0.5, 0.5, f"not estimated:\n{int(d.informative_rows)} of "
                              f"{ds.attrs['n_evaluations']} patients\naway from the most "
                              f"common value\n(< {ds.attrs['min_informative_rows']})",
                    ha="center", va="center", fontsize=7, transform=ax.transAxes)
        ax.barh(y + 0.2, d.ST, 0.4, xerr=d.ST_conf, color="C0", label="total (ST)",
                error_kw={"lw": 0.8})
        ax.barh(y - 0.2, d.S1, 0.4, xerr=d.S1_conf, color="C1", label="first order (S1)",
                error_kw={"lw": 0.8})
        ax.axvline(0.0, color="0.4", lw=0.6)
        ax.set_xlim(-0.05, 1.05)
        ax.set_title(f"{out}\n({str(ds.output_units.sel(output=out).values)})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", color="0.9")
    axes = np.atleast_1d(axes)
    axes[0].set_yticks(y, names)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Sobol' indices, N = {ds.attrs['n_base']} ({ds.attrs['n_evaluations']} "
                 f"virtual patients); bars: {100 * ds.attrs['conf_level']:g} % bootstrap "
                 "intervals", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def tables(ds: xr.Dataset, command: str, wall_s: float) -> list[str]:
    """Markdown: outputs over the design, ST (S1) per input and output, convergence."""
    outputs = [str(o) for o in ds.output.values]
    lines = [f"`{command}`: N = {ds.attrs['n_base']}, {ds.attrs['n_evaluations']} virtual "
             f"patients, {ds.attrs['n_bootstrap']} bootstrap resamples, seed "
             f"{ds.attrs['seed']}; wall time {wall_s:.0f} s (SALib {ds.attrs['salib_version']})."
             "", "", "| output | unit | mean | SD | rows away from the most common value | "
                     "sum of S1 |", "|---|---|---|---|---|---|"]
    for out in outputs:
        d = ds.sel(output=out)
        s1 = f"{float(d.S1.sum()):.2f}" if defined(d) else "n/a"
        lines.append(f"| {out} | {str(d.output_units.values)} | {float(d.output_mean):.4g} | "
                     f"{float(d.output_std):.4g} | {int(d.informative_rows)} | {s1} |")
    lines += ["", "Total index ST ± bootstrap half-width (first-order S1 in brackets); "
                  "inputs by their largest ST:", "",
              "| input | " + " | ".join(outputs) + " |", "|---" * (len(outputs) + 1) + "|"]
    for p in ds.parameter.values[np.argsort(-ds.ST.fillna(0.0).max("output").values)]:
        cells = []
        for out in outputs:
            d = ds.sel(output=out, parameter=p)
            cells.append(f"{float(d.ST):.3f} ± {float(d.ST_conf):.3f} ({float(d.S1):.3f})"
                         if defined(d) else "n/a")
        lines.append(f"| `{p}` | " + " | ".join(cells) + " |")
    lines += ["", f"Convergence (N/2 = {ds.attrs['n_base'] // 2} -> N = {ds.attrs['n_base']}, "
                  "the first half of the design against all of it): |ST(N) - ST(N/2)| against "
                  "the bootstrap half-widths.", "",
              "| output | max abs ST change | max ST_conf(N/2) | max ST_conf(N) | "
              "change <= ST_conf(N/2) | change <= ST_conf(N) | largest ST among the others |",
              "|---|---|---|---|---|---|---|"]
    for out in outputs:
        d = ds.sel(output=out)
        n = d.sizes["parameter"]
        if not defined(d) or np.isnan(d.ST_half).all():
            lines.append(f"| {out} | n/a (fewer than {ds.attrs['min_informative_rows']} "
                         "informative rows) | | | | | |")
            continue
        others = d.ST.where(~d.converged)
        largest = f"{float(others.max()):.3f}" if bool(others.notnull().any()) else "–"
        lines.append(f"| {out} | {float(d.ST_change.max()):.3f} | "
                     f"{float(d.ST_half_conf.max()):.3f} | {float(d.ST_conf.max()):.3f} | "
                     f"{int(d.converged.sum())}/{n} | "
                     f"{int((d.ST_change <= d.ST_conf).sum())}/{n} | {largest} |")
    return lines


def _shown(path: Path) -> str:
    """``path`` relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def main(argv=None) -> xr.Dataset:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC, help="sensitivity YAML")
    parser.add_argument("--n-base", type=int, default=None, help="overrides n_base")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--small", action="store_true", help="n_base 16: a quick check")
    parser.add_argument("--replot", action="store_true",
                        help="redraw sensitivity.png from --out/sensitivity.nc, no simulation")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.replot:
        ds = xr.load_dataset(args.out / "sensitivity.nc")
        figure(ds, args.out / "sensitivity.png")
        return ds
    spec = yaml.safe_load(args.spec.read_text())
    analysis = prepare(spec, 16 if args.small else args.n_base)   # every check, no compute
    start = time.perf_counter()
    ds = analysis.run()
    wall = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    write_netcdf(ds, args.out / "sensitivity.nc")
    figure(ds, args.out / "sensitivity.png")
    spec_arg = "" if args.spec.resolve() == SPEC else f" --spec {_shown(args.spec)}"
    command = "python experiments/sensitivity.py" + spec_arg + (
        " --small" if args.small else f" --n-base {analysis.settings['n_base']}")
    lines = ["# Global sensitivity (experiments/sensitivity.py)", "",
             *tables(ds, command, wall), ""]
    (args.out / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return ds


if __name__ == "__main__":
    main()
