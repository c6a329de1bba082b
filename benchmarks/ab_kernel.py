"""A/B of the engine's integrator (Rodas4, structured solve, course driver) at a git revision
against the working tree: the same wide-cohort patients, interleaved in one process, one
thread; the model's rhs/jac are the working tree's in both.

    PYTHONPATH=. REP=5 python benchmarks/ab_kernel.py N RTOL [REV]   # REV default a70cd9d

Prints both rates (patient-cycles/s, best of REP), the speedup, whether the boundary and
output states are bit-identical, and the load average.  Not a test.  REV's ``run_course``
must take the working tree's model arguments: the default a70cd9d is the engine as merged
after issue 14's model (the earlier default 5dfb5fc predates that model and no longer
compiles against it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import types
from pathlib import Path

import numba
import numpy as np
from kernel_inputs import wide_kernel_inputs

from simulator.engine import model
from simulator.engine.rodas import make_workspace_nb

ROOT = Path(__file__).resolve().parents[1]
JIT = 'JIT = dict(cache=False, nogil=True, fastmath=False, error_model="numpy")'


def load(get, tag):
    """Compile bordered/rodas/course from the sources ``get(path)`` as private modules."""
    mods = {}
    for name in ("bordered", "rodas", "course"):
        s = get(f"simulator/engine/{name}.py").replace("from ..jit import JIT", JIT)
        s = s.replace("from .bordered import", "from __bordered__ import")
        s = s.replace("from .rodas import", "from __rodas__ import")
        s = s.replace('**{**JIT, "cache": False}', "**JIT")
        sys.modules["__bordered__"] = mods.get("bordered")
        sys.modules["__rodas__"] = mods.get("rodas")
        mod = types.ModuleType(f"{tag}_{name}")
        exec(compile(s, f"<{tag}_{name}>", "exec"), mod.__dict__)  # noqa: S102
        mods[name] = mod
    return mods


def make_runner(run_course):
    @numba.njit(cache=False)
    def run(arrs, y0, atol, inj, end_h, hot, cold, hi, ci, rtol, st, times, bnd, ser):
        tissue, glob, lesion, oar_map, oar_mu, log_m, log_s, consts = arrs
        for p in range(tissue.shape[0]):
            args = (tissue[p], glob[p], lesion[p], oar_map[p], oar_mu[p], log_m, log_s,
                    consts[p], np.zeros((2, tissue.shape[1])))
            y = y0[p].copy()
            run_course(model.rhs, model.jac, args, y, inj, hi, ci, hot[p], cold[p], end_h,
                       times, rtol, atol[p], 200000, 1e-6, make_workspace_nb(y.size), bnd[p],
                       ser[p], st)
    return run


def main():
    numba.set_num_threads(1)
    n, rtol = int(sys.argv[1]), float(sys.argv[2])
    rev = sys.argv[3] if len(sys.argv) > 3 else "a70cd9d"
    inputs = wide_kernel_inputs(n, rtol)
    m, sched, times, atol, st = (inputs.model, inputs.schedule, inputs.times_h, inputs.atol,
                                 inputs.structure)
    old = load(lambda p: subprocess.check_output(
        ["git", "-C", str(ROOT), "show", f"{rev}:{p}"], text=True), "old")
    new = load(lambda p: (ROOT / p).read_text(), "new")
    runners = {"old": make_runner(old["course"].run_course),
               "new": make_runner(new["course"].run_course)}
    arrs, y0, hi, ci = inputs.arrays, inputs.y0, inputs.hot_index, inputs.cold_index

    def go(r):
        b = np.zeros((m.n, sched.injection_times_h.size + 1, m.n_states))
        s = np.zeros((m.n, times.size, m.n_states))
        t0 = time.perf_counter()
        r(arrs, y0, atol, sched.injection_times_h, sched.end_h, sched.hot_nmol,
          sched.cold_nmol, hi, ci, rtol, st, times, b, s)
        return time.perf_counter() - t0, b, s

    for r in runners.values():
        go(r)
    t = {"old": [], "new": []}
    out = {}
    for _ in range(int(os.environ.get("REP", 5))):
        for k, r in runners.items():
            dt, b, s = go(r)
            t[k].append(dt)
            out[k] = (b, s)
    pc = n * sched.injection_times_h.size
    to, tn = min(t["old"]), min(t["new"])
    print(f"{rev} {pc / to:.1f} pc/s  working tree {pc / tn:.1f} pc/s  speedup {to / tn:.3f}x "
          f"(medians {np.median(t['old']) / np.median(t['new']):.3f}x)")
    (bo, so), (bn, sn) = out["old"], out["new"]
    print("bit-identical states:", np.array_equal(bo, bn) and np.array_equal(so, sn))
    print("load average:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
