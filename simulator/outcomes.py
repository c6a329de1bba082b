"""From a simulated course to the quantities users ask for (orchestration, numpy only).

Per cycle: organ and lesion absorbed doses, BED (kidneys, red marrow, lesions).
Over time: lesion volumes, viable fractions, sum of target diameters, PET visibility.
Per patient: RECIST 1.1 best response, near-complete and complete metabolic response,
time to progression, TCP (Poisson and Zaider-Minerbo), organ-at-risk limit flags.
Doses after the end of integration (tail, physical decay only) are added to the last
cycle's dose and BED; their repair term is negligible (< 1e-6 of the BED).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .course import (
    HOURS_PER_WEEK,
    CourseResult,
    region_hot_amounts,
    tia_per_cycle_mbq_h,
)
from .dosimetry.spheres import sphere_s_value_gy_per_mbq_h
from .engine import layout as el
from .pk.layout import LIVER, N_GLOBAL
from .radiobiology.closed_forms import eqd2
from .radiobiology.tcp import poisson_tcp, zaider_minerbo_tcp
from .response import metabolic, recist
from .tumour import parameters as tp


@dataclass(frozen=True)
class Outcomes:
    """Outcomes of one patient; arrays in the units of their names."""

    tia_mbq_h: np.ndarray                 # (n_regions, n_cycles)
    organ_dose_gy: np.ndarray             # (4, n_cycles): kidneys, spleen, liver, red marrow
    oar_bed_gy: np.ndarray                # (2, n_cycles): kidneys, red marrow
    kidney_eqd2_gy: np.ndarray            # (n_cycles,)
    lesion_dose_gy: np.ndarray            # (n_lesions, n_cycles)
    lesion_bed_gy: np.ndarray             # (n_lesions, n_cycles)
    lesion_volume_ml: np.ndarray          # (n_lesions, n_times)
    lesion_viable_fraction: np.ndarray    # (n_lesions, n_times)
    lesion_pet_visible: np.ndarray        # (n_lesions, n_times) bool
    lesion_is_target: np.ndarray          # (n_lesions,) bool
    sum_diameters_mm: np.ndarray          # (n_times,)
    is_assessment: np.ndarray             # (n_times,) bool
    best_response: int
    near_complete_response: bool
    complete_metabolic_response: bool
    progression_time_months: float
    progression_observed: bool
    tcp: float
    tcp_poisson: float
    kidney_bed_limit_exceeded: bool
    kidney_dose_limit_exceeded: bool
    marrow_dose_limit_exceeded: bool
    activity_mbq: np.ndarray              # (n_regions, n_times)
    dose_rate_gy_per_h: np.ndarray        # (n_targets, n_times)


def _lesion_cells(states: np.ndarray, res: CourseResult):
    """Viable and doomed cell numbers, shape (n_lesions, n)."""
    les0 = el.lesion_offset(res.system.n_tissues)
    cell = states[..., les0:].reshape(*states.shape[:-1], -1, el.N_LES_STATES)
    return np.exp(cell[..., el.LES_L]).T, cell[..., el.LES_ND].T


def _lesion_mass_g(nv, nd, lesion):
    vol = lesion[:, tp.V_CELL_ML, None] * (nv + nd) + lesion[:, tp.STROMA_ML, None]
    return vol, vol * lesion[:, tp.RHO_G_PER_ML, None]


def _per_cycle(res: CourseResult, offset: int, stride: int, count: int, field: int):
    acc = res.boundary_states[:, offset + field:offset + stride * count:stride]
    return np.diff(acc, axis=0).T   # (count, n_cycles)


def compute_outcomes(res: CourseResult, cfg: dict) -> Outcomes:
    m, n_t = res.model, res.system.n_tissues
    lesion = m.lesion
    n_les = lesion.shape[0]
    tia = tia_per_cycle_mbq_h(res)
    organ_dose = m.dose_map_gy_per_mbq_h[:4] @ tia
    rb = cfg["radiobiology"]
    # organs at risk: BED = D + 2 Q / (alpha/beta)
    oar0 = el.oar_offset(n_t)
    q_oar = _per_cycle(res, oar0, el.N_OAR_STATES, len(el.OAR_TARGETS), el.OAR_Q)
    ab_oar = np.array([rb[name]["alpha_beta_gy"] for name in el.OAR_TARGETS])
    oar_bed = organ_dose[list(m.oar_rows)] + 2.0 * q_oar / ab_oar[:, None]
    # lesions: the dose accumulator follows the changing S; closed-form tail after end_h
    les0 = el.lesion_offset(n_t)
    dose = _per_cycle(res, les0, el.N_LES_STATES, n_les, el.LES_D)
    q_les = _per_cycle(res, les0, el.N_LES_STATES, n_les, el.LES_Q)
    nv_end, nd_end = _lesion_cells(res.boundary_states[-1:], res)
    _, mass_end = _lesion_mass_g(nv_end, nd_end, lesion)
    dose[:, -1] += res.tail_tia_mbq_h[N_GLOBAL + 3:] * sphere_s_value_gy_per_mbq_h(mass_end[:, 0])
    lesion_bed = dose + 2.0 * q_les / rb["tumour"]["alpha_beta_gy"]
    # over time
    nv, nd = _lesion_cells(res.states, res)
    vol, mass = _lesion_mass_g(nv, nd, lesion)
    cell_vol = lesion[:, tp.V_CELL_ML, None] * (nv + nd)
    receptor_conc = lesion[:, tp.R_CELL, None] * (nv + nd) / (vol / 1000.0)
    liver_l = res.system.tissue_mass_g[LIVER] / cfg["dosimetry"]["tissue_density_g_per_ml"] / 1e3
    background = cfg["patient"]["liver_sstr_nmol"] / liver_l
    resp = cfg["response"]
    visible = metabolic.pet_visible(receptor_conc, cell_vol, background,
                                    resp["pet_detectability_ml"])
    is_assessment = np.isin(res.time_h, res.schedule.assessment_times_h)
    diameter = recist.equivalent_diameter_mm(vol)
    sites = [lesion_cfg["site"] for lesion_cfg in cfg["lesions"].values()]
    targets = recist.select_targets(diameter[None, :, 0], sites, resp["target_min_diameter_mm"],
                                    resp["lymph_node_min_diameter_mm"], resp["max_targets"],
                                    resp["max_targets_per_organ"])
    sums = recist.sum_of_diameters_mm(diameter[None], targets, resp["detectability_mm"])
    gone = recist.targets_disappeared(diameter[None], targets, resp["detectability_mm"])
    a_sum, a_gone = sums[:, is_assessment], gone[:, is_assessment]
    codes = recist.assess(a_sum, a_gone, resp["pr_threshold"], resp["pd_threshold"],
                          resp["pd_min_increase_mm"])
    a_times_h = res.time_h[is_assessment][1:]
    best = recist.best_overall_response(codes, a_times_h / HOURS_PER_WEEK, resp["confirmation"],
                                        resp["confirmation_min_weeks"])
    t_prog, observed = recist.progression(codes, a_times_h / tp.HOURS_PER_MONTH)
    near = recist.near_complete_response(a_sum, best, resp["near_complete_threshold"], codes)
    cmr = metabolic.complete_metabolic_response(visible[None][..., is_assessment],
                                                np.arange(is_assessment.sum()) > 0)
    # tumour control at the end of integration, every lesion controlled
    f_clon = cfg["tumour"]["clonogenic_fraction"]
    n0 = f_clon * np.exp(lesion[:, tp.L0])
    j_end = res.boundary_states[-1, les0 + el.LES_J::el.N_LES_STATES]
    rel = nv_end[:, 0] / np.exp(lesion[:, tp.L0])
    b = tp.birth_rate_per_h(cfg["tumour"]["potential_doubling_time_d"])
    tcp_zm = float(np.prod(zaider_minerbo_tcp(n0, rel, j_end, b)))
    tcp_p = float(poisson_tcp(np.sum(f_clon * nv_end[:, 0])))
    limits, risk = cfg["limits"], cfg["patient"]["renal_risk_factors"]
    bed_limit = limits["kidney_bed_gy_with_risk_factors"] if risk else limits["kidney_bed_gy"]
    # time series of activity and dose rate
    activity = region_hot_amounts(res.states, n_t).T * res.system.mbq_per_nmol
    rate = m.dose_map_gy_per_mbq_h @ activity
    rate[4:] = activity[N_GLOBAL + 3:] * sphere_s_value_gy_per_mbq_h(mass)
    return Outcomes(
        tia_mbq_h=tia, organ_dose_gy=organ_dose, oar_bed_gy=oar_bed,
        kidney_eqd2_gy=eqd2(oar_bed[0], ab_oar[0]), lesion_dose_gy=dose,
        lesion_bed_gy=lesion_bed, lesion_volume_ml=vol,
        lesion_viable_fraction=lesion[:, tp.V_CELL_ML, None] * nv / vol,
        lesion_pet_visible=visible, lesion_is_target=targets[0], sum_diameters_mm=sums[0],
        is_assessment=is_assessment, best_response=int(best[0]),
        near_complete_response=bool(near[0]), complete_metabolic_response=bool(cmr[0]),
        progression_time_months=float(t_prog[0]), progression_observed=bool(observed[0]),
        tcp=tcp_zm, tcp_poisson=tcp_p,
        kidney_bed_limit_exceeded=bool(oar_bed[0].sum() > bed_limit),
        kidney_dose_limit_exceeded=bool(organ_dose[0].sum() > limits["kidney_dose_gy"]),
        marrow_dose_limit_exceeded=bool(organ_dose[3].sum() > limits["marrow_dose_gy"]),
        activity_mbq=activity, dose_rate_gy_per_h=rate)
