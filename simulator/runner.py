"""Run a chunk of patients through the engine: arrays (:mod:`simulator.assembly`) ->
batch kernel (:mod:`simulator.engine.batch`) -> states at the assessment times.

Python only: dispatches to the numba kernels and reads their states back.  A chunk
without any peptide is not integrated: its states have the closed form of
:mod:`simulator.tumour.untreated`.  A single patient is a chunk of one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .assembly import (
    KernelModel,
    Schedule,
    absolute_tolerance,
    build_model,
    initial_states,
    jacobian_pattern,
    jacobian_structure,
    make_schedule,
)
from .engine import layout as el
from .engine.batch import run_coupled_batch, run_lockstep_batch
from .engine.course import STATUS_MESSAGES
from .engine.lockstep import lane_plan
from .errors import SolverError
from .pk.layout import COLD, HOT, N_GLOBAL, N_SUB, PLASMA, block_size, n_regions, tia_offset
from .pk.parameters import LAM, PKSystem
from .population import Columns
from .tumour import untreated
from .tumour.parameters import GOMPERTZ, GROWTH_PER_H, L0

FIRST_STEP_H = 1e-6   # trial step after an injection; receptor binding acts in ~0.01 h


@dataclass(frozen=True)
class CourseResult:
    """States of a chunk of patients (arrays in the units of their names)."""

    model: KernelModel
    schedule: Schedule
    boundary_states: np.ndarray   # (n, n_cycles + 1, n_states)
    time_h: np.ndarray            # (n_out,)
    states: np.ndarray            # (n, n_out, n_states)
    tail_tia_mbq_h: np.ndarray    # (n, n_regions) after end_h, physical decay only

    @property
    def system(self) -> PKSystem:
        return self.model.system

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

def no_peptide(sched: Schedule, m: KernelModel) -> bool:
    """True when no patient of the chunk receives any peptide and growth is exponential.

    Then every PBPK amount, dose and repair integral is exactly 0 and the lesion states
    have the closed form of :mod:`simulator.tumour.untreated`.
    """
    return bool(np.all(sched.hot_nmol == 0.0) and np.all(sched.cold_nmol == 0.0)
                and np.all(m.lesion[..., GOMPERTZ] == 0.0))

def untreated_states(m: KernelModel, times_h: np.ndarray) -> np.ndarray:
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
              closed_form_without_peptide: bool = True,
              activity_gbq: np.ndarray | None = None) -> CourseResult:
    """Simulate the courses of a chunk of patients (validated config in ``cols.cfg``).

    A chunk without any peptide (``therapy=none``) with exponential growth is not
    integrated: its states are the exact closed form (:func:`untreated_states`), unless
    ``closed_form_without_peptide`` is False (used by the tests to compare both).
    ``activity_gbq`` (n, n_cycles): each patient's activity per cycle, 0 for a cycle not
    given (:func:`simulator.assembly.make_schedule`); default the config's fixed schedule.
    """
    cfg = cols.cfg
    m = build_model(cols, generated_lesions)
    n_t = m.system.n_tissues
    sched = make_schedule(cols, m.system.mbq_per_nmol, activity_gbq)
    times = sched.assessment_times_h
    if cfg["output"]["save_timeseries"] or cfg["output"]["plots"]:
        times = np.union1d(times, timeseries_times_h(
            sched, cfg["output"]["timeseries_points_per_cycle"]))
    if closed_form_without_peptide and no_peptide(sched, m):
        bounds_h = np.append(sched.injection_times_h, sched.end_h)
        return CourseResult(model=m, schedule=sched, boundary_states=untreated_states(m, bounds_h),
                            time_h=times, states=untreated_states(m, times),
                            tail_tia_mbq_h=np.zeros((m.n, n_regions(n_t))))
    solver = cfg["solver"]
    boundary = np.zeros((m.n, sched.injection_times_h.size + 1, m.n_states))
    series = np.zeros((m.n, times.size, m.n_states))
    status = np.zeros(m.n, dtype=np.int64)
    pattern = jacobian_pattern(m)
    kernel_args = (*m.kernel_arrays(), initial_states(m),
                   absolute_tolerance(m, solver["atol_nmol"]), sched.injection_times_h,
                   HOT * block_size(n_t) + PLASMA, COLD * block_size(n_t) + PLASMA,
                   sched.hot_nmol, sched.cold_nmol, sched.end_h, times, solver["rtol"],
                   solver["max_steps"], FIRST_STEP_H, boundary, series, status,
                   jacobian_structure(m, pattern))
    lanes = int(solver["lanes"])
    if lanes > 1:
        run_lockstep_batch(*kernel_args[:-1], *lane_plan(kernel_args[-1], pattern), lanes)
        rerun_alone(kernel_args, np.flatnonzero(status))
    else:
        run_coupled_batch(*kernel_args)
    failed = np.flatnonzero(status)
    if failed.size:
        raise SolverError(f"integration failed for {failed.size} patient(s), first index "
                          f"{failed[0]}: {STATUS_MESSAGES[int(status[failed[0]])]}. "
                          "Loosen solver.rtol or raise solver.max_steps.")
    tail = region_hot_amounts(boundary[:, -1], n_t) * m.system.mbq_per_nmol \
        / m.system.glob[:, LAM, None]
    return CourseResult(model=m, schedule=sched, boundary_states=boundary, time_h=times,
                        states=series, tail_tia_mbq_h=tail)

#: ``run_coupled_batch``'s arguments with a leading patient axis, and the outputs among them
_PER_PATIENT = ("tissue", "glob", "lesion", "oar_map", "oar_mu", "consts", "y0", "atol",
                "hot_nmol", "cold_nmol", "boundary_out", "series_out", "status_out")
_OUTPUTS = ("boundary_out", "series_out", "status_out")
_ARG_NAMES = run_coupled_batch.py_func.__code__.co_varnames[
    :run_coupled_batch.py_func.__code__.co_argcount]
_PER_PATIENT_ARGS = tuple(_ARG_NAMES.index(name) for name in _PER_PATIENT)
_OUTPUT_ARGS = tuple(_ARG_NAMES.index(name) for name in _OUTPUTS)
_STATUS_ARG = _ARG_NAMES.index("status_out")


def rerun_alone(kernel_args: tuple, patients: np.ndarray) -> None:
    """Integrate ``patients`` again, each alone, with the scalar engine, writing their
    states and status into the output arrays of ``kernel_args`` (``run_coupled_batch``'s
    arguments): the patients whose lane failed (``solver.lanes`` > 1).  Those that the
    scalar engine integrates get a warning: their results agree with the lanes' within the
    solver tolerance, not bit for bit, so a run that re-simulates them (an adaptive
    schedule, a plan) may see the two engines' numbers (docs/reproducibility.md)."""
    if patients.size == 0:
        return
    sub = [a[patients] if i in _PER_PATIENT_ARGS else a for i, a in enumerate(kernel_args)]
    run_coupled_batch(*sub)
    for i in _OUTPUT_ARGS:
        kernel_args[i][patients] = sub[i]
    rescued = patients[sub[_STATUS_ARG] == 0]
    if rescued.size:
        warnings.warn(f"{rescued.size} patient(s) of this chunk (first index {rescued[0]}) "
                      "failed in their lane (solver.lanes > 1) and were integrated by the "
                      "scalar engine instead: their results agree with the lanes' within "
                      "solver.rtol, not bit for bit", RuntimeWarning, stacklevel=2)


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
