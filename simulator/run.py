"""Run a validated configuration: its cohort, or its cohort over every point of its grid.

The one place that chooses between the two, so that :mod:`simulator.simulation` (one
cohort, chunk by chunk) never imports :mod:`simulator.sweep` (grids built on it).  Every
patient (and grid point) is checked first by :func:`simulator.precheck.precheck`, so that
an invalid sampled patient is an error before any computation.
"""

from __future__ import annotations

import xarray as xr

from .precheck import precheck
from .simulation import simulate_cohort
from .sweep.grid import simulate_grid


def simulate_validated(cfg: dict, prechecked: bool = False) -> xr.Dataset:
    """The Dataset of a config validated by :func:`simulator.configure.validate`.

    ``prechecked``: the caller already ran :func:`simulator.precheck.precheck` on ``cfg``.
    """
    if not prechecked:
        precheck(cfg)
    return simulate_grid(cfg) if cfg["grid"] else simulate_cohort(cfg)
