"""Bayesian update of one patient: adaptive importance sampling over virtual twins.

Prior: the population (``settings.prior``) around the patient's known values
(:mod:`simulator.personal.prior`), in the standard-normal space ``z`` of the cohort
machinery.  Likelihood: the measurement model (:mod:`simulator.personal.likelihood`).

Sampler.  Each round draws twins from a proposal q(z), simulates them in one batch of the
engine (one run gives the predicted measurements *and* the whole course, the simulation
being causal) and weights each by w = p(z) L(y | z) / q(z).  Round 0 proposes from the
prior (plain importance sampling, the founding-case twins' approach of
:mod:`simulator.inference` with weights instead of accept/reject).  Precise SPECT data on a
few regions concentrate the posterior far inside the prior, and plain prior sampling then
leaves a handful of twins with all the weight; so, while a round's effective sample size
(Kish, ESS = 1 / sum w^2) is below ``target_ess_fraction`` of its twins, the next proposal
is a defensive mixture (Hesterberg 1995, doi:10.1080/00401706.1995.10484303) of the prior
(share ``defensive_fraction``, which bounds every weight by L / share) and a Student-t fitted
to the weighted twins (population Monte Carlo, Cappé et al. 2004,
doi:10.1198/106186004X12803).  The posterior is the final round of ``n_twins`` twins: its
self-normalised weights are exact in the limit of many twins whatever the proposal.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import stats

from .course import Predicted, simulate_twins
from .likelihood import MeasurementModel, measurement_model, stack
from .measurements import PatientFile, check_against_config
from .prior import Prior, build_prior
from .settings import Settings

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class WeakPosteriorWarning(UserWarning):
    """The posterior rests on few effective twins: raise sampler.n_twins (or pilot rounds)."""


@dataclass
class Proposal:
    """Defensive mixture: ``share`` x N(0, I) + (1 - share) x t_df(loc, shape); None loc:
    the prior alone."""

    dim: int
    share: float = 1.0
    loc: np.ndarray | None = None
    shape: np.ndarray | None = None
    df: float = 5.0

    def draw(self, n: int, rng: np.random.Generator, z_max: float) -> np.ndarray:
        out = np.empty((0, self.dim))
        while out.shape[0] < n:
            k = 2 * (n - out.shape[0]) + 8
            z = rng.standard_normal((k, self.dim))
            if self.loc is not None:
                t = stats.multivariate_t(self.loc, self.shape, df=self.df, seed=rng).rvs(k)
                t = np.atleast_2d(t).reshape(k, self.dim)
                use_t = rng.random(k) >= self.share
                z[use_t] = t[use_t]
            out = np.concatenate([out, z[np.all(np.abs(z) <= z_max, axis=1)]])
        return out[:n]

    def log_density(self, z: np.ndarray) -> np.ndarray:
        prior = Prior.log_density(z)
        if self.loc is None:
            return prior
        t = stats.multivariate_t(self.loc, self.shape, df=self.df).logpdf(z)
        t = np.atleast_1d(t)
        return np.logaddexp(np.log(self.share) + prior, np.log1p(-self.share) + t)


def normalised(log_w: np.ndarray) -> np.ndarray:
    """Self-normalised weights from log-weights (all -inf: all zero)."""
    finite = np.isfinite(log_w)
    if not finite.any():
        return np.zeros_like(log_w)
    w = np.exp(log_w - np.max(log_w[finite]))
    w[~finite] = 0.0
    return w / w.sum()


def effective_sample_size(w: np.ndarray) -> float:
    """Kish's ESS of normalised weights, 1 / sum w^2 (0 without any weight)."""
    s = float(np.sum(w * w))
    return 1.0 / s if s > 0 else 0.0


def fitted_proposal(z: np.ndarray, w: np.ndarray, settings: Settings) -> Proposal:
    """Student-t around the weighted twins (covariance inflated, with a small ridge so that
    a round dominated by few twins still gives a proper proposal), mixed with the prior."""
    smp = settings.sampler
    loc = w @ z
    centred = z - loc
    cov = (centred * w[:, None]).T @ centred
    ridge = 1e-4 + 0.1 ** 2 / max(effective_sample_size(w), 1.0)
    shape = smp.covariance_inflation * (cov + ridge * np.eye(z.shape[1]))
    return Proposal(dim=z.shape[1], share=smp.defensive_fraction, loc=loc, shape=shape,
                    df=smp.proposal_df)


@dataclass
class Fit:
    """The posterior of one patient: the final round's twins, weights and full courses."""

    patient: PatientFile
    settings: Settings
    prior: Prior
    model: MeasurementModel
    z: np.ndarray
    values: dict[str, np.ndarray]
    log_likelihood: np.ndarray
    weights: np.ndarray
    twins: xr.Dataset               # results of every final-round twin (``patient`` = twin)
    predicted: Predicted
    rounds: list[dict] = field(default_factory=list)
    seed: int = 0
    wall_time_s: float = 0.0

    @property
    def ess(self) -> float:
        return effective_sample_size(self.weights)


def _pilot(prior: Prior, patient: PatientFile, model: MeasurementModel, proposal: Proposal,
           n: int, rng: np.random.Generator, z_max: float):
    """An adaptation round: draws, ln p(z) - ln q(z), and the log-likelihoods."""
    z = proposal.draw(n, rng, z_max)
    _, pred = simulate_twins(prior.cfg, prior.values(z), patient)
    return z, Prior.log_density(z) - proposal.log_density(z), model.log_likelihood(pred)


def _whitened(prior: Prior, patient: PatientFile, model: MeasurementModel,
              z: np.ndarray) -> np.ndarray:
    """chol(cov)^-1 (ln y - ln f(z)) per row of ``z`` (a large value where f <= 0)."""
    _, pred = simulate_twins(prior.cfg, prior.values(z), patient)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = model.log_observed[None, :] - np.log(stack(pred))
    resid = np.where(np.isfinite(resid), resid, 1e3)
    return np.linalg.solve(np.linalg.cholesky(model.cov), resid.T).T


def laplace(prior: Prior, patient: PatientFile, model: MeasurementModel, z0: np.ndarray,
            z_max: float, iterations: int = 30, step_z: float = 5e-3
            ) -> tuple[np.ndarray, np.ndarray, float]:
    """Posterior mode in z and the Laplace covariance (J^T J + I)^-1, by Levenberg-Marquardt
    on the whitened residuals (forward differences: one batch of dim + 1 twins a step).
    Returns (mode, covariance, ln posterior density at the mode up to a constant)."""
    d = z0.size
    z, lam = z0.astype(float).copy(), 1e-2

    def objective(r, zz):
        return 0.5 * float(r @ r) + 0.5 * float(zz @ zz)

    batch = np.vstack([z, z + step_z * np.eye(d)])
    res = _whitened(prior, patient, model, batch)
    r, jac = res[0], (res[1:] - res[0]).T / step_z
    f = objective(r, z)
    for _ in range(iterations):
        grad = jac.T @ r + z
        h = jac.T @ jac + np.eye(d)
        step = np.linalg.solve(h + lam * np.diag(np.diag(h)), -grad)
        norm = np.linalg.norm(step)
        if norm > 1.0:
            step /= norm
        trial = np.clip(z + step, -(z_max - 0.5), z_max - 0.5)
        batch = np.vstack([trial, trial + step_z * np.eye(d)])
        res = _whitened(prior, patient, model, batch)
        f_new = objective(res[0], trial)
        if f_new < f:
            converged = f - f_new < 1e-4 * max(1.0, f)
            z, r, jac, f, lam = trial, res[0], (res[1:] - res[0]).T / step_z, f_new, lam / 3
            if converged:
                break
        else:
            lam *= 4.0
            if lam > 1e6:
                break
    cov = np.linalg.inv(jac.T @ jac + np.eye(d))
    return z, 0.5 * (cov + cov.T), -f


def _round(prior: Prior, patient: PatientFile, model: MeasurementModel, proposal: Proposal,
           n: int, rng: np.random.Generator, z_max: float):
    z = proposal.draw(n, rng, z_max)
    values = prior.values(z)
    ds, pred = simulate_twins(prior.cfg, values, patient)
    ll = model.log_likelihood(pred)
    log_w = Prior.log_density(z) + ll - proposal.log_density(z)
    return z, values, ds, pred, ll, normalised(log_w)


def fit_patient(patient: PatientFile, settings: Settings, overrides=(), seed: int = 0,
                prior: Prior | None = None, log=None) -> Fit:
    """Posterior of a patient's parameters and courses (module docstring).

    Warns with :class:`WeakPosteriorWarning` when the final ESS is below
    ``sampler.min_ess``.
    """
    start = time.perf_counter()
    prior = prior or build_prior(patient, settings, overrides)
    check_against_config(patient, prior.cfg["response"]["follow_up_months"])
    model = measurement_model(patient, settings.errors)
    smp = settings.sampler
    rng = np.random.default_rng(seed)
    proposal, kind = Proposal(dim=prior.dim), "prior"
    rounds = []
    target = smp.target_ess_fraction * smp.pilot_twins
    if smp.max_rounds and model.m:
        # round 0: the prior itself (enough when the measurements say little)
        z, log_pq, ll = _pilot(prior, patient, model, proposal, smp.pilot_twins, rng,
                               smp.z_max)
        w = normalised(log_pq + ll)
        rounds.append({"round": 0, "twins": smp.pilot_twins, "ess": effective_sample_size(w),
                       "proposal": "prior"})
        if log:
            log(f"round 0 (prior): {smp.pilot_twins} twins, ESS {rounds[-1]['ess']:.1f}")
        if rounds[-1]["ess"] < target:
            # Laplace approximation from the best prior twins, then adapted rounds
            starts = z[np.argsort(-(log_pq + ll))[:smp.laplace_starts]]
            best = max((laplace(prior, patient, model, s0, smp.z_max) for s0 in starts),
                       key=lambda t: t[2])
            proposal = Proposal(dim=prior.dim, share=smp.defensive_fraction, loc=best[0],
                                shape=smp.covariance_inflation * best[1], df=smp.proposal_df)
            kind = "laplace"
            for r in range(1, smp.max_rounds + 1):
                z, log_pq, ll = _pilot(prior, patient, model, proposal, smp.pilot_twins, rng,
                                       smp.z_max)
                w = normalised(log_pq + ll)
                ess = effective_sample_size(w)
                rounds.append({"round": r, "twins": smp.pilot_twins, "ess": ess,
                               "proposal": kind})
                if log:
                    log(f"round {r} ({rounds[-1]['proposal']}): {smp.pilot_twins} twins, "
                        f"ESS {ess:.1f}")
                if ess >= target:
                    break
                if ess >= smp.min_refit_ess:
                    proposal, kind = fitted_proposal(z, w, settings), "adapted"
    z, values, ds, pred, ll, w = _round(prior, patient, model, proposal, smp.n_twins, rng,
                                        smp.z_max)
    ess = effective_sample_size(w)
    rounds.append({"round": len(rounds), "twins": smp.n_twins, "ess": ess, "proposal": kind,
                   "final": True})
    if log:
        log(f"final: {smp.n_twins} twins, ESS {ess:.1f}")
    if ess < smp.min_ess:
        warnings.warn(f"the posterior rests on {ess:.1f} effective twins (< sampler.min_ess "
                      f"= {smp.min_ess:g}): its intervals are rough; raise sampler.n_twins "
                      "or sampler.pilot_twins / max_rounds", WeakPosteriorWarning, stacklevel=2)
    return Fit(patient=patient, settings=settings, prior=prior, model=model, z=z,
               values=values, log_likelihood=ll, weights=w, twins=ds, predicted=pred,
               rounds=rounds, seed=seed, wall_time_s=time.perf_counter() - start)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       q=QUANTILES) -> np.ndarray:
    """Quantiles of a weighted sample along axis 0 (NaN values left out), (len(q), ...)."""
    values = np.asarray(values, dtype=float)
    flat = values.reshape(values.shape[0], -1)
    out = np.full((len(q), flat.shape[1]), np.nan)
    for j in range(flat.shape[1]):
        v, w = flat[:, j], weights
        ok = np.isfinite(v) & (w > 0)
        if not ok.any():
            continue
        order = np.argsort(v[ok])
        vs, ws = v[ok][order], w[ok][order]
        cdf = np.cumsum(ws) - 0.5 * ws
        cdf /= ws.sum()
        out[:, j] = np.interp(q, cdf, vs)
    return out.reshape((len(q),) + values.shape[1:])


def weighted_cdf_at(values: np.ndarray, weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Posterior CDF at ``x`` along axis 0 (ties count half): the normalised rank of SBC."""
    values = np.asarray(values, dtype=float)
    below = (values < x[None]) + 0.5 * (values == x[None])
    # clipped: the weighted sum over all twins can exceed the sum of the weights by an ulp
    # (different summation orders), and a CDF above 1 is not a rank
    return np.clip(np.tensordot(weights, below, axes=(0, 0)) / weights.sum(), 0.0, 1.0)


def posterior_dataset(fit: Fit) -> xr.Dataset:
    """The posterior over the patient's parameters (and of what was measured) as a Dataset."""
    names = list(fit.prior.names)
    values = np.stack([fit.values[n] for n in names], axis=1)
    q = np.asarray(QUANTILES)
    prior_q = np.stack([fit.prior.dists[n].ppf(q) for n in names], axis=1)
    pred = stack(fit.predicted)
    units = [str(u) for u in fit.twins.parameter_units.values] \
        if "parameter_units" in fit.twins else [""] * len(names)
    ds = xr.Dataset(
        {"parameter_value": (("twin", "parameter"), values,
                             {"long_name": "twin's parameter value", "units": "see "
                              "parameter_units"}),
         "parameter_units": (("parameter",), np.asarray(units, dtype=str)),
         "z": (("twin", "parameter"), fit.z, {"long_name": "standard-normal variate of the "
                                              "prior (copula space)", "units": "1"}),
         "weight": (("twin",), fit.weights, {"long_name": "normalised importance weight "
                                             "(posterior probability of the twin)",
                                             "units": "1"}),
         "log_likelihood": (("twin",), fit.log_likelihood,
                            {"long_name": "ln p(measurements | twin)", "units": "1"}),
         "prior_quantile": (("quantile", "parameter"), prior_q,
                            {"long_name": "marginal prior quantile"}),
         "posterior_quantile": (("quantile", "parameter"),
                                weighted_quantiles(values, fit.weights),
                                {"long_name": "weighted posterior quantile"}),
         "measured": (("measurement",), np.exp(fit.model.log_observed),
                      {"long_name": "measured value (MBq, Gy or mL: see measurement)"}),
         "measurement_sd": (("measurement",), fit.model.sd,
                            {"long_name": "1-sigma of the ln measurement", "units": "1"}),
         "predicted_quantile": (("quantile", "measurement"),
                                weighted_quantiles(pred, fit.weights) if pred.size else
                                np.zeros((len(q), 0)),
                                {"long_name": "posterior quantile of the true value of "
                                              "what was measured"})},
        coords={"twin": np.arange(fit.z.shape[0]), "parameter": names, "quantile": q,
                "measurement": list(fit.model.labels)},
        attrs={"title": "prrt-simulator personal prediction: posterior",
               "patient_id": fit.patient.patient_id, "patient_file": fit.patient.path,
               "prior": fit.settings.prior, "settings": fit.settings.source,
               "sampler": "adaptive importance sampling over twins (defensive Student-t "
                          "mixture, population Monte Carlo)",
               "ess": fit.ess, "n_twins": int(fit.z.shape[0]),
               "rounds": repr(fit.rounds), "seed": fit.seed,
               "wall_time_s": round(fit.wall_time_s, 2),
               "config_yaml": fit.twins.attrs.get("config_yaml", ""),
               "git_revision": fit.twins.attrs.get("git_revision", "")})
    return ds
