"""Gaussian-process emulators of the summary statistics over the hyperparameter space.

One scikit-learn ``GaussianProcessRegressor`` per statistic, on the unit cube of
:class:`~.space.Space`: a constant x anisotropic Matern-5/2 kernel plus a white-noise term
(the Monte Carlo noise that the common random numbers leave between design points), its
hyperparameters by maximum marginal likelihood with restarts.  Rates are emulated on the
arcsine-square-root scale, on which binomial noise has nearly constant variance
(1 / (4 n)); the prediction is returned on the statistic's own scale, its variance by the
delta method.  :func:`cross_validate` measures how well the emulators predict design points
they were not fitted to.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from sklearn.exceptions import ConvergenceWarning

#: statistics emulated on the arcsine-square-root scale (fractions in [0, 1])
RATE_PREFIXES = ("orr_", "pfs", "swog_", "recist_cr", "kwekkeboom_", "ezziddin_")


def is_rate(statistic: str) -> bool:
    return statistic.startswith(RATE_PREFIXES)


def _forward(stat: str, y: np.ndarray) -> np.ndarray:
    return np.arcsin(np.sqrt(np.clip(y, 0.0, 1.0))) if is_rate(stat) else y


def _backward(stat: str, z: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of sin(Z)^2 for Z ~ N(z, var): exact (E cos 2Z = exp(-2 var) cos 2z),
    so that a rate near 0 keeps its uncertainty (the delta method gives 0 there)."""
    if not is_rate(stat):
        return z, var
    c2 = np.exp(-2.0 * var) * np.cos(2.0 * z)
    c4 = np.exp(-8.0 * var) * np.cos(4.0 * z)
    mean = 0.5 * (1.0 - c2)
    return mean, np.maximum(0.25 * (0.5 * (1.0 + c4) - c2 ** 2), 0.0)


def _gp(dim: int, seed: int):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = (ConstantKernel(1.0, (1e-3, 1e3))
              * Matern(length_scale=np.full(dim, 0.5), length_scale_bounds=(0.03, 30.0),
                       nu=2.5)
              + WhiteKernel(1e-3, (1e-8, 1.0)))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=3,
                                    random_state=seed)


@dataclass
class Emulator:
    """Fitted emulators of ``statistics`` (:meth:`fit`); :meth:`predict` on the unit cube."""

    statistics: list[str]
    seed: int = 0
    models: dict = field(default_factory=dict)
    #: factor per statistic on the predictive variance (:meth:`calibrate_variance`)
    variance_factor: dict = field(default_factory=dict)

    def fit(self, u: np.ndarray, values: np.ndarray) -> Emulator:
        """Fit on design points ``u`` (n, dim) in the unit cube, ``values`` (n, n_stats)."""
        u, values = np.asarray(u, float), np.asarray(values, float)
        if values.shape != (len(u), len(self.statistics)):
            raise ValueError(f"values shape {values.shape} != ({len(u)}, "
                             f"{len(self.statistics)})")
        for j, stat in enumerate(self.statistics):
            ok = np.isfinite(values[:, j])
            if ok.sum() < 10:
                raise ValueError(f"statistic {stat}: only {ok.sum()} finite design values")
            gp = _gp(u.shape[1], self.seed)
            with warnings.catch_warnings():
                # a length scale at its upper bound = a statistic flat in that direction
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(u[ok], _forward(stat, values[ok, j]))
            self.models[stat] = gp
        return self

    def predict(self, u: np.ndarray, noise: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance (m, n_stats) of each statistic at ``u`` (m, dim), on the
        statistic's own scale.  ``noise``: include the fitted white noise (what a new design
        point would show, for cross-validation); without it, the variance of the emulated
        smooth surface only (for the likelihood, which adds the Monte Carlo variance itself:
        with common random numbers the shared cohort's error is invisible to the GP)."""
        u = np.atleast_2d(np.asarray(u, float))
        mean = np.empty((len(u), len(self.statistics)))
        var = np.empty_like(mean)
        for j, stat in enumerate(self.statistics):
            gp = self.models[stat]
            full = gp.kernel_
            if not noise:
                gp.kernel_ = full.k1      # constant x Matern: the latent process
            try:
                z, sd = gp.predict(u, return_std=True)
            finally:
                gp.kernel_ = full
            mean[:, j], var[:, j] = _backward(stat, z, sd ** 2)
            var[:, j] *= self.variance_factor.get(stat, 1.0)
        return mean, var

    def calibrate_variance(self, cv: dict[str, dict[str, float]]) -> Emulator:
        """Scale each statistic's predictive variance by the squared RMS standardised
        cross-validation error when that exceeds 1 (never shrink it): an emulator that is
        overconfident on held-out design points is made honest on them."""
        self.variance_factor = {s: max(1.0, cv[s]["z_rms"] ** 2) for s in self.statistics}
        return self

    def kernels(self) -> dict[str, str]:
        return {s: str(m.kernel_) for s, m in self.models.items()}


def design_arrays(design: xr.Dataset, space, statistics: list[str]):
    """Unit-cube inputs and the chosen statistics' values of a design Dataset."""
    u = space.to_unit(design.theta.values)
    values = design.statistic_value.sel(statistic=statistics).values
    return u, values


def cross_validate(u: np.ndarray, values: np.ndarray, statistics: list[str], k: int = 5,
                   seed: int = 0) -> dict[str, dict[str, float]]:
    """k-fold cross-validation: per statistic, the RMS error, R^2 and the RMS of the
    standardised error (error / predictive sd; about 1 if the emulator's variance is honest)
    over held-out design points."""
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(u)) % k
    pred = np.full(values.shape, np.nan)
    sd = np.full(values.shape, np.nan)
    for f in range(k):
        em = Emulator(statistics, seed).fit(u[fold != f], values[fold != f])
        m, v = em.predict(u[fold == f])
        pred[fold == f], sd[fold == f] = m, np.sqrt(v)
    out = {}
    for j, stat in enumerate(statistics):
        ok = np.isfinite(values[:, j])
        err = pred[ok, j] - values[ok, j]
        ss = np.sum((values[ok, j] - values[ok, j].mean()) ** 2)
        out[stat] = {"rmse": float(np.sqrt(np.mean(err ** 2))),
                     "r2": float(1.0 - np.sum(err ** 2) / ss) if ss > 0 else float("nan"),
                     "z_rms": float(np.sqrt(np.mean((err / sd[ok, j]) ** 2)))}
    return out
