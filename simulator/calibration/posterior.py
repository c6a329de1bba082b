"""The posterior over the hyperparameters: emcee on the emulated likelihood.

Prior: uniform on the unit cube of :class:`~.space.Space` (uniform, or log-uniform for a
``log`` hyperparameter, on its range).  Sampler: emcee's affine-invariant ensemble
(Goodman & Weare 2010, doi:10.2140/camcos.2010.5.65; Foreman-Mackey et al. 2013,
doi:10.1086/670067), vectorised over walkers.  The posterior is returned as an xarray Dataset
in ArviZ's layout (dims ``chain`` = walker, ``draw``; one variable per hyperparameter, named
with its unit) and saved as the ``posterior`` and ``sample_stats`` groups of a netCDF file
that ``arviz.from_netcdf`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .emulator import Emulator
from .likelihood import Term, log_likelihood
from .space import Space


@dataclass
class Posterior:
    """MCMC output: ``theta`` (chain, draw, dim) in units, ``log_posterior`` (chain, draw)."""

    space: Space
    theta: np.ndarray
    log_posterior: np.ndarray
    autocorr_steps: np.ndarray
    acceptance: float
    n_steps: int
    burn: int
    thin: int

    def flat(self) -> np.ndarray:
        return self.theta.reshape(-1, self.theta.shape[-1])

    def dataset(self, attrs: dict | None = None) -> xr.Dataset:
        post = xr.Dataset(
            {p.name: (("chain", "draw"), self.theta[..., j], {"long_name": p.description,
                                                              "prior_low": p.low,
                                                              "prior_high": p.high,
                                                              "prior_log_uniform": int(p.log)})
             for j, p in enumerate(self.space.parameters)},
            coords={"chain": np.arange(self.theta.shape[0]),
                    "draw": np.arange(self.theta.shape[1])},
            attrs={"inference_library": "emcee",
                   "chain_note": "chain = emcee walker: walkers of one ensemble are not "
                                 "independent chains, so R-hat over chain does not apply; use "
                                 "the autocorrelation times",
                   "n_steps": self.n_steps, "burn": self.burn,
                   "thin": self.thin, "acceptance_fraction": self.acceptance,
                   **{f"autocorr_steps_{n}": float(t)
                      for n, t in zip(self.space.names, self.autocorr_steps, strict=True)},
                   **(attrs or {})})
        return post

    def save(self, path: Path, attrs: dict | None = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dataset(attrs).to_netcdf(path, group="posterior", mode="w", engine="h5netcdf")
        stats = xr.Dataset({"lp": (("chain", "draw"), self.log_posterior,
                                   {"long_name": "log posterior (emulated), up to a constant"})})
        stats.to_netcdf(path, group="sample_stats", mode="a", engine="h5netcdf")


def load_posterior(path: Path) -> xr.Dataset:
    """The ``posterior`` group of a saved posterior."""
    return xr.load_dataset(path, group="posterior", engine="h5netcdf")


def check_posterior(post: xr.Dataset, space: Space) -> None:
    """ValueError unless the saved posterior holds exactly the hyperparameters of ``space``."""
    names = [str(n) for n in post.data_vars]
    if sorted(names) != sorted(space.names):
        raise ValueError(f"the posterior holds {names}, not the hyperparameters {space.names}: "
                         "fit again (python experiments/calibrate_posterior.py fit)")


def check_draws_of_posterior(theta: np.ndarray, post: xr.Dataset, space: Space,
                             stage: str) -> None:
    """ValueError unless every row of ``theta`` (draw, hyperparameter) is a draw of the saved
    posterior ``post`` (to 1e-12 relative): a file of the ``stage`` stage left over from
    another posterior is refused."""
    check_posterior(post, space)
    flat = np.stack([post[name].values.ravel() for name in space.names], axis=1)
    for k, row in enumerate(np.asarray(theta, dtype=float)):
        if not np.any(np.all(np.isclose(flat, row, rtol=1e-12, atol=0.0), axis=1)):
            raise ValueError(f"{stage} draw {k} is not a draw of the posterior: the {stage} "
                             f"file belongs to another posterior; rerun the {stage} stage")


def posterior_draws(post: xr.Dataset, space: Space, n: int, seed: int) -> np.ndarray:
    """``n`` draws (n, dim) without replacement from a saved posterior."""
    check_posterior(post, space)
    flat = np.stack([post[name].values.ravel() for name in space.names], axis=1)
    if n > len(flat):
        raise ValueError(f"asked {n} posterior draws; the posterior has {len(flat)}")
    idx = np.random.default_rng(seed).choice(len(flat), size=n, replace=False)
    return flat[idx]


def log_posterior_fn(emulator: Emulator, terms: list[Term], n_simulated: int):
    """The vectorised log posterior on the unit cube (-inf outside)."""
    stats = emulator.statistics

    def logp(u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(u)
        out = np.full(len(u), -np.inf)
        inside = np.all((u >= 0.0) & (u <= 1.0), axis=1)
        if inside.any():
            mean, var = emulator.predict(u[inside], noise=False)
            out[inside] = log_likelihood(terms, stats, mean, var, n_simulated)
        return out
    return logp


def sample(space: Space, emulator: Emulator, terms: list[Term], n_simulated: int,
           n_walkers: int = 40, n_steps: int = 4000, burn: int = 1000, thin: int = 10,
           seed: int = 0, start: np.ndarray | None = None, progress: bool = False) -> Posterior:
    """Run emcee; ``start``: unit-cube points around which the walkers start (default the
    centre of the cube); walkers start in a small ball around the best of them."""
    import emcee

    if burn >= n_steps:
        raise ValueError(f"burn = {burn} must be < n_steps = {n_steps}")
    rng = np.random.default_rng(seed)
    logp = log_posterior_fn(emulator, terms, n_simulated)
    cand = np.atleast_2d(start) if start is not None else np.full((1, space.dim), 0.5)
    best = cand[int(np.argmax(logp(cand)))]
    p0 = np.clip(best + 0.02 * rng.standard_normal((n_walkers, space.dim)), 0.001, 0.999)
    # differential-evolution proposals (ter Braak 2006, doi:10.1007/s11222-006-8769-1; with
    # the snooker update, ter Braak & Vrugt 2008, doi:10.1007/s11222-008-9104-9): on the
    # calibration's emulated posterior their autocorrelation time was ~1/3 of the default
    # stretch move's (72 vs 210 steps, docs/calibration.md)
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(n_walkers, space.dim, logp, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    sampler.run_mcmc(p0, n_steps, progress=progress)
    chain = sampler.get_chain(discard=burn, thin=thin)          # (draw, walker, dim)
    lp = sampler.get_log_prob(discard=burn, thin=thin)
    tau = sampler.get_autocorr_time(discard=burn, tol=0)
    kept = n_steps - burn
    if kept < 50 * tau.max() or burn < 5 * tau.max():
        import warnings
        warnings.warn(f"emcee chains may be too short: {kept} steps kept, burn-in {burn}, "
                      f"longest autocorrelation time {tau.max():.0f} steps (want >= 50 and "
                      "<= burn-in / 5); run longer", RuntimeWarning, stacklevel=2)
    theta = space.from_unit(np.swapaxes(chain, 0, 1))
    return Posterior(space, theta, np.swapaxes(lp, 0, 1), tau,
                     float(np.mean(sampler.acceptance_fraction)), n_steps, burn, thin)


def representative_draw(post: xr.Dataset, space: Space) -> np.ndarray:
    """The posterior draw nearest (Euclidean, on the unit cube of the priors) to the vector of
    marginal posterior medians: a single point for runs that need one (the default
    ``cohort=netter1``), jointly plausible because it is a draw.  The distance is over the
    population's hyperparameters (:attr:`Space.population_names`): the study and site ones
    (fifth calibration) do not enter ``cohort=netter1``."""
    check_posterior(post, space)
    flat = np.stack([post[name].values.ravel() for name in space.names], axis=1)
    u = space.to_unit(flat)
    keep = np.isin(space.names, space.population_names)
    centre = np.median(u[:, keep], axis=0)
    return flat[int(np.argmin(((u[:, keep] - centre) ** 2).sum(axis=1)))]


def best_predictive_draw(predictive: xr.Dataset, terms: list[Term], space: Space,
                         posterior: xr.Dataset | None = None
                         ) -> tuple[int, np.ndarray, np.ndarray]:
    """The posterior-predictive draw whose *simulated* virtual trial fits the declared
    targets best: ``(index, theta, log_likelihood per draw)``.

    ``predictive`` is the Dataset of ``calibrate_posterior.py predictive`` (one virtual trial
    per posterior draw: ``theta`` (draw, hyperparameter), ``statistic_value`` (draw,
    statistic), attribute ``n_patients_per_arm``).  Each draw's simulated statistics enter the
    calibration likelihood (:func:`~.likelihood.log_likelihood`) with the simulator's Monte
    Carlo variance and no emulator variance; the draw with the largest sum over the terms is
    returned.  The choice is among posterior draws, so the point stays jointly plausible;
    unlike :func:`representative_draw` (nearest the marginal medians, a point that need not
    reproduce the trial) it is chosen for what it simulates, which is what a default
    ``cohort=netter1`` is for (docs/calibration.md §10).  With ``posterior`` (the posterior
    Dataset), every predictive draw must be one of its draws: a predictive file left over
    from another posterior is refused.
    """
    names = [str(h) for h in predictive.hyperparameter.values]
    if names != list(space.names):
        raise ValueError(f"predictive Dataset has hyperparameters {names}; this calibration "
                         f"space has {list(space.names)}: rerun the predictive stage")
    if posterior is not None:
        check_draws_of_posterior(predictive.theta.values, posterior, space, "predictive")
    stats = [str(s) for s in predictive.statistic.values]
    missing = sorted({t.statistic for t in terms} - set(stats))
    if missing:
        raise ValueError(f"predictive Dataset lacks the statistics {missing} of the targets")
    values = np.asarray(predictive.statistic_value.values, dtype=float)
    n_sim = int(predictive.attrs["n_patients_per_arm"])
    ll = log_likelihood(terms, stats, values, np.zeros_like(values), n_sim)
    if not np.isfinite(ll).any():
        raise ValueError("no predictive draw has a finite simulated log-likelihood")
    i = int(np.nanargmax(np.where(np.isfinite(ll), ll, -np.inf)))
    return i, np.asarray(predictive.theta.values[i], dtype=float), ll
