"""PBPK right-hand side and analytic Jacobian (numba kernels).

Model (docs/model.md §3; Kletting-type PBPK as in Fele-Paranj et al. 2024,
doi:10.1186/s41181-023-00236-w), per species s in {hot, cold}, amounts in nmol,
volumes in L, flows in L/h, time in h::

    plasma        dP/dt  = sum_j Q_j (Av_j/Vv_j - Cp) + CLrest (Ar/Vrest - Cp) - CLfilt Cp
    rest of body  dAr/dt = CLrest (Cp - Ar/Vrest)
    tissue j      dAv/dt = Q (Cp - Av/Vv) - PS (Av/Vv - Ai/Vi)
                  dAi/dt = PS (Av/Vv - Ai/Vi) - kon (Ai/Vi) Rfree + koff B
                  dB/dt  = kon (Ai/Vi) Rfree - koff B - kint B
                  dI/dt  = kint B - krel I
    tubular cells dT/dt  = freab CLfilt Cp - ktub T
    metabolite    dM/dt  = sum_j krel I_j + ktub T - CLmet M/Vp
    urine         dU/dt  = (1 - freab) CLfilt Cp + CLmet M/Vp

with Cp = P/Vp and Rfree_j = Rtot_j - B_hot,j - B_cold,j (internalised receptors
re-expressed at once; Rtot of a lesion follows its cells, see
:mod:`simulator.engine.model`).  Each tissue's Vv, Vi, Q and PS are multiplied by
``scale[j]`` (1 for organs; for a lesion whose vascular space follows its volume, the
current over the baseline volume, :mod:`simulator.engine.model`).  Physical decay moves
every hot amount to cold (-lam x for hot, +lam x_hot for cold), so total peptide is
conserved.  The last
``n_regions`` states integrate the hot amount per region (nmol h).
"""

from __future__ import annotations

import numba

from ..jit import JIT
from .layout import (
    BOUND,
    INTERNALISED,
    INTERSTITIAL,
    METABOLITE,
    N_GLOBAL,
    N_SUB,
    PLASMA,
    REST,
    TUBULAR,
    URINE,
    VASCULAR,
)
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
    VI,
    VP,
    VREST,
    VV,
    Q,
)


@numba.njit(**JIT)
def pk_rhs(y, tissue, glob, rtot, scale, dydt):
    """Write the PBPK part of dy/dt into ``dydt`` (see module docstring).

    ``rtot[j]`` (nmol) is the current receptor amount of tissue j and ``scale[j]`` (1)
    the factor on its Vv, Vi, Q and PS; for lesions both follow the cells
    (:mod:`simulator.engine.model`).
    """
    n_t = tissue.shape[0]
    nb = N_GLOBAL + N_SUB * n_t
    vp, vrest, clrest = glob[VP], glob[VREST], glob[CLREST]
    clf, freab, ktub, lam, clmet = glob[CLFILT], glob[FREAB], glob[KTUB], glob[LAM], glob[CLMET]
    acc = 2 * nb
    for s in range(2):
        o = s * nb
        cp = y[o + PLASMA] / vp
        dp = clrest * (y[o + REST] / vrest - cp) - clf * cp
        dm = ktub * y[o + TUBULAR] - clmet * y[o + METABOLITE] / vp
        for j in range(n_t):
            k = o + N_GLOBAL + N_SUB * j
            f = scale[j]
            cv = y[k + VASCULAR] / (tissue[j, VV] * f)
            ci = y[k + INTERSTITIAL] / (tissue[j, VI] * f)
            rfree = rtot[j] - y[N_GLOBAL + N_SUB * j + BOUND] \
                - y[nb + N_GLOBAL + N_SUB * j + BOUND]
            flow = tissue[j, Q] * f * (cp - cv)
            perm = tissue[j, PS] * f * (cv - ci)
            bind = tissue[j, KON] * ci * rfree - tissue[j, KOFF] * y[k + BOUND]
            intern = tissue[j, KINT] * y[k + BOUND]
            release = tissue[j, KREL] * y[k + INTERNALISED]
            dydt[k + VASCULAR] = flow - perm
            dydt[k + INTERSTITIAL] = perm - bind
            dydt[k + BOUND] = bind - intern
            dydt[k + INTERNALISED] = intern - release
            dp -= flow
            dm += release
        dydt[o + PLASMA] = dp
        dydt[o + REST] = clrest * (cp - y[o + REST] / vrest)
        dydt[o + TUBULAR] = freab * clf * cp - ktub * y[o + TUBULAR]
        dydt[o + METABOLITE] = dm
        dydt[o + URINE] = (1.0 - freab) * clf * cp + clmet * y[o + METABOLITE] / vp
    # physical decay hot -> cold, and the hot-amount integrals per region
    for i in range(nb):
        decay = lam * y[i]
        dydt[i] -= decay
        dydt[nb + i] += decay
    for r in range(N_GLOBAL):
        dydt[acc + r] = y[r]
    for j in range(n_t):
        k = N_GLOBAL + N_SUB * j
        dydt[acc + N_GLOBAL + j] = y[k] + y[k + 1] + y[k + 2] + y[k + 3]


@numba.njit(**JIT)
def pk_jac(y, tissue, glob, rtot, scale, J):
    """Write the PBPK part of the Jacobian into ``J`` (zeroed here) at fixed ``rtot`` and
    ``scale``."""
    n_t = tissue.shape[0]
    nb = N_GLOBAL + N_SUB * n_t
    J[:, :] = 0.0
    vp, vrest, clrest = glob[VP], glob[VREST], glob[CLREST]
    clf, freab, ktub, lam, clmet = glob[CLFILT], glob[FREAB], glob[KTUB], glob[LAM], glob[CLMET]
    acc = 2 * nb
    for s in range(2):
        o = s * nb
        p, r, m, tb, u = o + PLASMA, o + REST, o + METABOLITE, o + TUBULAR, o + URINE
        J[p, p] = -(clrest + clf) / vp
        J[p, r] = clrest / vrest
        J[r, p] = clrest / vp
        J[r, r] = -clrest / vrest
        J[tb, p] = freab * clf / vp
        J[tb, tb] = -ktub
        J[m, tb] = ktub
        J[m, m] = -clmet / vp
        J[u, p] = (1.0 - freab) * clf / vp
        J[u, m] = clmet / vp
        for j in range(n_t):
            k = o + N_GLOBAL + N_SUB * j
            v, i, b, n = k + VASCULAR, k + INTERSTITIAL, k + BOUND, k + INTERNALISED
            f = scale[j]
            qv, ps, vv, vi = (tissue[j, Q] * f, tissue[j, PS] * f, tissue[j, VV] * f,
                              tissue[j, VI] * f)
            kon, koff = tissue[j, KON], tissue[j, KOFF]
            kint, krel = tissue[j, KINT], tissue[j, KREL]
            bh = N_GLOBAL + N_SUB * j + BOUND
            bc = nb + bh
            rfree = rtot[j] - y[bh] - y[bc]
            ci = y[i] / vi
            J[p, p] -= qv / vp
            J[p, v] += qv / vv
            J[v, p] = qv / vp
            J[v, v] = -(qv + ps) / vv
            J[v, i] = ps / vi
            J[i, v] = ps / vv
            J[i, i] = -ps / vi - kon * rfree / vi
            J[b, i] = kon * rfree / vi
            # d(bind)/dB_hot and d(bind)/dB_cold: -kon ci each, plus -koff on own species
            J[i, bh] += kon * ci
            J[i, bc] += kon * ci
            J[b, bh] -= kon * ci
            J[b, bc] -= kon * ci
            J[i, b] += koff
            J[b, b] -= koff + kint
            J[n, b] = kint
            J[n, n] = -krel
            J[m, n] = krel
    for i in range(nb):
        J[i, i] -= lam
        J[nb + i, i] += lam
    for r in range(N_GLOBAL):
        J[acc + r, r] = 1.0
    for j in range(n_t):
        k = N_GLOBAL + N_SUB * j
        for q in range(N_SUB):
            J[acc + N_GLOBAL + j, k + q] = 1.0
