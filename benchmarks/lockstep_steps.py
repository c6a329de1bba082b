"""How many shared steps would a lockstep batch take? An estimate from recorded step sizes.

    PYTHONPATH=. python benchmarks/lockstep_steps.py [N] [RTOL] [GROUP ...]

Runs the engine's own Rodas4 (``simulator.engine.rodas.integrate`` as Python, calling the
compiled model and linear algebra) on ``N`` wide-cohort patients at ``RTOL`` (default 16,
1e-5) and records the start of every accepted step (the Jacobian is evaluated there once).
Patient g then has step size h_g(t).  A batch of G patients integrated in lockstep must take
steps no longer than the shortest member's, so its step count is estimated as the integral of
dt / min_g h_g(t) over the course (summed over the segments between output times and
injections, which every member shares).  Reported per group size: that estimate over the
mean of the members' own step counts, i.e. how many more steps each patient costs in
lockstep (the vectorised step must be at least that much cheaper per patient to pay).  An
estimate: a real lockstep controller reacts to the combined error and would take a somewhat
different sequence.
"""

from __future__ import annotations

import sys

import numpy as np
from kernel_inputs import wide_kernel_inputs

from simulator.engine import model
from simulator.engine.course import run_course
from simulator.engine.rodas import integrate


def step_starts(n: int, rtol: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Accepted-step start times (h) of each patient, and the shared segment boundaries."""
    inputs = wide_kernel_inputs(n, rtol)
    # the Python driver must call the Python integrator (the compiled one cannot take the
    # recording Jacobian below); run_course.py_func looks ``integrate`` up in its module
    course_module = sys.modules[run_course.__module__]
    course_module.integrate = integrate.py_func
    starts = []
    try:
        for p in range(n):
            rec: list[float] = []

            def jac(t, y, args, out, rec=rec):
                rec.append(t)
                model.jac(t, y, args, out)

            status = inputs.course(p, rtol, jac=jac, driver=run_course.py_func)
            if status != 0:
                raise RuntimeError(f"patient {p}: status {status}")
            starts.append(np.asarray(rec))
    finally:
        course_module.integrate = integrate
    sched = inputs.schedule
    bounds = np.unique(np.concatenate([sched.injection_times_h, inputs.times_h,
                                       [sched.end_h]]))
    return starts, bounds


def step_function(start: np.ndarray, bounds: np.ndarray):
    """(edges, h) of one patient: its steps end at the next start or at a shared boundary."""
    edges = np.unique(np.concatenate([start, bounds]))
    return edges, np.diff(edges)


def lockstep_steps(members: list[np.ndarray], bounds: np.ndarray) -> float:
    funcs = [step_function(s, bounds) for s in members]
    grid = np.unique(np.concatenate([f[0] for f in funcs]))
    mid = 0.5 * (grid[1:] + grid[:-1])
    hmin = np.full(mid.size, np.inf)
    for edges, h in funcs:
        k = np.clip(np.searchsorted(edges, mid, side="right") - 1, 0, h.size - 1)
        hmin = np.minimum(hmin, h[k])
    return float(np.sum(np.diff(grid) / hmin))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    rtol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    groups = [int(g) for g in sys.argv[3:]] or [4, 8]
    starts, bounds = step_starts(n, rtol)
    own = np.array([step_function(s, bounds)[1].size for s in starts], dtype=float)
    print(f"{n} wide patients, rtol {rtol:g}: accepted steps per patient (course of "
          f"{len(bounds) - 1} shared segments) median {np.median(own):.0f}, "
          f"min {own.min():.0f}, max {own.max():.0f}")
    for g in groups:
        ratios = [lockstep_steps(starts[i:i + g], bounds) / own[i:i + g].mean()
                  for i in range(0, n - n % g, g)]
        print(f"  groups of {g}: lockstep steps / members' mean own steps = "
              f"{np.mean(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}, "
              f"{len(ratios)} groups)")


if __name__ == "__main__":
    main()
