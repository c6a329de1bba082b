"""Sparsity structure of the Jacobian, found once per model layout (Python).

The linear solves of Rodas4 dominate the engine's cost.  Their structure is read off
the Jacobian's sparsity pattern (:func:`structural_pattern`) and turned into the
solve order used by :mod:`simulator.engine.bordered` (:func:`solver_structure`):

1. the strongly connected components of the dependency graph (``i`` depends on ``j``
   where ``J[i, j] != 0``, scipy.sparse.csgraph): one *core* component of mutually
   dependent states, every other one a single state;
2. no core state may depend on a state outside the core; the others, in a
   topological order, become *downstream* states solved by substitution;
3. the core without the hub states (plasma) falls apart into blocks (weakly
   connected components), which gives the block-arrowhead order of the core.

Every assumption is checked; a model change that breaks one raises here, before any
integration, instead of giving a wrong solve.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def structural_pattern(jac, args: tuple, n: int, fixed=(), draws: int = 3,
                       seed: int = 0) -> np.ndarray:
    """Union of the nonzero patterns of ``jac`` at random positive states and arguments.

    Every float array in ``args`` except those at the indices in ``fixed`` (tables such
    as the sphere S-values) is replaced by uniform draws in [0.5, 1.5], so that every
    branch and every parameter-dependent entry is exercised; an entry that vanishes
    only on a set of measure zero is found with probability one.
    """
    rng = np.random.default_rng(seed)
    pattern = np.zeros((n, n), dtype=bool)
    for _ in range(draws):
        rand = tuple(a if i in fixed or not np.issubdtype(np.asarray(a).dtype, np.floating)
                     else rng.uniform(0.5, 1.5, np.shape(a)) for i, a in enumerate(args))
        jm = np.zeros((n, n))
        jac(0.0, rng.uniform(0.5, 1.5, n), rand, jm)
        pattern |= jm != 0.0
    return pattern


def solver_structure(pattern: np.ndarray, hub) -> tuple[np.ndarray, ...]:
    """Solve order ``(core, bptr, down, dptr, dcols)`` for :mod:`simulator.engine.bordered`.

    Parameters
    ----------
    pattern : bool array (n, n)
        ``pattern[i, j]``: state i's derivative depends on state j.
    hub : sequence of int
        Core states through which the blocks communicate (plasma).

    Returns
    -------
    core : int64 array
        Core states, block by block, the hub last.
    bptr : int64 array
        Block boundaries in ``core`` (the last block is the hub).
    down : int64 array
        Downstream states in solve order.
    dptr, dcols : int64 arrays
        ``dcols[dptr[i]:dptr[i + 1]]``: the states (other than itself) that ``down[i]``
        depends on, all solved before it.
    """
    n = pattern.shape[0]
    offdiag = pattern & ~np.eye(n, dtype=bool)
    n_comp, label = connected_components(csr_matrix(offdiag.T), directed=True,
                                         connection="strong")
    sizes = np.bincount(label, minlength=n_comp)
    big = np.flatnonzero(sizes > 1)
    if big.size != 1:
        raise ValueError(f"expected one coupled core, found {big.size} components of "
                         f"sizes {sorted(sizes[big].tolist())}")
    in_core = label == big[0]
    hub = np.asarray(hub, dtype=np.int64)
    if not in_core[hub].all():
        raise ValueError("a hub state is not part of the coupled core")
    outside_inputs = offdiag[in_core][:, ~in_core]
    if outside_inputs.any():
        raise ValueError("a core state depends on a state outside the core")
    # blocks: weakly connected components of the core without the hub
    rest = np.flatnonzero(in_core & ~np.isin(np.arange(n), hub))
    sub = offdiag[np.ix_(rest, rest)]
    n_blk, blk = connected_components(csr_matrix(sub | sub.T), directed=False)
    order = sorted(range(n_blk), key=lambda b: rest[blk == b].min())
    blocks = [rest[blk == b] for b in order] + [np.sort(hub)]
    core = np.concatenate(blocks).astype(np.int64)
    bptr = np.concatenate([[0], np.cumsum([b.size for b in blocks])]).astype(np.int64)
    # downstream states in a topological order of their dependencies
    outside = np.flatnonzero(~in_core)
    graph = {int(i): [int(j) for j in np.flatnonzero(offdiag[i]) if not in_core[j]]
             for i in outside}
    down = np.asarray(list(TopologicalSorter(graph).static_order()), dtype=np.int64)
    deps = [np.flatnonzero(offdiag[d]) for d in down]
    dptr = np.concatenate([[0], np.cumsum([d.size for d in deps])]).astype(np.int64)
    dcols = (np.concatenate(deps) if deps else np.zeros(0)).astype(np.int64)
    return core, bptr, down, dptr, dcols
