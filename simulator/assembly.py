"""Assembly: per-patient parameter columns -> the numeric arrays the kernels read.

The one module that reads :class:`simulator.population.Columns` (config values, or sampled
values per patient) and turns them into arrays for the physics: the PBPK parameter tables
(:mod:`simulator.pk.parameters` layout), the lesion table (:mod:`simulator.tumour.parameters`
layout), the dose map (:mod:`simulator.dosimetry.dose_map`), the injection schedule, the
initial states and tolerances of the coupled model.  Python only: validates nothing (the
config and every sampled patient were checked by :mod:`simulator.config.rules`), allocates
and fills arrays.  Units inside the kernels: nmol, L, h, MBq, Gy (docs/model.md §1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config.rules import check_gompertz_capacity, check_lesion_values
from .dosimetry.dose_map import ORGAN_TARGETS, dose_map_gy_per_mbq_h
from .dosimetry.spheres import LOG_MASS_G, LOG_S_GY_PER_MBQ_H
from .engine import layout as el
from .engine import model
from .engine.structure import solver_structure, structural_pattern
from .nuclides import activity_mbq_per_nmol, lu177
from .pk import parameters as pkp
from .pk.layout import COLD, HOT, ORGAN_NAMES, PLASMA, block_size
from .pk.parameters import PKSystem
from .population import Columns, LesionArrays
from .tumour import parameters as tp
from .units import HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_WEEK, growth_rate_per_h

# absolute tolerances of the non-PK states; the relative tolerance governs whenever a
# quantity matters (doses of ~0.1-100 Gy, BED within 1e-6)
ATOL_LOG_CELLS = 1e-10
ATOL_CELLS = 1e-6
ATOL_GY = 1e-9       # D, Gamma (Gy) and Q (Gy^2): a tighter value made the solver chase
                     # rounding noise in Gamma ~ 1e-11 Gy months after the last cycle
ATOL_J_H = 1e-6      # J = int dt / n(t) (h), grows from 0


@dataclass(frozen=True)
class Schedule:
    """Injection and output times (h, shared by the chunk); activity and amounts injected per
    patient and cycle (GBq, nmol; a cycle a patient does not receive has 0 of both)."""

    injection_times_h: np.ndarray      # (n_cycles,)
    end_h: float
    activity_gbq: np.ndarray           # (n, n_cycles)
    hot_nmol: np.ndarray               # (n, n_cycles) 177Lu-labelled peptide
    cold_nmol: np.ndarray              # (n, n_cycles) unlabelled peptide
    assessment_times_h: np.ndarray

    @property
    def given(self) -> np.ndarray:
        """(n, n_cycles) True where a patient receives an injection."""
        return (self.hot_nmol > 0.0) | (self.cold_nmol > 0.0)

@dataclass(frozen=True)
class KernelModel:
    """Numeric arrays of the coupled model for a chunk of patients (leading axis n)."""

    system: PKSystem
    lesions: LesionArrays
    lesion: np.ndarray                 # (n, L, tp.N_LESION_PARAMS)
    dose_map_gy_per_mbq_h: np.ndarray  # (n, n_targets, n_regions)
    oar_rows: tuple[int, ...]          # dose-map rows tracked for repair (kidneys, marrow)
    oar_mu: np.ndarray                 # (n, n_oar) repair rates (1/h)

    @property
    def n(self) -> int:
        return self.lesion.shape[0]

    @property
    def n_states(self) -> int:
        return el.n_states(self.system.n_tissues)

    def kernel_arrays(self) -> tuple:
        """Arrays in the order of :func:`simulator.engine.batch.run_batch`."""
        oar_map = self.dose_map_gy_per_mbq_h[:, list(self.oar_rows)] * self.system.mbq_per_nmol
        return (self.system.tissue, self.system.glob, self.lesion, np.ascontiguousarray(oar_map),
                self.oar_mu, LOG_MASS_G, LOG_S_GY_PER_MBQ_H,
                np.full((self.n, 1), self.system.mbq_per_nmol))

    def args(self, p: int) -> tuple:
        """Kernel argument tuple of patient p (for direct calls of the RHS and Jacobian)."""
        tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = self.kernel_arrays()
        return (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s, consts[p],
                np.zeros((2, self.system.n_tissues)))


def lesion_arrays(cols: Columns, generated: dict | None = None) -> LesionArrays:
    """Lesions from the config (named, same for every patient) or generated per patient."""
    cfg, n = cols.cfg, cols.n
    default_density = cols("patient.sstr_density_nmol_per_l")
    default_perfusion = cols("pk.tumour.perfusion_ml_per_min_per_ml")
    if generated is not None:
        width = generated["volume_ml"].shape[1]
        names = tuple(f"lesion_{k}" for k in range(width))
        present = np.arange(width)[None, :] < generated["count"][:, None]
        site_names = np.asarray(list(generated["site_names"]) + [""], dtype=object)
        return LesionArrays(
            names=names, count=np.asarray(generated["count"], dtype=int),
            volume_ml=np.where(present, generated["volume_ml"], np.nan),
            site=site_names[np.where(present, generated["site"], -1)],
            sstr_density_nmol_per_l=default_density[:, None] * generated["sstr_density_factor"],
            perfusion_ml_per_min_per_ml=np.repeat(default_perfusion[:, None], width, axis=1),
            alpha_factor=np.asarray(generated["alpha_factor"], dtype=float),
            growth_offset_percent_per_month=np.asarray(
                generated["growth_offset_percent_per_month"], dtype=float))
    names = tuple(cfg["lesions"])
    vol, site, dens, perf = [], [], [], []
    for name in names:
        lesion = cfg["lesions"][name]
        vol.append(cols(f"lesions.{name}.volume_ml"))
        site.append(np.full(n, lesion["site"], dtype=object))
        dens.append(default_density if lesion["sstr_density_nmol_per_l"] is None
                    else cols(f"lesions.{name}.sstr_density_nmol_per_l"))
        perf.append(default_perfusion if lesion["perfusion_ml_per_min_per_ml"] is None
                    else cols(f"lesions.{name}.perfusion_ml_per_min_per_ml"))

    def stack(items, dtype=float):
        return np.stack(items, axis=1) if items else np.zeros((n, 0), dtype=dtype)

    return LesionArrays(names=names, count=np.full(n, len(names)), volume_ml=stack(vol),
                        site=stack(site, object), sstr_density_nmol_per_l=stack(dens),
                        perfusion_ml_per_min_per_ml=stack(perf),
                        alpha_factor=np.ones((n, len(names))),
                        growth_offset_percent_per_month=np.zeros((n, len(names))))


# patient.<prefix>_mass_g / patient.<prefix>_sstr_nmol for each organ
_PATIENT_PREFIX = {"kidneys": "kidney", "spleen": "spleen", "liver": "liver"}

def _rate(half_life_h):
    return np.log(2.0) / half_life_h

def _tissue_rows(volume_l, prefix: str, perfusion, receptors_nmol, cols: Columns, hct):
    """(n, pkp.N_TISSUE_PARAMS) rows of one tissue for every patient (arrays broadcast)."""
    rows = np.empty((cols.n, pkp.N_TISSUE_PARAMS))
    rows[:, pkp.VV] = cols(f"{prefix}.vascular_fraction") * (1.0 - hct) * volume_l
    rows[:, pkp.VI] = cols(f"{prefix}.interstitial_fraction") * volume_l
    rows[:, pkp.Q] = perfusion * (1.0 - hct) * volume_l * 1000.0 * pkp.ML_PER_MIN_TO_L_PER_H
    rows[:, pkp.PS] = cols(f"{prefix}.ps_ml_per_min_per_ml") * volume_l * 1000.0 \
        * pkp.ML_PER_MIN_TO_L_PER_H
    rows[:, pkp.RTOT] = receptors_nmol
    rows[:, pkp.KON] = cols("pk.k_on_l_per_nmol_per_h")
    rows[:, pkp.KOFF] = cols("pk.k_d_nmol_per_l") * cols("pk.k_on_l_per_nmol_per_h")
    rows[:, pkp.KINT] = _rate(cols("pk.internalisation_half_life_h"))
    rows[:, pkp.KREL] = _rate(cols(f"{prefix}.release_half_life_h"))
    return rows

def build_pk_system(cols: Columns, lesions: LesionArrays) -> PKSystem:
    """PBPK parameter arrays of a chunk of patients."""
    n, n_les = cols.n, len(lesions.names)
    hct = cols("patient.hematocrit")
    density = cols("dosimetry.tissue_density_g_per_ml")
    tissue = np.zeros((n, 3 + n_les, pkp.N_TISSUE_PARAMS))
    masses = np.full((n, 3 + n_les), np.nan)
    for j, organ in enumerate(ORGAN_NAMES):
        prefix = _PATIENT_PREFIX[organ]
        mass_g = cols(f"patient.{prefix}_mass_g")
        tissue[:, j] = _tissue_rows(mass_g / density / 1000.0, f"pk.{organ}",
                                    cols(f"pk.{organ}.perfusion_ml_per_min_per_ml"),
                                    cols(f"patient.{prefix}_sstr_nmol"), cols, hct)
        masses[:, j] = mass_g
    present = lesions.present
    for k in range(n_les):
        volume_l = np.where(present[:, k], lesions.volume_ml[:, k], 1.0) / 1000.0
        rows = _tissue_rows(volume_l, "pk.tumour", lesions.perfusion_ml_per_min_per_ml[:, k],
                            lesions.sstr_density_nmol_per_l[:, k] * volume_l, cols, hct)
        for column in (pkp.Q, pkp.PS, pkp.RTOT):
            rows[~present[:, k], column] = 0.0
        tissue[:, 3 + k] = rows
        masses[:, 3 + k] = lesions.volume_ml[:, k] * density
    gfr_l_per_h = cols("patient.gfr_ml_per_min") * pkp.ML_PER_MIN_TO_L_PER_H
    glob = np.empty((n, pkp.N_GLOBAL_PARAMS))
    glob[:, pkp.VP] = cols("patient.plasma_volume_l")
    glob[:, pkp.VREST] = cols("patient.rest_interstitial_volume_l")
    glob[:, pkp.CLREST] = cols("pk.rest_exchange_l_per_h")
    glob[:, pkp.CLFILT] = gfr_l_per_h * cols("pk.filtered_fraction")
    glob[:, pkp.FREAB] = cols("pk.kidney_reabsorbed_fraction")
    glob[:, pkp.KTUB] = _rate(cols("pk.tubular_release_half_life_h"))
    glob[:, pkp.LAM] = lu177().decay_constant_per_h
    glob[:, pkp.CLMET] = gfr_l_per_h
    return PKSystem(tissue=tissue, glob=glob, tissue_mass_g=masses,
                    mbq_per_nmol=activity_mbq_per_nmol(lu177()))


def lesion_cell_volume_ml(cols: Columns, lesions: LesionArrays) -> np.ndarray:
    """(n, L) baseline volume of tumour cells (lesion volume less stroma), 1 mL placeholder
    volume for absent lesions (mL)."""
    f_s = cols("tumour.stroma_fraction")[:, None]
    return (1.0 - f_s) * np.where(lesions.present, lesions.volume_ml, 1.0)


def lesion_growth_percent_per_month(cols: Columns, lesions: LesionArrays) -> np.ndarray:
    """(n, L) net volume growth of each lesion: the patient's plus the lesion's offset."""
    return cols("tumour.volume_growth_percent_per_month")[:, None] \
        + lesions.growth_offset_percent_per_month


def check_lesions(cols: Columns, lesions: LesionArrays, first_patient: int = 0) -> None:
    """The per-lesion rules of every patient: lesion-level alpha and growth within their
    fields' bounds and growth below the clonogen birth rate
    (:func:`simulator.config.rules.check_lesion_values`), and a Gompertz carrying capacity
    above the cell volume of each lesion (:func:`simulator.config.rules.check_gompertz_capacity`).
    """
    check_lesion_values(cols("radiobiology.tumour_alpha_per_gy"), lesions.alpha_factor,
                        cols("tumour.volume_growth_percent_per_month"),
                        lesions.growth_offset_percent_per_month,
                        cols.with_nan("tumour.potential_doubling_time_d"), lesions.present,
                        lesions.names, first_patient)
    if cols.scalar("tumour.growth") == "gompertz":
        check_gompertz_capacity(cols("tumour.gompertz_max_volume_ml"),
                                lesion_cell_volume_ml(cols, lesions), lesions.present,
                                lesions.names, first_patient)


def build_lesion_table(cols: Columns, lesions: LesionArrays) -> np.ndarray:
    """(n, L, tp.N_LESION_PARAMS) table of a chunk of patients.

    An absent lesion (beyond a patient's count) is an inert 1 mL placeholder: no
    receptors, no kill, no growth.
    """
    n, n_les = cols.n, len(lesions.names)
    f_s = cols("tumour.stroma_fraction")[:, None]
    rho_cells = cols("tumour.cell_density_per_ml")[:, None]
    present = lesions.present
    v0_ml = np.where(present, lesions.volume_ml, 1.0)
    n0 = lesion_cell_volume_ml(cols, lesions) * rho_cells
    gompertz = cols.scalar("tumour.growth") == "gompertz"
    k_cells = cols("tumour.gompertz_max_volume_ml")[:, None] * rho_cells
    check_lesions(cols, lesions)
    alpha = cols("radiobiology.tumour_alpha_per_gy")[:, None] * lesions.alpha_factor
    table = np.zeros((n, n_les, tp.N_LESION_PARAMS))
    growth_per_h = growth_rate_per_h(lesion_growth_percent_per_month(cols, lesions))
    columns = {
        tp.R_CELL: lesions.sstr_density_nmol_per_l * v0_ml / 1000.0 / n0,
        tp.V_CELL_ML: 1.0 / rho_cells,
        tp.STROMA_ML: f_s * v0_ml,
        tp.RHO_G_PER_ML: cols("dosimetry.tissue_density_g_per_ml")[:, None],
        tp.GROWTH_PER_H: growth_per_h,
        tp.GOMPERTZ: 1.0 if gompertz else 0.0,
        tp.LN_K_CELLS: np.log(k_cells),
        tp.G_NORM: 1.0 / np.log(k_cells / n0) if gompertz else 0.0,
        tp.K_CLEAR: np.log(2.0) / (cols("tumour.doomed_clearance_half_time_d")[:, None]
                                * HOURS_PER_DAY)
        + cols("tumour.doomed_clearance_per_net_growth")[:, None] * np.maximum(growth_per_h, 0.0),
        tp.ALPHA: alpha,
        tp.BETA: alpha / cols("radiobiology.tumour.alpha_beta_gy")[:, None],
        tp.MU: np.log(2.0) / cols("radiobiology.tumour.repair_half_time_h")[:, None],
        tp.L0: np.log(n0),
        tp.DOOMED_R: cols("tumour.doomed_receptor_fraction")[:, None],
        tp.VASC_FOLLOWS: 1.0 if cols.scalar("tumour.vascular_space") == "follows_volume" else 0.0,
        tp.V0_ML: v0_ml,
    }
    for index, value in columns.items():
        table[..., index] = value
    for index in (tp.R_CELL, tp.GROWTH_PER_H, tp.ALPHA, tp.BETA, tp.K_CLEAR):
        table[..., index] = np.where(present, table[..., index], 0.0)
    return table


def build_model(cols: Columns, generated_lesions: dict | None = None) -> KernelModel:
    lesions = lesion_arrays(cols, generated_lesions)
    system = build_pk_system(cols, lesions)
    oar_mu = np.stack([math.log(2.0) / cols(f"radiobiology.{name}.repair_half_time_h")
                       for name in el.OAR_TARGETS], axis=1)
    return KernelModel(system=system, lesions=lesions, lesion=build_lesion_table(cols, lesions),
                 dose_map_gy_per_mbq_h=dose_map_gy_per_mbq_h(
                     system.tissue_mass_g, cols("patient.plasma_volume_l"),
                     cols("patient.hematocrit"), cols("patient.red_marrow_mass_g"),
                     cols("dosimetry.marrow_blood_ratio")),
                 oar_rows=tuple(ORGAN_TARGETS.index(name) for name in el.OAR_TARGETS),
                 oar_mu=oar_mu)

def initial_states(m: KernelModel) -> np.ndarray:
    y = np.zeros((m.n, m.n_states))
    les0 = el.lesion_offset(m.system.n_tissues)
    y[:, les0 + el.LES_L::el.N_LES_STATES] = m.lesion[..., tp.L0]
    return y

def absolute_tolerance(m: KernelModel, atol_nmol: float) -> np.ndarray:
    n_t = m.system.n_tissues
    atol = np.full(m.n_states, atol_nmol)
    atol[el.oar_offset(n_t):] = ATOL_GY
    les0 = el.lesion_offset(n_t)
    atol[les0 + el.LES_L::el.N_LES_STATES] = ATOL_LOG_CELLS
    atol[les0 + el.LES_ND::el.N_LES_STATES] = ATOL_CELLS
    atol[les0 + el.LES_J::el.N_LES_STATES] = ATOL_J_H
    return np.broadcast_to(atol, (m.n, m.n_states)).copy()

def jacobian_structure(m: KernelModel, pattern: np.ndarray | None = None
                       ) -> tuple[np.ndarray, ...]:
    """Solve structure of the coupled model's Jacobian (:mod:`simulator.engine.structure`).

    Read off the analytic Jacobian at random arguments (the sphere S-value tables kept;
    ``pattern``: :func:`jacobian_pattern` if already computed), with plasma (hot, cold) as
    the hub through which the tissues exchange peptide.
    """
    nb = block_size(m.system.n_tissues)
    if pattern is None:
        pattern = jacobian_pattern(m)
    return solver_structure(pattern, hub=(HOT * nb + PLASMA, COLD * nb + PLASMA))


def jacobian_pattern(m: KernelModel) -> np.ndarray:
    """Structural nonzeros of the coupled model's Jacobian, (n, n) bool: read off the
    analytic Jacobian at random arguments, the sphere S-value tables kept
    (:func:`simulator.engine.structure.structural_pattern`)."""
    args = m.args(0)
    fixed = tuple(i for i, a in enumerate(args) if a is LOG_MASS_G or a is LOG_S_GY_PER_MBQ_H)
    return structural_pattern(model.jac, args, m.n_states, fixed=fixed)

def assessment_times_h(cfg: dict) -> np.ndarray:
    """Response assessment times (h from the first injection), baseline first."""
    response = cfg["response"]
    follow_up_h = response["follow_up_months"] * HOURS_PER_MONTH
    step_h = response["assessment_interval_weeks"] * HOURS_PER_WEEK
    return step_h * np.arange(int(math.floor(follow_up_h / step_h + 1e-9)) + 1)


def make_schedule(cols: Columns, mbq_per_nmol: float,
                  activity_gbq: np.ndarray | None = None) -> Schedule:
    """Injection and assessment schedule (times from the first injection).

    ``activity_gbq`` (n, n_cycles): the activity of each patient's cycles (an adaptive
    schedule, :mod:`simulator.adaptive`); a cycle of activity 0 is not given (no peptide
    either).  Without it every cycle of the config's fixed schedule is given, with the
    patient's ``therapy.activity_gbq`` and ``therapy.peptide_nmol``.
    """
    cfg = cols.cfg
    therapy, response = cfg["therapy"], cfg["response"]
    interval_h = therapy["interval_weeks"] * HOURS_PER_WEEK
    times = interval_h * np.arange(therapy["n_cycles"], dtype=float)
    follow_up_h = response["follow_up_months"] * HOURS_PER_MONTH
    assessments = assessment_times_h(cfg)
    peptide = cols("therapy.peptide_nmol")[:, None]
    if activity_gbq is None:
        activity_gbq = np.repeat(cols("therapy.activity_gbq")[:, None], times.size, axis=1)
        given = np.ones(activity_gbq.shape, dtype=bool)
    else:
        activity_gbq = np.asarray(activity_gbq, dtype=float)
        if activity_gbq.shape != (cols.n, times.size):
            raise ValueError(f"activity_gbq has shape {activity_gbq.shape}, expected "
                             f"{(cols.n, times.size)} (patients, cycles)")
        given = activity_gbq > 0.0
    hot = activity_gbq * 1000.0 / mbq_per_nmol
    end_h = max(float(times[-1] + cfg["solver"]["tail_weeks"] * HOURS_PER_WEEK), follow_up_h)
    return Schedule(injection_times_h=times, end_h=end_h, activity_gbq=activity_gbq,
                    hot_nmol=hot, cold_nmol=np.where(given, peptide - hot, 0.0),
                    assessment_times_h=assessments)
