"""A plain-text table of the key outcome rates, one row per sweep point."""

from __future__ import annotations

import itertools

import xarray as xr

from ..summary import summarize
from .combine import dim_names

#: column header -> summarize() output (rates in [0, 1], printed in %)
COLUMNS = {
    "ORR %": "orr",
    "nCR %": "near_complete_response_rate",
    "CMR %": "complete_metabolic_response_rate",
    "cure %": "cure_rate",
    "kidneyBED>lim %": "kidney_bed_limit_exceeded_rate",
    "mean TCP": "tcp_mean",
}


def summary_table(ds: xr.Dataset) -> str:
    """Rows = sweep points (``ds.attrs['sweep_keys']``), columns = cohort outcome rates."""
    dims = list(dim_names(ds.attrs["sweep_keys"].split()).values())
    header = [*dims, "n", *COLUMNS]
    rows = []
    for values in itertools.product(*(ds[d].values.tolist() for d in dims)):
        point = ds.sel(dict(zip(dims, values, strict=True)))
        status = str(point["job_status"].values) if "job_status" in point else "ok"
        row = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
        if status != "ok":
            rows.append([*row, "-", status.split(":")[0]])
            continue
        summary = summarize(point)
        cells = []
        for name in COLUMNS.values():
            value = float(summary[name]) if name in summary else float("nan")
            cells.append(f"{value:.3f}" if name == "tcp_mean" else f"{100 * value:.1f}")
        rows.append([*row, str(point.sizes["patient"]), *cells])
    widths = [max([len(h), *(len(r[i]) for r in rows if i < len(r))])
              for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(lines)
