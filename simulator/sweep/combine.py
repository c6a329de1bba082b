"""Stack the Datasets of sweep points into one Dataset with a dimension per swept key.

Shared by the multirun gatherer and the in-process grid, so both give the same dims,
names, coordinates and attributes.  A swept key ``therapy.activity_gbq`` becomes the
dimension ``activity_gbq`` (the last path component; the full dotted path with ``__``
for dots where two keys share a last component), with sorted coordinates carrying
``units`` and ``config_path``.  Points without a Dataset (failed or missing jobs) are
filled with NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import xarray as xr

from ..config.dotted import schema_leaf

#: dimensions of a results Dataset: a swept key may not take one of these names
RESERVED_DIMS = ("patient", "lesion", "cycle", "time", "parameter", "region", "target",
                 "response")


def dim_names(paths: Sequence[str]) -> dict[str, str]:
    """Dimension name of each swept key (dotted config path or config group).

    The last path component, or the dotted path with ``__`` where two keys share it; a
    name that is already a dimension of the results (``patient=...``, the patient config
    group) gets the suffix ``_choice``.
    """
    last = [path.split(".")[-1] for path in paths]
    names = {path: name if last.count(name) == 1 else path.replace(".", "__")
             for path, name in zip(paths, last, strict=True)}
    return {path: f"{name}_choice" if name in RESERVED_DIMS else name
            for path, name in names.items()}


def coordinate_attrs(path: str, cfg: dict) -> dict[str, str]:
    """``units``, ``long_name`` and ``config_path`` of a swept key (no units for a group)."""
    attrs = {"long_name": f"swept {path}", "config_path": path}
    leaf = schema_leaf(path, cfg) if cfg else "no config at hand"
    if isinstance(leaf, str):          # a config group (cohort=example), or no config at hand
        return attrs
    hint, meta = leaf
    if hint in (int, float):
        attrs["units"] = meta.get("unit") or "1"
    return attrs


def combine(points: Sequence[dict[str, Any]], datasets: Sequence[xr.Dataset | None],
            cfg: dict, per_point: dict[str, Sequence[str]] | None = None) -> xr.Dataset:
    """One Dataset from the Datasets of sweep points.

    Parameters
    ----------
    points : sequence of dict
        Swept key -> value of each point (the same keys, in dimension order).
    datasets : sequence of Dataset or None
        Each point's results (``patient`` dimension), None where there are none.
    cfg : dict
        A composed config of the sweep, for the units of the swept keys.
    per_point : dict of str -> sequence of str, optional
        Extra string variables with one entry per point (e.g. job status, overrides).
    """
    paths = list(points[0])
    dims = dim_names(paths)
    names = [dims[p] for p in paths]

    def stacked(rows):
        tuples = [tuple(point[p] for p in paths) for point in rows]
        index = pd.MultiIndex.from_tuples(tuples, names=names)
        return xr.Coordinates.from_pandas_multiindex(index, "point")

    present = [k for k, ds in enumerate(datasets) if ds is not None]
    parts = []
    if present:
        pieces = [datasets[k] for k in present]
        ds = pieces[0].expand_dims("point") if len(pieces) == 1 else xr.concat(
            pieces, dim="point", data_vars="all", coords="different", compat="equals",
            join="outer", combine_attrs="drop_conflicts")
        parts.append(ds.assign_coords(stacked([points[k] for k in present])).unstack("point"))
    if per_point:
        extra = xr.Dataset({name: ("point", list(values)) for name, values in per_point.items()})
        parts.append(extra.assign_coords(stacked(points)).unstack("point"))
    out = parts[0] if len(parts) == 1 else xr.merge(parts, join="outer",
                                                    combine_attrs="override")
    out = out.sortby(names).transpose(*names, ...).drop_encoding()
    for path, name in dims.items():
        out[name].attrs.update(coordinate_attrs(path, cfg))
    out.attrs.pop("config_yaml", None)
    out.attrs["sweep_keys"] = " ".join(paths)
    return out
