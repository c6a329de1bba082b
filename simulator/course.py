"""Orchestration of one patient's course: config -> arrays -> coupled kernel -> outputs.

Python only: validates, allocates and dispatches to the numba kernels in
:mod:`simulator.engine`; pure formulae live in :mod:`simulator.dosimetry`,
:mod:`simulator.radiobiology` and :mod:`simulator.response`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dosimetry.dose_map import ORGAN_TARGETS, dose_map_gy_per_mbq_h
from .dosimetry.spheres import LOG_MASS_G, LOG_S_GY_PER_MBQ_H
from .engine import layout as el
from .engine import model
from .engine.course import STATUS_MESSAGES, run_course
from .engine.rodas import make_workspace
from .errors import SolverError
from .pk.layout import COLD, HOT, N_GLOBAL, N_SUB, PLASMA, block_size, tia_offset
from .pk.parameters import LAM, PKSystem, build_pk_system
from .tumour.parameters import HOURS_PER_MONTH, L0, build_lesion_table

HOURS_PER_WEEK = 168.0
FIRST_STEP_H = 1e-6   # trial step after an injection; receptor binding acts in ~0.01 h
ATOL_LOG_CELLS = 1e-10
ATOL_CELLS = 1e-6
ATOL_GY = 1e-12


@dataclass(frozen=True)
class Schedule:
    """Injection times, end of integration and output times (h); amounts injected (nmol)."""

    injection_times_h: np.ndarray
    end_h: float
    hot_nmol: float
    cold_nmol: float
    assessment_times_h: np.ndarray


@dataclass(frozen=True)
class Model:
    """Numeric arrays of one patient's coupled model."""

    system: PKSystem
    lesion: np.ndarray              # (n_lesions, N_LESION_PARAMS)
    dose_map_gy_per_mbq_h: np.ndarray  # (n_targets, n_regions)
    oar_rows: tuple[int, ...]       # rows of the dose map tracked for repair (kidneys, marrow)
    args: tuple

    @property
    def n_states(self) -> int:
        return el.n_states(self.system.n_tissues)


@dataclass(frozen=True)
class CourseResult:
    """Everything computed for one patient (arrays in the units of their names)."""

    model: Model
    schedule: Schedule
    boundary_states: np.ndarray   # (n_cycles + 1, n_states)
    time_h: np.ndarray            # (n_out,)
    states: np.ndarray            # (n_out, n_states)
    tail_tia_mbq_h: np.ndarray    # (n_regions,) after end_h, physical decay only

    @property
    def system(self) -> PKSystem:
        return self.model.system


def build_model(cfg: dict) -> Model:
    system = build_pk_system(cfg)
    lesion = build_lesion_table(cfg)
    dmap = dose_map_gy_per_mbq_h(system.tissue_mass_g, cfg)
    rows = tuple(ORGAN_TARGETS.index(name) for name in el.OAR_TARGETS)
    oar_mu = np.array([math.log(2.0) / cfg["radiobiology"][name]["repair_half_time_h"]
                       for name in el.OAR_TARGETS])
    args = (system.tissue, system.glob, lesion, dmap[list(rows)] * system.mbq_per_nmol, oar_mu,
            LOG_MASS_G, LOG_S_GY_PER_MBQ_H, np.array([system.mbq_per_nmol]),
            np.zeros(system.n_tissues))
    return Model(system=system, lesion=lesion, dose_map_gy_per_mbq_h=dmap, oar_rows=rows,
                 args=args)


def initial_state(m: Model) -> np.ndarray:
    y = np.zeros(m.n_states)
    les0 = el.lesion_offset(m.system.n_tissues)
    y[les0 + el.LES_L::el.N_LES_STATES] = m.lesion[:, L0]
    return y


def absolute_tolerance(m: Model, atol_nmol: float) -> np.ndarray:
    n_t = m.system.n_tissues
    atol = np.full(m.n_states, atol_nmol)
    atol[el.oar_offset(n_t):] = ATOL_GY
    les0 = el.lesion_offset(n_t)
    atol[les0 + el.LES_L::el.N_LES_STATES] = ATOL_LOG_CELLS
    atol[les0 + el.LES_ND::el.N_LES_STATES] = ATOL_CELLS
    atol[les0 + el.LES_J::el.N_LES_STATES] = ATOL_GY
    return atol


def make_schedule(cfg: dict, mbq_per_nmol: float) -> Schedule:
    """Injection and assessment schedule of a validated config (times from the 1st injection)."""
    therapy, response = cfg["therapy"], cfg["response"]
    interval_h = therapy["interval_weeks"] * HOURS_PER_WEEK
    times = interval_h * np.arange(therapy["n_cycles"], dtype=float)
    follow_up_h = response["follow_up_months"] * HOURS_PER_MONTH
    step_h = response["assessment_interval_weeks"] * HOURS_PER_WEEK
    assessments = step_h * np.arange(int(math.floor(follow_up_h / step_h + 1e-9)) + 1)
    hot = therapy["activity_gbq"] * 1000.0 / mbq_per_nmol
    end_h = max(float(times[-1] + cfg["solver"]["tail_weeks"] * HOURS_PER_WEEK), follow_up_h)
    return Schedule(injection_times_h=times, end_h=end_h, hot_nmol=hot,
                    cold_nmol=therapy["peptide_nmol"] - hot, assessment_times_h=assessments)


def timeseries_times_h(schedule: Schedule, points_per_cycle: int) -> np.ndarray:
    """Log-spaced sampling times after each injection (first 0.01 h after it)."""
    bounds = np.append(schedule.injection_times_h, schedule.end_h)
    pieces = [t0 + np.concatenate([[0.0], np.geomspace(0.01, t1 - t0, points_per_cycle - 1)])
              for t0, t1 in zip(bounds[:-1], bounds[1:], strict=True)]
    return np.unique(np.concatenate(pieces))


def region_hot_amounts(states: np.ndarray, n_tissues: int) -> np.ndarray:
    """Hot amount (nmol) per region, for states of shape (..., n) -> (..., n_regions)."""
    hot = states[..., HOT * block_size(n_tissues):(HOT + 1) * block_size(n_tissues)]
    tissues = hot[..., N_GLOBAL:].reshape(*hot.shape[:-1], n_tissues, N_SUB).sum(axis=-1)
    return np.concatenate([hot[..., :N_GLOBAL], tissues], axis=-1)


def run_patient(cfg: dict) -> CourseResult:
    """Simulate one patient's course from a validated, resolved config dict."""
    m = build_model(cfg)
    n_t = m.system.n_tissues
    sched = make_schedule(cfg, m.system.mbq_per_nmol)
    times = sched.assessment_times_h
    if cfg["output"]["save_timeseries"] or cfg["output"]["plots"]:
        times = np.union1d(times, timeseries_times_h(
            sched, cfg["output"]["timeseries_points_per_cycle"]))
    solver = cfg["solver"]
    boundary = np.zeros((sched.injection_times_h.size + 1, m.n_states))
    series = np.zeros((times.size, m.n_states))
    status = run_course(model.rhs, model.jac, m.args, initial_state(m), sched.injection_times_h,
                        HOT * block_size(n_t) + PLASMA, COLD * block_size(n_t) + PLASMA,
                        sched.hot_nmol, sched.cold_nmol, sched.end_h, times, solver["rtol"],
                        absolute_tolerance(m, solver["atol_nmol"]), solver["max_steps"],
                        FIRST_STEP_H, make_workspace(m.n_states), boundary, series)
    if status != 0:
        raise SolverError(f"integration failed: {STATUS_MESSAGES[status]}. "
                          "Loosen solver.rtol or raise solver.max_steps.")
    tail = region_hot_amounts(boundary[-1], n_t) * m.system.mbq_per_nmol / m.system.glob[LAM]
    return CourseResult(model=m, schedule=sched, boundary_states=boundary, time_h=times,
                        states=series, tail_tia_mbq_h=tail)


def tia_per_cycle_mbq_h(res: CourseResult) -> np.ndarray:
    """(n_regions, n_cycles) time-integrated activity per cycle, tail in the last cycle."""
    acc = res.boundary_states[:, tia_offset(res.system.n_tissues):][:, :res.tail_tia_mbq_h.size]
    tia = np.diff(acc, axis=0).T * res.system.mbq_per_nmol
    tia[:, -1] += res.tail_tia_mbq_h
    return tia
