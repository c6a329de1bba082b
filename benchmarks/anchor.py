"""The honest anchor: ``scipy.integrate.solve_ivp`` driven by the engine's own numba
right-hand side and analytic Jacobian (:mod:`simulator.engine.model`).

This is what a modeller who cares about speed would write instead of the engine: the same
coupled model, the same per-state absolute tolerances
(:func:`simulator.assembly.absolute_tolerance`, optionally scaled), the same schedule (a
bolus into hot and cold plasma at each injection, integration restarted there, states at
the engine's output times), with the numba ``rhs``/``jac`` wrapped for
``solve_ivp``.  Used by ``benchmarks/bench_engine.py`` and ``tests/unit/engine/test_anchor.py``.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import odeint, solve_ivp

from simulator.assembly import absolute_tolerance, initial_states
from simulator.engine.model import jac, rhs
from simulator.pk.layout import COLD, HOT, PLASMA, block_size


def patient_args(m, p: int, arrays: tuple | None = None) -> tuple:
    """Kernel argument tuple of patient p (as :meth:`simulator.assembly.KernelModel.args`), from
    ``m.kernel_arrays()`` computed once for the chunk."""
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = arrays or m.kernel_arrays()
    return (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s, consts[p],
            np.zeros((2, m.system.n_tissues)))


def anchor_course(m, sched, times_h: np.ndarray, p: int, method: str, rtol: float,
                  atol: np.ndarray, arrays: tuple | None = None,
                  y0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """States of patient p just before each injection and at the end (boundary), and at
    ``times_h`` (series), by ``solve_ivp(method)`` on the numba rhs/jac (layout as
    :func:`simulator.reference.reference_course`).  ``method="odeint"``: the same LSODA
    through ``scipy.integrate.odeint``, which steps in Fortran without returning to
    Python between steps (not part of the issue's anchor; reported beside it)."""
    args = patient_args(m, p, arrays)
    n = m.n_states
    dydt = np.empty(n)
    J = np.empty((n, n))

    # BDF and Radau keep f and J between steps: they get copies.  LSODA's Fortran copies
    # them at once, so it gets the buffers themselves (4 % faster, identical results).
    keep = method != "LSODA"

    def fun(t, y):
        rhs(t, y, args, dydt)
        return dydt.copy() if keep else dydt

    def jacobian(t, y):
        jac(t, y, args, J)
        return J.copy() if keep else J

    n_t = m.system.n_tissues
    y = (initial_states(m)[p] if y0 is None else y0).copy()
    bounds = np.append(sched.injection_times_h, sched.end_h)
    n_cyc = sched.injection_times_h.size
    boundary = np.empty((bounds.size, n))
    series = np.empty((times_h.size, n))
    for c in range(n_cyc):
        boundary[c] = y
        y = y.copy()
        y[HOT * block_size(n_t) + PLASMA] += sched.hot_nmol[p, c]
        y[COLD * block_size(n_t) + PLASMA] += sched.cold_nmol[p, c]
        t0, t1 = bounds[c], bounds[c + 1]
        last = c == n_cyc - 1
        inside = (times_h >= t0) & ((times_h <= t1) if last else (times_h < t1))
        t_eval = np.union1d(times_h[inside], [t1])
        if method == "odeint":
            ts = np.union1d([t0], t_eval)
            out, info = odeint(fun, y, ts, Dfun=jacobian, rtol=rtol, atol=atol, tfirst=True,
                               mxstep=10**6, full_output=True)
            if info["message"] != "Integration successful.":
                raise RuntimeError(f"anchor odeint failed (patient {p}, cycle {c}): "
                                   f"{info['message']}")
            sol_y = out[1:].T if ts[0] not in t_eval else out.T
        else:
            sol = solve_ivp(fun, (t0, t1), y, method=method, rtol=rtol, atol=atol,
                            jac=jacobian, t_eval=t_eval)
            if not sol.success:
                raise RuntimeError(f"anchor {method} failed (patient {p}, cycle {c}): "
                                   f"{sol.message}")
            sol_y = sol.y
        series[inside] = sol_y[:, :inside.sum()].T
        y = sol_y[:, -1]
    boundary[-1] = y
    return boundary, series


def anchor_states(res, method: str, rtol: float, atol_scale: float = 1.0,
                  atol_nmol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Anchor boundary and series states of every patient of the engine result ``res``
    (same model, schedule and output times).  Absolute tolerances: the engine's per-state
    vector (:func:`simulator.assembly.absolute_tolerance`) times ``atol_scale``."""
    m = res.model
    arrays = m.kernel_arrays()
    atol = absolute_tolerance(m, atol_nmol)[0] * atol_scale
    boundary, series = np.empty_like(res.boundary_states), np.empty_like(res.states)
    for p in range(m.n):
        boundary[p], series[p] = anchor_course(m, res.schedule, res.time_h, p, method, rtol,
                                               atol, arrays)
    return boundary, series
