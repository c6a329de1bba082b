"""The coupled right-hand side for patients in lockstep: lanes innermost (numba kernel).

:func:`rhs_lanes` evaluates :func:`simulator.engine.model.rhs` (with
:func:`simulator.pk.model.pk_rhs`) for ``L`` patients at once, every array laid out with the
patient ("lane") as its last axis so that each arithmetic line becomes a loop over
contiguous lanes the compiler vectorises.  The equations, and the order of every floating-point
operation, are those of the scalar functions: per lane the result is bit-identical to
``model.rhs`` (tests/unit/engine/test_lockstep.py checks it on random and on real states).
The scalar functions stay the definition of the model (docs/model.md); a change there
must be made here too, and that test fails until it is.

Lane arrays (:func:`lane_arrays`): ``tissue`` (n_tissues, P, L), ``glob`` (G, L),
``lesion`` (n_lesions, P, L), ``oar_map`` (n_oar, R, L), ``oar_mu`` (n_oar, L),
``consts`` (C, L); ``log_m``, ``log_s`` are the shared S-value tables.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..dosimetry.spheres import sphere_s_and_slope_nb
from ..jit import JIT
from ..pk.layout import (
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
from ..pk.parameters import (
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
from .model import _MAX_LOG_J, _offsets


@numba.njit(**JIT)
def lane_arrays(tissue, glob, lesion, oar_map, oar_mu, consts, p0, p1):
    """Patients ``p0 .. p1 - 1`` of the kernel arrays, transposed to lanes innermost."""
    return (np.ascontiguousarray(np.transpose(tissue[p0:p1], (1, 2, 0))),
            np.ascontiguousarray(glob[p0:p1].T),
            np.ascontiguousarray(np.transpose(lesion[p0:p1], (1, 2, 0))),
            np.ascontiguousarray(np.transpose(oar_map[p0:p1], (1, 2, 0))),
            np.ascontiguousarray(oar_mu[p0:p1].T),
            np.ascontiguousarray(consts[p0:p1].T))


def make_lane_scratch(n_tissues, n_lanes):
    """Scratch of :func:`rhs_lanes` and :func:`jac_lanes`: receptor amounts, space factors
    and viable cells N_v per tissue (3 n_tissues rows, :func:`_receptors_lanes`), then three
    per-lane accumulators."""
    return np.zeros((3 * n_tissues + 3, n_lanes))


make_lane_scratch_nb = numba.njit(**JIT)(make_lane_scratch)


@numba.njit(**JIT)
def _receptors_lanes(y, tissue, lesion, les0, w):
    """Current receptor amounts (nmol), PBPK space factors and, for lesions, viable cells
    N_v = e^L of every tissue and lane (:func:`simulator.engine.model._receptors`), written
    into the first 3 n_tissues rows of ``w``; returns those three (n_tissues, L) views.
    N_v is computed once here for the right-hand side and the Jacobian."""
    n_t, n_l = tissue.shape[0], y.shape[1]
    rt, sc, viable = w[:n_t], w[n_t:2 * n_t], w[2 * n_t:3 * n_t]
    for j in range(N_ORGAN_TISSUES):
        for ln in range(n_l):
            rt[j, ln] = tissue[j, RTOT, ln]
            sc[j, ln] = 1.0
    for k in range(lesion.shape[0]):
        b = les0 + N_LES_STATES * k
        les = lesion[k]
        j = N_ORGAN_TISSUES + k
        for ln in range(n_l):
            nv, nd = math.exp(y[b + LES_L, ln]), y[b + LES_ND, ln]
            viable[j, ln] = nv
            rt[j, ln] = les[R_CELL, ln] * (nv + les[DOOMED_R, ln] * nd)
            if les[VASC_FOLLOWS, ln] > 0.0:
                sc[j, ln] = (les[V_CELL_ML, ln] * (nv + nd) + les[STROMA_ML, ln]) \
                    / les[V0_ML, ln]
            else:
                sc[j, ln] = 1.0
    return rt, sc, viable


@numba.njit(**JIT)
def rhs_lanes(y, lanes, log_m, log_s, w, dydt):
    """dy/dt of every lane: ``y``, ``dydt`` (n, L); ``lanes`` from :func:`lane_arrays`;
    ``w`` from :func:`make_lane_scratch`."""
    tissue, glob, lesion, oar_map, oar_mu, consts = lanes
    n_t = tissue.shape[0]
    n_l = y.shape[1]
    nb, oar, les0 = _offsets(n_t, oar_map.shape[0])   # the scalar model's layout
    n_les = lesion.shape[0]
    rt, sc, viable = _receptors_lanes(y, tissue, lesion, les0, w)
    cp, dp, dm = w[3 * n_t], w[3 * n_t + 1], w[3 * n_t + 2]
    # PBPK (pk_rhs)
    vp, vrest, clrest = glob[VP], glob[VREST], glob[CLREST]
    clf, freab, ktub, lam, clmet = glob[CLFILT], glob[FREAB], glob[KTUB], glob[LAM], glob[CLMET]
    acc = 2 * nb
    for s in range(2):
        o = s * nb
        for ln in range(n_l):
            cp[ln] = y[o + PLASMA, ln] / vp[ln]
            dp[ln] = clrest[ln] * (y[o + REST, ln] / vrest[ln] - cp[ln]) - clf[ln] * cp[ln]
            dm[ln] = ktub[ln] * y[o + TUBULAR, ln] - clmet[ln] * y[o + METABOLITE, ln] / vp[ln]
        for j in range(n_t):
            k = o + N_GLOBAL + N_SUB * j
            tj = tissue[j]
            bh = N_GLOBAL + N_SUB * j + BOUND
            for ln in range(n_l):
                f = sc[j, ln]
                cv = y[k + VASCULAR, ln] / (tj[VV, ln] * f)
                ci = y[k + INTERSTITIAL, ln] / (tj[VI, ln] * f)
                rfree = rt[j, ln] - y[bh, ln] - y[nb + bh, ln]
                flow = tj[Q, ln] * f * (cp[ln] - cv)
                perm = tj[PS, ln] * f * (cv - ci)
                bind = tj[KON, ln] * ci * rfree - tj[KOFF, ln] * y[k + BOUND, ln]
                intern = tj[KINT, ln] * y[k + BOUND, ln]
                release = tj[KREL, ln] * y[k + INTERNALISED, ln]
                dydt[k + VASCULAR, ln] = flow - perm
                dydt[k + INTERSTITIAL, ln] = perm - bind
                dydt[k + BOUND, ln] = bind - intern
                dydt[k + INTERNALISED, ln] = intern - release
                dp[ln] -= flow
                dm[ln] += release
        for ln in range(n_l):
            dydt[o + PLASMA, ln] = dp[ln]
            dydt[o + REST, ln] = clrest[ln] * (cp[ln] - y[o + REST, ln] / vrest[ln])
            dydt[o + TUBULAR, ln] = freab[ln] * clf[ln] * cp[ln] - ktub[ln] * y[o + TUBULAR, ln]
            dydt[o + METABOLITE, ln] = dm[ln]
            dydt[o + URINE, ln] = (1.0 - freab[ln]) * clf[ln] * cp[ln] \
                + clmet[ln] * y[o + METABOLITE, ln] / vp[ln]
    for i in range(nb):
        for ln in range(n_l):
            decay = lam[ln] * y[i, ln]
            dydt[i, ln] -= decay
            dydt[nb + i, ln] += decay
    for r in range(N_GLOBAL):
        for ln in range(n_l):
            dydt[acc + r, ln] = y[r, ln]
    for j in range(n_t):
        k = N_GLOBAL + N_SUB * j
        for ln in range(n_l):
            dydt[acc + N_GLOBAL + j, ln] = y[k, ln] + y[k + 1, ln] + y[k + 2, ln] + y[k + 3, ln]
    # organs at risk (model._oar_dose_rate)
    for o in range(oar_map.shape[0]):
        g = oar + N_OAR_STATES * o
        om = oar_map[o]
        for ln in range(n_l):
            ddot = 0.0
            for r in range(N_GLOBAL):
                ddot += om[r, ln] * y[r, ln]
            for j in range(n_t):
                c = om[N_GLOBAL + j, ln]
                if c != 0.0:
                    k = N_GLOBAL + N_SUB * j
                    ddot += c * (y[k, ln] + y[k + 1, ln] + y[k + 2, ln] + y[k + 3, ln])
            dydt[g + OAR_GAMMA, ln] = ddot - oar_mu[o, ln] * y[g + OAR_GAMMA, ln]
            dydt[g + OAR_Q, ln] = ddot * y[g + OAR_GAMMA, ln]
    # lesions (model._lesion_state, model._growth)
    for k in range(n_les):
        b = les0 + N_LES_STATES * k
        les = lesion[k]
        h = N_GLOBAL + N_SUB * (N_ORGAN_TISSUES + k)
        for ln in range(n_l):
            nv = viable[N_ORGAN_TISSUES + k, ln]
            nd = y[b + LES_ND, ln]
            cells = nv + nd
            mass = les[RHO_G_PER_ML, ln] * (les[V_CELL_ML, ln] * cells + les[STROMA_ML, ln])
            s, _ = sphere_s_and_slope_nb(mass, log_m, log_s)
            a = y[h, ln] + y[h + 1, ln] + y[h + 2, ln] + y[h + 3, ln]
            ddot = consts[0, ln] * s * a
            gam = y[b + LES_GAMMA, ln]
            kill = ddot * (les[ALPHA, ln] + 2.0 * les[BETA, ln] * gam)
            if les[GOMPERTZ, ln] > 0.0:
                log_room = les[LN_K_CELLS, ln] - math.log(cells)
                growth = les[GROWTH_PER_H, ln] * log_room * les[G_NORM, ln]
            else:
                growth = les[GROWTH_PER_H, ln]
            dydt[b + LES_L, ln] = growth - kill
            dydt[b + LES_ND, ln] = kill * nv - les[K_CLEAR, ln] * nd
            dydt[b + LES_D, ln] = ddot
            dydt[b + LES_GAMMA, ln] = ddot - les[MU, ln] * gam
            dydt[b + LES_Q, ln] = ddot * gam
            dydt[b + LES_J, ln] = math.exp(min(les[L0, ln] - y[b + LES_L, ln], _MAX_LOG_J))


def slot_map(structure, n):
    """Slots of the Jacobian entries the structured solve reads, for :func:`jac_lanes`:
    (n, n) int64 mapping an entry to its row of the compact lane Jacobian (``n_slots + 1``
    rows; every entry the solve never reads shares the last, a dump).  Read: each core
    block with the hub columns, the hub rows, and each downstream row's dependencies and
    diagonal (:mod:`simulator.engine.structure`)."""
    core, bptr, down, dptr, dcols = structure
    nblk = bptr.size - 1
    h0 = bptr[nblk - 1]
    read = np.zeros((n, n), dtype=bool)
    for blk in range(nblk - 1):
        rows = core[bptr[blk]:bptr[blk + 1]]
        cols = np.concatenate([rows, core[h0:]])
        read[np.ix_(rows, cols)] = True
    read[np.ix_(core[h0:], core)] = True
    for i, d in enumerate(down):
        read[d, dcols[dptr[i]:dptr[i + 1]]] = True
        read[d, d] = True
    n_slots = int(read.sum())
    slots = np.full((n, n), n_slots, dtype=np.int64)
    slots[read] = np.arange(n_slots)
    return slots


@numba.njit(**JIT)
def jac_lanes(y, lanes, log_m, log_s, w, slots, jc):
    """Analytic Jacobian of every lane (:func:`simulator.engine.model.jac`), compact:
    ``jc[slots[r, c], l]`` receives lane l's J[r, c] (``slots`` from :func:`slot_map`);
    ``jc`` (n_slots + 1, L) is zeroed here.  Same operations in the same order as the
    scalar Jacobian: bit-identical per lane on every entry the solve reads."""
    tissue, glob, lesion, oar_map, oar_mu, consts = lanes
    n_t = tissue.shape[0]
    n_l = y.shape[1]
    nb, oar, les0 = _offsets(n_t, oar_map.shape[0])   # the scalar model's layout
    n_les = lesion.shape[0]
    jc[:, :] = 0.0
    rt, sc, viable = _receptors_lanes(y, tissue, lesion, les0, w)
    # PBPK (pk_jac)
    vp, vrest, clrest = glob[VP], glob[VREST], glob[CLREST]
    clf, freab, ktub, lam, clmet = glob[CLFILT], glob[FREAB], glob[KTUB], glob[LAM], glob[CLMET]
    acc = 2 * nb
    for s in range(2):
        o = s * nb
        p, r, m, tb, u = o + PLASMA, o + REST, o + METABOLITE, o + TUBULAR, o + URINE
        spp, spr, srp, srr = slots[p, p], slots[p, r], slots[r, p], slots[r, r]
        stbp, stbtb, smtb, smm = slots[tb, p], slots[tb, tb], slots[m, tb], slots[m, m]
        sup, sum_ = slots[u, p], slots[u, m]
        for ln in range(n_l):
            jc[spp, ln] = -(clrest[ln] + clf[ln]) / vp[ln]
            jc[spr, ln] = clrest[ln] / vrest[ln]
            jc[srp, ln] = clrest[ln] / vp[ln]
            jc[srr, ln] = -clrest[ln] / vrest[ln]
            jc[stbp, ln] = freab[ln] * clf[ln] / vp[ln]
            jc[stbtb, ln] = -ktub[ln]
            jc[smtb, ln] = ktub[ln]
            jc[smm, ln] = -clmet[ln] / vp[ln]
            jc[sup, ln] = (1.0 - freab[ln]) * clf[ln] / vp[ln]
            jc[sum_, ln] = clmet[ln] / vp[ln]
        for j in range(n_t):
            k = o + N_GLOBAL + N_SUB * j
            v, i, b, nn = k + VASCULAR, k + INTERSTITIAL, k + BOUND, k + INTERNALISED
            bh = N_GLOBAL + N_SUB * j + BOUND
            bc = nb + bh
            tj = tissue[j]
            s_pv, s_vp, s_vv, s_vi = slots[p, v], slots[v, p], slots[v, v], slots[v, i]
            s_iv, s_ii, s_bi, s_ibh = slots[i, v], slots[i, i], slots[b, i], slots[i, bh]
            s_ibc, s_bbh, s_bbc, s_ib = slots[i, bc], slots[b, bh], slots[b, bc], slots[i, b]
            s_bb, s_nb, s_nn, s_mn = slots[b, b], slots[nn, b], slots[nn, nn], slots[m, nn]
            for ln in range(n_l):
                f = sc[j, ln]
                qv, ps, vv, vi = (tj[Q, ln] * f, tj[PS, ln] * f, tj[VV, ln] * f,
                                  tj[VI, ln] * f)
                kon, koff = tj[KON, ln], tj[KOFF, ln]
                kint, krel = tj[KINT, ln], tj[KREL, ln]
                rfree = rt[j, ln] - y[bh, ln] - y[bc, ln]
                ci = y[i, ln] / vi
                jc[spp, ln] -= qv / vp[ln]
                jc[s_pv, ln] += qv / vv
                jc[s_vp, ln] = qv / vp[ln]
                jc[s_vv, ln] = -(qv + ps) / vv
                jc[s_vi, ln] = ps / vi
                jc[s_iv, ln] = ps / vv
                jc[s_ii, ln] = -ps / vi - kon * rfree / vi
                jc[s_bi, ln] = kon * rfree / vi
                jc[s_ibh, ln] += kon * ci
                jc[s_ibc, ln] += kon * ci
                jc[s_bbh, ln] -= kon * ci
                jc[s_bbc, ln] -= kon * ci
                jc[s_ib, ln] += koff
                jc[s_bb, ln] -= koff + kint
                jc[s_nb, ln] = kint
                jc[s_nn, ln] = -krel
                jc[s_mn, ln] = krel
    for i in range(nb):
        s_ii, s_ci = slots[i, i], slots[nb + i, i]
        for ln in range(n_l):
            jc[s_ii, ln] -= lam[ln]
            jc[s_ci, ln] += lam[ln]
    for r in range(N_GLOBAL):
        s_ar = slots[acc + r, r]
        for ln in range(n_l):
            jc[s_ar, ln] = 1.0
    for j in range(n_t):
        k = N_GLOBAL + N_SUB * j
        for q in range(N_SUB):
            s_aq = slots[acc + N_GLOBAL + j, k + q]
            for ln in range(n_l):
                jc[s_aq, ln] = 1.0
    # organs at risk (model.jac)
    for o in range(oar_map.shape[0]):
        g = oar + N_OAR_STATES * o + OAR_GAMMA
        q = oar + N_OAR_STATES * o + OAR_Q
        om = oar_map[o]
        for r in range(N_GLOBAL):
            s_gr, s_qr = slots[g, r], slots[q, r]
            for ln in range(n_l):
                jc[s_gr, ln] = om[r, ln]
                jc[s_qr, ln] = om[r, ln] * y[g, ln]
        for j in range(n_t):
            for sub in range(N_SUB):
                col = N_GLOBAL + N_SUB * j + sub
                s_gc, s_qc = slots[g, col], slots[q, col]
                for ln in range(n_l):
                    c = om[N_GLOBAL + j, ln]
                    jc[s_gc, ln] = c
                    jc[s_qc, ln] = c * y[g, ln]
        s_gg, s_qg = slots[g, g], slots[q, g]
        for ln in range(n_l):
            jc[s_gg, ln] = -oar_mu[o, ln]
            ddot = 0.0
            for r in range(N_GLOBAL):
                ddot += om[r, ln] * y[r, ln]
            for j in range(n_t):
                c = om[N_GLOBAL + j, ln]
                if c != 0.0:
                    k = N_GLOBAL + N_SUB * j
                    ddot += c * (y[k, ln] + y[k + 1, ln] + y[k + 2, ln] + y[k + 3, ln])
            jc[s_qg, ln] = ddot
    # lesions (model.jac)
    for k in range(n_les):
        b = les0 + N_LES_STATES * k
        iL, iN, iD, iG, iQ, iJ = (b + LES_L, b + LES_ND, b + LES_D, b + LES_GAMMA, b + LES_Q,
                                  b + LES_J)
        j = N_ORGAN_TISSUES + k
        les, tj = lesion[k], tissue[j]
        h = N_GLOBAL + N_SUB * j
        for sp in range(2):
            ip = sp * nb + PLASMA
            iv = sp * nb + N_GLOBAL + N_SUB * j + VASCULAR
            ii = sp * nb + N_GLOBAL + N_SUB * j + INTERSTITIAL
            ib = sp * nb + N_GLOBAL + N_SUB * j + BOUND
            s_iL, s_bL, s_iN, s_bN = slots[ii, iL], slots[ib, iL], slots[ii, iN], slots[ib, iN]
            s_vL, s_vN, s_pL, s_pN = slots[iv, iL], slots[iv, iN], slots[ip, iL], slots[ip, iN]
            for ln in range(n_l):
                nv = viable[j, ln]
                f = sc[j, ln]
                df_dc = les[V_CELL_ML, ln] / les[V0_ML, ln] if les[VASC_FOLLOWS, ln] > 0.0 \
                    else 0.0
                rfree = rt[j, ln] - y[N_GLOBAL + N_SUB * j + BOUND, ln] \
                    - y[nb + N_GLOBAL + N_SUB * j + BOUND, ln]
                ci = y[ii, ln] / (tj[VI, ln] * f)
                d = tj[KON, ln] * ci * les[R_CELL, ln]
                dbind_df = -tj[KON, ln] * ci * rfree / f
                dflow_df = tj[Q, ln] * y[ip, ln] / vp[ln]
                dbind_dc = dbind_df * df_dc
                dflow_dc = dflow_df * df_dc
                jc[s_iL, ln] -= (d + dbind_dc) * nv
                jc[s_bL, ln] += (d + dbind_dc) * nv
                jc[s_iN, ln] -= d * les[DOOMED_R, ln] + dbind_dc
                jc[s_bN, ln] += d * les[DOOMED_R, ln] + dbind_dc
                jc[s_vL, ln] += dflow_dc * nv
                jc[s_vN, ln] += dflow_dc
                jc[s_pL, ln] -= dflow_dc * nv
                jc[s_pN, ln] -= dflow_dc
        for ln in range(n_l):
            nv = viable[j, ln]
            nd = y[iN, ln]
            cells = nv + nd
            mass = les[RHO_G_PER_ML, ln] * (les[V_CELL_ML, ln] * cells + les[STROMA_ML, ln])
            s, slope = sphere_s_and_slope_nb(mass, log_m, log_s)
            ds_dc = s * slope / mass * les[RHO_G_PER_ML, ln] * les[V_CELL_ML, ln]
            a = y[h, ln] + y[h + 1, ln] + y[h + 2, ln] + y[h + 3, ln]
            ddot = consts[0, ln] * s * a
            dd_hot = consts[0, ln] * s
            dd_cells = consts[0, ln] * a * ds_dc
            gam = y[iG, ln]
            alpha, beta = les[ALPHA, ln], les[BETA, ln]
            fk = alpha + 2.0 * beta * gam
            kill = ddot * fk
            for row, wgt in ((iD, 1.0), (iG, 1.0), (iQ, gam), (iL, -fk), (iN, fk * nv)):
                for sub in range(N_SUB):
                    jc[slots[row, h + sub], ln] = wgt * dd_hot
                jc[slots[row, iL], ln] += wgt * dd_cells * nv
                jc[slots[row, iN], ln] += wgt * dd_cells
            jc[slots[iG, iG], ln] = -les[MU, ln]
            jc[slots[iQ, iG], ln] = ddot
            jc[slots[iL, iG], ln] = -2.0 * beta * ddot
            jc[slots[iN, iG], ln] = 2.0 * beta * ddot * nv
            jc[slots[iN, iL], ln] += kill * nv
            jc[slots[iN, iN], ln] -= les[K_CLEAR, ln]
            if les[GOMPERTZ, ln] > 0.0:
                dg = -les[GROWTH_PER_H, ln] * les[G_NORM, ln] / cells
                jc[slots[iL, iL], ln] += dg * nv
                jc[slots[iL, iN], ln] += dg
            if les[L0, ln] - y[iL, ln] < _MAX_LOG_J:
                jc[slots[iJ, iL], ln] = -math.exp(les[L0, ln] - y[iL, ln])
