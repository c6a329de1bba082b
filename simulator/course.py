"""Orchestration of a chunk of patients: columns -> arrays -> batch kernel -> states.

Python only: validates, allocates and dispatches to the numba kernels in
:mod:`simulator.engine`; pure formulae live in :mod:`simulator.dosimetry`,
:mod:`simulator.radiobiology` and :mod:`simulator.response`.  A single patient
is a chunk of one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dosimetry.dose_map import ORGAN_TARGETS, dose_map_gy_per_mbq_h
from .dosimetry.spheres import LOG_MASS_G, LOG_S_GY_PER_MBQ_H
from .engine import layout as el
from .engine import model
from .engine.batch import run_batch
from .engine.course import STATUS_MESSAGES
from .engine.structure import solver_structure, structural_pattern
from .errors import SolverError
from .pk.layout import COLD, HOT, N_GLOBAL, N_SUB, PLASMA, block_size, n_regions, tia_offset
from .pk.parameters import LAM, PKSystem, build_pk_system
from .population import Columns, LesionArrays, lesion_arrays
from .tumour import untreated
from .tumour.parameters import GOMPERTZ, GROWTH_PER_H, L0, build_lesion_table
from .units import HOURS_PER_MONTH, HOURS_PER_WEEK

FIRST_STEP_H = 1e-6   # trial step after an injection; receptor binding acts in ~0.01 h
# absolute tolerances of the non-PK states; the relative tolerance governs whenever a
# quantity matters (doses of ~0.1-100 Gy, BED within 1e-6)
ATOL_LOG_CELLS = 1e-10
ATOL_CELLS = 1e-6
ATOL_GY = 1e-9       # D, Gamma (Gy) and Q (Gy^2): a tighter value made the solver chase
                     # rounding noise in Gamma ~ 1e-11 Gy months after the last cycle
ATOL_J_H = 1e-6      # J = int dt / n(t) (h), grows from 0


@dataclass(frozen=True)
class Schedule:
    """Injection and output times (h, shared by the chunk); amounts injected (nmol, per patient)."""

    injection_times_h: np.ndarray
    end_h: float
    hot_nmol: np.ndarray
    cold_nmol: np.ndarray
    assessment_times_h: np.ndarray


@dataclass(frozen=True)
class Model:
    """Numeric arrays of the coupled model for a chunk of patients (leading axis n)."""

    system: PKSystem
    lesions: LesionArrays
    lesion: np.ndarray                 # (n, L, N_LESION_PARAMS)
    dose_map_gy_per_mbq_h: np.ndarray  # (n, n_targets, n_regions)
    oar_rows: tuple[int, ...]          # dose-map rows tracked for repair (kidneys, marrow)
    oar_mu: np.ndarray                 # (n, n_oar) repair rates (1/h)

    @property
    def n(self) -> int:
        return self.lesion.shape[0]

    @property
    def n_states(self) -> int:
        return el.n_states(self.system.n_tissues)

    def kernel_arrays(self) -> tuple:
        """Arrays in the order of :func:`simulator.engine.batch.run_batch`."""
        oar_map = self.dose_map_gy_per_mbq_h[:, list(self.oar_rows)] * self.system.mbq_per_nmol
        return (self.system.tissue, self.system.glob, self.lesion, np.ascontiguousarray(oar_map),
                self.oar_mu, LOG_MASS_G, LOG_S_GY_PER_MBQ_H,
                np.full((self.n, 1), self.system.mbq_per_nmol))

    def args(self, p: int) -> tuple:
        """Kernel argument tuple of patient p (for direct calls of the RHS and Jacobian)."""
        tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = self.kernel_arrays()
        return (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s, consts[p],
                np.zeros(self.system.n_tissues))


@dataclass(frozen=True)
class CourseResult:
    """States of a chunk of patients (arrays in the units of their names)."""

    model: Model
    schedule: Schedule
    boundary_states: np.ndarray   # (n, n_cycles + 1, n_states)
    time_h: np.ndarray            # (n_out,)
    states: np.ndarray            # (n, n_out, n_states)
    tail_tia_mbq_h: np.ndarray    # (n, n_regions) after end_h, physical decay only

    @property
    def system(self) -> PKSystem:
        return self.model.system


def build_model(cols: Columns, generated_lesions: dict | None = None) -> Model:
    lesions = lesion_arrays(cols, generated_lesions)
    system = build_pk_system(cols, lesions)
    oar_mu = np.stack([math.log(2.0) / cols(f"radiobiology.{name}.repair_half_time_h")
                       for name in el.OAR_TARGETS], axis=1)
    return Model(system=system, lesions=lesions, lesion=build_lesion_table(cols, lesions),
                 dose_map_gy_per_mbq_h=dose_map_gy_per_mbq_h(system.tissue_mass_g, cols),
                 oar_rows=tuple(ORGAN_TARGETS.index(name) for name in el.OAR_TARGETS),
                 oar_mu=oar_mu)


def initial_states(m: Model) -> np.ndarray:
    y = np.zeros((m.n, m.n_states))
    les0 = el.lesion_offset(m.system.n_tissues)
    y[:, les0 + el.LES_L::el.N_LES_STATES] = m.lesion[..., L0]
    return y


def absolute_tolerance(m: Model, atol_nmol: float) -> np.ndarray:
    n_t = m.system.n_tissues
    atol = np.full(m.n_states, atol_nmol)
    atol[el.oar_offset(n_t):] = ATOL_GY
    les0 = el.lesion_offset(n_t)
    atol[les0 + el.LES_L::el.N_LES_STATES] = ATOL_LOG_CELLS
    atol[les0 + el.LES_ND::el.N_LES_STATES] = ATOL_CELLS
    atol[les0 + el.LES_J::el.N_LES_STATES] = ATOL_J_H
    return np.broadcast_to(atol, (m.n, m.n_states)).copy()


def jacobian_structure(m: Model) -> tuple[np.ndarray, ...]:
    """Solve structure of the coupled model's Jacobian (:mod:`simulator.engine.structure`).

    Read off the analytic Jacobian at random arguments (the sphere S-value tables kept),
    with plasma (hot, cold) as the hub through which the tissues exchange peptide.
    """
    nb = block_size(m.system.n_tissues)
    args = m.args(0)
    fixed = tuple(i for i, a in enumerate(args) if a is LOG_MASS_G or a is LOG_S_GY_PER_MBQ_H)
    pattern = structural_pattern(model.jac, args, m.n_states, fixed=fixed)
    return solver_structure(pattern, hub=(HOT * nb + PLASMA, COLD * nb + PLASMA))


def make_schedule(cols: Columns, mbq_per_nmol: float) -> Schedule:
    """Injection and assessment schedule (times from the first injection)."""
    cfg = cols.cfg
    therapy, response = cfg["therapy"], cfg["response"]
    interval_h = therapy["interval_weeks"] * HOURS_PER_WEEK
    times = interval_h * np.arange(therapy["n_cycles"], dtype=float)
    follow_up_h = response["follow_up_months"] * HOURS_PER_MONTH
    step_h = response["assessment_interval_weeks"] * HOURS_PER_WEEK
    assessments = step_h * np.arange(int(math.floor(follow_up_h / step_h + 1e-9)) + 1)
    hot = cols("therapy.activity_gbq") * 1000.0 / mbq_per_nmol
    end_h = max(float(times[-1] + cfg["solver"]["tail_weeks"] * HOURS_PER_WEEK), follow_up_h)
    return Schedule(injection_times_h=times, end_h=end_h, hot_nmol=hot,
                    cold_nmol=cols("therapy.peptide_nmol") - hot, assessment_times_h=assessments)


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


def no_peptide(cols: Columns, m: Model) -> bool:
    """True when no patient of the chunk receives any peptide and growth is exponential.

    Then every PBPK amount, dose and repair integral is exactly 0 and the lesion states
    have the closed form of :mod:`simulator.tumour.untreated`.
    """
    return bool(np.all(cols("therapy.activity_gbq") == 0.0)
                and np.all(cols("therapy.peptide_nmol") == 0.0)
                and np.all(m.lesion[..., GOMPERTZ] == 0.0))


def untreated_states(m: Model, times_h: np.ndarray) -> np.ndarray:
    """(n, T, n_states) exact states without peptide: zeros except ln N_v and J of lesions."""
    y = np.zeros((m.n, times_h.size, m.n_states))
    les0 = el.lesion_offset(m.system.n_tissues)
    t = times_h[None, :, None]
    rho = m.lesion[:, None, :, GROWTH_PER_H]
    y[..., les0 + el.LES_L::el.N_LES_STATES] = untreated.log_viable_cells(
        m.lesion[:, None, :, L0], rho, t)
    y[..., les0 + el.LES_J::el.N_LES_STATES] = untreated.inverse_size_integral_h(rho, t)
    return y


def run_chunk(cols: Columns, generated_lesions: dict | None = None,
              closed_form_without_peptide: bool = True) -> CourseResult:
    """Simulate the courses of a chunk of patients (validated config in ``cols.cfg``).

    A chunk without any peptide (``therapy=none``) with exponential growth is not
    integrated: its states are the exact closed form (:func:`untreated_states`), unless
    ``closed_form_without_peptide`` is False (used by the tests to compare both).
    """
    cfg = cols.cfg
    m = build_model(cols, generated_lesions)
    n_t = m.system.n_tissues
    sched = make_schedule(cols, m.system.mbq_per_nmol)
    times = sched.assessment_times_h
    if cfg["output"]["save_timeseries"] or cfg["output"]["plots"]:
        times = np.union1d(times, timeseries_times_h(
            sched, cfg["output"]["timeseries_points_per_cycle"]))
    if closed_form_without_peptide and no_peptide(cols, m):
        bounds_h = np.append(sched.injection_times_h, sched.end_h)
        return CourseResult(model=m, schedule=sched, boundary_states=untreated_states(m, bounds_h),
                            time_h=times, states=untreated_states(m, times),
                            tail_tia_mbq_h=np.zeros((m.n, n_regions(n_t))))
    solver = cfg["solver"]
    boundary = np.zeros((m.n, sched.injection_times_h.size + 1, m.n_states))
    series = np.zeros((m.n, times.size, m.n_states))
    status = np.zeros(m.n, dtype=np.int64)
    run_batch(model.rhs, model.jac, *m.kernel_arrays(), initial_states(m),
              absolute_tolerance(m, solver["atol_nmol"]), sched.injection_times_h,
              HOT * block_size(n_t) + PLASMA, COLD * block_size(n_t) + PLASMA,
              sched.hot_nmol, sched.cold_nmol, sched.end_h, times, solver["rtol"],
              solver["max_steps"], FIRST_STEP_H, boundary, series, status,
              jacobian_structure(m))
    failed = np.flatnonzero(status)
    if failed.size:
        raise SolverError(f"integration failed for {failed.size} patient(s), first index "
                          f"{failed[0]}: {STATUS_MESSAGES[int(status[failed[0]])]}. "
                          "Loosen solver.rtol or raise solver.max_steps.")
    tail = region_hot_amounts(boundary[:, -1], n_t) * m.system.mbq_per_nmol \
        / m.system.glob[:, LAM, None]
    return CourseResult(model=m, schedule=sched, boundary_states=boundary, time_h=times,
                        states=series, tail_tia_mbq_h=tail)


def run_patient(cfg: dict) -> CourseResult:
    """Simulate the single patient of a validated config (a chunk of one)."""
    return run_chunk(Columns(cfg, 1))


def tia_per_cycle_mbq_h(res: CourseResult) -> np.ndarray:
    """(n, n_regions, n_cycles) time-integrated activity per cycle, tail in the last cycle."""
    n_t = res.system.n_tissues
    off = tia_offset(n_t)
    acc = res.boundary_states[:, :, off:off + n_regions(n_t)]
    tia = np.moveaxis(np.diff(acc, axis=1), 1, 2) * res.system.mbq_per_nmol
    tia[:, :, -1] += res.tail_tia_mbq_h
    return tia
