"""Observation model: how the clinic measures the simulated truth (docs/model.md §8.5).

The simulation knows every lesion's true volume and dose; a trial sees them through
measurement error and on visit dates that drift from the schedule.  These functions take
the true quantities and per-patient variates (:func:`simulator.cohort.observation_variates`,
seeded stream 3) and return what is measured:

- target diameters with multiplicative lognormal error (median = true value), independent
  per lesion and assessment (Yoon et al. 2016, doi:10.1016/j.ejca.2015.10.014); a lesion
  below the detectability limit stays unmeasurable (0 mm);
- visit dates: the nominal time plus a uniform jitter of +- ``visit_jitter_weeks`` (baseline
  kept at 0).  The tumour state is the one at the nominal time (a week is short against the
  months over which lesions change): only the recorded dates move;
- absorbed doses per cycle (kidney, lesions) with lognormal error;
- new lesions: the first new lesion appears at an exponential time with the patient's
  hazard; from the first assessment at or after it, RECIST 1.1 calls progression
  (Eisenhauer 2009, section 4.3.3: an unequivocal new lesion is PD).

All arrays carry a leading patient axis; every function is pure numpy.
"""

from __future__ import annotations

import numpy as np

from .recist import NOT_EVALUABLE, PD


def lognormal_sigma(cv: float) -> float:
    """Log-scale SD of a lognormal error with coefficient of variation ``cv``."""
    return float(np.sqrt(np.log1p(cv * cv)))


def measured(true_values: np.ndarray, z: np.ndarray, cv: float) -> np.ndarray:
    """Measured value of ``true_values`` with lognormal error (median = true value).

    ``z`` are standard normal variates of the same shape; ``cv`` = 0 returns the truth.
    """
    if cv == 0.0:
        return np.asarray(true_values, dtype=float)
    return true_values * np.exp(lognormal_sigma(cv) * z)


def visit_times_h(nominal_h: np.ndarray, u: np.ndarray, jitter_h: float) -> np.ndarray:
    """(n, A) recorded visit times: nominal (A,) plus U(-jitter, +jitter) from ``u`` (n, A)
    uniforms; the baseline visit (column 0) stays at its nominal time."""
    t = nominal_h[None, :] + (2.0 * u - 1.0) * jitter_h
    t[:, 0] = nominal_h[0]
    return t


def first_new_lesion_h(u: np.ndarray, rate_per_h: np.ndarray) -> np.ndarray:
    """(n,) time of the first new lesion (h) from uniforms ``u``; inf at zero hazard."""
    with np.errstate(divide="ignore"):
        return np.where(rate_per_h > 0.0, -np.log1p(-u) / np.where(rate_per_h > 0, rate_per_h,
                                                                    1.0), np.inf)


def with_new_lesions(codes: np.ndarray, visit_h: np.ndarray, new_lesion_h: np.ndarray
                     ) -> np.ndarray:
    """RECIST codes (n, A - 1) of the assessments after baseline with PD from the first visit
    at or after the patient's first new lesion; ``visit_h`` (n, A) includes baseline."""
    later = visit_h[:, 1:] >= new_lesion_h[:, None]
    return np.where(later & (codes != NOT_EVALUABLE), PD, codes)
