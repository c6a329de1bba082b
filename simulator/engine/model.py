"""Coupled right-hand side and Jacobian: PBPK + dose rate + LQ repair + tumour cells.

State layout: :mod:`simulator.engine.layout`.  For lesion k (tissue j = 3 + k)::

    Ddot  = A_j(t) S(m)              A_j hot activity [MBq], S Olguin sphere S at mass m
    m     = rho (v_cell (N_v + N_d) + V_stroma)            (S follows the current mass)
    Rtot  = r_cell (N_v + f_d N_d)                          (receptors follow the cells)
    s     = (v_cell (N_v + N_d) + V_stroma) / V0            (vascular_space: follows_volume;
                                                             s = 1 when fixed)
    dGamma/dt = Ddot - mu Gamma,  dQ/dt = Ddot Gamma,  dD/dt = Ddot
    k(t)  = alpha Ddot + 2 beta Ddot Gamma                  (LQ with incomplete repair)
    dL/dt = rho_g g - k              (L = ln N_v; g = 1, or Gompertz ln(K/N)/ln(K/N0))
    dN_d/dt = k N_v - k_c N_d,       dJ/dt = N_v(0) / N_v

The lesion's Vv, Vi, Q and PS are its baseline values times s (:func:`pk_rhs` ``scale``):
the vascular support and the receptors shrink with the tissue.  Organs at risk (kidneys,
red marrow): Ddot = sum_r M[o, r] hot_r with the MIRD map
of :mod:`simulator.dosimetry.dose_map`, and the same Gamma, Q states.
References: Dale 1985 (doi:10.1259/0007-1285-58-690-515) and Gustafsson 2013
(doi:10.1088/0031-9155/58/5/1507) for the repair integral; docs/model.md §5-§6.
"""

from __future__ import annotations

import math

import numba

from ..dosimetry.spheres import sphere_s_and_slope_nb
from ..jit import JIT
from ..pk.layout import BOUND, INTERSTITIAL, N_GLOBAL, N_SUB, PLASMA, VASCULAR
from ..pk.model import pk_jac, pk_rhs
from ..pk.parameters import KON, RTOT, VI, VP, Q
from ..tumour.parameters import (
    ALPHA,
    BETA,
    DOOMED_R,
    G_NORM,
    GOMPERTZ,
    GROWTH_PER_H,
    K_CLEAR,
    L0,
    LN_K_CELLS,
    MU,
    R_CELL,
    RHO_G_PER_ML,
    STROMA_ML,
    V0_ML,
    V_CELL_ML,
    VASC_FOLLOWS,
)
from .layout import (
    LES_D,
    LES_GAMMA,
    LES_J,
    LES_L,
    LES_ND,
    LES_Q,
    N_LES_STATES,
    N_OAR_STATES,
    N_ORGAN_TISSUES,
    OAR_GAMMA,
    OAR_Q,
)

#: dJ/dt = N_v(0)/N_v is capped at e^600 (N_v < e^-600 N_v(0)): beyond, TCP = 1 to
#: machine precision anyway, and the cap keeps J finite for sterilising doses
_MAX_LOG_J = 600.0


@numba.njit(**JIT)
def _offsets(n_t, n_oar):
    """Layout offsets for ``n_t`` tissues and ``n_oar`` organs at risk: the species block
    size, the first organ-at-risk state and the first lesion state."""
    nb = N_GLOBAL + N_SUB * n_t
    oar = 2 * nb + N_GLOBAL + n_t
    return nb, oar, oar + N_OAR_STATES * n_oar


@numba.njit(**JIT)
def _receptors(y, tissue, lesion, les0, work):
    """Current receptor amounts (``work[0]``, nmol) and PBPK space factors (``work[1]``)."""
    for j in range(N_ORGAN_TISSUES):
        work[0, j] = tissue[j, RTOT]
        work[1, j] = 1.0
    for k in range(lesion.shape[0]):
        b = les0 + N_LES_STATES * k
        nv, nd = math.exp(y[b + LES_L]), y[b + LES_ND]
        work[0, N_ORGAN_TISSUES + k] = lesion[k, R_CELL] * (nv + lesion[k, DOOMED_R] * nd)
        work[1, N_ORGAN_TISSUES + k] = _space_factor(lesion, k, nv + nd)


@numba.njit(**JIT)
def _space_factor(lesion, k, cells):
    """Current over baseline lesion volume when the vascular space follows it, else 1."""
    if lesion[k, VASC_FOLLOWS] > 0.0:
        return (lesion[k, V_CELL_ML] * cells + lesion[k, STROMA_ML]) / lesion[k, V0_ML]
    return 1.0


@numba.njit(**JIT)
def _oar_dose_rate(y, oar_map, o, n_t):
    ddot = 0.0
    for r in range(N_GLOBAL):
        ddot += oar_map[o, r] * y[r]
    for j in range(n_t):
        c = oar_map[o, N_GLOBAL + j]
        if c != 0.0:
            k = N_GLOBAL + N_SUB * j
            ddot += c * (y[k] + y[k + 1] + y[k + 2] + y[k + 3])
    return ddot


@numba.njit(**JIT)
def _lesion_state(y, lesion, k, b, log_m, log_s, mbq):
    """nv, nd, S, dS/dcells, hot amount (nmol) and dose rate (Gy/h) of lesion k."""
    nv = math.exp(y[b + LES_L])
    nd = y[b + LES_ND]
    cells = nv + nd
    mass = lesion[k, RHO_G_PER_ML] * (lesion[k, V_CELL_ML] * cells + lesion[k, STROMA_ML])
    s, slope = sphere_s_and_slope_nb(mass, log_m, log_s)
    ds_dcells = s * slope / mass * lesion[k, RHO_G_PER_ML] * lesion[k, V_CELL_ML]
    h = N_GLOBAL + N_SUB * (N_ORGAN_TISSUES + k)
    a = y[h] + y[h + 1] + y[h + 2] + y[h + 3]
    return nv, nd, cells, s, ds_dcells, a, mbq * s * a


@numba.njit(**JIT)
def _growth(lesion, k, cells):
    if lesion[k, GOMPERTZ] > 0.0:
        log_room = lesion[k, LN_K_CELLS] - math.log(cells)
        return lesion[k, GROWTH_PER_H] * log_room * lesion[k, G_NORM]
    return lesion[k, GROWTH_PER_H]


@numba.njit(**JIT)
def rhs(t, y, args, dydt):
    """dy/dt of the coupled model (module docstring)."""
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, work = args
    n_t = tissue.shape[0]
    nb, oar, les0 = _offsets(n_t, oar_map.shape[0])
    _receptors(y, tissue, lesion, les0, work)
    pk_rhs(y, tissue, glob, work[0], work[1], dydt)
    for o in range(oar_map.shape[0]):
        g = oar + N_OAR_STATES * o
        ddot = _oar_dose_rate(y, oar_map, o, n_t)
        dydt[g + OAR_GAMMA] = ddot - oar_mu[o] * y[g + OAR_GAMMA]
        dydt[g + OAR_Q] = ddot * y[g + OAR_GAMMA]
    for k in range(lesion.shape[0]):
        b = les0 + N_LES_STATES * k
        nv, nd, cells, _, _, _, ddot = _lesion_state(y, lesion, k, b, log_m, log_s, consts[0])
        gam = y[b + LES_GAMMA]
        kill = ddot * (lesion[k, ALPHA] + 2.0 * lesion[k, BETA] * gam)
        dydt[b + LES_L] = _growth(lesion, k, cells) - kill
        dydt[b + LES_ND] = kill * nv - lesion[k, K_CLEAR] * nd
        dydt[b + LES_D] = ddot
        dydt[b + LES_GAMMA] = ddot - lesion[k, MU] * gam
        dydt[b + LES_Q] = ddot * gam
        dydt[b + LES_J] = math.exp(min(lesion[k, L0] - y[b + LES_L], _MAX_LOG_J))


@numba.njit(**JIT)
def jac(t, y, args, J):
    """Analytic Jacobian of :func:`rhs` (dense; zeroed here)."""
    tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts, work = args
    n_t = tissue.shape[0]
    nb, oar, les0 = _offsets(n_t, oar_map.shape[0])
    _receptors(y, tissue, lesion, les0, work)
    pk_jac(y, tissue, glob, work[0], work[1], J)
    for o in range(oar_map.shape[0]):
        g = oar + N_OAR_STATES * o + OAR_GAMMA
        q = oar + N_OAR_STATES * o + OAR_Q
        gam = y[g]
        for r in range(N_GLOBAL):
            J[g, r] = oar_map[o, r]
            J[q, r] = oar_map[o, r] * gam
        for j in range(n_t):
            c = oar_map[o, N_GLOBAL + j]
            for sub in range(N_SUB):
                J[g, N_GLOBAL + N_SUB * j + sub] = c
                J[q, N_GLOBAL + N_SUB * j + sub] = c * gam
        J[g, g] = -oar_mu[o]
        J[q, g] = _oar_dose_rate(y, oar_map, o, n_t)
    for k in range(lesion.shape[0]):
        b = les0 + N_LES_STATES * k
        iL, iN, iD, iG, iQ, iJ = (b + LES_L, b + LES_ND, b + LES_D, b + LES_GAMMA, b + LES_Q,
                                  b + LES_J)
        j = N_ORGAN_TISSUES + k
        nv, nd, cells, s, ds_dc, a, ddot = _lesion_state(y, lesion, k, b, log_m, log_s, consts[0])
        # receptors follow the cells: binding terms of both species depend on L and N_d;
        # with the vascular space following the volume (factor f), so do the inflow
        # Q f Cp and the interstitial concentration Ai / (Vi f)
        f = work[1, j]
        df_dc = lesion[k, V_CELL_ML] / lesion[k, V0_ML] if lesion[k, VASC_FOLLOWS] > 0.0 else 0.0
        rfree = work[0, j] - y[N_GLOBAL + N_SUB * j + BOUND] - y[nb + N_GLOBAL + N_SUB * j + BOUND]
        for sp in range(2):
            ip = sp * nb + PLASMA
            iv = sp * nb + N_GLOBAL + N_SUB * j + VASCULAR
            ii = sp * nb + N_GLOBAL + N_SUB * j + INTERSTITIAL
            ib = sp * nb + N_GLOBAL + N_SUB * j + BOUND
            ci = y[ii] / (tissue[j, VI] * f)
            d = tissue[j, KON] * ci * lesion[k, R_CELL]
            # d(bind)/df = -kon ci Rfree / f;  d(inflow)/df = Q Cp
            dbind_df = -tissue[j, KON] * ci * rfree / f
            dflow_df = tissue[j, Q] * y[ip] / glob[VP]
            dbind_dc = dbind_df * df_dc
            dflow_dc = dflow_df * df_dc
            J[ii, iL] -= (d + dbind_dc) * nv
            J[ib, iL] += (d + dbind_dc) * nv
            J[ii, iN] -= d * lesion[k, DOOMED_R] + dbind_dc
            J[ib, iN] += d * lesion[k, DOOMED_R] + dbind_dc
            J[iv, iL] += dflow_dc * nv
            J[iv, iN] += dflow_dc
            J[ip, iL] -= dflow_dc * nv
            J[ip, iN] -= dflow_dc
        # dose rate: d(Ddot)/d(hot sub-states), d/dL (via mass), d/dN_d
        h = N_GLOBAL + N_SUB * j
        dd_hot = consts[0] * s
        dd_cells = consts[0] * a * ds_dc
        gam = y[iG]
        alpha, beta = lesion[k, ALPHA], lesion[k, BETA]
        f = alpha + 2.0 * beta * gam
        kill = ddot * f
        for row, w in ((iD, 1.0), (iG, 1.0), (iQ, gam), (iL, -f), (iN, f * nv)):
            for sub in range(N_SUB):
                J[row, h + sub] = w * dd_hot
            J[row, iL] += w * dd_cells * nv
            J[row, iN] += w * dd_cells
        J[iG, iG] = -lesion[k, MU]
        J[iQ, iG] = ddot
        J[iL, iG] = -2.0 * beta * ddot
        J[iN, iG] = 2.0 * beta * ddot * nv
        J[iN, iL] += kill * nv
        J[iN, iN] -= lesion[k, K_CLEAR]
        if lesion[k, GOMPERTZ] > 0.0:
            dg = -lesion[k, GROWTH_PER_H] * lesion[k, G_NORM] / cells
            J[iL, iL] += dg * nv
            J[iL, iN] += dg
        if lesion[k, L0] - y[iL] < _MAX_LOG_J:
            J[iJ, iL] = -math.exp(lesion[k, L0] - y[iL])
