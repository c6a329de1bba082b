"""Sparse direct solve of ``(I/(h gamma) - J) k = b`` for the coupled model (numba kernels).

The coupled model's Jacobian has an exact structure (:mod:`simulator.engine.structure`):

* a *core* of mutually dependent states which, ordered as diagonal blocks followed by a
  *hub*, is block-arrowhead (bordered block-diagonal)::

      [B_1           E_1]      B_m: one tissue's free/bound peptide of both species
      [     ...      ...]      (+ a lesion's cell, repair and hot internalised states),
      [          B_m E_m]      the rest of body; hub: plasma (hot, cold) -- tissues
      [F_1  ...  F_m  H ]      exchange peptide only through plasma;

* *downstream* states that no core state depends on (tubular cells, metabolite,
  urine, organs' internalised peptide, the organs-at-risk repair states, every dose
  and integral accumulator), in an order where each depends only on the core and on
  earlier ones: their increments follow by substitution, one division each.

The LU factorisation of the arrowhead eliminates each block with partial pivoting
inside the block, updating only its own rows and the hub rows; no fill-in arises
outside the blocks and the hub, so it costs ``sum (b_i + h)^3``-ish instead of ``n^3``
and gives the same solution as a dense LU up to rounding.
"""

from __future__ import annotations

import numba

from ..jit import JIT


@numba.njit(**JIT)
def _eliminate(a, i, k, inv, e, h0, nc, hub):
    """Row i -= (a[i, k] / a[k, k]) row k over row k's nonzero columns (its block, hub)."""
    m = a[i, k] * inv
    a[i, k] = m
    if m != 0.0:
        for j in range(k + 1, e):
            a[i, j] -= m * a[k, j]
        if not hub:
            for j in range(h0, nc):
                a[i, j] -= m * a[k, j]


@numba.njit(**JIT)
def factor_bordered(a, piv, bptr):
    """LU-factorise the core matrix ``a[:nc, :nc]`` in place (block-arrowhead order).

    ``bptr`` (int64, m + 2): block boundaries; the last block, ``bptr[-2]:bptr[-1]``, is
    the hub.  Pivots are searched within each block; ``piv[k]`` records the row swapped
    with row k.  Entries of ``a`` outside the blocks, their hub columns and the hub rows
    are never read.  Returns 0 on success, ``k + 1`` for an exactly zero pivot.
    """
    nblk = bptr.size - 1
    h0, nc = bptr[nblk - 1], bptr[nblk]
    for blk in range(nblk):
        s, e = bptr[blk], bptr[blk + 1]
        hub = blk == nblk - 1
        for k in range(s, e):
            p, amax = k, abs(a[k, k])
            for i in range(k + 1, e):
                if abs(a[i, k]) > amax:
                    p, amax = i, abs(a[i, k])
            piv[k] = p
            if amax == 0.0:
                return k + 1
            if p != k:  # whole rows, multipliers included: a block row's nonzeros lie in
                # its block and the hub columns, a hub row's anywhere
                for j in range(0 if hub else s, e):
                    a[k, j], a[p, j] = a[p, j], a[k, j]
                if not hub:
                    for j in range(h0, nc):
                        a[k, j], a[p, j] = a[p, j], a[k, j]
            inv = 1.0 / a[k, k]
            for i in range(k + 1, e):
                _eliminate(a, i, k, inv, e, h0, nc, hub)
            if not hub:
                for i in range(h0, nc):
                    _eliminate(a, i, k, inv, e, h0, nc, hub)
    return 0


@numba.njit(**JIT)
def solve_bordered(a, piv, bptr, x):
    """Solve in place in ``x`` (core order) with ``a, piv`` from :func:`factor_bordered`."""
    nblk = bptr.size - 1
    h0, nc = bptr[nblk - 1], bptr[nblk]
    for k in range(nc):
        p = piv[k]
        if p != k:
            x[k], x[p] = x[p], x[k]
    for blk in range(nblk - 1):  # forward: block rows see their own block
        s, e = bptr[blk], bptr[blk + 1]
        for i in range(s + 1, e):
            acc = x[i]
            for j in range(s, i):
                acc -= a[i, j] * x[j]
            x[i] = acc
    for i in range(h0, nc):  # hub rows see every earlier column
        acc = x[i]
        for j in range(i):
            acc -= a[i, j] * x[j]
        x[i] = acc
    for i in range(nc - 1, h0 - 1, -1):  # backward: hub first
        acc = x[i]
        for j in range(i + 1, nc):
            acc -= a[i, j] * x[j]
        x[i] = acc / a[i, i]
    for blk in range(nblk - 1):
        s, e = bptr[blk], bptr[blk + 1]
        for i in range(e - 1, s - 1, -1):
            acc = x[i]
            for j in range(i + 1, e):
                acc -= a[i, j] * x[j]
            for j in range(h0, nc):
                acc -= a[i, j] * x[j]
            x[i] = acc / a[i, i]


@numba.njit(**JIT)
def assemble_core(e, jm, core, bptr, fac):
    """Write ``fac I - J`` restricted to the core (core order) into ``e``: only the
    entries :func:`factor_bordered` reads."""
    nblk = bptr.size - 1
    h0, nc = bptr[nblk - 1], bptr[nblk]
    for blk in range(nblk - 1):
        s, en = bptr[blk], bptr[blk + 1]
        for a in range(s, en):
            r = core[a]
            for b in range(s, en):
                e[a, b] = -jm[r, core[b]]
            for b in range(h0, nc):
                e[a, b] = -jm[r, core[b]]
            e[a, a] += fac
    for a in range(h0, nc):
        r = core[a]
        for b in range(nc):
            e[a, b] = -jm[r, core[b]]
        e[a, a] += fac


@numba.njit(**JIT)
def solve_structured(e, piv, jm, k, g, structure, fac):
    """Solve ``(fac I - J) x = k`` in place in ``k`` (full state order).

    ``structure = (core, bptr, down, dptr, dcols)`` from
    :func:`simulator.engine.structure.solver_structure`; ``e, piv`` hold the factorised
    core (:func:`assemble_core`, :func:`factor_bordered`); ``g`` is scratch of length n.
    """
    core, bptr, down, dptr, dcols = structure
    nc = core.size
    for a in range(nc):
        g[a] = k[core[a]]
    solve_bordered(e, piv, bptr, g)
    for a in range(nc):
        k[core[a]] = g[a]
    for idx in range(down.size):  # (fac - J_dd) x_d = b_d + sum_j J_dj x_j, j solved before
        d = down[idx]
        acc = k[d]
        for c in range(dptr[idx], dptr[idx + 1]):
            acc += jm[d, dcols[c]] * k[dcols[c]]
        k[d] = acc / (fac - jm[d, d])
