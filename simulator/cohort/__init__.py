"""Virtual-patient cohorts: distributions, Gaussian copula, per-patient seeding (docs/model.md §9).

Pure Python/numpy/scipy; the engine receives the sampled arrays.
"""

from .copula import correlated_normals, correlation_matrix
from .distributions import Distribution, parse_distribution
from .lesions import LesionSpec, parse_lesions, sample_lesions
from .sampling import (
    cure_uniforms,
    observation_variates,
    parse_parameters,
    sample_parameters,
    validate_cohort,
)
from .seeding import patient_generator

__all__ = [
    "Distribution", "LesionSpec", "correlated_normals", "correlation_matrix",
    "cure_uniforms", "observation_variates", "parse_distribution", "parse_lesions",
    "parse_parameters",
    "patient_generator", "sample_lesions", "sample_parameters", "validate_cohort",
]
