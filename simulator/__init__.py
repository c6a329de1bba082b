"""prrt-simulator: Monte Carlo treatment-outcome simulator for 177Lu-DOTATATE PRRT.

Public API::

    import simulator
    cfg = simulator.compose(["therapy.activity_gbq=5.55"])   # validated config
    ds = simulator.simulate(cfg)                               # xarray.Dataset
    result = simulator.plan(simulator.compose(["plan=default"]))  # optimised schedule

Bad input raises :class:`simulator.ConfigError` naming the field, the value and
the allowed range, before any computation.
"""

from __future__ import annotations

from omegaconf import DictConfig

from .configure import compose, validate
from .errors import ConfigError, SolverError
from .results import open_results
from .summary import summarize


def simulate(cfg: DictConfig | dict):
    """Simulate the configured course and return an :class:`xarray.Dataset`.

    Parameters
    ----------
    cfg : DictConfig or dict
        A config from :func:`compose` (validated again here).

    Returns
    -------
    xarray.Dataset
        Absorbed doses per cycle (Gy), time-integrated activities (MBq h) and,
        with ``output.save_timeseries=true``, activity and dose-rate curves.  With a
        ``grid`` section, one dimension per gridded key before ``patient``.
    """
    from .run import simulate_validated

    return simulate_validated(validate(cfg))


def plan(cfg: DictConfig | dict):
    """Optimise the schedule of a config with a ``plan`` block (``plan=default``).

    Returns
    -------
    simulator.planning.PlanResult
        ``plan`` (chosen plans, every candidate, Pareto front, gain over the configured
        schedule), ``resimulation`` (the chosen plans as an ordinary run) and ``configured``
        (the configured schedule on the same patients); docs/planning.md.
    """
    from .run import plan_validated

    return plan_validated(validate(cfg))


__all__ = [
    "ConfigError",
    "SolverError",
    "compose",
    "open_results",
    "plan",
    "simulate",
    "summarize",
    "validate",
]
