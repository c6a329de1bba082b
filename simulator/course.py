"""Orchestration of one patient's course: config -> PBPK arrays -> kernel -> doses.

Python only: validates, allocates and dispatches to the numba kernels in
:mod:`simulator.engine`; pure formulae live in :mod:`simulator.dosimetry`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dosimetry.dose_map import dose_map_gy_per_mbq_h
from .engine.course import STATUS_MESSAGES, run_course
from .engine.rodas import make_workspace
from .errors import SolverError
from .pk import model
from .pk.layout import COLD, HOT, N_GLOBAL, N_SUB, PLASMA, block_size, n_states, tia_offset
from .pk.parameters import LAM, PKSystem, build_pk_system

HOURS_PER_WEEK = 168.0
FIRST_STEP_H = 1e-6   # trial step after an injection; receptor binding acts in ~0.01 h


@dataclass(frozen=True)
class Schedule:
    """Injection times and the end of follow-up (h), and the amounts injected (nmol)."""

    injection_times_h: np.ndarray
    end_h: float
    hot_nmol: float
    cold_nmol: float


@dataclass(frozen=True)
class CourseResult:
    """Everything computed for one patient (arrays in the units of their names)."""

    system: PKSystem
    schedule: Schedule
    boundary_states: np.ndarray       # (n_cycles + 1, n_states), nmol and nmol h
    tia_mbq_h: np.ndarray             # (n_regions, n_cycles)
    dose_gy: np.ndarray               # (n_targets, n_cycles)
    dose_map_gy_per_mbq_h: np.ndarray  # (n_targets, n_regions)
    time_h: np.ndarray                # (n_out,)
    activity_mbq: np.ndarray          # (n_regions, n_out)
    dose_rate_gy_per_h: np.ndarray    # (n_targets, n_out)


def make_schedule(cfg: dict, mbq_per_nmol: float) -> Schedule:
    """Injection schedule of a validated config."""
    therapy = cfg["therapy"]
    interval_h = therapy["interval_weeks"] * HOURS_PER_WEEK
    times = interval_h * np.arange(therapy["n_cycles"], dtype=float)
    hot = therapy["activity_gbq"] * 1000.0 / mbq_per_nmol
    return Schedule(injection_times_h=times,
                    end_h=float(times[-1] + cfg["solver"]["tail_weeks"] * HOURS_PER_WEEK),
                    hot_nmol=hot, cold_nmol=therapy["peptide_nmol"] - hot)


def output_times_h(schedule: Schedule, points_per_cycle: int) -> np.ndarray:
    """Log-spaced sampling times after each injection (first 0.01 h after it)."""
    bounds = np.append(schedule.injection_times_h, schedule.end_h)
    pieces = [t0 + np.concatenate([[0.0], np.geomspace(0.01, t1 - t0, points_per_cycle - 1)])
              for t0, t1 in zip(bounds[:-1], bounds[1:], strict=True)]
    return np.unique(np.concatenate(pieces))


def region_hot_amounts(states: np.ndarray, n_tissues: int) -> np.ndarray:
    """Hot amount (nmol) per region, for states of shape (..., n_states) -> (..., n_regions)."""
    hot = states[..., HOT * block_size(n_tissues):(HOT + 1) * block_size(n_tissues)]
    tissues = hot[..., N_GLOBAL:].reshape(*hot.shape[:-1], n_tissues, N_SUB).sum(axis=-1)
    return np.concatenate([hot[..., :N_GLOBAL], tissues], axis=-1)


def run_patient(cfg: dict) -> CourseResult:
    """Simulate one patient's course from a validated, resolved config dict."""
    system = build_pk_system(cfg)
    sched = make_schedule(cfg, system.mbq_per_nmol)
    n = n_states(system.n_tissues)
    solver = cfg["solver"]
    times = (output_times_h(sched, cfg["output"]["timeseries_points_per_cycle"])
             if cfg["output"]["save_timeseries"] else np.empty(0))
    boundary = np.zeros((sched.injection_times_h.size + 1, n))
    series = np.zeros((times.size, n))
    status = run_course(model.rhs, model.jac, system.args, np.zeros(n), sched.injection_times_h,
                        HOT * block_size(system.n_tissues) + PLASMA,
                        COLD * block_size(system.n_tissues) + PLASMA,
                        sched.hot_nmol, sched.cold_nmol, sched.end_h, times, solver["rtol"],
                        np.full(n, solver["atol_nmol"]), solver["max_steps"], FIRST_STEP_H,
                        make_workspace(n),
                        boundary, series)
    if status != 0:
        raise SolverError(f"PBPK integration failed: {STATUS_MESSAGES[status]}. "
                          "Loosen solver.rtol or raise solver.max_steps.")
    acc = boundary[:, tia_offset(system.n_tissues):] * system.mbq_per_nmol
    tia = np.diff(acc, axis=0).T
    # after end_h: physical decay only (biological clearance would only shorten it)
    tail = region_hot_amounts(boundary[-1], system.n_tissues) * system.mbq_per_nmol \
        / system.glob[LAM]
    tia[:, -1] += tail
    dmap = dose_map_gy_per_mbq_h(system.tissue_mass_g, cfg)
    activity = region_hot_amounts(series, system.n_tissues).T * system.mbq_per_nmol
    return CourseResult(system=system, schedule=sched, boundary_states=boundary,
                        tia_mbq_h=tia, dose_gy=dmap @ tia, dose_map_gy_per_mbq_h=dmap,
                        time_h=times, activity_mbq=activity, dose_rate_gy_per_h=dmap @ activity)
