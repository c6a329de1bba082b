"""The one-page figure of a personal prediction (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr


def _activity_panel(ax, posterior: xr.Dataset) -> None:
    labels = [str(m) for m in posterior.measurement.values]
    rows = [(i, lab.split()) for i, lab in enumerate(labels) if lab.startswith("activity ")]
    if not rows:
        ax.text(0.5, 0.5, "no activity measurements", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return
    groups: dict[str, list] = {}
    for i, parts in rows:     # "activity <region> cycle <c> <t> h"
        groups.setdefault(f"{parts[1]} (cycle {parts[3]})", []).append((float(parts[4]), i))
    pq = posterior.predicted_quantile
    for k, (name, pts) in enumerate(sorted(groups.items())):
        t = np.array([p[0] for p in pts])
        idx = [p[1] for p in pts]
        color = f"C{k}"
        lo = pq.sel(quantile=0.05).values[idx]
        hi = pq.sel(quantile=0.95).values[idx]
        med = pq.sel(quantile=0.5).values[idx]
        ax.fill_between(t, lo, hi, color=color, alpha=0.25)
        ax.plot(t, med, color=color, lw=1)
        ax.plot(t, posterior.measured.values[idx], "o", color=color, ms=4, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("time after injection (h)")
    ax.set_ylabel("activity (MBq)")
    ax.set_title("measured (dots) and posterior 90 % band", fontsize=9)
    ax.legend(fontsize=7)


def _parameter_panel(ax, posterior: xr.Dataset) -> None:
    names = [str(p) for p in posterior.parameter.values]
    prior, post = posterior.prior_quantile, posterior.posterior_quantile
    ref = prior.sel(quantile=0.5).values
    # positive parameters on ln(value / prior median); a parameter whose prior reaches zero or
    # below (net growth), where a log is undefined, on (value - prior median) / (half the
    # width of its prior 90 % interval): its prior interval then spans about -1 to 1
    signed = prior.min("quantile").values <= 0.0
    half = 0.5 * (prior.sel(quantile=0.95).values - prior.sel(quantile=0.05).values)
    half = np.where(half > 0, half, 1.0)

    def scale(values):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(signed, (values - ref) / half, np.log(values / ref))

    y = np.arange(len(names))
    for q, data, color, off in ((prior, "prior", "0.6", 0.15), (post, "posterior", "C3", -0.15)):
        lo = scale(q.sel(quantile=0.05).values)
        hi = scale(q.sel(quantile=0.95).values)
        mid = scale(q.sel(quantile=0.5).values)
        ax.hlines(y + off, lo, hi, color=color, lw=3, label=f"{data} 90 %")
        ax.plot(mid, y + off, "|", color="k", ms=6)
    labels = [n.replace("lesions.", "").replace("_nmol_per_l", "") + (" *" if sg else "")
              for n, sg in zip(names, signed, strict=True)]
    ax.set_yticks(y, labels, fontsize=6)
    ax.set_xlabel("ln(value / prior median)\n* signed: (value - median) / prior 90 % half-width",
                  fontsize=8)
    ax.set_title("patient parameters", fontsize=9)
    ax.legend(fontsize=7)


def _kidney_panel(ax, prediction: xr.Dataset, limit_gy: float | None) -> None:
    per = prediction.twin_kidney_bed_per_cycle_gy.values
    cum = np.cumsum(per, axis=1)
    w = prediction.weight.values
    from .update import weighted_quantiles

    q = weighted_quantiles(cum, w, (0.05, 0.5, 0.95))
    c = prediction.cycle.values
    given = prediction.cycle_given.values
    ax.fill_between(c, q[0], q[2], color="C0", alpha=0.3, label="90 % interval")
    ax.plot(c, q[1], "o-", color="C0", label="median")
    ax.plot(c[~given], q[1][~given], "o", mfc="white", color="C0", label="planned cycles")
    if limit_gy:
        ax.axhline(limit_gy, color="C3", ls="--", lw=1, label=f"limit {limit_gy:g} Gy")
    ax.set_xlabel("cycle")
    ax.set_ylabel("cumulative kidney BED (Gy)")
    ax.set_xticks(c)
    ax.set_title("kidney BED over the course", fontsize=9)
    ax.legend(fontsize=7)


def _lesion_panel(ax, prediction: xr.Dataset) -> None:
    q = prediction.lesion_dose_total_gy
    lesions = [str(x) for x in prediction.lesion.values]
    x = np.arange(len(lesions))
    ax.vlines(x, q.sel(quantile=0.05), q.sel(quantile=0.95), color="C2", lw=2)
    ax.vlines(x, q.sel(quantile=0.25), q.sel(quantile=0.75), color="C2", lw=7)
    ax.plot(x, q.sel(quantile=0.5), "_", color="k", ms=14)
    ax.set_xticks(x, lesions, fontsize=7)
    ax.set_ylabel("absorbed dose over the course (Gy)")
    ax.set_title("lesion doses: 50 % and 90 % intervals", fontsize=9)


def _response_panel(ax, prediction: xr.Dataset) -> None:
    classes = [str(c).replace("not_evaluable", "NE") for c in prediction.response_class.values]
    p = prediction.response_probability.values
    ax.bar(classes, p, color="C4")
    both = float(prediction.p_cmr_and_near_complete)
    ax.set_ylim(0, 1)
    ax.set_ylabel("posterior predictive probability")
    ax.set_title(f"RECIST best response; P(CMR + near-complete) = {both:.2f}", fontsize=9)


def _pfs_panel(ax, prediction: xr.Dataset) -> None:
    t = np.concatenate([[0.0], prediction.pfs_time_months.values])
    s = np.concatenate([[1.0], prediction.progression_free.values])
    ax.step(t, s, where="post", color="C1")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months after the first injection")
    ax.set_ylabel("P(progression-free)")
    ax.set_title("progression-free survival (predictive)", fontsize=9)


def prediction_figure(posterior: xr.Dataset, prediction: xr.Dataset, path: str | Path,
                      kidney_limit_gy: float | None = None) -> Path:
    """Write the one-page (A4) summary of a personal prediction to ``path`` (PNG or PDF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(8.27, 11.69))
    _activity_panel(axes[0, 0], posterior)
    _parameter_panel(axes[0, 1], posterior)
    _kidney_panel(axes[1, 0], prediction, kidney_limit_gy)
    _lesion_panel(axes[1, 1], prediction)
    _response_panel(axes[2, 0], prediction)
    _pfs_panel(axes[2, 1], prediction)
    fig.suptitle(f"Personal prediction: patient {posterior.attrs.get('patient_id')} "
                 f"(prior {posterior.attrs.get('prior')}, {posterior.attrs.get('n_twins')} "
                 f"twins, ESS {float(posterior.attrs.get('ess', 0)):.0f})", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
