"""Configuration schema: dataclasses registered with Hydra's ConfigStore.

Every numeric field carries its unit in its name and a ``bounds`` entry in its
metadata (``lo``, ``hi`` and whether they are inclusive), which
:mod:`simulator.config.validation` checks before any computation.  The
default values live in the YAML files under ``conf/`` (each with its source);
the schema below only fixes types and bounds, so no default is written twice.  Bounds are
plausibility limits, not clinical recommendations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

#: therapy schedules (docs/planning.md): the config's cycles as given, or adaptive rules
#: evaluated inside the simulation, patient by patient (simulator/adaptive.py)
SCHEDULES = ("fixed", "dosimetry_guided", "personalised_activity")
#: organ-at-risk limits an adaptive schedule or a plan can keep (limits.enforced)
LIMIT_NAMES = ("kidney_bed", "kidney_dose", "marrow_dose")
#: what ``prrt-sim plan`` maximises (simulator/planning.py)
OBJECTIVES = ("orr", "cmr_near_complete", "pfs", "tcp")

LESION_SITES = (
    "liver", "lymph_node", "bone", "lung", "peritoneum", "pancreas",
    "soft_tissue", "retroperitoneum", "pelvis", "other",
)


def bounded(lo: float, hi: float, *, default: Any = MISSING, lo_open: bool = False,
            hi_open: bool = False, unit: str = "") -> Any:
    """A dataclass field with numeric bounds (inclusive unless ``*_open``) in its metadata.

    Without ``default`` the value is required and comes from the YAML under ``conf/``,
    where it is stated with its source.
    """
    return field(default=default,
                 metadata={"bounds": (lo, hi, lo_open, hi_open), "unit": unit})


@dataclass
class LesionConfig:
    """One tumour lesion, uniform uptake, spherical for dosimetry."""

    volume_ml: float = bounded(0.0, 5000.0, lo_open=True, unit="mL")
    site: str = field(default="other", metadata={"choices": LESION_SITES})
    # None: use patient.sstr_density_nmol_per_l
    sstr_density_nmol_per_l: float | None = bounded(0.0, 5000.0, default=None, unit="nmol/L")
    # None: use pk.tumour.perfusion_ml_per_min_per_ml
    perfusion_ml_per_min_per_ml: float | None = bounded(0.0, 10.0, default=None, lo_open=True,
                                                        unit="mL/min/mL")


@dataclass
class PatientConfig:
    body_mass_kg: float = bounded(20.0, 300.0, unit="kg")
    hematocrit: float = bounded(0.15, 0.65)
    plasma_volume_l: float = bounded(1.0, 8.0, unit="L")
    rest_interstitial_volume_l: float = bounded(1.0, 40.0, unit="L")
    gfr_ml_per_min: float = bounded(5.0, 250.0, unit="mL/min")
    kidney_mass_g: float = bounded(50.0, 1000.0, unit="g")
    spleen_mass_g: float = bounded(10.0, 3000.0, unit="g")
    liver_mass_g: float = bounded(500.0, 6000.0, unit="g")
    red_marrow_mass_g: float = bounded(200.0, 4000.0, unit="g")
    sstr_density_nmol_per_l: float = bounded(0.0, 5000.0, unit="nmol/L")
    spleen_sstr_nmol: float = bounded(0.0, 200.0, unit="nmol")
    liver_sstr_nmol: float = bounded(0.0, 500.0, unit="nmol")
    kidney_sstr_nmol: float = bounded(0.0, 100.0, unit="nmol")
    renal_risk_factors: bool = MISSING   # hypertension, diabetes: kidney BED limit 28 Gy


@dataclass
class TherapyConfig:
    # fixed: every cycle's activity; adaptive schedules: the first cycle's
    activity_gbq: float = bounded(0.0, 30.0, unit="GBq")
    # fixed: the number of cycles; dosimetry_guided: the most; personalised_activity: N
    n_cycles: int = bounded(1, 12)
    interval_weeks: float = bounded(1.0, 52.0, unit="weeks")
    peptide_nmol: float = bounded(0.0, 5000.0, unit="nmol")  # 0: no peptide (therapy=none)
    schedule: str = field(default=MISSING, metadata={"choices": SCHEDULES})
    # bounds of an activity per cycle chosen by the simulator (personalised_activity, plan)
    min_activity_gbq: float = bounded(0.0, 30.0, lo_open=True, unit="GBq")
    max_activity_gbq: float = bounded(0.0, 30.0, lo_open=True, unit="GBq")
    # personalised_activity: the activity is set again after every cycle's dosimetry, or
    # once, after the first cycle's
    replan: str = field(default=MISSING, metadata={"choices": ("every_cycle", "first_cycle")})


@dataclass
class TissuePK:
    """Physiology of one receptor-bearing tissue (per mL of tissue)."""

    perfusion_ml_per_min_per_ml: float = bounded(0.0, 10.0, lo_open=True, unit="mL/min/mL")
    vascular_fraction: float = bounded(0.0, 0.9, lo_open=True)
    interstitial_fraction: float = bounded(0.0, 0.9, lo_open=True)
    ps_ml_per_min_per_ml: float = bounded(0.0, 100.0, lo_open=True, unit="mL/min/mL")
    release_half_life_h: float = bounded(0.1, 1e5, unit="h")


@dataclass
class PKConfig:
    k_on_l_per_nmol_per_h: float = bounded(1e-3, 1e4, unit="L/nmol/h")
    k_d_nmol_per_l: float = bounded(1e-3, 1e3, unit="nmol/L")
    internalisation_half_life_h: float = bounded(1e-3, 1e3, unit="h")
    filtered_fraction: float = bounded(0.0, 1.0, lo_open=True)
    kidney_reabsorbed_fraction: float = bounded(0.0, 1.0, hi_open=True)
    tubular_release_half_life_h: float = bounded(0.1, 1e5, unit="h")
    rest_exchange_l_per_h: float = bounded(0.0, 1e3, lo_open=True, unit="L/h")
    tumour: TissuePK = field(default_factory=TissuePK)
    kidneys: TissuePK = field(default_factory=TissuePK)
    spleen: TissuePK = field(default_factory=TissuePK)
    liver: TissuePK = field(default_factory=TissuePK)


@dataclass
class RepairConfig:
    """Linear-quadratic parameters of one target (incomplete repair, docs/model.md §5)."""

    alpha_beta_gy: float = bounded(0.5, 100.0, unit="Gy")
    repair_half_time_h: float = bounded(0.05, 24.0, unit="h")


@dataclass
class RadiobiologyConfig:
    tumour_alpha_per_gy: float = bounded(0.0, 2.0, unit="1/Gy")
    tumour: RepairConfig = field(default_factory=RepairConfig)
    kidneys: RepairConfig = field(default_factory=RepairConfig)
    red_marrow: RepairConfig = field(default_factory=RepairConfig)


@dataclass
class TumourConfig:
    """Viable/doomed cell kinetics and stroma of every lesion (docs/model.md §6)."""

    growth: str = field(default=MISSING, metadata={"choices": ("exponential", "gompertz")})
    # < 0: a regressing tumour (net cell loss)
    volume_growth_percent_per_month: float = bounded(-50.0, 100.0, unit="%/month")
    gompertz_max_volume_ml: float = bounded(1.0, 1e5, unit="mL")
    doomed_clearance_half_time_d: float = bounded(0.1, 3650.0, unit="d")
    # extra clearance rate of doomed cells per unit of the lesion's net growth rate
    doomed_clearance_per_net_growth: float = bounded(0.0, 100.0)
    # receptors a lethally damaged (doomed) cell keeps, relative to a viable cell
    doomed_receptor_fraction: float = bounded(0.0, 1.0)
    # the lesion's vascular/interstitial volumes, flow and PS follow its volume, or not
    vascular_space: str = field(default=MISSING,
                                metadata={"choices": ("follows_volume", "fixed")})
    stroma_fraction: float = bounded(0.0, 0.95)
    cell_density_per_ml: float = bounded(1e7, 1e10, unit="cells/mL")
    clonogenic_fraction: float = bounded(0.0, 1.0, lo_open=True)
    # None: no clonogen proliferation (birth rate 0; then growth must be 0 too)
    potential_doubling_time_d: float | None = bounded(0.5, 3650.0, unit="d")
    # hazard of a first new (RECIST-unequivocal) lesion without PRRT, and its ratio on PRRT
    new_lesion_rate_per_month: float = bounded(0.0, 10.0, unit="1/month")
    new_lesion_rate_ratio_on_prrt: float = bounded(0.0, 10.0)


@dataclass
class ResponseConfig:
    """Response assessment: RECIST 1.1, SSTR-PET metabolic response (docs/model.md §8)."""

    assessment_interval_weeks: float = bounded(1.0, 52.0, unit="weeks")
    follow_up_months: float = bounded(1.0, 240.0, unit="months")
    detectability_mm: float = bounded(0.0, 30.0, unit="mm")
    target_min_diameter_mm: float = bounded(0.0, 100.0, unit="mm")
    lymph_node_min_diameter_mm: float = bounded(0.0, 100.0, unit="mm")
    lymph_node_normal_mm: float = bounded(0.0, 100.0, unit="mm")
    max_targets: int = bounded(1, 20)
    max_targets_per_organ: int = bounded(1, 20)
    confirmation: bool = MISSING
    confirmation_min_weeks: float = bounded(0.0, 52.0, unit="weeks")
    pr_threshold: float = bounded(0.0, 1.0, lo_open=True, hi_open=True)
    pd_threshold: float = bounded(0.0, 10.0, lo_open=True)
    pd_min_increase_mm: float = bounded(0.0, 100.0, unit="mm")
    near_complete_threshold: float = bounded(0.0, 1.0, lo_open=True, hi_open=True)
    pet_detectability_ml: float = bounded(0.0, 100.0, unit="mL")


@dataclass
class ObservationConfig:
    """How the clinic measures the simulated truth (docs/model.md §8.5): all 0 = exact."""

    recist_diameter_cv: float = bounded(0.0, 1.0)          # per lesion and assessment
    visit_jitter_weeks: float = bounded(0.0, 26.0, unit="weeks")  # visit date +- uniform
    kidney_dose_cv: float = bounded(0.0, 2.0)              # SPECT/CT kidney dosimetry, per cycle
    lesion_dose_cv: float = bounded(0.0, 2.0)              # SPECT/CT lesion dosimetry, per cycle


@dataclass
class LimitsConfig:
    """Organ-at-risk limits: flags in every output; the adaptive schedules and the planner
    keep the ``enforced`` ones (the engine itself never stops at a limit)."""

    kidney_bed_gy_with_risk_factors: float = bounded(0.0, 200.0, lo_open=True, unit="Gy")
    kidney_bed_gy: float = bounded(0.0, 200.0, lo_open=True, unit="Gy")
    kidney_dose_gy: float = bounded(0.0, 200.0, lo_open=True, unit="Gy")
    marrow_dose_gy: float = bounded(0.0, 50.0, lo_open=True, unit="Gy")
    # names from LIMIT_NAMES (checked by simulator.config.rules.check_limits)
    enforced: list[str] = field(default_factory=list)


@dataclass
class DosimetryConfig:
    tissue_density_g_per_ml: float = bounded(0.9, 1.2, unit="g/mL")
    marrow_blood_ratio: float = bounded(0.0, 5.0)


@dataclass
class SolverConfig:
    rtol: float = bounded(1e-13, 1e-3, lo_open=False)
    atol_nmol: float = bounded(1e-30, 1e-6, unit="nmol")
    max_steps: int = bounded(100, 100_000_000)
    tail_weeks: float = bounded(1.0, 200.0, unit="weeks")
    chunk_size: int = bounded(1, 10_000_000)
    lanes: int = bounded(1, 64, default=1)


@dataclass
class OutputConfig:
    save_timeseries: bool = MISSING
    plots: bool = MISSING
    progress: bool = MISSING
    timeseries_points_per_cycle: int = bounded(10, 100_000)
    filename: str = MISSING
    per_patient: bool = MISSING
    summary_filename: str = MISSING


@dataclass
class CohortConfig:
    """Virtual-patient population (docs/model.md §9); checked in detail by simulator.cohort."""

    n_patients: int = bounded(1, 100_000_000)
    sampling: str = field(default=MISSING, metadata={"choices": ("random", "sobol", "halton")})
    # dotted config path -> distribution spec or number (simulator/cohort/distributions.py)
    parameters: dict[str, Any] = field(default_factory=dict)
    # entries {a: path, b: path, rho: r} of the Gaussian copula
    correlations: list[Any] = field(default_factory=list)
    # None, or {count, volume_ml, sites, max_count}: generated lesions per patient
    lesions: Any = None
    # what an override / sweep / grid value of a sampled parameter means
    # (simulator/cohort/overrides.py, docs/cohorts.md)
    sampled_override: str = field(default="error", metadata={"choices": ("error", "fix",
                                                                         "shift")})


@dataclass
class PlanConfig:
    """``prrt-sim plan``: the fixed schedule that maximises ``objective`` within the enforced
    limits, searched over these values (simulator/planning.py, docs/planning.md)."""

    objective: str = field(default=MISSING, metadata={"choices": OBJECTIVES})
    # cohort: one plan for all patients (the twins of one patient, or a population);
    # patient: one plan per patient
    scope: str = field(default=MISSING, metadata={"choices": ("cohort", "patient")})
    # candidate values (each checked against the therapy field's bounds)
    n_cycles: list[int] = field(default_factory=list)
    interval_weeks: list[float] = field(default_factory=list)
    peptide_nmol: list[float] = field(default_factory=list)
    # activities tried per (cycles, interval, peptide), from therapy.min_activity_gbq to the
    # largest that keeps the limits (therapy.max_activity_gbq at most)
    activity_points: int = bounded(2, 20)
    # largest accepted fraction of a plan's patients (twins) over an enforced limit
    max_exceedance_probability: float = bounded(0.0, 1.0, hi_open=True)
    filename: str = MISSING


@dataclass
class Config:
    seed: int = bounded(0, 2**63 - 1)
    patient: PatientConfig = field(default_factory=PatientConfig)
    lesions: dict[str, LesionConfig] = field(default_factory=dict)
    therapy: TherapyConfig = field(default_factory=TherapyConfig)
    pk: PKConfig = field(default_factory=PKConfig)
    dosimetry: DosimetryConfig = field(default_factory=DosimetryConfig)
    radiobiology: RadiobiologyConfig = field(default_factory=RadiobiologyConfig)
    tumour: TumourConfig = field(default_factory=TumourConfig)
    response: ResponseConfig = field(default_factory=ResponseConfig)
    observation: ObservationConfig = field(default_factory=ObservationConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    solver: SolverConfig = field(default_factory=SolverConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    cohort: CohortConfig = field(default_factory=CohortConfig)
    # dotted config path -> list of values: an in-process parameter grid (simulator/sweep/grid.py)
    grid: dict[str, Any] = field(default_factory=dict)
    # None: simulate; a plan block (conf/plan/, ``prrt-sim plan``): optimise the schedule
    plan: PlanConfig | None = None


def register_configs() -> None:
    """Register the schema so ``conf/config.yaml`` can extend ``base_config``."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
