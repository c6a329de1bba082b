"""Figures of one patient's course (matplotlib, optional dependency ``[plots]``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

HOURS_PER_MONTH = 365.25 * 24.0 / 12.0


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError("plots need matplotlib: pip install 'prrt-simulator[plots]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _mark_injections(ax, ds: xr.Dataset) -> None:
    for t in ds.cycle_start_h.values / HOURS_PER_MONTH:
        ax.axvline(t, color="0.8", lw=0.8, zorder=0)


def plot_lesion_volumes(ds: xr.Dataset, patient: int = 0, ax=None):
    """Lesion volume (mL) against time (months), assessments marked; returns the axes."""
    plt = _pyplot()
    ax = ax or plt.subplots(figsize=(6.4, 4.0))[1]
    p = ds.isel(patient=patient)
    t = p.time.values / HOURS_PER_MONTH
    for name in p.lesion.values:
        vol = p.lesion_volume_ml.sel(lesion=name).values
        (line,) = ax.plot(t, vol, label=f"{name} total")
        viable = vol * p.lesion_viable_fraction.sel(lesion=name).values
        ax.plot(t, viable, ls="--", color=line.get_color(), label=f"{name} viable cells")
        sel = p.is_assessment.values
        ax.plot(t[sel], vol[sel], "o", ms=3, color=line.get_color())
    _mark_injections(ax, ds)
    ax.set(xlabel="time after first injection (months)", ylabel="volume (mL)", yscale="log",
           title="Lesion volumes (dots: RECIST assessments; grey: injections)")
    ax.legend(fontsize="small")
    return ax


def plot_dose_rates(ds: xr.Dataset, patient: int = 0, ax=None):
    """Absorbed-dose rate (Gy/h) of every target against time (months); returns the axes."""
    if "dose_rate_gy_per_h" not in ds:
        raise ValueError("the Dataset has no dose_rate_gy_per_h: run with "
                         "output.save_timeseries=true")
    plt = _pyplot()
    ax = ax or plt.subplots(figsize=(6.4, 4.0))[1]
    p = ds.isel(patient=patient)
    t = p.time.values / HOURS_PER_MONTH
    peak = float(p.dose_rate_gy_per_h.max())
    for target in p.target.values:
        rate = p.dose_rate_gy_per_h.sel(target=target).values
        ax.plot(t, np.where(rate > 1e-6 * peak, rate, np.nan), label=str(target))
    _mark_injections(ax, ds)
    ax.set_ylim(1e-6 * peak, 2.0 * peak)   # below: solver noise around zero activity
    ax.set(xlabel="time after first injection (months)", ylabel="dose rate (Gy/h)",
           yscale="log", title="Absorbed-dose rates")
    ax.legend(fontsize="small")
    return ax


def save_figures(ds: xr.Dataset, folder: str | Path, patient: int = 0) -> list[Path]:
    """Write ``lesion_volumes.png`` and, with time series, ``dose_rates.png`` into ``folder``."""
    plt = _pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (("lesion_volumes", plot_lesion_volumes), ("dose_rates", plot_dose_rates)):
        if name == "dose_rates" and "dose_rate_gy_per_h" not in ds:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        draw(ds, patient, ax)
        fig.tight_layout()
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
    return written


def plot_pareto(plan: xr.Dataset, group: int = 0, ax=None):
    """Objective against mean cumulative kidney BED of every candidate plan of one group:
    feasible and not, the Pareto front, the chosen and the configured plan."""
    plt = _pyplot()
    ax = ax or plt.subplots(figsize=(6.4, 4.0))[1]
    sel = plan.candidate_group.values == group
    x, y = plan.kidney_bed_mean_gy.values[sel], plan.objective.values[sel]
    feasible, front = plan.feasible.values[sel], plan.pareto.values[sel]
    scale = 100.0 if plan.attrs.get("objective_units") == "1" else 1.0
    ax.plot(x[~feasible], scale * y[~feasible], "x", color="0.6", label="over a limit")
    ax.plot(x[feasible], scale * y[feasible], "o", ms=4, color="C0", alpha=0.6,
            label="candidate")
    order = np.argsort(x[front])
    ax.plot(x[front][order], scale * y[front][order], "-", color="C0", lw=1.5,
            drawstyle="steps-post", label="Pareto front")
    for name, marker, color in (("configured", "s", "C3"), ("chosen", "*", "C2")):
        mask = plan[name].values[sel]
        ax.plot(x[mask], scale * y[mask], marker, ms=11, color=color, label=name)
    if "kidney_bed" in plan.attrs.get("enforced_limits", ""):
        ax.axvline(plan.attrs["kidney_bed_limit_gy"], color="C3", ls="--", lw=1,
                   label="kidney BED limit")
    unit = "%" if scale == 100.0 else plan.attrs.get("objective_units", "")
    ax.set(xlabel="cumulative kidney BED, mean over the group (Gy)",
           ylabel=f"{plan.attrs.get('objective_label', 'objective')} ({unit})",
           title=f"Plans of group {group}" if plan.sizes["group"] > 1 else "Candidate plans")
    ax.legend(fontsize="small")
    return ax


def save_pareto_figure(plan: xr.Dataset, folder: str | Path, max_groups: int = 4) -> Path:
    """``pareto.png``: :func:`plot_pareto` of the first ``max_groups`` groups."""
    plt = _pyplot()
    n = min(max_groups, plan.sizes["group"])
    fig, axes = plt.subplots(1, n, figsize=(6.4 * n, 4.2), squeeze=False)
    for g in range(n):
        plot_pareto(plan, g, axes[0, g])
    fig.tight_layout()
    path = Path(folder) / "pareto.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
