"""One patient's multi-cycle course: injections, then Rodas4 between them (numba kernel).

The model (``fun``, ``jac``) is passed in as first-class numba functions so the
same driver serves every model variant.  The kernel never validates; it allocates only
the course's action list (:func:`course_actions`, a few dozen integers), and the caller owns
every other array.
"""

from __future__ import annotations

import numba
import numpy as np

from ..jit import JIT
from .rodas import integrate

#: relative gap below which two times (an output and an injection, say) are the same
_SAME_TIME_H = 1e-12

STATUS_MESSAGES = {
    1: "the maximum number of steps (solver.max_steps) was exceeded",
    2: "the step size underflowed",
    3: "non-finite values appeared in the state",
}


#: kinds of :func:`course_actions`
INJECT, INTEGRATE, STORE, FINAL = 0, 1, 2, 3


@numba.njit(**JIT)
def course_actions(injection_times_h, end_h, out_times_h):
    """A course as a list of actions ``(kind, index, time_h)``, in order: ``INJECT`` (store
    the boundary state ``index``, inject cycle ``index``, restart from the first step),
    ``INTEGRATE`` (to ``time_h``), ``STORE`` (output ``index``), ``FINAL`` (the boundary
    state at the end).  An output at an injection time is stored just after the injection;
    one within ``_SAME_TIME_H`` (relative) of the current time is stored without
    integrating; outputs after the last injection up to ``end_h`` inclusive are stored.
    :func:`run_course` and every lane of :func:`simulator.engine.lockstep.run_lanes` walk
    this one list."""
    n_cyc, n_out = injection_times_h.size, out_times_h.size
    kind = np.empty(2 * n_cyc + 2 * n_out + 1, dtype=np.int64)
    index = np.empty_like(kind)
    time_h = np.empty(kind.size)
    a = 0
    k_out = 0
    for c in range(n_cyc):
        t = injection_times_h[c]
        t_next = injection_times_h[c + 1] if c + 1 < n_cyc else end_h
        kind[a], index[a], time_h[a] = INJECT, c, t
        a += 1
        last = c == n_cyc - 1
        while k_out < n_out and (out_times_h[k_out] < t_next
                                 or (last and out_times_h[k_out] <= t_next)):
            t_out = out_times_h[k_out]
            if t_out > t + _SAME_TIME_H * max(1.0, abs(t)):
                kind[a], index[a], time_h[a] = INTEGRATE, 0, t_out
                a += 1
                t = t_out
            kind[a], index[a], time_h[a] = STORE, k_out, t_out
            a += 1
            k_out += 1
        if t_next > t + _SAME_TIME_H * max(1.0, abs(t)):
            kind[a], index[a], time_h[a] = INTEGRATE, 0, t_next
            a += 1
    kind[a], index[a], time_h[a] = FINAL, n_cyc, end_h
    a += 1
    return kind[:a], index[:a], time_h[:a]


# cache=False: numba cannot cache functions taking dispatchers (numba#2956, #6264)
@numba.njit(**{**JIT, "cache": False})
def run_course(fun, jac, args, y, injection_times_h, hot_index, cold_index, hot_nmol,
               cold_nmol, end_h, out_times_h, rtol, atol, max_steps, first_step_h, work,
               boundary_out, series_out, structure):
    """Integrate a course of bolus injections in place.

    Parameters
    ----------
    y : float64[n]
        State at ``injection_times_h[0]`` before the first injection; overwritten.
    injection_times_h : float64[n_cycles]
        Strictly increasing injection times (h).
    hot_index, cold_index : int
        State indices receiving ``hot_nmol[c]`` / ``cold_nmol[c]`` at injection ``c``.
    hot_nmol, cold_nmol : float64[n_cycles]
        Amounts injected at each injection time (0 and 0: no injection in that cycle;
        the integration still restarts there, so every cycle keeps its boundary state).
    end_h : float
        End of integration (h), after the last injection.
    first_step_h : float
        Trial step (h) after each injection, well below the fastest time scale.
    out_times_h : float64[n_out]
        Sorted times (h) at which to store the state in ``series_out``; a time equal
        to an injection time stores the state just after the injection.
    boundary_out : float64[n_cycles + 1, n]
        Receives the state just before each injection and, last, at ``end_h``.
    series_out : float64[n_out, n]
    structure : tuple of int64 arrays
        Sparsity structure of the Jacobian (see :func:`simulator.engine.rodas.integrate`).
        ``fun`` must be autonomous (no explicit time dependence), as the coupled model is.

    Returns
    -------
    int
        0 on success, else a status code of :func:`simulator.engine.rodas.integrate`.
    """
    kind, index, time_h = course_actions(injection_times_h, end_h, out_times_h)
    t, h = 0.0, first_step_h  # every course starts with INJECT, which sets both
    for a in range(kind.size):
        k, i = kind[a], index[a]
        if k == INJECT:
            boundary_out[i, :] = y
            y[hot_index] += hot_nmol[i]
            y[cold_index] += cold_nmol[i]
            t = time_h[a]
            h = first_step_h  # the injection is a discontinuity: restart from a small step
        elif k == INTEGRATE:
            status, _, h = integrate(fun, jac, t, time_h[a], y, args, rtol, atol, h,
                                     max_steps, work, structure, True)
            if status != 0:
                return status
            t = time_h[a]
        elif k == STORE:
            series_out[i, :] = y
        else:
            boundary_out[i, :] = y
    return 0
