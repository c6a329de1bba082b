"""Independent scipy reference of the coupled model (validation rung 2, docs/validation.md;
equations docs/model.md §10).

The right-hand side is coded again here, vectorised over lesions and built on
:func:`simulator.pk.reference.reference_rhs`; it shares only the parameter arrays
and the state layout with the numba kernels.  ``solve_ivp`` (Radau or LSODA, with
its own finite-difference Jacobian) integrates the same schedule.  Slow: for
tests and benchmarks.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .assembly import KernelModel, Schedule, initial_states
from .dosimetry.spheres import sphere_s_value_gy_per_mbq_h
from .engine import layout as el
from .pk.layout import COLD, HOT, N_GLOBAL, N_SUB, PLASMA, block_size
from .pk.parameters import PS, RTOT, VI, VV, Q
from .pk.reference import reference_rhs
from .tumour import parameters as tp


def coupled_reference_rhs(t: float, y: np.ndarray, m: KernelModel, p: int = 0) -> np.ndarray:
    """dy/dt of patient p of the coupled model (equations: :mod:`simulator.engine.model`)."""
    sysm, les = m.system, m.lesion[p]
    n_t = sysm.n_tissues
    tissue, glob = sysm.patient(p)
    oar0, les0 = el.oar_offset(n_t), el.lesion_offset(n_t)
    cell = y[les0:].reshape(-1, el.N_LES_STATES)
    nv, nd = np.exp(cell[:, el.LES_L]), cell[:, el.LES_ND]
    rtot = tissue[:, RTOT].copy()
    rtot[el.N_ORGAN_TISSUES:] = les[:, tp.R_CELL] * (nv + les[:, tp.DOOMED_R] * nd)
    cells = nv + nd
    # vascular space following the lesion volume: Vv, Vi, Q, PS scaled by V(t) / V0
    scaled = tissue.copy()
    factor = np.where(les[:, tp.VASC_FOLLOWS] > 0,
                      (les[:, tp.V_CELL_ML] * cells + les[:, tp.STROMA_ML]) / les[:, tp.V0_ML], 1.0)
    scaled[el.N_ORGAN_TISSUES:, [VV, VI, Q, PS]] *= factor[:, None]
    pk = reference_rhs(t, y[:oar0], scaled, glob, rtot)
    hot = y[:block_size(n_t)]
    region = np.concatenate([hot[:N_GLOBAL], hot[N_GLOBAL:].reshape(n_t, N_SUB).sum(axis=1)])
    region_mbq = region * sysm.mbq_per_nmol
    # organs at risk
    oar = y[oar0:les0].reshape(-1, el.N_OAR_STATES)
    ddot_oar = m.dose_map_gy_per_mbq_h[p][list(m.oar_rows)] @ region_mbq
    mu_oar = m.oar_mu[p]
    d_oar = np.stack([ddot_oar - mu_oar * oar[:, el.OAR_GAMMA], ddot_oar * oar[:, el.OAR_GAMMA]],
                     axis=1)
    # lesions
    mass = les[:, tp.RHO_G_PER_ML] * (les[:, tp.V_CELL_ML] * cells + les[:, tp.STROMA_ML])
    ddot = region_mbq[N_GLOBAL + el.N_ORGAN_TISSUES:] * sphere_s_value_gy_per_mbq_h(mass)
    gam = cell[:, el.LES_GAMMA]
    kill = ddot * (les[:, tp.ALPHA] + 2.0 * les[:, tp.BETA] * gam)
    gompertz = les[:, tp.GROWTH_PER_H] * (les[:, tp.LN_K_CELLS] - np.log(cells)) * les[:, tp.G_NORM]
    growth = np.where(les[:, tp.GOMPERTZ] > 0, gompertz, les[:, tp.GROWTH_PER_H])
    d_les = np.empty_like(cell)
    d_les[:, el.LES_L] = growth - kill
    d_les[:, el.LES_ND] = kill * nv - les[:, tp.K_CLEAR] * nd
    d_les[:, el.LES_D] = ddot
    d_les[:, el.LES_GAMMA] = ddot - les[:, tp.MU] * gam
    d_les[:, el.LES_Q] = ddot * gam
    d_les[:, el.LES_J] = np.exp(np.minimum(les[:, tp.L0] - cell[:, el.LES_L], 600.0))
    return np.concatenate([pk, d_oar.ravel(), d_les.ravel()])


def reference_course(m: KernelModel, sched: Schedule, times_h: np.ndarray, p: int = 0,
                     method: str = "Radau", rtol: float = 1e-10,
                     atol: float = 1e-14) -> tuple[np.ndarray, np.ndarray]:
    """States of patient p just before each injection and at the end, and at ``times_h``.

    Returns
    -------
    boundary : ndarray (n_cycles + 1, n_states)
    series : ndarray (len(times_h), n_states); a time equal to an injection time gives
        the state just after that injection.
    """
    n_t = m.system.n_tissues
    y = initial_states(m)[p]
    bounds = np.append(sched.injection_times_h, sched.end_h)
    boundary = np.empty((bounds.size, y.size))
    series = np.empty((times_h.size, y.size))
    for c in range(sched.injection_times_h.size):
        boundary[c] = y
        y = y.copy()
        y[HOT * block_size(n_t) + PLASMA] += sched.hot_nmol[p, c]
        y[COLD * block_size(n_t) + PLASMA] += sched.cold_nmol[p, c]
        t0, t1 = bounds[c], bounds[c + 1]
        last = c == sched.injection_times_h.size - 1
        inside = (times_h >= t0) & ((times_h <= t1) if last else (times_h < t1))
        t_eval = np.union1d(times_h[inside], [t1])
        sol = solve_ivp(coupled_reference_rhs, (t0, t1), y, method=method, rtol=rtol, atol=atol,
                        args=(m, p), t_eval=t_eval)
        if not sol.success:
            raise RuntimeError(f"reference solve_ivp failed: {sol.message}")
        series[inside] = sol.y[:, :inside.sum()].T
        y = sol.y[:, -1]
    boundary[-1] = y
    return boundary, series


#: the wide-spread validation cohort (conf/cohort/wide.yaml): six parameters spread widely
WIDE = ("cohort=wide", "solver.chunk_size=1000", "output.progress=false")


def wide_config(n: int, extra=()) -> dict:
    """The validated wide-spread cohort of ``n`` patients (benchmarks and reference tests)."""
    from .configure import compose, validate

    return validate(compose([*WIDE, f"cohort.n_patients={n}", *extra]))


def engine_chunk(cfg: dict, n: int):
    """Engine course of patients 0..n-1 of ``cfg`` (``CourseResult``), their columns, and
    the engine's wall time [s]."""
    import time

    from .cohort import sample_lesions, sample_parameters
    from .population import Columns
    from .runner import run_chunk

    sampled = sample_parameters(cfg["cohort"], cfg["seed"], 0, n)
    cols = Columns(cfg, n, sampled)
    generated = sample_lesions(cfg["cohort"]["lesions"], cfg["seed"], 0, n)
    start = time.perf_counter()
    res = run_chunk(cols, generated)
    return res, cols, time.perf_counter() - start


def reference_states(res, rtol: float, atol: float = 1e-12):
    """scipy boundary and series states of every patient of the engine result ``res``, on the
    same schedule and output times (:func:`reference_course`)."""
    boundary, series = np.empty_like(res.boundary_states), np.empty_like(res.states)
    for p in range(res.boundary_states.shape[0]):
        boundary[p], series[p] = reference_course(res.model, res.schedule, res.time_h, p=p,
                                                  rtol=rtol, atol=atol)
    return boundary, series


def outcomes_of_states(res, cols, boundary, series):
    """Outcomes of reference states (laid out as ``res``'s), and the log-survival
    [engine, reference], each (n, n_lesions), at the end of the course."""
    from .outcomes import compute_outcomes
    from .pk.parameters import LAM
    from .runner import CourseResult, region_hot_amounts

    n_t = res.system.n_tissues
    tail = region_hot_amounts(boundary[:, -1], n_t) * res.system.mbq_per_nmol \
        / res.system.glob[:, LAM, None]
    ref = CourseResult(model=res.model, schedule=res.schedule, boundary_states=boundary,
                       time_h=res.time_h, states=series, tail_tia_mbq_h=tail)
    les0 = el.lesion_offset(n_t)
    log_s = [b[:, -1, les0 + el.LES_L::el.N_LES_STATES] for b in (res.boundary_states, boundary)]
    return compute_outcomes(ref, cols), log_s


def reference_outcomes(cfg: dict, n: int, rtol: float, atol: float = 1e-12):
    """Outcomes of patients 0..n-1 of the validated cohort ``cfg`` by the engine and by the
    scipy reference (:func:`reference_course`, Radau at ``rtol``/``atol``).

    Returns
    -------
    ours, theirs : :class:`simulator.outcomes.Outcomes`
    log_survival : [engine, reference], each (n, n_lesions) ln(viable fraction) at the end
    t_engine_s, t_reference_s : wall time of each [s]
    """
    import time

    from .outcomes import compute_outcomes

    res, cols, t_engine = engine_chunk(cfg, n)
    ours = compute_outcomes(res, cols)
    start = time.perf_counter()
    boundary, series = reference_states(res, rtol, atol)
    t_ref = time.perf_counter() - start
    theirs, log_s = outcomes_of_states(res, cols, boundary, series)
    return ours, theirs, log_s, t_engine, t_ref


def max_relative_difference(a, b) -> float:
    """Largest |a - b| / |b| over the entries finite in both."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.maximum(np.abs(b[ok]), 1e-300)))
