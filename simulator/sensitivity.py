"""Global sensitivity analysis: Sobol' first-order and total indices (SALib), with
bootstrap intervals and a convergence check (docs/sensitivity.md).

A *problem* maps each uncertain input to a distribution in the cohort's spec language
(:mod:`simulator.cohort.distributions`: ``uniform``, ``loguniform``, ``normal``,
``lognormal``, truncated with ``low``/``high``, ``mixture`` ...).  :func:`sobol_indices`
draws Saltelli's cross-sampled Sobol' design on the unit hypercube
(``SALib.sample.sobol.sample``, scrambled, seeded), maps each column through its input's
inverse CDF, evaluates a *model* (a callable: ``{input name: values (rows,)}`` ->
``{output name: values (rows,)}``) once on all rows, and estimates the indices of every
output with ``SALib.analyze.sobol.analyze`` (Saltelli 2010 / Jansen estimators,
doi:10.1016/j.cpc.2009.09.018; bootstrap confidence intervals).

Convergence without extra runs: the Sobol' base sequence of ``n_base`` points begins with
the sequence of ``n_base / 2`` points, and SALib lays out the rows point by point, so the
first half of the rows is exactly the design of ``n_base / 2``.  The indices are estimated
on both; a total index has converged when doubling the sample changes it by no more than
the bootstrap half-width of the smaller sample (``converged``).

:class:`SimulatorModel` is the model of the simulator: each row is one virtual patient of
a validated single-patient config whose varied parameters take the row's values
(:class:`simulator.population.Columns`), run through the same engine and outcomes as a
cohort (:func:`simulator.runner.run_chunk`, :func:`simulator.outcomes.compute_outcomes`),
after every row passed the per-patient rules (:func:`simulator.simulation.check_sampled`).

Every invalid input (unknown or non-numeric parameter, a distribution reaching outside the
parameter's allowed range, ``n_base`` not a power of 2, an unknown output ...) is a
``ConfigError`` naming the ``sensitivity.*`` field before anything is computed.
SALib is an optional dependency (``pip install 'prrt-simulator[sensitivity]'``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .cohort.distributions import Distribution, parse_distribution
from .cohort.sampling import U_CLIP
from .config.dotted import RUN_LEVEL
from .config.rules import describe_bounds, fail, out_of_bounds
from .config.validation import numeric_leaf
from .outcomes import best_decrease, compute_outcomes
from .population import Columns
from .runner import run_chunk
from .simulation import check_sampled, run_observation_variates

log = logging.getLogger(__name__)

#: config section of a sensitivity problem (the field names of its errors)
FIELD = "sensitivity"
#: smallest and largest ``n_base``: the half sample (convergence) keeps >= 8 points
N_BASE_RANGE = (16, 2**22)
#: fewer rows than this away from an output's most common value (e.g. 100 responders in
#: 17,000 patients) and its indices are NaN: [INFER] a Sobol' estimate of a binary output
#: rests on its events; with k events its relative error is of order 1/sqrt(k), 10 % at 100
MIN_INFORMATIVE_ROWS = 100
#: a model: input name -> values (rows,)  ->  output name -> values (rows,)
Model = Callable[[dict[str, np.ndarray]], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class Problem:
    """Uncertain inputs: names, distributions, units and the specs they came from."""

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    units: tuple[str, ...]
    specs: tuple[Any, ...]

    def values(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Input values for uniform variates ``u`` (rows, D) in (0, 1), by inverse CDF."""
        u = np.clip(np.asarray(u, dtype=float), U_CLIP, 1.0 - U_CLIP)
        return {name: dist.ppf(u[:, i])
                for i, (name, dist) in enumerate(zip(self.names, self.distributions,
                                                     strict=True))}


def parse_problem(parameters: Any, cfg: dict | None = None,
                  refuse: Mapping[str, str] | None = None) -> Problem:
    """Parse ``sensitivity.parameters``: input name -> distribution spec.

    With ``cfg`` (a validated config) every name must be a dotted path of a numeric float
    field that may vary per patient, and every value the sampler can draw (the inverse CDF
    at u = 1e-12 and 1 - 1e-12) must lie in that field's allowed range; units come from the
    schema.  ``refuse`` maps paths a model cannot vary to the reason.

    Raises
    ------
    ConfigError
        Naming ``sensitivity.parameters`` or ``sensitivity.parameters.<name>``.
    """
    field = f"{FIELD}.parameters"
    if not isinstance(parameters, Mapping) or len(parameters) < 2:
        fail(field, parameters, "expected a mapping of at least two input names -> "
                                "distribution specs")
    names = tuple(str(name) for name in parameters)
    dists, units = [], []
    for name in names:
        spec, where = parameters[name], f"{field}.{name}"
        dist = parse_distribution(name, spec, prefix=field)
        lo, hi = dist.support()
        if lo == hi:
            fail(where, spec, "a fixed value does not vary: give a distribution with a "
                              "spread, or leave the input out")
        unit = "1"
        if cfg is not None:
            unit = _check_config_input(name, spec, dist, cfg, refuse or {})
        dists.append(dist)
        units.append(unit)
    return Problem(names, tuple(dists), tuple(units), tuple(parameters[n] for n in names))


#: the spec of an input whose distribution is the cohort's (``{cohort: true, ...}`` adds or
#: replaces keys, e.g. a truncation)
FROM_COHORT = "cohort"


def _takes_cohort(spec: Any) -> bool:
    """A spec that takes the cohort's distribution: ``cohort`` or ``{cohort: true, ...}``."""
    return spec == FROM_COHORT or (isinstance(spec, Mapping) and spec.get(FROM_COHORT) is True)


def cohort_specs(parameters: Any, cohort: dict | None, cohort_name: str | None,
                 correlations: str = "error") -> dict:
    """``sensitivity.parameters`` with every ``cohort`` spec replaced by the distribution
    of that path in ``cohort['parameters']`` (``{cohort: true, high: ...}`` merges keys).

    Sobol' indices are defined for independent inputs, so two inputs whose distributions
    are taken from a cohort that correlates them (``cohort.correlations``) would silently
    lose that correlation: an error unless ``correlations`` is ``"ignore"`` (the analysis
    then treats their marginals as independent, and says so in its attrs).

    Raises
    ------
    ConfigError
        Naming ``sensitivity.parameters.<path>`` when the cohort does not sample it, or
        ``sensitivity.cohort_correlations`` for a correlated pair of cohort inputs.
    """
    if correlations not in ("error", "ignore"):
        fail(f"{FIELD}.cohort_correlations", correlations, "expected 'error' or 'ignore'")
    if not isinstance(parameters, Mapping):
        return parameters
    out = {}
    for path, spec in parameters.items():
        if not _takes_cohort(spec):
            out[path] = spec
            continue
        merged = isinstance(spec, Mapping)
        if cohort is None:
            fail(f"{FIELD}.parameters.{path}", spec, "a cohort spec needs sensitivity.cohort "
                                                     "(the cohort whose distribution it takes)")
        sampled = cohort.get("parameters") or {}
        if path not in sampled:
            fail(f"{FIELD}.parameters.{path}", spec,
                 f"cohort={cohort_name} has no distribution of {path}; it samples "
                 f"{sorted(sampled)}")
        base = sampled[path]
        if merged:
            extra = {k: v for k, v in spec.items() if k != FROM_COHORT}
            if not isinstance(base, Mapping):
                fail(f"{FIELD}.parameters.{path}", spec,
                     f"cohort={cohort_name} fixes {path} at {base!r}: nothing to merge")
            base = {**base, **extra}
        out[path] = base
    pairs = dropped_correlations(parameters, cohort)
    if pairs and correlations == "error":
        c = pairs[0]
        fail(f"{FIELD}.cohort_correlations", correlations,
             f"cohort={cohort_name} correlates {c['a']} and {c['b']} (rho {c['rho']:g}), both "
             "taken as inputs from it; Sobol' indices need independent inputs, so that "
             "correlation would be dropped. Set sensitivity.cohort_correlations=ignore to "
             "analyse their marginals as independent inputs (recorded in the results), or "
             "give one of them its own distribution")
    return out


def dropped_correlations(parameters: Any, cohort: dict | None) -> list[dict]:
    """The cohort's correlations between two inputs taken from it (what ``ignore`` drops)."""
    if not isinstance(parameters, Mapping) or cohort is None:
        return []
    taken = {path for path, spec in parameters.items() if _takes_cohort(spec)}
    return [dict(c) for c in (cohort.get("correlations") or [])
            if c["a"] in taken and c["b"] in taken and c["rho"] != 0]


def _check_config_input(path: str, spec: Any, dist: Distribution, cfg: dict,
                        refuse: Mapping[str, str]) -> str:
    """Unit of config input ``path``; fails unless it is a per-patient float field whose
    reachable values lie in its allowed range."""
    where = f"{FIELD}.parameters.{path}"
    if path.split(".")[0] in RUN_LEVEL:
        fail(where, spec, f"settings under {list(RUN_LEVEL)} are run-level and cannot vary "
                          "per patient")
    if path in refuse:
        fail(where, spec, refuse[path])
    hint, meta = numeric_leaf(path, cfg, where, spec)
    if hint is not float:
        fail(where, spec, f"{path} is an integer field; Sobol' inputs are continuous (vary "
                          "a float field)")
    bounds = meta.get("bounds")
    if bounds is not None:
        u = np.array([U_CLIP, 1.0 - U_CLIP])
        reach = dist.ppf(u)
        bad = out_of_bounds(reach, bounds)
        if np.any(bad):
            k = int(np.flatnonzero(bad)[0])
            end = "lower end, u = 1e-12" if k == 0 else "upper end, u = 1 - 1e-12"
            fail(where, spec, f"the distribution reaches {float(reach[k]):.6g} (at its "
                              f"{end} of the sampler), outside "
                              f"the allowed range: "
                              f"{describe_bounds(path, bounds, meta.get('unit', ''))}; "
                              "narrow it or truncate it (low/high)")
    return meta.get("unit", "") or "1"


def check_settings(n_base: Any, n_bootstrap: Any = 1000, conf_level: Any = 0.95,
                   seed: Any = 0, min_informative_rows: Any = 0) -> None:
    """The sample size, bootstrap and seed of a Sobol' analysis.

    Raises
    ------
    ConfigError
        Naming ``sensitivity.n_base`` (an integer power of 2 in 16 .. 2^22: a Sobol'
        sequence is balanced only at powers of 2), ``sensitivity.n_bootstrap`` (100 ..
        100000), ``sensitivity.conf_level`` (0 < level < 1), ``sensitivity.seed`` or
        ``sensitivity.min_informative_rows`` (a count >= 0).
    """
    lo, hi = N_BASE_RANGE
    if (isinstance(n_base, bool) or not isinstance(n_base, (int, np.integer))
            or not lo <= n_base <= hi or n_base & (n_base - 1)):
        fail(f"{FIELD}.n_base", n_base,
             f"must be an integer power of 2 from {lo} to {hi} (Sobol' points are balanced "
             "only at powers of 2; the convergence check also uses the first half), "
             "e.g. 256 or 1024")
    if (isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer))
            or not 100 <= n_bootstrap <= 100_000):
        fail(f"{FIELD}.n_bootstrap", n_bootstrap, "must be an integer from 100 to 100000")
    if (isinstance(conf_level, bool) or not isinstance(conf_level, (int, float))
            or not 0.0 < conf_level < 1.0):
        fail(f"{FIELD}.conf_level", conf_level, "must lie in 0 < conf_level < 1")
    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**63 - 1):
        fail(f"{FIELD}.seed", seed, "must be an integer from 0 to 2^63 - 2")
    if (isinstance(min_informative_rows, bool)
            or not isinstance(min_informative_rows, (int, np.integer)) or min_informative_rows < 0):
        fail(f"{FIELD}.min_informative_rows", min_informative_rows,
             "must be an integer >= 0")


def sample(problem: Problem, n_base: int, seed: int) -> np.ndarray:
    """Saltelli's design (``n_base * (D + 2)`` rows, D columns) on the unit hypercube."""
    from SALib.sample import sobol as sobol_sample

    unit = {"num_vars": len(problem.names), "names": list(problem.names),
            "bounds": [[0.0, 1.0]] * len(problem.names)}
    return sobol_sample.sample(unit, n_base, calc_second_order=False, scramble=True,
                               seed=seed)


def informative_rows(y: np.ndarray) -> int:
    """Rows whose value differs from the most common one (the events of a binary output)."""
    _, counts = np.unique(y, return_counts=True)
    return int(y.size - counts.max())


def _indices(problem: Problem, y: np.ndarray, n_bootstrap: int, conf_level: float,
             seed: int, min_informative: int) -> dict[str, np.ndarray]:
    """S1, S1_conf, ST, ST_conf of one output; NaN when fewer than ``min_informative`` rows
    differ from the most common value (a constant output, or a rare event: the estimates
    and their bootstrap would rest on a handful of rows)."""
    d = len(problem.names)
    if informative_rows(y) < max(min_informative, 1):
        return {k: np.full(d, np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    import warnings

    from SALib.analyze import sobol as sobol_analyze

    unit = {"num_vars": d, "names": list(problem.names), "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():   # a bootstrap resample without any event: SALib warns
        warnings.filterwarnings("ignore", message="Constant values encountered")
        # SALib takes seed 0 as "no seed": seed + 1 keeps the bootstrap reproducible
        s = sobol_analyze.analyze(unit, y, calc_second_order=False, num_resamples=n_bootstrap,
                                  conf_level=conf_level, seed=seed + 1)
    return {k: np.asarray(s[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}


def sobol_indices(problem: Problem, model: Model, n_base: int, seed: int = 0,
                  n_bootstrap: int = 1000, conf_level: float = 0.95,
                  min_informative_rows: int = MIN_INFORMATIVE_ROWS,
                  output_attrs: Mapping[str, dict] | None = None) -> xr.Dataset:
    """Sobol' first-order and total indices of every output of ``model``.

    Parameters
    ----------
    problem : Problem
        The uncertain inputs (:func:`parse_problem`).
    model : callable
        ``{input: values (rows,)}`` -> ``{output: values (rows,)}``, finite values.  If it
        has a ``check(values)`` method, that is called with every row first (before any
        model evaluation).
    n_base : int
        Base sample size N, a power of 2; the model is evaluated on N (D + 2) rows.
    seed : int
        Seeds the scrambling of the Sobol' sequence and the bootstrap.
    n_bootstrap, conf_level : int, float
        Bootstrap resamples and level of the intervals (``*_conf`` are half-widths).
    min_informative_rows : int
        An output with fewer rows that differ from its most common value (a constant
        output, a rare binary event) gets NaN indices instead of estimates resting on a
        handful of rows; the count is recorded (``informative_rows``).
    output_attrs : mapping, optional
        Output name -> attrs (``units``, ``long_name``) recorded in the Dataset.

    Returns
    -------
    xarray.Dataset
        Dims ``output`` x ``parameter``: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` from all
        N base points; ``S1_half``, ``ST_half``, ``ST_half_conf`` from the first N/2;
        ``ST_change`` = |ST - ST_half|; ``converged`` = ST_change <= ST_half_conf.
        Per output: mean and standard deviation over the design; per parameter: unit,
        median and distribution spec.
    """
    check_settings(n_base, n_bootstrap, conf_level, seed, min_informative_rows)
    start = time.perf_counter()
    values = problem.values(sample(problem, n_base, seed))
    rows = n_base * (len(problem.names) + 2)
    check = getattr(model, "check", None)
    if check is not None:
        check(values)
    outputs = {name: np.asarray(y, dtype=float) for name, y in model(values).items()}
    for name, y in outputs.items():
        if y.shape != (rows,):
            raise ValueError(f"model output {name!r} has shape {y.shape}, expected ({rows},)")
        if not np.all(np.isfinite(y)):
            k = int(np.flatnonzero(~np.isfinite(y))[0])
            raise ValueError(f"model output {name!r} is {y[k]} for row {k}: "
                             f"inputs {({p: float(v[k]) for p, v in values.items()})}")
    full, half = {}, {}
    for name, y in outputs.items():
        full[name] = _indices(problem, y, n_bootstrap, conf_level, seed, min_informative_rows)
        half[name] = _indices(problem, y[:rows // 2], n_bootstrap, conf_level, seed,
                              min_informative_rows)
    return _dataset(problem, outputs, full, half, output_attrs or {}, dict(
        n_base=int(n_base), n_evaluations=int(rows), seed=int(seed),
        n_bootstrap=int(n_bootstrap), conf_level=float(conf_level),
        min_informative_rows=int(min_informative_rows),
        wall_time_s=round(time.perf_counter() - start, 3)))


def _dataset(problem: Problem, outputs: dict, full: dict, half: dict,
             output_attrs: Mapping[str, dict], attrs: dict) -> xr.Dataset:
    from importlib.metadata import version

    names = list(outputs)
    dims = ("output", "parameter")

    def stack(res: dict, key: str) -> np.ndarray:
        return np.stack([res[name][key] for name in names])

    level = f"{100 * attrs['conf_level']:g} %"
    ds = xr.Dataset(
        {"S1": (dims, stack(full, "S1"), {"units": "1", "long_name": "first-order Sobol' "
                                                                       "index"}),
         "S1_conf": (dims, stack(full, "S1_conf"), {
             "units": "1", "long_name": f"half-width of the bootstrap {level} interval of S1"}),
         "ST": (dims, stack(full, "ST"), {"units": "1", "long_name": "total Sobol' index"}),
         "ST_conf": (dims, stack(full, "ST_conf"), {
             "units": "1", "long_name": f"half-width of the bootstrap {level} interval of ST"}),
         "S1_half": (dims, stack(half, "S1"), {
             "units": "1", "long_name": "first-order index from the first n_base/2 points"}),
         "ST_half": (dims, stack(half, "ST"), {
             "units": "1", "long_name": "total index from the first n_base/2 points"}),
         "ST_half_conf": (dims, stack(half, "ST_conf"), {
             "units": "1", "long_name": "bootstrap half-width of ST_half"}),
         "output_mean": (("output",), [float(np.mean(outputs[n])) for n in names], {
             "units": "see output_units", "long_name": "mean of the output over the design"}),
         "output_std": (("output",), [float(np.std(outputs[n])) for n in names], {
             "units": "see output_units",
             "long_name": "standard deviation of the output over the design"}),
         "informative_rows": (("output",), [informative_rows(outputs[n]) for n in names], {
             "units": "1", "long_name": "rows whose value differs from the most common one; "
                                        "below min_informative_rows the indices are NaN"}),
         "output_units": (("output",), np.asarray(
             [output_attrs.get(n, {}).get("units", "1") for n in names], dtype=str)),
         "output_long_name": (("output",), np.asarray(
             [output_attrs.get(n, {}).get("long_name", n) for n in names], dtype=str)),
         "parameter_units": (("parameter",), np.asarray(problem.units, dtype=str)),
         "parameter_median": (("parameter",), [d.median() for d in problem.distributions],
                              {"units": "see parameter_units"}),
         "parameter_distribution": (("parameter",), np.asarray(
             [json.dumps(s, sort_keys=True) for s in problem.specs], dtype=str), {
             "long_name": "distribution spec (simulator/cohort/distributions.py)"})},
        coords={"output": names, "parameter": list(problem.names)},
        attrs={**attrs,
               "sampler": "SALib.sample.sobol.sample (Saltelli design, scrambled Sobol', "
                          "calc_second_order=False), inputs by inverse CDF",
               "estimator": "SALib.analyze.sobol.analyze (Saltelli 2010 first order, "
                            "Jansen total; doi:10.1016/j.cpc.2009.09.018)",
               "convergence_rule": "converged: |ST(n_base) - ST(n_base/2)| <= bootstrap "
                                   "half-width of ST(n_base/2)",
               "salib_version": version("SALib")})
    ds["ST_change"] = abs(ds.ST - ds.ST_half).assign_attrs(
        units="1", long_name="change of the total index when the sample doubles")
    ds["converged"] = (ds.ST_change <= ds.ST_half_conf).assign_attrs(
        long_name="total index changed by no more than the bootstrap half-width of the "
                  "half sample when the sample doubled")
    return ds


# --- the simulator as a model ----------------------------------------------------------

#: outputs of :class:`SimulatorModel`: name -> (units, long_name)
OUTPUTS = {
    "lesion_bed_gy": ("Gy", "BED of the lesions over the course (mean over the patient's "
                            "lesions)"),
    "kidney_bed_gy": ("Gy", "cumulative kidney BED"),
    "cmr_near_complete": ("1", "indicator of complete metabolic response together with a "
                               "near-complete anatomic response (the founding-case outcome)"),
    "best_decrease": ("1", "best fractional decrease of the sum of target diameters "
                           "(continuous surrogate of the anatomic response)"),
    "pfs_months": ("months", "time to RECIST progression, censored at the last assessment "
                             "of the follow-up"),
    "tcp": ("1", "tumour control probability (Zaider-Minerbo)"),
}

#: paths the engine reads once per batch, not per patient (cannot vary row by row)
NOT_PER_PATIENT = {
    "therapy.interval_weeks": "the injection schedule is one per engine batch, not per "
                              "patient; compare schedules with a grid or separate runs",
}


class SimulatorModel:
    """The simulator as a Sobol' model: each row of inputs is one virtual patient.

    ``cfg`` is a validated config of one patient (``cohort=single``: no sampled
    parameters, no generated lesions); the inputs replace its values row by row.
    """

    def __init__(self, cfg: dict, outputs: Sequence[str] = tuple(OUTPUTS)):
        cohort = cfg["cohort"]
        if cohort["parameters"]:
            fail("cohort.parameters", sorted(cohort["parameters"]),
                 "a sensitivity analysis sets every varied value itself: use cohort=single "
                 "(no sampled parameters) and list the inputs in sensitivity.parameters")
        if cohort["lesions"] is not None:
            fail("cohort.lesions", "generated", "a sensitivity analysis uses the configured "
                                               "lesions (cohort.lesions: null)")
        if isinstance(outputs, str) or not outputs:
            fail(f"{FIELD}.outputs", outputs, f"expected a non-empty list of {list(OUTPUTS)}")
        for name in outputs:
            if name not in OUTPUTS:
                fail(f"{FIELD}.outputs", name, f"allowed outputs are {list(OUTPUTS)}")
        self.cfg, self.outputs = cfg, tuple(outputs)

    @property
    def output_attrs(self) -> dict[str, dict]:
        return {n: {"units": OUTPUTS[n][0], "long_name": OUTPUTS[n][1]} for n in self.outputs}

    def problem(self, parameters: Any) -> Problem:
        """``sensitivity.parameters`` checked against this model's config."""
        return parse_problem(parameters, self.cfg, NOT_PER_PATIENT)

    def check(self, values: dict[str, np.ndarray]) -> None:
        """Every row obeys the field bounds and cross-field rules (before any compute)."""
        check_sampled(self.cfg, values, len(next(iter(values.values()))), 0,
                      f"{FIELD}.parameters")

    def __call__(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(next(iter(values.values())))
        chunk = int(self.cfg["solver"]["chunk_size"])
        pieces: dict[str, list[np.ndarray]] = {name: [] for name in self.outputs}
        start_time = time.perf_counter()
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            cols = Columns(self.cfg, stop - start,
                           {k: np.asarray(v[start:stop], dtype=float) for k, v in values.items()})
            res = run_chunk(cols)
            # row i's own observation variates (new lesions, measurement error if configured)
            out = compute_outcomes(res, cols, run_observation_variates(self.cfg, start, stop))
            for name in self.outputs:
                pieces[name].append(_output(name, out))
            log.info("%d/%d rows, %.1f rows/s", stop, n, stop / (time.perf_counter()
                                                                   - start_time))
        return {name: np.concatenate(p) for name, p in pieces.items()}


def _output(name: str, out) -> np.ndarray:
    """One output of :data:`OUTPUTS` per patient from :class:`simulator.outcomes.Outcomes`."""
    if name == "lesion_bed_gy":
        return np.nanmean(out.lesion_bed_gy.sum(axis=2), axis=1)
    if name == "kidney_bed_gy":
        return out.oar_bed_gy[:, 0].sum(axis=1)
    if name == "cmr_near_complete":
        return (out.complete_metabolic_response & out.near_complete_response).astype(float)
    if name == "best_decrease":
        return best_decrease(out.sum_diameters_mm, out.is_assessment)
    if name == "pfs_months":
        return np.asarray(out.progression_time_months, dtype=float)
    return np.asarray(out.tcp, dtype=float)


# --- a whole analysis from its spec (experiments/sensitivity.yaml) ---------------------

#: keys of a sensitivity spec and their defaults (None: required)
SPEC_KEYS = {"overrides": [], "cohort": None, "cohort_correlations": "error",
             "n_base": None, "n_bootstrap": 1000,
             "conf_level": 0.95, "seed": 0, "min_informative_rows": MIN_INFORMATIVE_ROWS,
             "outputs": list(OUTPUTS)[:5], "parameters": None}


@dataclass(frozen=True)
class Analysis:
    """A checked sensitivity spec, ready to run: nothing has been simulated yet."""

    model: SimulatorModel
    problem: Problem
    settings: dict              # n_base, n_bootstrap, conf_level, seed, min_informative_rows
    overrides: tuple[str, ...]  # Hydra overrides of the base config
    cohort: str | None          # whose distributions the ``cohort`` specs took
    ignored_correlations: tuple = ()   # the cohort's correlations between inputs, dropped

    def run(self) -> xr.Dataset:
        """Simulate the design and estimate the indices (:func:`sobol_indices`)."""
        from .results.dataset import config_yaml, git_revision, library_versions, package_version

        ds = sobol_indices(self.problem, self.model, output_attrs=self.model.output_attrs,
                           **self.settings)
        ds.attrs.update(config_overrides=json.dumps(list(self.overrides)),
                        cohort=self.cohort or "",
                        cohort_correlations_ignored=json.dumps(list(self.ignored_correlations)),
                        config_yaml=config_yaml(self.model.cfg),
                        package_version=package_version(), git_revision=git_revision(),
                        **library_versions())
        return ds


def prepare(spec: Any, n_base: int | None = None) -> Analysis:
    """Check a sensitivity spec and build its model and problem, before any compute.

    ``spec`` has the keys of :data:`SPEC_KEYS`: Hydra ``overrides`` of the base config,
    the ``cohort`` whose distributions ``cohort`` specs take, ``n_base`` (or the argument),
    ``n_bootstrap``, ``conf_level``, ``seed``, ``outputs`` and ``parameters``.  Every row
    of the design is checked against the per-patient rules too.

    Raises
    ------
    ConfigError
        Naming the ``sensitivity.*`` (or config) field at fault.
    """
    from .configure import compose, validate

    if not isinstance(spec, Mapping):
        fail(FIELD, spec, f"expected a mapping with the keys {list(SPEC_KEYS)}")
    for key in spec:
        if key not in SPEC_KEYS:
            fail(f"{FIELD}.{key}", spec[key], f"unknown key; allowed keys are {list(SPEC_KEYS)}")
    s = {**SPEC_KEYS, **spec}
    if n_base is not None:
        s["n_base"] = n_base
    for key in ("n_base", "parameters"):
        if s[key] is None:
            fail(f"{FIELD}.{key}", "missing", "a value is required")
    settings = {k: s[k] for k in ("n_base", "n_bootstrap", "conf_level", "seed",
                                  "min_informative_rows")}
    check_settings(**settings)
    overrides = s["overrides"]
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        fail(f"{FIELD}.overrides", overrides, "expected a list of Hydra override strings")
    cfg = validate(compose([*overrides, "output.progress=false"]))
    model = SimulatorModel(cfg, s["outputs"])
    parameters = s["parameters"]
    cohort = None
    if s["cohort"] is not None:
        if not isinstance(s["cohort"], str):
            fail(f"{FIELD}.cohort", s["cohort"], "expected a cohort name of conf/cohort/")
        # with the same overrides: a cohort's medians may refer to the config's values
        cohort = validate(compose([*overrides, f"cohort={s['cohort']}"]))["cohort"]
    problem = model.problem(cohort_specs(parameters, cohort, s["cohort"],
                                         s["cohort_correlations"]))
    model.check(problem.values(sample(problem, settings["n_base"], settings["seed"])))
    return Analysis(model, problem, settings, tuple(overrides), s["cohort"],
                    tuple(dropped_correlations(parameters, cohort)))
