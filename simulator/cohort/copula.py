"""Gaussian copula: correlated standard normals for the sampled parameters (docs/model.md §9.2).

Independent standard normals ``z`` become correlated normals ``x = z L^T`` with ``L``
the Cholesky factor of the correlation matrix ``C``; ``u = Phi(x)`` then drives each
marginal's inverse CDF, so the marginals are kept exactly and the rank correlation
follows ``C`` (Spearman rho_s = (6/pi) arcsin(rho/2)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..config.rules import fail

FIELD = "cohort.correlations"


def _pair(index: int, entry: Any, names: list[str]) -> tuple[str, str, float]:
    field = f"{FIELD}[{index}]"
    if not isinstance(entry, dict) or set(entry) != {"a", "b", "rho"}:
        fail(field, entry, "expected a mapping {a: <parameter path>, b: <parameter path>, rho: r}")
    a, b, rho = entry["a"], entry["b"], entry["rho"]
    for key, name in (("a", a), ("b", b)):
        if name not in names:
            fail(f"{field}.{key}", name, f"must be one of the sampled parameters {names}")
    if a == b:
        fail(f"{field}.b", b, "must differ from a (a parameter's self-correlation is 1)")
    if (isinstance(rho, bool) or not isinstance(rho, (int, float)) or not math.isfinite(rho)
            or abs(rho) >= 1):
        fail(f"{field}.rho", rho, "allowed range is -1 < rho < 1")
    return a, b, float(rho)


def with_correlation(pairs, a: str, b: str, rho: float) -> list[dict]:
    """``cohort.correlations`` entries ``pairs`` with the correlation of ``a`` and ``b`` set
    to ``rho``: an earlier entry of that pair (either order) is replaced, the others kept."""
    kept = [dict(c) for c in (pairs or []) if {c["a"], c["b"]} != {a, b}]
    return [*kept, {"a": a, "b": b, "rho": float(rho)}]


def correlation_matrix(names: list[str], pairs: list[dict]) -> np.ndarray:
    """Correlation matrix of the copula's normals, checked positive definite.

    Parameters
    ----------
    names : list of str
        Sampled parameter paths, in the order of the matrix rows.
    pairs : list of dict
        Entries ``{a: path, b: path, rho: r}`` (|r| < 1); unlisted pairs are uncorrelated.

    Returns
    -------
    ndarray, shape (k, k)
        The correlation matrix ``C``.

    Raises
    ------
    ConfigError
        Naming ``cohort.correlations`` for a malformed or duplicate entry, an unknown
        parameter, |rho| >= 1, or a matrix that is not positive definite (with its eigenvalues).
    """
    if not isinstance(pairs, list):
        fail(FIELD, pairs, "expected a list of {a, b, rho} entries")
    corr = np.eye(len(names))
    seen: set[frozenset] = set()
    for index, entry in enumerate(pairs):
        a, b, rho = _pair(index, entry, list(names))
        key = frozenset((a, b))
        if key in seen:
            fail(f"{FIELD}[{index}]", entry, f"duplicate entry for the pair ({a}, {b})")
        seen.add(key)
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = rho
    try:
        np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        eigenvalues = ", ".join(f"{v:.3g}" for v in np.linalg.eigvalsh(corr))
        fail(FIELD, pairs, f"the correlation matrix over {list(names)} must be positive "
                           f"definite, but its eigenvalues are [{eigenvalues}]")
    return corr


def correlated_normals(z: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """Correlate independent standard normals: ``z @ chol.T``.

    Parameters
    ----------
    z : ndarray, shape (n, k)
        Independent standard normal variates, one row per patient.
    chol : ndarray, shape (k, k)
        Lower Cholesky factor of the correlation matrix.

    Returns
    -------
    ndarray, shape (n, k)
        Correlated standard normals.  Computed column by column with elementwise
        operations (not BLAS), so each row depends only on its own inputs and the result
        is bit-identical whatever the number of rows in a chunk.
    """
    z = np.asarray(z, dtype=float)
    x = np.zeros_like(z)
    for i in range(chol.shape[0]):
        for j in range(i + 1):
            if chol[i, j] != 0.0:
                x[:, i] += z[:, j] * chol[i, j]
    return x
