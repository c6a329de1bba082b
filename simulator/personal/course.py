"""A patient's actual course for a batch of twins: any injection times and per-cycle activities.

The engine's batch kernel takes one activity per patient and the config's regular
schedule.  A real course has its own days and activities (7.4 GBq, then 5.55 GBq after a
toxicity, ...), so the course is run cycle by cycle here: each cycle is one call of the
same kernel (:func:`simulator.engine.batch.run_coupled_batch`) with one injection, starting
from the states the previous cycle ended with.  The kernel restarts its step size at every
injection anyway, so a regular schedule gives the states of
:func:`simulator.runner.run_chunk` bit for bit (tests/unit/personal/test_course.py).  The
engine itself is unchanged.

Besides the outcomes of :mod:`simulator.outcomes`, the run gives what the clinic measured:
activities at the scan times, per-cycle doses, lesion volumes at the CT/MRI days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..assembly import (
    Schedule,
    absolute_tolerance,
    build_model,
    initial_states,
    jacobian_structure,
    make_schedule,
)
from ..engine.batch import run_coupled_batch
from ..engine.course import STATUS_MESSAGES
from ..errors import SolverError
from ..outcomes import compute_outcomes, lesion_cells, lesion_volume_and_mass
from ..pk.layout import COLD, HOT, N_GLOBAL, PLASMA, TUBULAR, block_size
from ..pk.parameters import LAM
from ..population import Columns
from ..results.dataset import to_dataset
from ..runner import FIRST_STEP_H, CourseResult, region_hot_amounts
from ..simulation import check_sampled, run_observation_variates
from ..units import HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_WEEK
from .measurements import PatientFile


@dataclass(frozen=True)
class CourseSchedule:
    """Injection times (h, from the first injection) and per-cycle amounts."""

    injection_times_h: np.ndarray    # (C,)
    activity_gbq: np.ndarray         # (C,)
    peptide_nmol: np.ndarray         # (C,)

    @classmethod
    def of(cls, patient: PatientFile, default_peptide_nmol: float,
           activity_gbq: list[float] | None = None) -> CourseSchedule:
        """The patient's cycles (``activity_gbq``: other activities for every cycle)."""
        act = [c.activity_gbq for c in patient.cycles] if activity_gbq is None else activity_gbq
        pep = [c.peptide_nmol if c.peptide_nmol is not None else default_peptide_nmol
               for c in patient.cycles]
        return cls(np.asarray(patient.injection_times_h, float), np.asarray(act, float),
                   np.asarray(pep, float))


def measurement_times_h(patient: PatientFile) -> np.ndarray:
    """Absolute times (h) at which the course must report states: scans and CT days."""
    inj = patient.injection_times_h
    times = [inj[a.cycle - 1] + a.time_h for a in patient.activities]
    times += [v.time_d * HOURS_PER_DAY for v in patient.volumes]
    return np.unique(np.asarray(times, dtype=float))


def run_course(cols: Columns, schedule: CourseSchedule,
               extra_times_h: np.ndarray | None = None) -> CourseResult:
    """States of a batch of twins over the course, cycle by cycle through the batch kernel."""
    cfg = cols.cfg
    m = build_model(cols)
    mbq = m.system.mbq_per_nmol
    regular = make_schedule(cols, mbq)
    inj = np.asarray(schedule.injection_times_h, float)
    end_h = max(float(inj[-1] + cfg["solver"]["tail_weeks"] * HOURS_PER_WEEK),
                cfg["response"]["follow_up_months"] * HOURS_PER_MONTH)
    times = np.union1d(regular.assessment_times_h,
                       np.zeros(0) if extra_times_h is None else extra_times_h)
    hot = np.broadcast_to(schedule.activity_gbq * 1000.0 / mbq, (m.n, inj.size))
    cold = np.broadcast_to(schedule.peptide_nmol, (m.n, inj.size)) - hot
    n_t = m.system.n_tissues
    solver = cfg["solver"]
    atol = absolute_tolerance(m, solver["atol_nmol"])
    structure = jacobian_structure(m)
    arrays = m.kernel_arrays()
    bounds = np.append(inj, end_h)
    boundary = np.zeros((m.n, inj.size + 1, m.n_states))
    series = np.zeros((m.n, times.size, m.n_states))
    y = initial_states(m)
    for c in range(inj.size):
        last = c == inj.size - 1
        sel = (times >= bounds[c]) & ((times <= bounds[c + 1]) if last else
                                      (times < bounds[c + 1]))
        seg_series = np.zeros((m.n, int(sel.sum()), m.n_states))
        seg_boundary = np.zeros((m.n, 2, m.n_states))
        status = np.zeros(m.n, dtype=np.int64)
        run_coupled_batch(*arrays, y, atol, inj[c:c + 1], HOT * block_size(n_t) + PLASMA,
                          COLD * block_size(n_t) + PLASMA, np.ascontiguousarray(hot[:, c:c + 1]),
                          np.ascontiguousarray(cold[:, c:c + 1]), float(bounds[c + 1]),
                          times[sel],
                          solver["rtol"], solver["max_steps"], FIRST_STEP_H, seg_boundary,
                          seg_series, status, structure)
        failed = np.flatnonzero(status)
        if failed.size:
            raise SolverError(f"integration failed for {failed.size} twin(s), first index "
                              f"{failed[0]}, cycle {c + 1}: "
                              f"{STATUS_MESSAGES[int(status[failed[0]])]}. Loosen "
                              "solver.rtol or raise solver.max_steps.")
        boundary[:, c] = seg_boundary[:, 0]
        series[:, sel] = seg_series
        y = seg_boundary[:, 1].copy()
    boundary[:, -1] = y
    tail = region_hot_amounts(boundary[:, -1], n_t) * mbq / m.system.glob[:, LAM, None]
    sched = Schedule(injection_times_h=inj, end_h=end_h,
                     activity_gbq=np.broadcast_to(schedule.activity_gbq, (m.n, inj.size)).copy(),
                     hot_nmol=np.array(hot), cold_nmol=np.array(cold),
                     assessment_times_h=regular.assessment_times_h)
    return CourseResult(model=m, schedule=sched, boundary_states=boundary, time_h=times,
                        states=series, tail_tia_mbq_h=tail)


@dataclass(frozen=True)
class Predicted:
    """What the clinic measured, as predicted for every twin (arrays with leading twin axis)."""

    activity_mbq: np.ndarray   # (n, n_activity_rows)
    dose_gy: np.ndarray        # (n, n_dose_rows)
    volume_ml: np.ndarray      # (n, n_volume_rows)


def predicted_measurements(res: CourseResult, ds: xr.Dataset,
                           patient: PatientFile) -> Predicted:
    """The twins' values of every row of the patient's activity, dose and volume tables."""
    n_t = res.system.n_tissues
    lesions = list(patient.lesion_names)
    region_index = {"kidneys": N_GLOBAL, "spleen": N_GLOBAL + 1, "liver": N_GLOBAL + 2}
    region_index.update({name: N_GLOBAL + 3 + k for k, name in enumerate(lesions)})
    inj = patient.injection_times_h
    amounts = region_hot_amounts(res.states, n_t) * res.system.mbq_per_nmol   # (n, T, R)
    act = np.empty((res.model.n, len(patient.activities)))
    for j, a in enumerate(patient.activities):
        k = int(np.flatnonzero(np.isclose(res.time_h, inj[a.cycle - 1] + a.time_h,
                                          rtol=0, atol=1e-9))[0])
        act[:, j] = amounts[:, k, region_index[a.region]]
        if a.region == "kidneys":
            act[:, j] += amounts[:, k, TUBULAR]
    organ = {"kidneys": ds.kidney_dose_gy, "spleen": ds.spleen_dose_gy,
             "liver": ds.liver_dose_gy, "red_marrow": ds.marrow_dose_gy}
    dose = np.empty((res.model.n, len(patient.doses)))
    for j, d in enumerate(patient.doses):
        var = organ.get(d.region)
        if var is None:
            var = ds.lesion_dose_gy.sel(lesion=d.region)
        dose[:, j] = var.sel(cycle=d.cycle).values
    nv, nd = lesion_cells(res.states, n_t)                        # (n, T, L)
    vol, _ = lesion_volume_and_mass(nv, nd, res.model.lesion)
    volume = np.empty((res.model.n, len(patient.volumes)))
    for j, v in enumerate(patient.volumes):
        k = int(np.flatnonzero(np.isclose(res.time_h, v.time_d * HOURS_PER_DAY, rtol=0,
                                          atol=1e-9))[0])
        volume[:, j] = vol[:, k, lesions.index(v.lesion)]
    return Predicted(act, dose, volume)


def simulate_twins(cfg: dict, values: dict[str, np.ndarray], patient: PatientFile,
                   schedule: CourseSchedule | None = None) -> tuple[xr.Dataset, Predicted]:
    """Simulate twins with the given parameter values (config path -> (n,) array).

    Returns the results Dataset (as :func:`simulator.simulate` writes it, one ``patient``
    per twin, ``injected_activity_gbq`` per cycle) and the predicted measurements.
    """
    n = len(next(iter(values.values()))) if values else 1
    check_sampled(cfg, values, n, 0)
    cols = Columns(cfg, n, values)
    if schedule is None:
        schedule = CourseSchedule.of(patient, cfg["therapy"]["peptide_nmol"])
    res = run_course(cols, schedule, measurement_times_h(patient))
    # each twin's own observation variates (new lesions; measurement error if configured)
    out = compute_outcomes(res, cols, run_observation_variates(
        cfg, 0, n, n_cycles=res.schedule.injection_times_h.size))
    ds = to_dataset(res, out, cols)
    ds["injected_activity_gbq"] = xr.Variable(
        ("patient", "cycle"), np.broadcast_to(schedule.activity_gbq, (n, schedule.
                                                                      activity_gbq.size)).copy(),
        {"units": "GBq", "long_name": "administered 177Lu activity"})
    return ds, predicted_measurements(res, ds, patient)
