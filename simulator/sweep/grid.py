"""In-process parameter grids: the config's ``grid`` section evaluated in one process.

``grid: {therapy.activity_gbq: [3.7, 7.4], patient.sstr_density_nmol_per_l: [20, 80]}``
runs every combination for the configured cohort.  Keys read per patient by the engine
(any numeric patient, lesion or model parameter) are batched: each grid point adds a copy
of the cohort as extra virtual patients, so patients x grid points go through the engine
together.  Keys the engine shares across a batch (``therapy.n_cycles``,
``therapy.interval_weeks`` and the ``response.``/``solver.`` settings) are looped over
outside the batch.  Patient i draws the same variates at every point (its own seeded
streams), so the result equals, value for value, the gathered multirun of the same grid
(:mod:`simulator.sweep.gather`): same dims, names and coordinates.
"""

from __future__ import annotations

import itertools
from typing import Any

import xarray as xr

from ..cohort.overrides import apply_sampled_overrides
from ..config.dotted import RUN_LEVEL, SHARED_BY_BATCH
from ..config.dotted import with_values as set_values
from ..config.rules import fail_in_context
from ..configure import validate
from ..errors import ConfigError
from ..simulation import join_chunks, simulate_chunk_variants
from .combine import combine


def batched(path: str, cfg: dict) -> bool:
    """Whether ``path`` can differ between the virtual patients of one engine batch.

    A parameter the cohort samples is not batched: each of its grid values gives the cohort
    its own distribution (``cohort.sampled_override``), sampled as a run of that value would.
    """
    return (path not in SHARED_BY_BATCH and path.split(".")[0] not in RUN_LEVEL
            and path not in cfg["cohort"]["parameters"])


def point_config(cfg: dict, values: dict[str, Any]) -> dict:
    """The config of one grid point: ``values`` set, sampled parameters given their meaning."""
    return apply_sampled_overrides(with_values(cfg, values), values, "grid")


def with_values(cfg: dict, values: dict[str, Any]) -> dict:
    """A copy of ``cfg`` with dotted paths set to values and no grid."""
    return set_values({**cfg, "grid": {}}, values)


def grid_points(cfg: dict) -> list[dict[str, Any]]:
    """Every combination of the grid's values (keys in config order, values sorted)."""
    grid = cfg["grid"]
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(sorted(grid[k]) for k in keys))]


def simulate_grid(cfg: dict) -> xr.Dataset:
    """Dataset of the validated config's grid: dims (swept keys..., patient, ...).

    Raises
    ------
    ConfigError
        Before any computation, when a grid point's config is invalid (e.g. a peptide
        amount below the labelled amount of that point's activity).
    """
    points = grid_points(cfg)
    for point in points:
        try:
            validate(point_config(cfg, point))
        except ConfigError as exc:
            fail_in_context(exc, f"grid point {point}")
    outer = [k for k in cfg["grid"] if not batched(k, cfg)]
    groups: dict[tuple, list[int]] = {}
    for k, point in enumerate(points):
        groups.setdefault(tuple(point[p] for p in outer), []).append(k)
    n = int(cfg["cohort"]["n_patients"])
    chunk = int(cfg["solver"]["chunk_size"])
    datasets: list[Any] = [None] * len(points)
    for key, members in groups.items():
        group_cfg = point_config(cfg, dict(zip(outer, key, strict=True)))
        variants = [{p: v for p, v in points[k].items() if p not in outer} for k in members]
        pieces = [simulate_chunk_variants(group_cfg, start, min(n, start + chunk), variants)
                  for start in range(0, n, chunk)]
        for j, k in enumerate(members):
            datasets[k] = join_chunks([piece[j] for piece in pieces])
    ds = combine(points, datasets, cfg)
    ds.attrs["n_patients"] = n
    return ds
