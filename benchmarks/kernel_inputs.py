"""The engine's kernel inputs for wide-cohort patients, built once for the benchmarks that
drive ``run_course`` themselves (ab_kernel.py, lockstep_bound.py, lockstep_steps.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.assembly import (
    KernelModel,
    Schedule,
    absolute_tolerance,
    build_model,
    initial_states,
    jacobian_structure,
    make_schedule,
)
from simulator.cohort import sample_lesions, sample_parameters
from simulator.engine import model as coupled
from simulator.engine.course import run_course
from simulator.engine.rodas import make_workspace_nb
from simulator.pk.layout import COLD, HOT, PLASMA, block_size
from simulator.population import Columns
from simulator.reference import wide_config

#: the kernel's step limit and first step after an injection [h] in these benchmarks
MAX_STEPS, FIRST_STEP_H = 200000, 1e-6


@dataclass
class KernelInputs:
    """Model, schedule, tolerances and arrays of ``n`` wide-cohort patients."""

    model: KernelModel
    schedule: Schedule
    times_h: np.ndarray          # output (assessment) times [h]
    atol: np.ndarray             # (n, n_states) absolute tolerances
    structure: tuple             # Jacobian solve structure
    arrays: tuple                # model.kernel_arrays()
    y0: np.ndarray               # (n, n_states) states before the first injection
    hot_index: int
    cold_index: int

    def args(self, p: int) -> tuple:
        """The model arguments of patient ``p`` (as :func:`engine.batch.run_batch` builds)."""
        tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = self.arrays
        return (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s, consts[p],
                np.zeros((2, tissue.shape[1])))

    def course(self, p: int, rtol: float, fun=coupled.rhs, jac=coupled.jac,
               driver=run_course) -> int:
        """Integrate patient ``p``'s course with ``driver`` (``run_course`` or its
        ``py_func``); returns the integrator status."""
        n_states, sched = self.model.n_states, self.schedule
        return driver(fun, jac, self.args(p), self.y0[p].copy(), sched.injection_times_h,
                      self.hot_index, self.cold_index, sched.hot_nmol[p], sched.cold_nmol[p],
                      sched.end_h, self.times_h, rtol, self.atol[p], MAX_STEPS, FIRST_STEP_H,
                      make_workspace_nb(n_states),
                      np.zeros((sched.injection_times_h.size + 1, n_states)),
                      np.zeros((self.times_h.size, n_states)), self.structure)


def wide_kernel_inputs(n: int, rtol: float) -> KernelInputs:
    """Kernel inputs of patients 0..n-1 of ``cohort=wide`` at ``solver.rtol=rtol``."""
    cfg = wide_config(n, [f"solver.rtol={rtol:g}"])
    cols = Columns(cfg, n, sample_parameters(cfg["cohort"], cfg["seed"], 0, n))
    m = build_model(cols, sample_lesions(cfg["cohort"]["lesions"], cfg["seed"], 0, n))
    sched = make_schedule(cols, m.system.mbq_per_nmol)
    nb = block_size(m.system.n_tissues)
    return KernelInputs(m, sched, sched.assessment_times_h,
                        absolute_tolerance(m, cfg["solver"]["atol_nmol"]), jacobian_structure(m),
                        m.kernel_arrays(), initial_states(m), HOT * nb + PLASMA, COLD * nb + PLASMA)
