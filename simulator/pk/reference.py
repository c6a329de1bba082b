"""Independent reference solution of the PBPK model with scipy's ``solve_ivp``.

Written separately from the numba kernels (vectorised over species and tissues,
no shared code beyond the parameter arrays and the state layout), so that the
engine can be validated against it (DESIGN section 5, rung 2).  Slow: for tests,
calibration checks and benchmarks only.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .layout import N_GLOBAL, N_SUB, block_size, n_states
from .parameters import (
    CLFILT,
    CLMET,
    CLREST,
    FREAB,
    KINT,
    KOFF,
    KON,
    KREL,
    KTUB,
    LAM,
    PS,
    RTOT,
    VI,
    VP,
    VREST,
    VV,
    PKSystem,
    Q,
)


def reference_rhs(t: float, y: np.ndarray, system: PKSystem) -> np.ndarray:
    """dy/dt of the PBPK model, vectorised numpy version."""
    tp, g = system.tissue, system.glob
    n_t = system.n_tissues
    nb = block_size(n_t)
    x = y[:2 * nb].reshape(2, nb)                     # species x block
    glob_, tis = x[:, :N_GLOBAL], x[:, N_GLOBAL:].reshape(2, n_t, N_SUB)
    plasma, rest, metab, tub = glob_[:, 0], glob_[:, 1], glob_[:, 2], glob_[:, 3]
    av, ai, b, i_ = tis[..., 0], tis[..., 1], tis[..., 2], tis[..., 3]
    cp = plasma / g[VP]
    cv, ci = av / tp[:, VV], ai / tp[:, VI]
    rfree = tp[:, RTOT] - b.sum(axis=0)
    flow = tp[:, Q] * (cp[:, None] - cv)
    perm = tp[:, PS] * (cv - ci)
    bind = tp[:, KON] * ci * rfree - tp[:, KOFF] * b
    intern, release = tp[:, KINT] * b, tp[:, KREL] * i_
    filt = g[CLFILT] * cp
    d_tis = np.stack([flow - perm, perm - bind, bind - intern, intern - release], axis=-1)
    d_glob = np.stack([
        -flow.sum(axis=1) + g[CLREST] * (rest / g[VREST] - cp) - filt,
        g[CLREST] * (cp - rest / g[VREST]),
        release.sum(axis=1) + g[KTUB] * tub - g[CLMET] * metab / g[VP],
        g[FREAB] * filt - g[KTUB] * tub,
        (1.0 - g[FREAB]) * filt + g[CLMET] * metab / g[VP],
    ], axis=1)
    dx = np.concatenate([d_glob, d_tis.reshape(2, -1)], axis=1)
    decay = g[LAM] * x[0]
    dx[0] -= decay
    dx[1] += decay
    hot = x[0]
    d_acc = np.concatenate([hot[:N_GLOBAL], hot[N_GLOBAL:].reshape(n_t, N_SUB).sum(axis=1)])
    return np.concatenate([dx.ravel(), d_acc])


def reference_course(system: PKSystem, injection_times_h: np.ndarray, hot_nmol: float,
                     cold_nmol: float, end_h: float, rtol: float = 1e-10,
                     atol: float = 1e-16) -> np.ndarray:
    """States at each injection time (before it) and at ``end_h``; Radau integration.

    Returns
    -------
    ndarray, shape (n_injections + 1, n_states)
        Row k is the state just before injection k; the last row is the state at ``end_h``.
    """
    n = n_states(system.n_tissues)
    nb = block_size(system.n_tissues)
    y = np.zeros(n)
    bounds = list(injection_times_h) + [end_h]
    out = np.empty((len(bounds), n))
    out[0] = y
    for k, (t0, t1) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        y = y.copy()
        y[0] += hot_nmol
        y[nb] += cold_nmol
        sol = solve_ivp(reference_rhs, (t0, t1), y, method="Radau", rtol=rtol, atol=atol,
                        args=(system,))
        if not sol.success:
            raise RuntimeError(f"reference solve_ivp failed: {sol.message}")
        y = sol.y[:, -1]
        out[k + 1] = y
    return out
