"""The prior of one patient: the population's distributions around the patient's known values.

The twins of a patient share everything the file knows (covariates, lesions and their
baseline volumes, the schedule) and draw everything else from the population prior
(``settings.prior``, a cohort config of ``conf/cohort/``).  The draws are made in the
standard-normal space of the cohort machinery (:mod:`simulator.cohort`): a vector ``z`` of
independent standard normals goes through the Gaussian copula and each marginal's inverse
CDF, so the prior density of ``z`` is N(0, I) whatever the marginals, and an importance
sampler can propose ``z`` from any other density (:mod:`simulator.personal.update`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..cohort import correlated_normals, parse_parameters
from ..cohort.distributions import Distribution, parse_distribution
from ..config import compose_unchecked
from ..config.dotted import with_values
from ..config.rules import fail
from ..config.validation import to_plain
from ..configure import resolve_overrides, validate
from .measurements import PatientFile
from .settings import Settings

#: the population's patient-level SSTR2 density, replaced by one density per lesion
PATIENT_DENSITY = "patient.sstr_density_nmol_per_l"


@dataclass(frozen=True)
class Prior:
    """A validated twin config and the map from standard normals to parameter values."""

    cfg: dict                       # validated config of the twins (cohort = the prior)
    names: tuple[str, ...]          # sampled config paths, sorted
    dists: dict[str, Distribution]
    chol: np.ndarray

    @property
    def dim(self) -> int:
        return len(self.names)

    def values(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values (config path -> (n,) array) of standard normals ``z`` (n, dim)."""
        z = np.atleast_2d(np.asarray(z, dtype=float))
        u = special.ndtr(correlated_normals(z, self.chol))
        u = np.clip(u, 1e-15, 1.0 - 1e-15)
        return {name: self.dists[name].ppf(u[:, i]) for i, name in enumerate(self.names)}

    @staticmethod
    def log_density(z: np.ndarray) -> np.ndarray:
        """ln N(z; 0, I) per row (the prior in z-space)."""
        z = np.atleast_2d(z)
        return -0.5 * np.sum(z * z, axis=1) - 0.5 * z.shape[1] * math.log(2.0 * math.pi)


def _lesion_density_specs(population: dict, patient: PatientFile, gsd_intra: float,
                          prior_name: str) -> tuple[dict, list]:
    """Per-lesion density specs and their copula entries from the population's patient-level
    lognormal: total ln-spread sqrt(s_pop^2 + s_intra^2), pairwise rho = s_pop^2 / total^2."""
    spec = population.get(PATIENT_DENSITY)
    if not isinstance(spec, dict) or spec.get("dist") != "lognormal" \
            or set(spec) - {"dist", "median", "gsd"}:
        fail(f"cohort.parameters.{PATIENT_DENSITY}", spec,
             f"the prior {prior_name!r} must give the patient-level SSTR2 density as an "
             "untruncated lognormal {dist, median, gsd}: the per-lesion densities of a "
             "personal prediction are built from it")
    s_pop, s_intra = math.log(spec["gsd"]), math.log(gsd_intra)
    total = math.sqrt(s_pop ** 2 + s_intra ** 2)
    specs = {f"lesions.{lesion.name}.sstr_density_nmol_per_l":
             {"dist": "lognormal", "median": spec["median"], "gsd": math.exp(total),
              "high": 5000.0} for lesion in patient.lesions}
    names = sorted(specs)
    rho = s_pop ** 2 / total ** 2 if total > 0 else 0.0
    pairs = [{"a": a, "b": b, "rho": rho} for i, a in enumerate(names) for b in names[i + 1:]]
    return specs, pairs if 0.0 < rho < 1.0 else []


def _unknown_volume_specs(cohort: dict, patient: PatientFile, prior_name: str) -> dict:
    """A sampled baseline volume for every lesion whose volume the file does not give: the
    prior cohort's lesion-volume distribution (independent between lesions)."""
    unknown = [lesion.name for lesion in patient.lesions if lesion.volume_ml is None]
    if not unknown:
        return {}
    spec = (cohort.get("lesions") or {}).get("volume_ml")
    if not isinstance(spec, dict) or "median" not in spec:
        fail("cohort.lesions.volume_ml", spec,
             f"lesions {unknown} have no baseline volume_ml in the patient file, so the prior "
             f"{prior_name!r} must give a lesion-volume distribution with a median (a cohort "
             "with generated lesions, e.g. netter1)")
    return {f"lesions.{name}.volume_ml": dict(spec) for name in unknown}


def twin_config(patient: PatientFile, settings: Settings, overrides=()) -> dict:
    """Validated config of the patient's twins: the prior cohort with the known values set.

    ``overrides`` are Hydra override strings for the rest of the config (``solver.rtol=...``,
    ``response.follow_up_months=...``).
    """
    # an override of a value the prior samples or fixes per twin gets the meaning that
    # cohort.sampled_override gives it everywhere else (error by default; fix; shift)
    composed = compose_unchecked([f"cohort={settings.prior}", *overrides])
    plain = copy.deepcopy(to_plain(resolve_overrides(composed, overrides)))
    if plain["solver"]["lanes"] != 1:   # the twins' courses run cycle by cycle (course.py)
        fail("solver.lanes", plain["solver"]["lanes"], "must be 1 for personal prediction: "
             "the twins are integrated one cycle at a time by the scalar engine, so patients "
             "in lockstep would have no effect")
    cohort = plain["cohort"]
    params = dict(cohort.get("parameters") or {})
    lesion_specs, pairs = _lesion_density_specs(params, patient,
                                                settings.lesion_intra_patient_gsd,
                                                settings.prior)
    median = lesion_specs and next(iter(lesion_specs.values()))["median"]
    volume_specs = _unknown_volume_specs(cohort, patient, settings.prior)
    plain["lesions"] = {lesion.name: {
        "volume_ml": lesion.volume_ml if lesion.volume_ml is not None
        else float(volume_specs[f"lesions.{lesion.name}.volume_ml"]["median"]),
        "site": lesion.site, "sstr_density_nmol_per_l": float(median),
        "perfusion_ml_per_min_per_ml": None} for lesion in patient.lesions}
    known = set(patient.covariates) | {PATIENT_DENSITY}
    params = {k: v for k, v in params.items() if k not in known
              and not k.startswith("lesions.")}
    params.update(lesion_specs)
    params.update(volume_specs)
    # a population value given as a plain number is a constant, not a parameter of the
    # patient: it goes into the config, so that the sampler, the posterior and the SBC
    # see only what can vary (a point mass has no rank and adds a useless dimension)
    constants = {k: parse_distribution(k, v, prefix="cohort.parameters").params["value"]
                 for k, v in params.items() if not isinstance(v, dict)}
    params = {k: v for k, v in params.items() if isinstance(v, dict)}
    plain = with_values(plain, constants)
    cohort = plain["cohort"]
    for path, value in patient.covariates.items():
        section, key = path.split(".")
        plain[section][key] = value
    if patient.renal_risk_factors is not None:
        plain["patient"]["renal_risk_factors"] = patient.renal_risk_factors
    first = patient.cycles[0]
    plain["therapy"]["activity_gbq"] = first.activity_gbq     # nominal; the schedule is
    plain["therapy"]["n_cycles"] = len(patient.cycles)        # patient.cycles (course.py)
    if first.peptide_nmol is not None:
        plain["therapy"]["peptide_nmol"] = first.peptide_nmol
    correlations = [c for c in (cohort.get("correlations") or [])
                    if c["a"] in params and c["b"] in params]
    cohort.update(parameters=params, correlations=correlations + pairs, lesions=None,
                  n_patients=1)
    return validate(plain)


def build_prior(patient: PatientFile, settings: Settings, overrides=()) -> Prior:
    cfg = twin_config(patient, settings, overrides)
    names, dists, chol = parse_parameters(cfg["cohort"])
    return Prior(cfg=cfg, names=tuple(names), dists=dists, chol=chol)
