"""From simulated courses to the quantities users ask for (numpy, leading patient axis).

Per cycle: organ and lesion absorbed doses, BED (kidneys, red marrow, lesions).
Over time: lesion volumes, viable fractions, sum of target diameters, PET visibility.
Per patient: RECIST 1.1 best response, near-complete and complete metabolic response,
time to progression, TCP (Poisson and Zaider-Minerbo), organ-at-risk limit flags.
Doses after the end of integration (tail, physical decay only) are added to the last
cycle's dose and BED; their repair term is negligible (< 1e-6 of the BED).  Absent
lesions (padding in cohorts with variable lesion counts) are NaN / False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dosimetry.spheres import sphere_s_value_gy_per_mbq_h
from .engine import layout as el
from .pk.layout import LIVER, N_GLOBAL
from .population import Columns
from .radiobiology.closed_forms import eqd2
from .radiobiology.tcp import poisson_tcp, zaider_minerbo_tcp
from .response import metabolic, observation, recist
from .runner import CourseResult, region_hot_amounts, tia_per_cycle_mbq_h
from .tumour import parameters as tp
from .units import HOURS_PER_MONTH, HOURS_PER_WEEK, birth_rate_per_h


@dataclass(frozen=True)
class Outcomes:
    """Outcomes of a chunk of n patients; arrays in the units of their names."""

    tia_mbq_h: np.ndarray                 # (n, n_regions, n_cycles)
    organ_dose_gy: np.ndarray             # (n, 4, n_cycles): kidneys, spleen, liver, marrow
    oar_bed_gy: np.ndarray                # (n, 2, n_cycles): kidneys, red marrow
    kidney_eqd2_gy: np.ndarray            # (n, n_cycles)
    lesion_dose_gy: np.ndarray            # (n, L, n_cycles)
    lesion_bed_gy: np.ndarray             # (n, L, n_cycles)
    lesion_volume_ml: np.ndarray          # (n, L, n_times)
    lesion_viable_fraction: np.ndarray    # (n, L, n_times)
    lesion_pet_visible: np.ndarray        # (n, L, n_times) bool
    lesion_is_target: np.ndarray          # (n, L) bool
    sum_diameters_mm: np.ndarray          # (n, n_times)
    is_assessment: np.ndarray             # (n_times,) bool
    best_response: np.ndarray             # (n,) int, as measured (observation model)
    near_complete_response: np.ndarray    # (n,) bool, as measured
    complete_metabolic_response: np.ndarray
    progression_time_months: np.ndarray   # (n,) at the recorded visit, as measured
    progression_observed: np.ndarray
    best_response_true: np.ndarray        # (n,) int, true diameters, nominal visits
    progression_time_true_months: np.ndarray
    progression_true_observed: np.ndarray
    new_lesion_time_months: np.ndarray    # (n,) first new lesion, inf if none
    targets_gone_time_months: np.ndarray  # (n,) first recorded visit with every measured
                                          # target gone (RECIST CR of the targets), inf if none
    visit_time_months: np.ndarray         # (n, A) recorded assessment dates, baseline first
    sum_diameters_observed_mm: np.ndarray  # (n, A) measured sum of target diameters
    kidney_dose_observed_gy: np.ndarray   # (n, n_cycles) as SPECT/CT dosimetry measures it
    lesion_dose_observed_gy: np.ndarray   # (n, L, n_cycles)
    tcp: np.ndarray
    tcp_poisson: np.ndarray
    kidney_bed_limit_exceeded: np.ndarray
    kidney_dose_limit_exceeded: np.ndarray
    marrow_dose_limit_exceeded: np.ndarray
    activity_mbq: np.ndarray | None       # (n, n_regions, n_times) with time series
    dose_rate_gy_per_h: np.ndarray | None  # (n, n_targets, n_times)


def lesion_cells(states: np.ndarray, n_tissues: int):
    """Viable and doomed cells, states (..., S) -> two arrays (..., L)."""
    cell = states[..., el.lesion_offset(n_tissues):].reshape(*states.shape[:-1], -1,
                                                              el.N_LES_STATES)
    # N_d may undershoot zero by the solver's absolute tolerance (1e-6 cells): not physical
    return np.exp(cell[..., el.LES_L]), np.maximum(cell[..., el.LES_ND], 0.0)


def lesion_volume_and_mass(nv, nd, lesion):
    """Volume (mL) and mass (g) of lesions; nv, nd (n, ..., L), lesion table (n, L, P)."""
    shape = (lesion.shape[0],) + (1,) * (nv.ndim - 2) + (lesion.shape[1],)
    vol = lesion[..., tp.V_CELL_ML].reshape(shape) * (nv + nd) \
        + lesion[..., tp.STROMA_ML].reshape(shape)
    return vol, vol * lesion[..., tp.RHO_G_PER_ML].reshape(shape)


def _sphere_s(mass, present):
    s = np.zeros_like(mass)
    s[present] = sphere_s_value_gy_per_mbq_h(mass[present])
    return s


def _per_cycle(res: CourseResult, offset: int, stride: int, count: int, field: int):
    acc = res.boundary_states[:, :, offset + field:offset + stride * count:stride]
    return np.moveaxis(np.diff(acc, axis=1), 1, 2)   # (n, count, n_cycles)


def _exact_variates(cfg: dict, cols: Columns, n: int, n_les: int, n_assess: int,
                    n_cycles: int) -> dict[str, np.ndarray]:
    """Variates of an exact observation without new lesions (refused otherwise: the caller
    must draw them, :func:`simulator.cohort.observation_variates`)."""
    if any(float(v) > 0.0 for v in cfg["observation"].values()) \
            or np.any(cols("tumour.new_lesion_rate_per_month") > 0.0):
        raise ValueError("this config has measurement error or new lesions: pass the "
                         "patients' observation variates (simulator.cohort.observation_variates)")
    return {"new_lesion_u": np.full(n, 0.5), "visit_u": np.full((n, n_assess), 0.5),
            "diameter_z": np.zeros((n, n_les, n_assess)),
            "lesion_dose_z": np.zeros((n, n_les, n_cycles)),
            "kidney_dose_z": np.zeros((n, n_cycles))}


def _first_time(flags: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(n,) the first of ``times`` (n, A) at which ``flags`` (n, A) holds; inf if never."""
    hit = flags.any(axis=1)
    first = times[np.arange(flags.shape[0]), flags.argmax(axis=1)]
    return np.where(hit, first, np.inf)


def _progression_at_visits(codes: np.ndarray, visit_h: np.ndarray):
    """Time (months) of the first PD at the recorded visit, else of the last visit."""
    is_pd = codes == recist.PD
    observed = is_pd.any(axis=1)
    first = np.where(observed, is_pd.argmax(axis=1), codes.shape[1] - 1)
    return visit_h[np.arange(codes.shape[0]), first + 1] / HOURS_PER_MONTH, observed


def compute_outcomes(res: CourseResult, cols: Columns,
                     variates: dict[str, np.ndarray] | None = None) -> Outcomes:
    """Outcomes of a chunk; ``variates`` of the observation model
    (:func:`simulator.cohort.observation_variates`), required when the config has measurement
    error (``observation``) or new lesions (``tumour.new_lesion_rate_per_month`` > 0)."""
    cfg, m = cols.cfg, res.model
    n_t, lesion = res.system.n_tissues, m.lesion
    present = m.lesions.present                        # (n, L)
    nan_absent = np.where(present, 1.0, np.nan)
    tia = tia_per_cycle_mbq_h(res)
    organ_dose = np.einsum("ntr,nrc->ntc", m.dose_map_gy_per_mbq_h[:, :4], tia)
    oar0, les0, n_les = el.oar_offset(n_t), el.lesion_offset(n_t), present.shape[1]
    q_oar = _per_cycle(res, oar0, el.N_OAR_STATES, len(el.OAR_TARGETS), el.OAR_Q)
    ab_oar = np.stack([cols(f"radiobiology.{name}.alpha_beta_gy") for name in el.OAR_TARGETS],
                      axis=1)
    oar_bed = organ_dose[:, list(m.oar_rows)] + 2.0 * q_oar / ab_oar[..., None]
    dose = _per_cycle(res, les0, el.N_LES_STATES, n_les, el.LES_D)
    q_les = _per_cycle(res, les0, el.N_LES_STATES, n_les, el.LES_Q)
    nv_end, nd_end = lesion_cells(res.boundary_states[:, -1], n_t)
    _, mass_end = lesion_volume_and_mass(nv_end, nd_end, lesion)
    dose[..., -1] += res.tail_tia_mbq_h[:, N_GLOBAL + 3:] * _sphere_s(mass_end, present)
    ab_tumour = cols("radiobiology.tumour.alpha_beta_gy")[:, None, None]
    lesion_bed = (dose + 2.0 * q_les / ab_tumour) * nan_absent[..., None]
    dose = dose * nan_absent[..., None]
    # over time, lesions on axis 1: (n, L, T)
    nv, nd = (np.moveaxis(a, 1, 2) for a in lesion_cells(res.states, n_t))
    vol, mass = (np.moveaxis(a, 1, 2) for a in lesion_volume_and_mass(
        np.moveaxis(nv, 1, 2), np.moveaxis(nd, 1, 2), lesion))
    vol = vol * nan_absent[..., None]
    cells = nv + nd
    receptor_conc = lesion[..., tp.R_CELL, None] * (nv + lesion[..., tp.DOOMED_R, None] * nd) \
        / (vol / 1000.0)
    liver_l = res.system.tissue_mass_g[:, LIVER] / cols("dosimetry.tissue_density_g_per_ml") / 1e3
    background = (cols("patient.liver_sstr_nmol") / liver_l)[:, None, None]
    resp = cfg["response"]
    visible = metabolic.pet_visible(receptor_conc, lesion[..., tp.V_CELL_ML, None] * cells,
                                    background, resp["pet_detectability_ml"]) & present[..., None]
    is_assessment = np.isin(res.time_h, res.schedule.assessment_times_h)
    diameter = recist.equivalent_diameter_mm(np.nan_to_num(vol, nan=0.0))
    diameter = np.where(present[..., None], diameter, np.nan)
    sites = m.lesions.site.astype(str)
    targets = recist.select_targets(diameter[..., 0], sites,
                                    resp["target_min_diameter_mm"],
                                    resp["lymph_node_min_diameter_mm"], resp["max_targets"],
                                    resp["max_targets_per_organ"])
    sums = recist.sum_of_diameters_mm(diameter, targets, resp["detectability_mm"])
    gone = recist.targets_disappeared(diameter, targets, resp["detectability_mm"], sites,
                                      resp["lymph_node_normal_mm"])
    nominal_h = res.time_h[is_assessment]
    n_cycles = dose.shape[2]
    v = variates if variates is not None else _exact_variates(
        cfg, cols, m.n, n_les, nominal_h.size, n_cycles)
    obs = cfg["observation"]
    treated = np.any(res.schedule.activity_gbq > 0.0, axis=1)
    rate_h = cols("tumour.new_lesion_rate_per_month") / HOURS_PER_MONTH * np.where(
        treated, cols("tumour.new_lesion_rate_ratio_on_prrt"), 1.0)
    new_h = observation.first_new_lesion_h(v["new_lesion_u"], rate_h)

    def rate_response(a_sum, a_gone, visit_h):
        codes = observation.with_new_lesions(
            recist.assess(a_sum, a_gone, resp["pr_threshold"], resp["pd_threshold"],
                          resp["pd_min_increase_mm"]), visit_h, new_h)
        # confirmation windows on the nominal schedule (jitter << the 4-week minimum)
        best = recist.best_overall_response(codes, nominal_h[1:] / HOURS_PER_WEEK,
                                            resp["confirmation"], resp["confirmation_min_weeks"])
        return codes, best, *_progression_at_visits(codes, visit_h)

    nominal_visits = np.broadcast_to(nominal_h, (m.n, nominal_h.size))
    _, best_true, t_prog_true, observed_true = rate_response(
        sums[:, is_assessment], gone[:, is_assessment], nominal_visits)
    # what the trial measures: noisy diameters (targets chosen on the measured baseline)
    measured_d = observation.measured(diameter[..., is_assessment], v["diameter_z"],
                                      obs["recist_diameter_cv"])
    measured_targets = recist.select_targets(
        measured_d[..., 0], sites, resp["target_min_diameter_mm"],
        resp["lymph_node_min_diameter_mm"], resp["max_targets"], resp["max_targets_per_organ"])
    a_sum = recist.sum_of_diameters_mm(measured_d, measured_targets, resp["detectability_mm"])
    a_gone = recist.targets_disappeared(measured_d, measured_targets, resp["detectability_mm"],
                                        sites, resp["lymph_node_normal_mm"])
    visits_h = observation.visit_times_h(nominal_h, v["visit_u"],
                                         obs["visit_jitter_weeks"] * HOURS_PER_WEEK)
    codes, best, t_prog, observed = rate_response(a_sum, a_gone, visits_h)
    near = recist.near_complete_response(a_sum, best, resp["near_complete_threshold"], codes)
    cmr = metabolic.complete_metabolic_response(visible[..., is_assessment],
                                                np.arange(is_assessment.sum()) > 0)
    # tumour control at the end of integration: every lesion controlled
    f_clon = cols("tumour.clonogenic_fraction")[:, None]
    n0 = np.where(present, f_clon * np.exp(lesion[..., tp.L0]), 0.0)
    j_end = res.boundary_states[:, -1, les0 + el.LES_J::el.N_LES_STATES]
    rel = nv_end / np.exp(lesion[..., tp.L0])
    birth = _birth_rate_per_h(cols)[:, None]
    tcp_zm = np.prod(zaider_minerbo_tcp(n0, rel, j_end, birth), axis=1)
    tcp_p = poisson_tcp(np.sum(np.where(present, f_clon * nv_end, 0.0), axis=1))
    bed_limit = np.where(cols("patient.renal_risk_factors") > 0,
                         cols("limits.kidney_bed_gy_with_risk_factors"),
                         cols("limits.kidney_bed_gy"))
    activity = rate = None
    if cfg["output"]["save_timeseries"] or cfg["output"]["plots"]:
        activity = np.moveaxis(region_hot_amounts(res.states, n_t), 1, 2) \
            * res.system.mbq_per_nmol
        rate = np.einsum("ntr,nrk->ntk", m.dose_map_gy_per_mbq_h, activity)
        rate[:, 4:] = activity[:, N_GLOBAL + 3:] * _sphere_s(
            np.nan_to_num(mass, nan=1.0), np.broadcast_to(present[..., None], mass.shape))
    return Outcomes(
        tia_mbq_h=tia, organ_dose_gy=organ_dose, oar_bed_gy=oar_bed,
        kidney_eqd2_gy=eqd2(oar_bed[:, 0], ab_oar[:, :1]), lesion_dose_gy=dose,
        lesion_bed_gy=lesion_bed, lesion_volume_ml=vol,
        lesion_viable_fraction=lesion[..., tp.V_CELL_ML, None] * nv / vol,
        lesion_pet_visible=visible, lesion_is_target=targets, sum_diameters_mm=sums,
        is_assessment=is_assessment, best_response=best, near_complete_response=near,
        complete_metabolic_response=cmr, progression_time_months=t_prog,
        progression_observed=observed, best_response_true=best_true,
        progression_time_true_months=t_prog_true, progression_true_observed=observed_true,
        new_lesion_time_months=new_h / HOURS_PER_MONTH,
        targets_gone_time_months=_first_time(a_gone[:, 1:], visits_h[:, 1:]) / HOURS_PER_MONTH,
        visit_time_months=visits_h / HOURS_PER_MONTH,
        sum_diameters_observed_mm=a_sum,
        kidney_dose_observed_gy=observation.measured(organ_dose[:, 0], v["kidney_dose_z"],
                                                     obs["kidney_dose_cv"]),
        lesion_dose_observed_gy=observation.measured(dose, v["lesion_dose_z"],
                                                     obs["lesion_dose_cv"]),
        tcp=tcp_zm, tcp_poisson=tcp_p,
        kidney_bed_limit_exceeded=oar_bed[:, 0].sum(axis=1) > bed_limit,
        kidney_dose_limit_exceeded=organ_dose[:, 0].sum(axis=1) > cols("limits.kidney_dose_gy"),
        marrow_dose_limit_exceeded=organ_dose[:, 3].sum(axis=1) > cols("limits.marrow_dose_gy"),
        activity_mbq=activity, dose_rate_gy_per_h=rate)


def _birth_rate_per_h(cols: Columns) -> np.ndarray:
    """Clonogen birth rate ln2/T_pot per patient (1/h); 0 without proliferation (T_pot null)."""
    if cols.scalar("tumour.potential_doubling_time_d") is None \
            and "tumour.potential_doubling_time_d" not in cols.sampled:
        return np.zeros(cols.n)
    return birth_rate_per_h(cols("tumour.potential_doubling_time_d"))


def best_decrease(sum_diameters_mm: np.ndarray, is_assessment: np.ndarray) -> np.ndarray:
    """Largest fractional decrease of the sum of target diameters from baseline, (n,) [1].

    Over the assessments after baseline (``is_assessment``, the first being baseline); 1 =
    every target gone, negative = only growth; NaN for a patient without target lesions.
    """
    sums = np.asarray(sum_diameters_mm, dtype=float)[:, np.asarray(is_assessment, bool)]
    base = sums[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        dec = 1.0 - sums[:, 1:].min(axis=1) / base
    return np.where(base > 0, dec, np.nan)


def pet_positive_at_baseline(lesion_pet_visible: np.ndarray) -> np.ndarray:
    """Some lesion visible on SSTR-PET at time 0, (n,) bool; (n, L, T) visibility in."""
    return np.asarray(lesion_pet_visible, bool)[:, :, 0].any(axis=1)
