"""Optimised schedules: ``prrt-sim plan`` (docs/planning.md §2).

For one group of patients (``plan.scope=cohort``: every patient of the cohort, e.g. the
virtual twins of one patient; ``plan.scope=patient``: each patient alone) the plan is the
fixed schedule (activity per cycle A, number of cycles N, interval, peptide amount) that
maximises the expectation over the group of ``plan.objective`` while at most a fraction
``plan.max_exceedance_probability`` of the group passes an enforced limit
(``limits.enforced``).  Every candidate is simulated on the same virtual patients (each
patient's variates come from its own seeded streams: common random numbers), so candidates
differ only by the schedule.

Search.  N, the interval and the peptide amount take the few values listed in ``plan.*``:
every combination is evaluated (exhaustive, so every one is a point of the Pareto front).
The activity is continuous in ``[therapy.min_activity_gbq, therapy.max_activity_gbq]``.
Every enforced quantity grows with A, so the group's feasibility margin ``g(A)``, the
``k``-th smallest of the patients' relative margins ``min_limit (limit - value) / limit``
(``k = floor(max_exceedance_probability x group size)``), is continuous and decreasing
in A; the largest feasible activity is its root, found for every (group, N, interval,
peptide) at once by :func:`scipy.optimize.elementwise.find_root` (Chandrupatla's bracketing
method, vectorised: one engine batch per iteration) on simulated values.  Below that
activity ``plan.activity_points`` activities from the lower bound are simulated too; each
simulated point is a candidate.  The chosen plan is the feasible candidate with the best
objective (ties: lower mean kidney BED, then less activity in total, then fewer cycles).
The configured (fixed) schedule is always a candidate, so where it keeps the limits the
plan is never worse than it on the objective.

Why scipy and not optuna: scipy is already a dependency, its root finder is deterministic
(the same config gives the same plan) and exploits the one structure the problem has (the
limits are monotone in the activity), while a sampler such as optuna's TPE is stochastic,
needs many trials of a simulation that costs seconds, and would be a new dependency.

Then the chosen plan is simulated again, as an ordinary run, next to the configured
schedule: the re-simulation shows every constraint met, and the gain over the configured
schedule is reported with a paired bootstrap interval.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .adaptive import limit_values, run_schedule
from .assembly import assessment_times_h
from .cohort import sample_lesions, sample_parameters
from .config.dotted import with_values
from .config.rules import fail_infeasible
from .outcomes import Outcomes
from .population import Columns
from .response.recist import CR, PR
from .results.dataset import config_yaml, git_revision, package_version
from .simulation import (
    join_chunks,
    run_observation_variates,
    simulate_chunk_variants,
    simulate_cohort,
)
from .summary import wilson_interval

#: objective -> (long name, units)
OBJECTIVES = {
    "orr": ("probability of objective response (RECIST 1.1 CR or PR)", "1"),
    "cmr_near_complete": ("probability of complete metabolic and near-complete response", "1"),
    "pfs": ("restricted mean progression-free survival over the follow-up", "months"),
    "tcp": ("mean tumour control probability (Zaider-Minerbo)", "1"),
}
#: objective -> short axis label
OBJECTIVE_LABELS = {"orr": "P(objective response)", "cmr_near_complete": "P(CMR + near-complete)",
                    "pfs": "restricted mean PFS", "tcp": "mean TCP"}
#: activity tolerance of the root finder (GBq, relative)
ACTIVITY_ATOL_GBQ, ACTIVITY_RTOL = 0.01, 1e-3
#: bootstrap resamples of the paired gain interval
BOOTSTRAP = 2000


def objective_values(out: Outcomes, objective: str) -> np.ndarray:
    """Per-patient value whose mean over a group is the objective, (n,)."""
    if objective == "orr":
        return np.isin(out.best_response, (CR, PR)).astype(float)
    if objective == "cmr_near_complete":
        return (np.asarray(out.near_complete_response, bool)
                & np.asarray(out.complete_metabolic_response, bool)).astype(float)
    if objective == "pfs":
        return np.asarray(out.progression_time_months, dtype=float)
    return np.asarray(out.tcp, dtype=float)


def limit_margins(cols: Columns, out: Outcomes) -> dict[str, np.ndarray]:
    """Cumulative enforced quantities (Gy) and the relative margin ``min (limit - value) /
    limit`` over the enforced limits (< 0: a limit passed), per patient."""
    values = {"kidney_bed": out.oar_bed_gy[:, 0].sum(axis=1),
              "kidney_dose": out.organ_dose_gy[:, 0].sum(axis=1),
              "marrow_dose": out.organ_dose_gy[:, 3].sum(axis=1)}
    margin = np.full(cols.n, np.inf)
    for name, limit in limit_values(cols).items():
        margin = np.minimum(margin, (limit - values[name]) / limit)
    return {**values, "margin": margin}


class Patients:
    """The plan's virtual patients, sampled once: every candidate sees the same ones."""

    def __init__(self, cfg: dict):
        self.cfg, self.n = cfg, int(cfg["cohort"]["n_patients"])
        seed = int(cfg["seed"])
        self.sampled = sample_parameters(cfg["cohort"], seed, 0, self.n)
        self.generated = sample_lesions(cfg["cohort"]["lesions"], seed, 0, self.n)
        self.courses = 0
        self._variates: dict[tuple[int, int], dict[str, np.ndarray]] = {}

    def variates(self, cfg: dict) -> dict[str, np.ndarray]:
        """The patients' observation variates (new lesions, measurement error) for the
        schedule of ``cfg``: each patient's own seeded stream, as in an ordinary run and in
        the re-simulation, so every candidate sees the same draws."""
        key = (assessment_times_h(cfg).size, int(cfg["therapy"]["n_cycles"]))
        if key not in self._variates:
            self._variates[key] = run_observation_variates(cfg, 0, self.n)
        return self._variates[key]

    def evaluate(self, n_cycles: int, interval_weeks: float, rows: np.ndarray,
                 activity_gbq: np.ndarray, peptide_nmol: np.ndarray) -> dict[str, np.ndarray]:
        """Objective value and limit margins of patients ``rows`` (repeats allowed) under
        fixed schedules: N cycles every ``interval_weeks`` of their own activity and peptide."""
        cfg = with_values(self.cfg, {"therapy.n_cycles": int(n_cycles),
                                     "therapy.interval_weeks": float(interval_weeks),
                                     "output.save_timeseries": False, "output.plots": False})
        chunk, pieces = int(cfg["solver"]["chunk_size"]), []
        variates = self.variates(cfg)
        for s in range(0, rows.size, chunk):
            r = rows[s:s + chunk]
            columns = {k: v[r] for k, v in self.sampled.items()}
            columns["therapy.activity_gbq"] = activity_gbq[s:s + chunk]
            columns["therapy.peptide_nmol"] = peptide_nmol[s:s + chunk]
            generated = None if self.generated is None else {
                k: v if k == "site_names" else np.asarray(v)[r]
                for k, v in self.generated.items()}
            cols = Columns(cfg, r.size, columns)
            _, out = run_schedule(cols, generated, None,
                                  {k: v[r] for k, v in variates.items()})
            pieces.append({"objective": objective_values(out, cfg["plan"]["objective"]),
                           **limit_margins(cols, out)})
            self.courses += r.size
        return {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}


@dataclass
class Candidates:
    """Every simulated plan of every group (one row each)."""

    rows: list

    def add(self, **row) -> None:
        self.rows.append(row)

    def table(self) -> dict[str, np.ndarray]:
        return {k: np.array([r[k] for r in self.rows]) for k in self.rows[0]}


def _group_stats(values: dict[str, np.ndarray], allowed: int) -> dict:
    """Summary of one group's patients under one plan."""
    margin = np.sort(values["margin"])
    return {"objective": float(values["objective"].mean()),
            "kidney_bed_mean_gy": float(values["kidney_bed"].mean()),
            "kidney_bed_max_gy": float(values["kidney_bed"].max()),
            "marrow_dose_mean_gy": float(values["marrow_dose"].mean()),
            "kidney_dose_mean_gy": float(values["kidney_dose"].mean()),
            "exceedance_probability": float(np.mean(values["margin"] < 0.0)),
            "margin": float(margin[min(allowed, margin.size - 1)])}


def _search(patients: Patients, groups: list[np.ndarray], allowed: np.ndarray,
            n_cycles: int, interval: float, peptides, lo: float, hi: float, points: int,
            candidates: Candidates) -> None:
    """Every (group, peptide) at N cycles and this interval: the largest feasible activity
    (root of the margin), then ``points`` activities from ``lo`` to it."""
    n_pep = len(peptides)
    elem_group = np.repeat(np.arange(len(groups)), n_pep)
    elem_pep = np.tile(np.asarray(peptides, dtype=float), len(groups))
    memo: dict[tuple[int, float], dict] = {}

    def evaluate(elements, activities) -> np.ndarray:
        jobs = sorted({(int(e), float(a)) for e, a in zip(elements, activities, strict=True)}
                      - set(memo))
        if jobs:
            rows = [groups[elem_group[e]] for e, _ in jobs]
            values = patients.evaluate(
                n_cycles, interval, np.concatenate(rows),
                np.concatenate([np.full(r.size, a) for r, (_, a) in zip(rows, jobs,
                                                                         strict=True)]),
                np.concatenate([np.full(r.size, elem_pep[e]) for r, (e, _) in zip(
                    rows, jobs, strict=True)]))
            bounds = np.cumsum([0] + [r.size for r in rows])
            for k, (e, a) in enumerate(jobs):
                part = {key: v[bounds[k]:bounds[k + 1]] for key, v in values.items()}
                memo[(e, a)] = _group_stats(part, int(allowed[elem_group[e]]))
        return np.array([memo[(int(e), float(a))]["margin"]
                         for e, a in zip(elements, activities, strict=True)])

    every = np.arange(elem_group.size)
    at_hi = evaluate(every, np.full(every.size, hi))
    open_ = every[at_hi < 0.0]
    if open_.size and lo < hi:
        at_lo = evaluate(open_, np.full(open_.size, lo))
        open_ = open_[at_lo >= 0.0]
    if open_.size and lo < hi:
        from scipy.optimize.elementwise import find_root

        find_root(lambda x, e: evaluate(e.astype(int), x),
                  (np.full(open_.size, lo), np.full(open_.size, hi)),
                  args=(open_.astype(float),),
                  tolerances={"xatol": ACTIVITY_ATOL_GBQ, "xrtol": ACTIVITY_RTOL,
                              "fatol": 0.0, "frtol": 0.0}, maxiter=40)
    extra_e, extra_a = [], []
    for e in every:
        feasible = [a for (k, a), s in memo.items() if k == e and s["margin"] >= 0.0]
        if feasible:
            for a in np.linspace(lo, max(feasible), points):
                extra_e.append(e)
                extra_a.append(float(a))
    if extra_e:
        evaluate(np.array(extra_e), np.array(extra_a))
    for (e, a), s in memo.items():
        candidates.add(group=int(elem_group[e]), activity_gbq=a, n_cycles=int(n_cycles),
                       interval_weeks=float(interval), peptide_nmol=float(elem_pep[e]),
                       fixed=False, **s)


def _choose(table: dict[str, np.ndarray], n_groups: int) -> np.ndarray:
    """Index of the chosen candidate of each group (-1: none keeps the limits)."""
    chosen = np.full(n_groups, -1)
    feasible = table["margin"] >= 0.0
    for g in range(n_groups):
        idx = np.flatnonzero((table["group"] == g) & feasible)
        if idx.size:
            order = np.lexsort((table["n_cycles"][idx],
                                table["activity_gbq"][idx] * table["n_cycles"][idx],
                                table["kidney_bed_mean_gy"][idx],
                                -np.round(table["objective"][idx], 12)))
            chosen[g] = idx[order[0]]
    return chosen


def pareto_front(objective: np.ndarray, kidney_bed: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats on both (higher objective, lower BED)."""
    front = np.zeros(objective.size, dtype=bool)
    best = -np.inf
    for k in np.lexsort((-objective, kidney_bed)):
        if objective[k] > best:
            front[k], best = True, objective[k]
    return front


def paired_gain(chosen: np.ndarray, fixed: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Mean of ``chosen - fixed`` over paired patients and its 95 % percentile-bootstrap
    interval (seeded: reproducible)."""
    diff = np.asarray(chosen, float) - np.asarray(fixed, float)
    if diff.size == 1:
        return float(diff[0]), float(diff[0]), float(diff[0])
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, (BOOTSTRAP, diff.size))].mean(axis=1)
    return float(diff.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


@dataclass(frozen=True)
class PlanResult:
    """The plan (chosen plans, every candidate, the comparison) and two ordinary runs of
    the same patients: the chosen plan re-simulated, and the configured schedule."""

    plan: xr.Dataset
    resimulation: xr.Dataset
    configured: xr.Dataset


def _simulate_plans(cfg: dict, plans: dict[str, np.ndarray]) -> xr.Dataset:
    """Every patient under its own chosen plan (per-patient arrays), as one results Dataset.

    Patients are grouped by interval (the engine shares injection times within a batch);
    within a group each patient's cycles beyond its own N have activity 0 (not given).
    """
    n = int(cfg["cohort"]["n_patients"])
    chunk = int(cfg["solver"]["chunk_size"])
    n_max = int(plans["n_cycles"].max())
    pieces = []
    for interval in np.unique(plans["interval_weeks"]):
        sub = with_values(cfg, {"therapy.n_cycles": n_max, "plan": None,
                                "therapy.interval_weeks": float(interval)})
        members = np.flatnonzero(plans["interval_weeks"] == interval)
        for start in range(0, n, chunk):
            idx = members[(members >= start) & (members < min(n, start + chunk))]
            if not idx.size:
                continue
            activity = np.where(np.arange(n_max)[None, :] < plans["n_cycles"][idx, None],
                                plans["activity_gbq"][idx, None], 0.0)
            ds = simulate_chunk_variants(
                sub, start, min(n, start + chunk),
                [{"therapy.activity_gbq": plans["activity_gbq"][idx],
                  "therapy.peptide_nmol": plans["peptide_nmol"][idx]}],
                activity_gbq=[activity], patients=idx)[0]
            ds = ds.reset_coords("cycle_start_h")
            ds["cycle_start_h"] = ds["cycle_start_h"].expand_dims(patient=ds.patient).copy()
            pieces.append(ds)
    ds = join_chunks(pieces) if len(pieces) == 1 else xr.concat(
        pieces, dim="patient", data_vars="minimal", coords="minimal", compat="override",
        join="outer")
    ds = ds.sortby("patient")
    ds["injected_activity_gbq"] = ds["injected_activity_gbq"].fillna(0.0)
    return ds


def plan(cfg: dict) -> PlanResult:
    """Plan the validated config's patients (``cfg["plan"]``); see the module docstring.

    Raises
    ------
    ConfigError
        With ``plan.scope=cohort``, when no candidate keeps the enforced limits (found by
        simulation): naming the binding limit and the least plan tried.
    """
    start_time = time.perf_counter()
    spec, therapy = cfg["plan"], cfg["therapy"]
    n = int(cfg["cohort"]["n_patients"])
    groups = [np.arange(n)] if spec["scope"] == "cohort" else [np.array([i]) for i in range(n)]
    eps = float(spec["max_exceedance_probability"])
    allowed = np.array([math.floor(eps * g.size + 1e-12) for g in groups])
    lo, hi = float(therapy["min_activity_gbq"]), float(therapy["max_activity_gbq"])
    patients = Patients(cfg)
    candidates = Candidates([])
    for n_cycles in spec["n_cycles"]:
        for interval in spec["interval_weeks"]:
            _search(patients, groups, allowed, n_cycles, interval, spec["peptide_nmol"], lo, hi,
                    int(spec["activity_points"]), candidates)
    rows = np.concatenate(groups)
    fixed_values = patients.evaluate(therapy["n_cycles"], therapy["interval_weeks"], rows,
                                     np.full(rows.size, float(therapy["activity_gbq"])),
                                     np.full(rows.size, float(therapy["peptide_nmol"])))
    bounds = np.cumsum([0] + [g.size for g in groups])
    for g in range(len(groups)):
        part = {k: v[bounds[g]:bounds[g + 1]] for k, v in fixed_values.items()}
        candidates.add(group=g, activity_gbq=float(therapy["activity_gbq"]),
                       n_cycles=int(therapy["n_cycles"]),
                       interval_weeks=float(therapy["interval_weeks"]),
                       peptide_nmol=float(therapy["peptide_nmol"]), fixed=True,
                       **_group_stats(part, int(allowed[g])))
    table = candidates.table()
    chosen = _choose(table, len(groups))
    if spec["scope"] == "cohort" and chosen[0] < 0:
        _fail_infeasible(cfg, table)
    search_s = time.perf_counter() - start_time
    plans = {key: np.full(n, np.nan) for key in ("activity_gbq", "n_cycles", "interval_weeks",
                                                  "peptide_nmol")}
    for g, members in enumerate(groups):
        source = chosen[g] if chosen[g] >= 0 else None
        for key in plans:
            plans[key][members] = table[key][source] if source is not None else therapy[key]
    configured = simulate_cohort(with_values(cfg, {"plan": None}))
    if spec["scope"] == "cohort":
        best = {key: plans[key][0] for key in plans}
        resim = simulate_cohort(with_values(cfg, {
            "plan": None, "therapy.activity_gbq": float(best["activity_gbq"]),
            "therapy.n_cycles": int(best["n_cycles"]),
            "therapy.interval_weeks": float(best["interval_weeks"]),
            "therapy.peptide_nmol": float(best["peptide_nmol"])}))
    else:
        resim = _simulate_plans(cfg, {**plans, "n_cycles": plans["n_cycles"].astype(int)})
    resim.attrs["config_yaml"] = config_yaml(cfg)     # the run's config; plans in plan.nc
    for key, u, name in (("interval_weeks", "weeks", "interval between cycles"),
                         ("peptide_nmol", "nmol", "peptide per cycle")):
        resim[f"plan_{key}"] = xr.Variable(("patient",), plans[key][resim.patient.values],
                                           {"units": u, "long_name": f"chosen plan: {name}"})
    ds = _plan_dataset(cfg, groups, table, chosen, resim, configured)
    ds.attrs.update({"courses_simulated": patients.courses,
                     "search_wall_time_s": round(search_s, 3),
                     "wall_time_s": round(time.perf_counter() - start_time, 3)})
    return PlanResult(plan=ds, resimulation=resim, configured=configured)


def _fail_infeasible(cfg: dict, table: dict[str, np.ndarray]) -> None:
    least = int(np.argmax(table["margin"]))
    enforced = cfg["limits"]["enforced"]
    fail_infeasible(
        "limits.enforced", enforced,
        f"no plan within therapy.min_activity_gbq = {cfg['therapy']['min_activity_gbq']:g} GBq, "
        f"plan.n_cycles = {cfg['plan']['n_cycles']}, plan.interval_weeks and "
        f"plan.peptide_nmol keeps more than {1 - cfg['plan']['max_exceedance_probability']:.0%}"
        f" of the patients within these limits (the nearest, {table['n_cycles'][least]} x "
        f"{table['activity_gbq'][least]:.2f} GBq, leaves "
        f"{table['exceedance_probability'][least]:.0%} over a limit, mean kidney BED "
        f"{table['kidney_bed_mean_gy'][least]:.1f} Gy): lower therapy.min_activity_gbq or "
        "plan.n_cycles, or raise plan.max_exceedance_probability")


def _outcome_per_patient(ds: xr.Dataset, objective: str) -> np.ndarray:
    if objective == "orr":
        return np.isin(ds.best_response.values, (CR, PR)).astype(float)
    if objective == "cmr_near_complete":
        return (ds.near_complete_response.values
                & ds.complete_metabolic_response.values).astype(float)
    if objective == "pfs":
        return ds.progression_time_months.values.astype(float)
    return ds.tcp.values.astype(float)


def exceeded(ds: xr.Dataset, cfg: dict) -> np.ndarray:
    """Per patient: some enforced limit passed, in a results Dataset."""
    flags = {"kidney_bed": "kidney_bed_limit_exceeded", "kidney_dose": "kidney_dose_limit_exceeded",
             "marrow_dose": "marrow_dose_limit_exceeded"}
    out = np.zeros(ds.sizes["patient"], dtype=bool)
    for name in cfg["limits"]["enforced"]:
        out |= ds[flags[name]].values.astype(bool)
    return out


def _plan_dataset(cfg, groups, table, chosen, resim, configured) -> xr.Dataset:
    spec = cfg["plan"]
    long_name, units = OBJECTIVES[spec["objective"]]
    n_groups = len(groups)
    front = np.zeros(table["group"].size, dtype=bool)
    for g in range(n_groups):
        idx = np.flatnonzero((table["group"] == g) & (table["margin"] >= 0.0))
        front[idx] = pareto_front(table["objective"][idx], table["kidney_bed_mean_gy"][idx])
    is_chosen = np.zeros(front.size, dtype=bool)
    is_chosen[chosen[chosen >= 0]] = True
    c = ("candidate",)

    def var(dims, data, u, name):
        return xr.Variable(dims, np.asarray(data), {"units": u, "long_name": name})

    dv = {
        "candidate_group": var(c, table["group"], "1", "plan group of the candidate"),
        "activity_gbq": var(c, table["activity_gbq"], "GBq", "activity per cycle"),
        "n_cycles": var(c, table["n_cycles"], "1", "number of cycles"),
        "interval_weeks": var(c, table["interval_weeks"], "weeks", "interval between cycles"),
        "peptide_nmol": var(c, table["peptide_nmol"], "nmol", "peptide per cycle"),
        "objective": var(c, table["objective"], units, long_name),
        "kidney_bed_mean_gy": var(c, table["kidney_bed_mean_gy"], "Gy",
                                  "cumulative kidney BED, mean over the group"),
        "kidney_bed_max_gy": var(c, table["kidney_bed_max_gy"], "Gy",
                                 "cumulative kidney BED, largest in the group"),
        "kidney_dose_mean_gy": var(c, table["kidney_dose_mean_gy"], "Gy",
                                   "cumulative kidney absorbed dose, mean over the group"),
        "marrow_dose_mean_gy": var(c, table["marrow_dose_mean_gy"], "Gy",
                                   "cumulative red-marrow absorbed dose, mean over the group"),
        "exceedance_probability": var(c, table["exceedance_probability"], "1",
                                      "fraction of the group over an enforced limit"),
        "feasible": var(c, table["margin"] >= 0.0, "1",
                        "at most plan.max_exceedance_probability of the group over a limit"),
        "pareto": var(c, front, "1", "on the Pareto front of objective vs mean kidney BED "
                                     "(feasible candidates)"),
        "configured": var(c, table["fixed"], "1", "the configured schedule (therapy.*)"),
        "chosen": var(c, is_chosen, "1", "the chosen plan of its group"),
    }
    g = ("group",)
    pick = np.where(chosen >= 0, chosen, 0)
    ok = chosen >= 0
    for key, u, name in (("activity_gbq", "GBq", "activity per cycle"),
                         ("n_cycles", "1", "number of cycles"),
                         ("interval_weeks", "weeks", "interval between cycles"),
                         ("peptide_nmol", "nmol", "peptide per cycle")):
        values = np.where(ok, table[key][pick], np.nan) if key != "n_cycles" else \
            np.where(ok, table[key][pick], 0)
        dv[f"plan_{key}"] = var(g, values, u, f"chosen plan: {name} (NaN/0: none feasible)")
    dv["plan_found"] = var(g, ok, "1", "some candidate keeps the enforced limits")
    dv["plan_objective"] = var(g, np.where(ok, table["objective"][pick], np.nan), units,
                               f"chosen plan: {long_name}")
    fixed_idx = np.array([np.flatnonzero(table["fixed"] & (table["group"] == k))[0]
                          for k in range(n_groups)])
    dv["configured_objective"] = var(g, table["objective"][fixed_idx], units,
                                     f"configured schedule: {long_name}")
    dv["configured_feasible"] = var(g, table["margin"][fixed_idx] >= 0.0, "1",
                                    "the configured schedule keeps the enforced limits")
    # the re-simulation, per group: the constraint met, the gain with its interval
    over_plan, over_conf = exceeded(resim, cfg), exceeded(configured, cfg)
    y_plan = _outcome_per_patient(resim, spec["objective"])
    y_conf = _outcome_per_patient(configured, spec["objective"])
    p_over = np.array([over_plan[m].mean() for m in groups])
    allowed = np.array([math.floor(spec["max_exceedance_probability"] * m.size + 1e-12)
                        for m in groups])
    dv["resimulated_exceedance_probability"] = var(
        g, p_over, "1", "re-simulated chosen plan: fraction of the group over an enforced limit")
    dv["resimulated_constraints_met"] = var(
        g, np.array([over_plan[m].sum() <= a for m, a in zip(groups, allowed, strict=True)]),
        "1", "re-simulated chosen plan: at most the allowed number of patients over a limit")
    dv["resimulated_objective"] = var(g, [y_plan[m].mean() for m in groups], units,
                                      f"re-simulated chosen plan: {long_name}")
    kidney_limit = (cfg["limits"]["kidney_bed_gy_with_risk_factors"]
                    if cfg["patient"]["renal_risk_factors"] else cfg["limits"]["kidney_bed_gy"])
    attrs = {"title": "prrt-simulator plan", "objective": spec["objective"],
             "objective_long_name": long_name, "objective_units": units,
             "objective_label": OBJECTIVE_LABELS[spec["objective"]],
             "kidney_bed_limit_gy": float(kidney_limit),
             "scope": spec["scope"],
             "max_exceedance_probability": float(spec["max_exceedance_probability"]),
             "enforced_limits": " ".join(cfg["limits"]["enforced"]),
             "optimiser": "exhaustive over plan.n_cycles x plan.interval_weeks x "
                          "plan.peptide_nmol; largest feasible activity by "
                          "scipy.optimize.elementwise.find_root (Chandrupatla)",
             "source": f"prrt-simulator {package_version()}", "git_revision": git_revision(),
             "config_yaml": config_yaml(cfg), "seed": int(cfg["seed"])}
    gain, low, high = paired_gain(y_plan, y_conf, int(cfg["seed"]))
    attrs.update({"gain_over_configured": gain, "gain_ci_low": low, "gain_ci_high": high,
                  "gain_units": units,
                  "gain_description": "mean over the patients of (chosen plan - configured "
                                      "schedule) on the objective, re-simulated; 95 % paired "
                                      "percentile-bootstrap interval"})
    rate, lo_, hi_ = wilson_interval(int(over_plan.sum()), over_plan.size)
    attrs.update({"resimulated_over_limit": rate, "resimulated_over_limit_ci_low": lo_,
                  "resimulated_over_limit_ci_high": hi_,
                  "configured_over_limit": float(over_conf.mean())})
    coords = {"group": ("group", np.arange(n_groups), {"long_name": "plan group: the whole "
                                                        "cohort, or one patient each"})}
    return xr.Dataset(dv, coords=coords, attrs=attrs)
