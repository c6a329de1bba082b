"""Marginal distributions of patient-level parameters, sampled by inverse CDF (docs/model.md §9.1).

A spec is a mapping from the cohort config (or a plain number, meaning fixed):

* ``{dist: lognormal, median: m, gsd: g, low: a, high: b}``: ln X ~ N(ln m, ln g),
  truncated to [a, b] when ``low`` and/or ``high`` is given; g = 1 is fixed;
* ``{dist: normal, mean: mu, sd: s, low: a, high: b}``: normal, truncated to
  [a, b] when ``low`` and/or ``high`` is given (``scipy.stats.truncnorm``);
* ``{dist: uniform, low: a, high: b}`` and ``{dist: loguniform, low: a, high: b}``;
* ``{dist: choice, values: [...], weights: [...]}``: an empirical (discrete)
  distribution over numbers, equal weights unless given (weights sum to 1, within 1e-9);
* ``{dist: mixture, weights: [...], components: [spec, ...]}``: a finite mixture of
  continuous specs (lognormal, normal, uniform, loguniform), e.g. a subgroup of patients
  with a different growth rate; ``components`` may also be a mapping ``{name: spec}``
  (in its order), so that a layered Hydra config can set one component's keys.  Its
  ``ppf`` is the true inverse of the mixture CDF (bisection to machine precision), so a
  copula or a Sobol' sequence keeps its meaning.

Values are produced from uniform variates ``u`` in (0, 1) by :meth:`Distribution.ppf`,
so any source of uniforms (independent streams, a copula, a Sobol' sequence) can drive them.
Units are those of the parameter the spec is attached to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ..config.rules import fail

PREFIX = "cohort.parameters"

# dist name -> (required keys, optional keys), besides "dist"
SPECS = {
    "lognormal": (("median", "gsd"), ("low", "high")),
    "normal": (("mean", "sd"), ("low", "high")),
    "uniform": (("low", "high"), ()),
    "loguniform": (("low", "high"), ()),
    "choice": (("values",), ("weights",)),
    "mixture": (("weights", "components"), ()),
}

#: bisection steps of the mixture inverse CDF (the bracket shrinks 2^-80: machine precision)
_BISECTION_STEPS = 80


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(field, value, "expected a finite number")
    return value


def _normal_ppf(u: np.ndarray, mean: float, sd: float, low: float, high: float) -> np.ndarray:
    """Inverse CDF of N(mean, sd) truncated to [low, high] (infinite bounds: untruncated)."""
    if np.isinf(low) and np.isinf(high):
        return mean + sd * special.ndtri(u)
    from scipy import stats  # imported here: scipy.stats costs ~0.5 s of every CLI start

    return stats.truncnorm.ppf(u, (low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)


def _log_bounds(p: dict) -> tuple[float, float]:
    """ln of a spec's truncation bounds (-inf / inf where absent)."""
    return (math.log(p["low"]) if "low" in p else -np.inf,
            math.log(p["high"]) if "high" in p else np.inf)


def _log(x: np.ndarray) -> np.ndarray:
    """ln x, with -inf for x <= 0 (outside every log-scale support)."""
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(x, 0.0))


def _normal_cdf(x: np.ndarray, mean: float, sd: float, low: float, high: float) -> np.ndarray:
    """CDF of N(mean, sd) truncated to [low, high] (infinite bounds: untruncated)."""
    z = special.ndtr((np.clip(x, low, high) - mean) / sd)
    z_low = special.ndtr((low - mean) / sd) if np.isfinite(low) else 0.0
    z_high = special.ndtr((high - mean) / sd) if np.isfinite(high) else 1.0
    return (z - z_low) / (z_high - z_low)


@dataclass(frozen=True)
class Distribution:
    """A parsed marginal distribution.

    Attributes
    ----------
    kind : str
        ``fixed``, ``lognormal``, ``normal``, ``uniform``, ``loguniform``, ``choice`` or
        ``mixture``.
    params : dict
        The numeric parameters of the spec (the weights of ``choice`` and ``mixture``, which
        must sum to 1 within 1e-9, divided by their sum; a mixture's ``components`` are
        parsed distributions).
    """

    kind: str
    params: dict

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: values for uniform variates ``u`` in (0, 1), same shape as ``u``."""
        u = np.asarray(u, dtype=float)
        p = self.params
        if self.kind == "fixed":
            return np.full(u.shape, p["value"])
        if self.kind == "lognormal":
            if p["gsd"] == 1.0:
                return np.full(u.shape, float(p["median"]))
            log_low, log_high = _log_bounds(p)
            x = np.exp(_normal_ppf(u, math.log(p["median"]), math.log(p["gsd"]),
                                   log_low, log_high))
            # exp(ln high) can round one ulp above high: keep every value inside the bounds
            return np.clip(x, p.get("low", 0.0), p.get("high", np.inf))
        if self.kind == "normal":
            return _normal_ppf(u, p["mean"], p["sd"], p.get("low", -np.inf),
                               p.get("high", np.inf))
        if self.kind == "uniform":
            return p["low"] + (p["high"] - p["low"]) * u
        if self.kind == "loguniform":
            log_low, log_high = math.log(p["low"]), math.log(p["high"])
            return np.exp(log_low + (log_high - log_low) * u)
        if self.kind == "mixture":
            return self._mixture_ppf(u)
        values, cdf = np.asarray(p["values"]), np.cumsum(p["weights"])
        index = np.searchsorted(cdf / cdf[-1], u, side="right")
        return values[np.minimum(index, len(values) - 1)]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """CDF at ``x`` (continuous kinds and mixtures of them)."""
        x = np.asarray(x, dtype=float)
        p = self.params
        if self.kind == "lognormal":
            if p["gsd"] == 1.0:
                return (x >= p["median"]).astype(float)
            return _normal_cdf(_log(x), math.log(p["median"]), math.log(p["gsd"]), *_log_bounds(p))
        if self.kind == "normal":
            return _normal_cdf(x, p["mean"], p["sd"], p.get("low", -np.inf), p.get("high", np.inf))
        if self.kind == "uniform":
            return np.clip((x - p["low"]) / (p["high"] - p["low"]), 0.0, 1.0)
        if self.kind == "loguniform":
            log_low, log_high = math.log(p["low"]), math.log(p["high"])
            return np.clip((_log(x) - log_low) / (log_high - log_low), 0.0, 1.0)
        if self.kind == "mixture":
            return sum(w * c.cdf(x) for w, c in zip(p["weights"], p["components"], strict=True))
        raise ValueError(f"no continuous CDF for a {self.kind} distribution")

    def _mixture_ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse of the mixture CDF by bisection between the components' quantiles."""
        quantiles = np.array([c.ppf(u) for c in self.params["components"]])
        # every component CDF is <= u at the smallest component quantile and >= u at the
        # largest, so the mixture CDF (their weighted mean) is too: a valid bracket
        lo, hi = quantiles.min(axis=0), quantiles.max(axis=0)
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < u
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def median(self) -> float:
        """The median of the distribution (value at u = 0.5)."""
        return float(self.ppf(np.array([0.5]))[0])

    @property
    def integer_valued(self) -> bool:
        """Whether every value is an integer (a fixed integer or a choice of integers)."""
        if self.kind == "fixed":
            return isinstance(self.params["value"], int)
        if self.kind == "choice":
            return all(isinstance(v, int) for v in self.params["values"])
        return False

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can produce (+-inf when unbounded).

        A choice counts every listed value, even one of weight 0.
        """
        p = self.params
        if self.kind == "fixed":
            return float(p["value"]), float(p["value"])
        if self.kind == "choice":
            return float(min(p["values"])), float(max(p["values"]))
        if self.kind == "mixture":
            bounds = [c.support() for c in p["components"]]
            return min(lo for lo, _ in bounds), max(hi for _, hi in bounds)
        if self.kind == "lognormal" and p["gsd"] == 1.0:
            return float(p["median"]), float(p["median"])
        floor = 0.0 if self.kind in ("lognormal", "loguniform") else -np.inf
        return float(p.get("low", floor)), float(p.get("high", np.inf))

    @property
    def positive(self) -> bool:
        """Whether every value is strictly positive."""
        p = self.params
        if self.kind in ("lognormal", "loguniform"):
            return True
        if self.kind == "fixed":
            return p["value"] > 0
        if self.kind == "choice":
            return min(p["values"]) > 0
        if self.kind == "mixture":
            return all(c.positive for c in p["components"])
        return p.get("low", -np.inf) > 0


def _check_keys(field: str, spec: dict, name: str) -> None:
    required, optional = SPECS[name]
    missing = [k for k in required if k not in spec]
    if missing:
        fail(field, spec, f"a {name} distribution needs the keys {list(required)} "
                          f"(missing {missing})")
    extra = sorted(set(spec) - set(required) - set(optional) - {"dist"})
    if extra:
        fail(field, spec, f"unknown keys {extra}; a {name} distribution takes "
                          f"{list(required) + list(optional)}")


def _parse_choice(field: str, spec: dict) -> dict:
    values = spec["values"]
    if not isinstance(values, list) or not values:
        fail(f"{field}.values", values, "expected a non-empty list of numbers")
    values = [_number(f"{field}.values", v) for v in values]
    weights = spec.get("weights")
    if weights is None:
        return {"values": values, "weights": [1.0 / len(values)] * len(values)}
    if not isinstance(weights, list) or len(weights) != len(values):
        fail(f"{field}.weights", weights,
             f"expected a list of {len(values)} weights, one per value")
    weights = [_number(f"{field}.weights", w) for w in weights]
    if min(weights) < 0 or sum(weights) <= 0:
        fail(f"{field}.weights", weights, "weights must be >= 0 with a positive sum")
    _check_sum(f"{field}.weights", weights)
    total = float(sum(weights))
    return {"values": values, "weights": [w / total for w in weights]}


#: how far the weights of a choice or mixture may sum from 1 (rounding of decimal input)
WEIGHT_SUM_TOLERANCE = 1e-9


def _check_sum(field: str, weights: list) -> None:
    """Weights are probabilities: they sum to 1 (within :data:`WEIGHT_SUM_TOLERANCE`).

    They are not silently normalised: weights that do not sum to 1 are more often a typo
    (a forgotten or doubled entry) than a wish to normalise.
    """
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        fail(field, weights, f"the weights are probabilities and must sum to 1 (within "
                             f"{WEIGHT_SUM_TOLERANCE:g}); they sum to {total:.12g}")


def _parse_mixture(field: str, spec: dict, prefix: str) -> dict:
    components, weights = spec["components"], spec["weights"]
    if isinstance(components, dict):   # named components {name: spec}, in their order
        components = list(components.values())
    if not isinstance(components, list) or len(components) < 2:
        fail(f"{field}.components", components, "expected a list of at least 2 distributions")
    if not isinstance(weights, list) or len(weights) != len(components):
        fail(f"{field}.weights", weights,
             f"expected a list of {len(components)} weights, one per component")
    weights = [_number(f"{field}.weights", w) for w in weights]
    if min(weights) <= 0:
        fail(f"{field}.weights", weights, "every mixture weight must be > 0")
    _check_sum(f"{field}.weights", weights)
    parsed = []
    for k, comp in enumerate(components):
        if not isinstance(comp, dict) or comp.get("dist") not in CONTINUOUS:
            fail(f"{field}.components[{k}]", comp,
                 f"a mixture component is a continuous distribution {list(CONTINUOUS)}")
        parsed.append(parse_distribution(f"{field[len(prefix) + 1:]}.components[{k}]", comp,
                                         prefix))
    total = float(sum(weights))
    return {"weights": [w / total for w in weights], "components": parsed}


#: distributions with a density (allowed as mixture components)
CONTINUOUS = ("lognormal", "normal", "uniform", "loguniform")


def parse_distribution(path: str, spec: Any, prefix: str = PREFIX) -> Distribution:
    """Parse and validate one distribution spec.

    Parameters
    ----------
    path : str
        Dotted config path of the parameter (e.g. ``patient.sstr_density_nmol_per_l``),
        used in error messages as ``<prefix>.<path>``.
    spec : dict or number
        The spec from the cohort config; a plain number means a fixed value.
    prefix : str
        Config path of the mapping holding the spec (``cohort.parameters`` by default).

    Raises
    ------
    ConfigError
        Naming ``<prefix>.<path>`` for an unknown distribution, missing or extra keys,
        ``gsd < 1``, ``sd <= 0``, ``low >= high``, a non-positive lognormal median or
        log-uniform bound, weights that do not match the values, or a mixture component
        that is not a continuous distribution.
    """
    field = f"{prefix}.{path}"
    if not isinstance(spec, dict):
        return Distribution("fixed", {"value": _number(field, spec)})
    name = spec.get("dist")
    if name not in SPECS:
        fail(f"{field}.dist", name, f"allowed distributions are {list(SPECS)} "
                                    "(or a plain number for a fixed value)")
    _check_keys(field, spec, name)
    if name == "choice":
        return Distribution(name, _parse_choice(field, spec))
    if name == "mixture":
        return Distribution(name, _parse_mixture(field, spec, prefix))
    p = {k: _number(f"{field}.{k}", v) for k, v in spec.items() if k != "dist"}
    if name == "lognormal":
        if p["median"] <= 0:
            fail(f"{field}.median", p["median"], "a lognormal median must be > 0")
        if p["gsd"] < 1:
            fail(f"{field}.gsd", p["gsd"], "the geometric standard deviation gsd must be >= 1 "
                                           "(gsd = 1 means fixed)")
        if p.get("low", 1.0) <= 0:
            fail(f"{field}.low", p["low"], "a lognormal truncation bound must be > 0")
    if name == "normal" and p["sd"] <= 0:
        fail(f"{field}.sd", p["sd"], "the standard deviation sd must be > 0")
    if "low" in p and "high" in p and p["low"] >= p["high"]:
        fail(f"{field}.low", p["low"], f"must be < {field}.high = {p['high']!r}")
    if name == "loguniform" and p["low"] <= 0:
        fail(f"{field}.low", p["low"], "log-uniform bounds must satisfy 0 < low < high")
    return Distribution(name, p)
