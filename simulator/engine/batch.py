"""Many patients in parallel: one course per ``prange`` iteration, or one range of patients
integrated ``lanes`` at a time (:mod:`simulator.engine.lockstep`) per iteration (numba
kernels).

Each iteration reads its own parameter rows, allocates its own workspace once and
writes only its own output rows, so results do not depend on the number of
threads or on scheduling (docs/reproducibility.md).
"""

from __future__ import annotations

import numba
import numpy as np

from ..jit import JIT
from . import model
from .cache import refresh_stale_cache
from .course import run_course
from .lockstep import run_lanes
from .rodas import make_workspace_nb


@numba.njit(**{**JIT, "parallel": True})
def run_coupled_batch(tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, y0, atol,
                      injection_times_h, hot_index, cold_index, hot_nmol, cold_nmol, end_h,
                      out_times_h, rtol, max_steps, first_step_h, boundary_out, series_out,
                      status_out, structure):
    """:func:`run_batch` of the coupled model (:mod:`simulator.engine.model`).

    The model's functions are module globals here, not arguments, so numba can cache this
    kernel on disk (``cache=True``): a process that finds the cache loads it instead of
    compiling (numba cannot cache a function that takes dispatchers as arguments,
    numba#2956, #6264).
    """
    n_states = y0.shape[1]
    for p in numba.prange(tissue.shape[0]):
        args = (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s, consts[p],
                np.zeros((2, tissue.shape[1])))
        y = y0[p].copy()
        status_out[p] = run_course(model.rhs, model.jac, args, y, injection_times_h, hot_index,
                                   cold_index, hot_nmol[p], cold_nmol[p], end_h, out_times_h,
                                   rtol, atol[p], max_steps, first_step_h,
                                   make_workspace_nb(n_states), boundary_out[p], series_out[p],
                                   structure)


def run_lockstep_batch(tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, y0, atol,
                       injection_times_h, hot_index, cold_index, hot_nmol, cold_nmol, end_h,
                       out_times_h, rtol, max_steps, first_step_h, boundary_out, series_out,
                       status_out, slots, plan, n_lanes):
    """:func:`run_lanes_batch` with one range of patients per thread (``numba``'s current
    thread count; the results do not depend on the ranges).  The lanes have no automatic
    first step: ``first_step_h`` must be positive."""
    if not first_step_h > 0.0:
        raise ValueError(f"run_lockstep_batch: first_step_h = {first_step_h!r} must be > 0")
    n_ranges = max(1, min(numba.get_num_threads(), -(-y0.shape[0] // n_lanes)))
    run_lanes_batch(tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, y0, atol,
                    injection_times_h, hot_index, cold_index, hot_nmol, cold_nmol, end_h,
                    out_times_h, rtol, max_steps, first_step_h, boundary_out, series_out,
                    status_out, slots, plan, n_lanes, n_ranges)


@numba.njit(**{**JIT, "parallel": True})
def run_lanes_batch(tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, y0, atol,
                    injection_times_h, hot_index, cold_index, hot_nmol, cold_nmol, end_h,
                    out_times_h, rtol, max_steps, first_step_h, boundary_out, series_out,
                    status_out, slots, plan, n_lanes, n_ranges):
    """:func:`run_coupled_batch` with ``n_lanes`` patients at a time integrated in lockstep
    (:func:`simulator.engine.lockstep.run_lanes`): the patients are split into ``n_ranges``
    contiguous ranges (``prange``), each worked through by ``n_lanes`` lanes that take the
    range's next patient when theirs is done.  ``slots``, ``plan``: the
    compact-Jacobian slots and the sparse LU (:func:`simulator.engine.lockstep.lane_plan`).
    Every patient follows its own step sequence, so its results depend neither on the
    patients it shares lanes with nor on the number of threads; a patient that fails gets
    its own status (the others go on), and the caller integrates it again alone with the
    scalar engine (:func:`simulator.runner.run_chunk`)."""
    n_p = y0.shape[0]
    arrays = (tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts)
    for r in numba.prange(n_ranges):
        p0 = (r * n_p) // n_ranges
        p1 = ((r + 1) * n_p) // n_ranges
        if p1 > p0:
            run_lanes(arrays, p0, p1, n_lanes, y0, injection_times_h, hot_index, cold_index,
                      hot_nmol, cold_nmol, end_h, out_times_h, rtol, atol, max_steps,
                      first_step_h, boundary_out, series_out, status_out, slots, plan)


# cache=False: numba cannot cache functions taking dispatchers (numba#2956, #6264)
@numba.njit(**{**JIT, "cache": False, "parallel": True})
def run_batch(fun, jac, tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, y0, atol,
              injection_times_h, hot_index, cold_index, hot_nmol, cold_nmol, end_h, out_times_h,
              rtol, max_steps, first_step_h, boundary_out, series_out, status_out, structure):
    """Integrate every patient's course; arrays have a leading patient axis.

    ``hot_nmol`` and ``cold_nmol`` (n, n_cycles) are the amounts of each patient's
    injections; ``boundary_out`` (n, n_cycles + 1, S) and ``series_out`` (n, n_out, S)
    receive the states; ``status_out`` (n,) the integrator status (0 = success).
    """
    n_states = y0.shape[1]
    for p in numba.prange(tissue.shape[0]):
        args = (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s, consts[p],
                np.zeros((2, tissue.shape[1])))
        y = y0[p].copy()
        status_out[p] = run_course(fun, jac, args, y, injection_times_h, hot_index, cold_index,
                                   hot_nmol[p], cold_nmol[p], end_h, out_times_h, rtol, atol[p],
                                   max_steps, first_step_h, make_workspace_nb(n_states),
                                   boundary_out[p], series_out[p], structure)


# every engine module is imported now: drop a cache compiled from other sources
refresh_stale_cache()
