"""Virtual-patient sampling: parameter values, generated lesions and cure variates
(docs/model.md §9).

Every function takes the root ``seed`` and a patient range ``[start, stop)`` and returns
values that are bit-identical for a patient whatever chunk it is drawn in.

* ``sampling: random``: patient i draws k standard normals from its stream 0
  (parameters in sorted path order), correlated by the Cholesky factor of the copula.
* ``sampling: sobol`` / ``halton``: a scrambled low-discrepancy sequence in k dimensions
  (scrambling seeded by ``seed``), fast-forwarded to ``start``; its uniforms are mapped to
  normals, correlated, and back.

Either way u = Phi(x) goes through each marginal's inverse CDF.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from ..config.rules import describe_bounds, fail, out_of_bounds
from ..config.validation import PARAMETERS as FIELD
from ..config.validation import check_sampleable
from .copula import correlated_normals, correlation_matrix
from .distributions import Distribution, parse_distribution
from .lesions import parse_lesions, sample_lesions
from .seeding import CURE, OBSERVATION, PARAMETERS, patient_generator

U_CLIP = 1e-12


def parse_parameters(cohort_cfg: dict) -> tuple[list[str], dict[str, Distribution], np.ndarray]:
    """Sorted parameter paths, their distributions and the copula's Cholesky factor."""
    params = cohort_cfg.get("parameters") or {}
    names = sorted(params)
    dists = {name: parse_distribution(name, params[name]) for name in names}
    corr = correlation_matrix(names, list(cohort_cfg.get("correlations") or []))
    return names, dists, np.linalg.cholesky(corr)


def _qmc_normals(method: str, k: int, seed: int, start: int, stop: int) -> np.ndarray:
    from scipy.stats import qmc  # here, not at import: scipy.stats slows every CLI start

    engine_cls = {"sobol": qmc.Sobol, "halton": qmc.Halton}[method]
    # rng= (not the deprecated seed=, whose integer seeding differs) seeds the scrambling.
    engine = engine_cls(d=k, scramble=True, rng=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The balance properties of Sobol")
        if start > 0:
            engine.fast_forward(start)
        u = engine.random(stop - start)
    return special.ndtri(np.clip(u, U_CLIP, 1.0 - U_CLIP))


def sample_parameters(cohort_cfg: dict, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Values of every sampled parameter for patients ``[start, stop)``.

    Parameters
    ----------
    cohort_cfg : dict
        The ``cohort`` section of a validated config.
    seed : int
        Root seed of the run.
    start, stop : int
        Patient index range (0 <= start <= stop).

    Returns
    -------
    dict of str -> ndarray, shape (stop - start,)
        Keyed by dotted config path; values in the unit of that config field.
    """
    names, dists, chol = parse_parameters(cohort_cfg)
    k, n = len(names), stop - start
    if k == 0:
        return {}
    method = cohort_cfg.get("sampling", "random")
    if method == "random":
        z = np.empty((n, k))
        for row, patient in enumerate(range(start, stop)):
            z[row] = patient_generator(seed, patient, PARAMETERS).standard_normal(k)
    else:
        z = _qmc_normals(method, k, seed, start, stop)
    u = special.ndtr(correlated_normals(z, chol))
    return {name: dists[name].ppf(u[:, i]) for i, name in enumerate(names)}


def observation_variates(seed: int, start: int, stop: int, n_lesions: int, n_assessments: int,
                         n_cycles: int) -> dict[str, np.ndarray]:
    """Per-patient variates of the observation model (stream 3), drawn in a fixed order.

    ``new_lesion_u`` (n,) uniform; ``visit_u`` (n, A) uniform; ``diameter_z`` (n, L, A),
    ``lesion_dose_z`` (n, L, C) and ``kidney_dose_z`` (n, C) standard normal.  The shapes
    are the same for every chunk of a run (L is the padded lesion width), so the variates
    do not depend on the chunking.
    """
    n = stop - start
    out = {"new_lesion_u": np.empty(n), "visit_u": np.empty((n, n_assessments)),
           "diameter_z": np.empty((n, n_lesions, n_assessments)),
           "lesion_dose_z": np.empty((n, n_lesions, n_cycles)),
           "kidney_dose_z": np.empty((n, n_cycles))}
    for row, patient in enumerate(range(start, stop)):
        g = patient_generator(seed, patient, OBSERVATION)
        out["new_lesion_u"][row] = g.random()
        out["visit_u"][row] = g.random(n_assessments)
        out["diameter_z"][row] = g.standard_normal((n_lesions, n_assessments))
        out["lesion_dose_z"][row] = g.standard_normal((n_lesions, n_cycles))
        out["kidney_dose_z"][row] = g.standard_normal(n_cycles)
    return out


def cure_uniforms(seed: int, start: int, stop: int) -> np.ndarray:
    """One U(0, 1) variate per patient from stream 2: patient i is cured when ``u_i < TCP_i``."""
    return np.array([patient_generator(seed, p, CURE).random() for p in range(start, stop)])


def check_median(path: str, dist: Distribution, leaf: type, meta: dict) -> None:
    """A distribution fits its field: integers for an int field, median within the bounds."""
    field = f"{FIELD}.{path}"
    if leaf is int and not dist.integer_valued:
        fail(field, dist.kind, "an integer field takes a fixed integer or a choice of integers")
    bounds = meta.get("bounds")
    median = dist.median()
    if bounds is not None and out_of_bounds(median, bounds):
        fail(field, median, "the median must lie in the allowed range of "
                            f"{path}: {describe_bounds(path, bounds, meta.get('unit', ''))}")


def validate_cohort(cfg: dict) -> None:
    """Check ``cfg['cohort']`` against the composed config ``cfg`` at compose time.

    Parses every distribution and ``cohort.lesions``, checks that every parameter path is a
    sampleable numeric field (integer-valued for int fields, median within its bounds) and
    that the correlation matrix is positive definite.

    Raises
    ------
    ConfigError
        Naming the ``cohort.*`` field at fault.
    """
    cohort = cfg["cohort"]
    names, dists, _ = parse_parameters(cohort)
    for name in names:
        leaf, meta = check_sampleable(name, cfg, cohort["parameters"][name])
        check_median(name, dists[name], leaf, meta)
    if cohort.get("lesions") is not None:
        parse_lesions(cohort["lesions"])


__all__ = ["check_median", "cure_uniforms", "parse_parameters", "patient_generator",
           "sample_lesions", "sample_parameters", "validate_cohort"]
