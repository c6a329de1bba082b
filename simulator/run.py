"""Run a validated configuration: its cohort, or its cohort over every point of its grid.

The one place that chooses between the two, so that :mod:`simulator.simulation` (one
cohort, chunk by chunk) never imports :mod:`simulator.sweep` (grids built on it).
"""

from __future__ import annotations

import xarray as xr

from .simulation import simulate_cohort
from .sweep.grid import simulate_grid


def simulate_validated(cfg: dict) -> xr.Dataset:
    """The Dataset of a config validated by :func:`simulator.configure.validate`."""
    return simulate_grid(cfg) if cfg["grid"] else simulate_cohort(cfg)
