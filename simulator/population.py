"""Per-patient parameter columns of a chunk of virtual patients.

A :class:`Columns` object answers ``cols("patient.gfr_ml_per_min")`` with one value
per patient: the sampled values where the cohort varies that parameter, otherwise
the config value broadcast.  :class:`LesionArrays` holds the lesions of every
patient, padded to the largest count (NaN volume and site ``""`` beyond a
patient's own count).  A single patient is a chunk of size 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config.dotted import get


class Columns:
    """Parameter values per patient for a chunk of ``n`` patients."""

    def __init__(self, cfg: dict, n: int, sampled: dict[str, np.ndarray] | None = None):
        self.cfg, self.n, self.sampled = cfg, n, dict(sampled or {})

    def scalar(self, path: str):
        """The config's value at ``path`` (not per patient)."""
        return get(self.cfg, path)

    def with_nan(self, path: str) -> np.ndarray:
        """Like calling the columns, with NaN for an optional field set to ``None``."""
        if path not in self.sampled and self.scalar(path) is None:
            return np.full(self.n, np.nan)
        return self(path)

    def __call__(self, path: str) -> np.ndarray:
        if path in self.sampled:
            return np.asarray(self.sampled[path], dtype=float)
        return np.full(self.n, float(self.scalar(path)))


@dataclass(frozen=True)
class LesionArrays:
    """Lesions of a chunk of patients, padded to ``len(names)``."""

    names: tuple[str, ...]
    count: np.ndarray                      # (n,) int
    volume_ml: np.ndarray                  # (n, L), NaN beyond count
    site: np.ndarray                       # (n, L) str, "" beyond count
    sstr_density_nmol_per_l: np.ndarray    # (n, L)
    perfusion_ml_per_min_per_ml: np.ndarray  # (n, L)
    alpha_factor: np.ndarray | None = None  # (n, L) lesion radiosensitivity / patient's, 1
    growth_offset_percent_per_month: np.ndarray | None = None  # (n, L) lesion - patient growth

    @property
    def present(self) -> np.ndarray:
        return np.arange(len(self.names))[None, :] < self.count[:, None]
