"""Independent, vectorised coding of the PBPK right-hand side (for the scipy reference).

Written separately from the numba kernels (vectorised over species and tissues,
no shared code beyond the parameter arrays and the state layout), so that the
engine can be validated against it (validation rung 2, docs/validation.md) by
:mod:`simulator.reference`.  Slow: for tests and benchmarks only.
"""

from __future__ import annotations

import numpy as np

from .layout import N_GLOBAL, N_SUB, block_size
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
    Q,
)


def reference_rhs(t: float, y: np.ndarray, tissue: np.ndarray, glob: np.ndarray,
                  rtot: np.ndarray | None = None) -> np.ndarray:
    """dy/dt of the PBPK part (species blocks + accumulators) of one patient, vectorised.

    ``tissue`` (T, N_TISSUE_PARAMS) and ``glob`` (N_GLOBAL_PARAMS,) are that patient's
    rows; ``rtot`` (nmol per tissue) defaults to the baseline receptor amounts.
    """
    tp, g = tissue, glob
    n_t = tissue.shape[0]
    nb = block_size(n_t)
    x = y[:2 * nb].reshape(2, nb)  # species x block
    glob_, tis = x[:, :N_GLOBAL], x[:, N_GLOBAL:].reshape(2, n_t, N_SUB)
    plasma, rest, metab, tub = glob_[:, 0], glob_[:, 1], glob_[:, 2], glob_[:, 3]
    av, ai, b, i_ = tis[..., 0], tis[..., 1], tis[..., 2], tis[..., 3]
    cp = plasma / g[VP]
    cv, ci = av / tp[:, VV], ai / tp[:, VI]
    rfree = (tp[:, RTOT] if rtot is None else rtot) - b.sum(axis=0)
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
