"""The calibration targets as likelihood terms, and the log-likelihood of hyperparameters.

Each :class:`Term` compares one summary statistic (:mod:`.summaries`) with one declared
target of ``experiments/targets/calibration.yaml`` (docs/targets.md).  Its variance is the sum
of

- the target's sampling variance: binomial ``p (1 - p) / n_trial`` at the *model's* rate for
  a count k of n, or the squared SE of a published 95 % interval ((high - low) / 3.92);
- the simulator's Monte Carlo variance at the design's cohort size: the same sampling
  variance scaled by ``n_trial / n_simulated``;
- the emulator's predictive variance (its own uncertainty and the white noise it fitted);
- a declared model discrepancy (our assumption, stated per term in :data:`TERM_SPECS`).

A one-sided target (``lower_bound``) contributes ``log Phi((s - bound) / sd)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.special import log_ndtr

#: target name -> (statistic, n_trial for the Monte Carlo scaling, discrepancy sd, why);
#: n_trial None: the target's own n (a count k of n in the target file)
#: Targets of calibration.yaml not listed here are not used; :data:`UNUSED` says why.
TERM_SPECS = {
    "netter1_orr_treated": ("orr_treated", None, 0.0, ""),
    "netter1_orr_control": ("orr_control", None, 0.0, ""),
    "netter1_pfs20_treated": ("pfs20_treated", 116, 0.0, ""),
    "netter1_pfs20_control": ("pfs20_control", 113, 0.0,
                              "same patients as the control median's PFS(8.4): the two KM "
                              "points are correlated (Greenwood ~0.35), treated as independent"),
    "netter1_median_pfs_control": ("pfs8p4_control", 113, 0.0,
                                   "the median 8.4 months as its KM point, PFS(8.4) = 0.5, SE "
                                   "sqrt(0.25 / 113) (its CI 6.0-9.1 is asymmetric, and the "
                                   "simulated median jumps between visits, which an emulator "
                                   "cannot follow)"),
    "kwekkeboom2008_cr": ("kwekkeboom_cr", None, 0.005,
                          "mixed GEP-NET population (pancreatic share and study-level "
                          "new-lesion factor: hyperparameters since the fifth calibration) and "
                          "SWOG-type criteria: discrepancy sd 25 % of the value [INFER]"),
    "kwekkeboom2008_pd": ("kwekkeboom_pd", None, 0.10,
                          "as kwekkeboom2008_cr, doubled: the 20 % was not seen in the "
                          "abstract (docs/targets.md)"),
    "ezziddin2014_pnet_pr": ("ezziddin_pr", None, 0.0,
                             "the pancreatic population's RECIST response rate (treated arm of "
                             "cohort=netter1 with pancreatic_alpha_factor, clearance 30 d); a "
                             "term since the fifth calibration (docs/targets.md, 2026-12-02)"),
    "roth2022_lesion_dose_fall_per_cycle": ("lesion_dose_fall_per_cycle", 41, 0.0,
                                            "declared span 6-14 % read as +/- 2 sd"),
    "clinnucmed2013_tumour_gy_per_gbq": ("tumour_gy_per_gbq", 61, 0.0,
                                         "declared +/- 0.68 read as +/- 1.96 sd"),
    "staanum2021_kidney_gy_per_gbq": ("kidney_gy_per_gbq", 56, 0.0,
                                      "declared +/- 13 % read as +/- 1.96 sd"),
}

#: targets of calibration.yaml that are not likelihood terms, and why (decided 2026-11-30,
#: before the first fit was run; the design review of that day)
UNUSED = {
    "netter1_cr_treated": "its value (1/101) was recalled, never seen: docs/targets.md asks to "
                          "read it or drop it; dropped. The RECIST CR rate is a posterior "
                          "predictive check",
    "netter1_median_pfs_treated_bound": "implied by netter1_pfs20_treated: the same KM curve "
                                        "(PFS at 18.4 and 20 months correlate at 0.996 over the "
                                        "design); a posterior predictive check",
    "kwekkeboom2008_pr": "on a diameter sum the SWOG PR cut (-29.3 %) is almost RECIST's (-30 %), "
                         "so this is a second ORR (30 % vs NETTER-1's 18 %) of another "
                         "population (mixed GEP-NET, not all progressive); fitting both pulls "
                         "the NETTER-1 population between two; a posterior predictive check",
    "kwekkeboom2008_mr": "as kwekkeboom2008_pr: a posterior predictive check",
    "kwekkeboom2008_sd": "implied by the other four categories (they sum to 1)",
    "roth2022_lesion_dose_range": "a minimum and maximum over 880 lesion-cycles has no simple "
                                  "likelihood; a posterior predictive check (0.1th-99.9th "
                                  "percentiles)",
}


@dataclass(frozen=True)
class Term:
    """One likelihood term: ``statistic`` against a target ``value``."""

    name: str
    statistic: str
    value: float
    kind: str            # binomial | normal | lower_bound
    se: float            # published SE (normal, lower_bound); unused for binomial
    n_trial: int
    discrepancy_sd: float
    note: str

    def sampling_var(self, model: np.ndarray) -> np.ndarray:
        """The target's sampling variance (binomial: at the model's rate)."""
        if self.kind == "binomial":
            p = np.clip(model, 1e-4, 1.0 - 1e-4)
            return p * (1.0 - p) / self.n_trial
        return np.full(np.shape(model), self.se ** 2)


def target_interval(entry: dict) -> tuple[float, float | None]:
    """The published 95 % interval of one target entry of a target file: the Wilson interval
    of ``k`` of ``n`` (``interval_kind: wilson95_from_n_k``) or its ``interval`` (upper end
    ``None``: not reached)."""
    if entry["interval_kind"] == "wilson95_from_n_k":
        from ..summary import wilson_interval
        _, lo, hi = wilson_interval(int(entry["k"]), int(entry["n"]))
        return float(lo), float(hi)
    lo, hi = entry["interval"]
    return float(lo), (None if hi is None else float(hi))


def declared_target(path: Path, name: str) -> tuple[float, tuple[float, float | None]]:
    """(value, interval) of the target ``name`` of a declared target file
    (``experiments/targets/calibration.yaml`` or ``validation.yaml``); KeyError naming the
    file if it has no such target."""
    entries = {t["name"]: t for t in yaml.safe_load(Path(path).read_text())["targets"]}
    if name not in entries:
        raise KeyError(f"{path}: no target {name!r}")
    return float(entries[name]["value"]), target_interval(entries[name])


#: targets of :data:`UNUSED` that a declared sensitivity variant may add back as a term
#: (``load_terms(..., add=...)``; docs/targets.md (c)): name -> TERM_SPECS-style entry
VARIANT_TERMS = {
    "netter1_cr_treated": ("recist_cr_treated", None, 0.0,
                           "recalled 1/101, never read: a sensitivity variant only (declared "
                           "2026-12-02, docs/targets.md (c))"),
}


def load_terms(path: Path, add: tuple[str, ...] = ()) -> list[Term]:
    """The likelihood terms of the calibration target file (checked: every term's target
    exists, and every target is either a term or in :data:`UNUSED`), and the
    :data:`VARIANT_TERMS` named in ``add`` (ValueError for another name)."""
    bad = [a for a in add if a not in VARIANT_TERMS]
    if bad:
        raise ValueError(f"no variant term {bad}: allowed {sorted(VARIANT_TERMS)}")
    targets = {t["name"]: t for t in yaml.safe_load(Path(path).read_text())["targets"]}
    unknown = set(targets) - set(TERM_SPECS) - set(UNUSED)
    missing = set(TERM_SPECS) - set(targets)
    if unknown or missing:
        raise ValueError(f"{path}: targets without a likelihood decision {sorted(unknown)}; "
                         f"terms without a target {sorted(missing)}")
    terms = []
    specs = {**TERM_SPECS, **{a: VARIANT_TERMS[a] for a in add}}
    for name, (stat, n_trial, disc, note) in specs.items():
        t = targets[name]
        kind, lo_hi = t["interval_kind"], t.get("interval")
        if kind == "wilson95_from_n_k":
            terms.append(Term(name, stat, t["k"] / t["n"], "binomial", float("nan"), t["n"],
                              disc, note))
        elif stat.startswith("pfs") and t["units"] == "months":
            # a median as its KM point: PFS(median) = 0.5, binomial SE at the arm's size
            terms.append(Term(name, stat, 0.5, "normal", float(np.sqrt(0.25 / n_trial)),
                              n_trial, disc, note))
        elif kind in ("ci95", "declared"):
            terms.append(Term(name, stat, float(t["value"]), "normal",
                              (lo_hi[1] - lo_hi[0]) / 3.92, n_trial, disc, note))
        else:
            raise ValueError(f"{path}: target {name}: interval_kind {kind!r} has no term")
    return terms


def log_likelihood(terms: list[Term], statistics: list[str], mean: np.ndarray,
                   emulator_var: np.ndarray, n_simulated: int,
                   per_term: bool = False) -> np.ndarray:
    """Log-likelihood (m,) of ``m`` emulated points (``mean``, ``emulator_var``: (m,
    n_stats) over ``statistics``); with ``per_term``, (m, n_terms)."""
    out = np.empty((len(mean), len(terms)))
    for i, term in enumerate(terms):
        j = statistics.index(term.statistic)
        m = mean[:, j]
        samp = term.sampling_var(m)
        var = samp + samp * term.n_trial / n_simulated + emulator_var[:, j] \
            + term.discrepancy_sd ** 2
        if term.kind == "lower_bound":
            out[:, i] = log_ndtr((m - term.value) / np.sqrt(var))
        else:
            out[:, i] = -0.5 * ((m - term.value) ** 2 / var + np.log(2.0 * np.pi * var))
    return out if per_term else out.sum(axis=1)
