"""Figures of the founding-case experiment (experiments/founding_cases.py and its notebook).

``plot_response_map`` draws one case of ``response_map.nc``: probability contours over
activity per cycle x tumour SSTR2 density, the assumed regimen and density marked, and the
frontier where the twins' median cumulative kidney BED reaches its limit (conf/limits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from .inference import OUTCOMES
from .plots import _pyplot, plot_lesion_volumes

PANELS = (("p_complete_metabolic", "complete metabolic response"),
          ("p_near_complete", "near-complete anatomic response"),
          ("p_cmr_and_near_complete", "CMR + near-complete anatomic"))
#: tops of the probability colour scale: the smallest that holds the map's largest value, so
#: that a rare outcome (a few per cent) is not drawn in the colour of zero
SCALE_TOPS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


def probability_scale_top(values) -> float:
    """The top of the probability colour scale for ``values``, a sequence of arrays
    (:data:`SCALE_TOPS`)."""
    flat = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in values])
    largest = float(np.nanmax(flat)) if np.isfinite(flat).any() else 0.0
    return next(t for t in SCALE_TOPS if largest <= t + 1e-12)
#: colours and labels of the outcome categories (:data:`simulator.inference.OUTCOMES`)
OUTCOME_STYLE = (("0.85", "no CMR, decrease < 80 %"), ("#9ecae1", "CMR, decrease < 80 %"),
                 ("#fdae6b", "CMR + near-complete"), ("#d62728", "complete (RECIST CR)"),
                 ("#c7e9c0", "near-complete, no CMR"))
assert len(OUTCOME_STYLE) == len(OUTCOMES)


def _frontier(ax, m: xr.Dataset, limit_gy: float, style: str, label: str) -> None:
    bed = m.kidney_bed_median_gy.transpose("sstr_density_nmol_per_l", "activity_gbq")
    if float(bed.min()) < limit_gy < float(bed.max()):
        ax.contour(m.activity_gbq, m.sstr_density_nmol_per_l, bed, levels=[limit_gy],
                   colors="red", linestyles=style)
    ax.plot([], [], color="red", ls=style, label=label)  # legend entry even if off the grid


def _mark_case(ax, m: xr.Dataset, inferred: bool = False) -> None:
    density = m.inferred_sstr_density_nmol_per_l if inferred else \
        m.assumed_sstr_density_nmol_per_l
    ax.plot(float(m.assumed_activity_gbq), float(density), "w*", ms=14, mec="k",
            label=f"{'inferred' if inferred else 'assumed'} case, 4 x 7.4 GBq")
    _frontier(ax, m, float(m.kidney_bed_limit_gy),
              "-", f"kidney BED {float(m.kidney_bed_limit_gy):g} Gy (no risk factors)")
    _frontier(ax, m, float(m.kidney_bed_limit_risk_factors_gy), "--",
              f"kidney BED {float(m.kidney_bed_limit_risk_factors_gy):g} Gy (risk factors)")
    ax.set(xlabel="activity per cycle (GBq)", yscale="log")


def _outcome_panel(ax, m: xr.Dataset) -> None:
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    code = m.case_outcome.transpose("sstr_density_nmol_per_l", "activity_gbq")
    colours = [c for c, _ in OUTCOME_STYLE]
    ax.pcolormesh(m.activity_gbq, m.sstr_density_nmol_per_l, code, shading="nearest",
                  cmap=ListedColormap(colours),
                  norm=BoundaryNorm(np.arange(len(colours) + 1) - 0.5, len(colours)))
    _mark_case(ax, m, inferred=True)
    ax.set_title(f"inferred case (stroma {100 * float(m.inferred_stroma_fraction):.2g} %, "
                 f"alpha {float(m.inferred_tumour_alpha_per_gy):.3g} /Gy)", fontsize="medium")
    present = set(np.unique(code.values).astype(int))
    ax.legend(handles=[Patch(color=c, label=label) for k, (c, label) in enumerate(OUTCOME_STYLE)
                       if k in present], fontsize="x-small", loc="lower right")


def plot_response_map(rmap: xr.Dataset, case: str, fig=None):
    """Three probability maps of ``case`` over its prior twins, each with its own colour
    scale (:func:`probability_scale_top`: a rare outcome is not drawn in the colour of zero),
    and the outcome of the inferred case (deterministic, posterior medians) over the same
    grid; returns the figure."""
    fig = fig or _pyplot().figure(figsize=(17, 5.2))
    grid = fig.add_gridspec(1, len(PANELS) + 1, width_ratios=[1] * len(PANELS) + [1.2],
                            wspace=0.3)
    first = fig.add_subplot(grid[0, 0])
    axes = [first] + [fig.add_subplot(grid[0, k], sharey=first) for k in range(1, len(PANELS))]
    m = rmap.sel(case=case)
    for ax, (name, title) in zip(axes, PANELS, strict=True):
        p = m[name].transpose("sstr_density_nmol_per_l", "activity_gbq")
        top = probability_scale_top([p.values])
        filled = ax.contourf(m.activity_gbq, m.sstr_density_nmol_per_l, p,
                             levels=np.linspace(0.0, top, 11), cmap="viridis", vmin=0.0,
                             vmax=top)
        _mark_case(ax, m)
        ax.set_title(f"P({title})", fontsize="medium")
        fig.colorbar(filled, ax=ax, orientation="horizontal", pad=0.2, aspect=30,
                     label=f"probability over {rmap.n_twins} twins (scale 0-{top:g})")
        if ax is not first:
            ax.tick_params(which="both", labelleft=False)
    first.set_ylabel("tumour SSTR2 density (nmol/L)")
    first.legend(fontsize="x-small", loc="lower right")
    last = fig.add_subplot(grid[0, len(PANELS)], sharey=first)
    last.tick_params(which="both", labelleft=False)
    _outcome_panel(last, m)
    box, ref = last.get_position(), first.get_position()   # the panels' colour bars took
    last.set_position([box.x0, ref.y0, box.width, ref.height])   # their height: match it
    fig.suptitle(f"{case}: where complete metabolic + near-complete anatomic response arises "
                 f"({int(rmap.n_cycles)} cycles q8w; twins: the prior, "
                 f"{rmap.attrs.get('prior', 'NETTER-1 population')})")
    return fig


def save_map(rmap: xr.Dataset, case: str, path: Path) -> None:
    fig = plot_response_map(rmap, case)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    _pyplot().close(fig)


def save_volumes(cases: dict[str, xr.Dataset], path: Path) -> None:
    """Lesion volume curves of the deterministic cases side by side."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(cases), figsize=(6.4 * len(cases), 4.4))
    for ax, (case, ds) in zip(np.atleast_1d(axes), cases.items(), strict=True):
        plot_lesion_volumes(ds.expand_dims("patient"), 0, ax)
        ax.set_title(f"{case}: lesion volumes (dots: assessments)")
        ax.legend(fontsize="xx-small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def save_sensitivity(sens: dict[str, dict[str, xr.Dataset]], path: Path) -> None:
    """Best decrease of the sum of diameters against each varied assumption, per case.

    Filled markers: complete metabolic response; 100 % = all targets gone (RECIST CR).
    """
    plt = _pyplot()
    names = list(next(iter(sens.values())))
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.6), sharey=True)
    for ax, name in zip(axes, names, strict=True):
        dim = name.split(".")[-1]
        for case, res in sens.items():
            r = res[name]
            x, dec = r[dim].values, 100 * r.best_decrease.values
            (line,) = ax.plot(x, dec, "-", label=case)
            cmr = r.complete_metabolic_response.values.astype(bool)
            ax.plot(x[cmr], dec[cmr], "o", color=line.get_color())
            ax.plot(x[~cmr], dec[~cmr], "o", mfc="white", color=line.get_color())
        ax.axhspan(80, 100, color="0.9", zorder=0)
        ax.axhline(30, color="0.6", lw=0.8)
        if x.min() > 0:
            ax.set_xscale("log")
        else:
            ax.set_xscale("symlog", linthresh=float(x[x > 0].min()), linscale=0.5)
        ax.set_xticks(x, [f"{v:g}" for v in x], rotation=60, fontsize="x-small")
        ax.minorticks_off()
        ax.set(xlabel=dim, title=dim.replace("_", " "))
        ax.title.set_fontsize("small")
    axes[0].set_ylabel("best decrease of sum of diameters (%)")
    axes[0].legend(fontsize="x-small")
    fig.suptitle("Sensitivity (grey band: near-complete; 100 %: CR; filled: CMR)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
