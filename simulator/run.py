"""Run a validated configuration: its cohort, its cohort over every point of its grid, or
the plan of its cohort (``prrt-sim plan``).

The one place that chooses between them, so that :mod:`simulator.simulation` (one cohort,
chunk by chunk) never imports :mod:`simulator.sweep` (grids built on it) or
:mod:`simulator.planning`.  Every patient (and grid point) is checked first by
:func:`simulator.precheck.precheck`, so that an invalid sampled patient is an error before
any computation.
"""

from __future__ import annotations

import xarray as xr

from .planning import PlanResult, plan
from .precheck import precheck
from .simulation import simulate_cohort
from .sweep.grid import simulate_grid


def simulate_validated(cfg: dict, prechecked: bool = False) -> xr.Dataset:
    """The Dataset of a config validated by :func:`simulator.configure.validate`; with a
    ``plan`` block, the re-simulation of the chosen plan (:func:`plan_validated`).

    ``prechecked``: the caller already ran :func:`simulator.precheck.precheck` on ``cfg``.
    """
    if cfg.get("plan") is not None:
        return plan_validated(cfg, prechecked).resimulation
    if not prechecked:
        precheck(cfg)
    return simulate_grid(cfg) if cfg["grid"] else simulate_cohort(cfg)


def plan_validated(cfg: dict, prechecked: bool = False) -> PlanResult:
    """The plan of a validated config with a ``plan`` block (:func:`simulator.planning.plan`)."""
    if not prechecked:
        precheck(cfg)
    return plan(cfg)
