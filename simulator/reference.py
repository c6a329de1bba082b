"""Independent scipy reference of the coupled model (validation rung 2, docs/validation.md;
equations docs/model.md §10).

The right-hand side is coded again here, vectorised over lesions and built on
:func:`simulator.pk.reference.reference_rhs`; it shares only the parameter arrays
and the state layout with the numba kernels.  ``solve_ivp`` (Radau or LSODA, with
its own finite-difference Jacobian) integrates the same schedule.  Slow: for
tests and benchmarks.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .assembly import Model, Schedule, initial_states
from .dosimetry.spheres import sphere_s_value_gy_per_mbq_h
from .engine import layout as el
from .pk.layout import COLD, HOT, N_GLOBAL, N_SUB, PLASMA, block_size
from .pk.parameters import RTOT
from .pk.reference import reference_rhs
from .tumour import parameters as tp


def coupled_reference_rhs(t: float, y: np.ndarray, m: Model, p: int = 0) -> np.ndarray:
    """dy/dt of patient p of the coupled model (equations: :mod:`simulator.engine.model`)."""
    sysm, les = m.system, m.lesion[p]
    n_t = sysm.n_tissues
    tissue, glob = sysm.patient(p)
    oar0, les0 = el.oar_offset(n_t), el.lesion_offset(n_t)
    cell = y[les0:].reshape(-1, el.N_LES_STATES)
    nv, nd = np.exp(cell[:, el.LES_L]), cell[:, el.LES_ND]
    rtot = tissue[:, RTOT].copy()
    rtot[el.N_ORGAN_TISSUES:] = les[:, tp.R_CELL] * (nv + nd)
    pk = reference_rhs(t, y[:oar0], tissue, glob, rtot)
    hot = y[:block_size(n_t)]
    region = np.concatenate([hot[:N_GLOBAL], hot[N_GLOBAL:].reshape(n_t, N_SUB).sum(axis=1)])
    region_mbq = region * sysm.mbq_per_nmol
    # organs at risk
    oar = y[oar0:les0].reshape(-1, el.N_OAR_STATES)
    ddot_oar = m.dose_map_gy_per_mbq_h[p][list(m.oar_rows)] @ region_mbq
    mu_oar = m.oar_mu[p]
    d_oar = np.stack([ddot_oar - mu_oar * oar[:, el.OAR_GAMMA], ddot_oar * oar[:, el.OAR_GAMMA]],
                     axis=1)
    # lesions
    cells = nv + nd
    mass = les[:, tp.RHO_G_PER_ML] * (les[:, tp.V_CELL_ML] * cells + les[:, tp.STROMA_ML])
    ddot = region_mbq[N_GLOBAL + el.N_ORGAN_TISSUES:] * sphere_s_value_gy_per_mbq_h(mass)
    gam = cell[:, el.LES_GAMMA]
    kill = ddot * (les[:, tp.ALPHA] + 2.0 * les[:, tp.BETA] * gam)
    gompertz = les[:, tp.GROWTH_PER_H] * (les[:, tp.LN_K_CELLS] - np.log(cells)) * les[:, tp.G_NORM]
    growth = np.where(les[:, tp.GOMPERTZ] > 0, gompertz, les[:, tp.GROWTH_PER_H])
    d_les = np.empty_like(cell)
    d_les[:, el.LES_L] = growth - kill
    d_les[:, el.LES_ND] = kill * nv - les[:, tp.K_CLEAR] * nd
    d_les[:, el.LES_D] = ddot
    d_les[:, el.LES_GAMMA] = ddot - les[:, tp.MU] * gam
    d_les[:, el.LES_Q] = ddot * gam
    d_les[:, el.LES_J] = np.exp(np.minimum(les[:, tp.L0] - cell[:, el.LES_L], 600.0))
    return np.concatenate([pk, d_oar.ravel(), d_les.ravel()])


def reference_course(m: Model, sched: Schedule, times_h: np.ndarray, p: int = 0,
                     method: str = "Radau", rtol: float = 1e-10,
                     atol: float = 1e-14) -> tuple[np.ndarray, np.ndarray]:
    """States of patient p just before each injection and at the end, and at ``times_h``.

    Returns
    -------
    boundary : ndarray (n_cycles + 1, n_states)
    series : ndarray (len(times_h), n_states); a time equal to an injection time gives
        the state just after that injection.
    """
    n_t = m.system.n_tissues
    y = initial_states(m)[p]
    bounds = np.append(sched.injection_times_h, sched.end_h)
    boundary = np.empty((bounds.size, y.size))
    series = np.empty((times_h.size, y.size))
    for c in range(sched.injection_times_h.size):
        boundary[c] = y
        y = y.copy()
        y[HOT * block_size(n_t) + PLASMA] += sched.hot_nmol[p]
        y[COLD * block_size(n_t) + PLASMA] += sched.cold_nmol[p]
        t0, t1 = bounds[c], bounds[c + 1]
        last = c == sched.injection_times_h.size - 1
        inside = (times_h >= t0) & ((times_h <= t1) if last else (times_h < t1))
        t_eval = np.union1d(times_h[inside], [t1])
        sol = solve_ivp(coupled_reference_rhs, (t0, t1), y, method=method, rtol=rtol, atol=atol,
                        args=(m, p), t_eval=t_eval)
        if not sol.success:
            raise RuntimeError(f"reference solve_ivp failed: {sol.message}")
        series[inside] = sol.y[:, :inside.sum()].T
        y = sol.y[:, -1]
    boundary[-1] = y
    return boundary, series
