"""Where do the engine's steps go?  Steps by time since injection, and the state that sets them.

    PYTHONPATH=. python benchmarks/step_budget.py [--n 8] [--rtol 1e-6]
        [--unlabelled-atol-ratio]
    PYTHONPATH=. python benchmarks/step_budget.py --first-day [--n 6] [--rtol 1e-5]

Not a test.  Runs the engine's own Rodas4 (``rodas.integrate`` as Python, calling the compiled
model and linear algebra, as ``lockstep_steps.py`` does) on the first ``--n`` ``cohort=wide``
patients and records, for every step attempted, the time since the latest injection and the
state component with the largest term of the error norm (``err`` of ``rodas.integrate``).
Prints the accepted steps per patient in time windows after an injection, and per window the
components that most often set the step.

``--unlabelled-atol-ratio`` repeats the count with the unlabelled peptide's absolute
tolerance multiplied by each patient's ratio of unlabelled to labelled peptide injected (a
variant tried and rejected in session 15, docs/performance.md), and measures what that does
to the accuracy where it matters most: the saturating engine-reference case of
``tests/literature/test_engine_reference.py`` (600 nmol peptide, an 80-mL lesion at 400
nmol/L), against a live ``scipy`` Radau integration at rtol 1e-10 (``simulator.reference``),
reported as the largest error of the dose and repair accumulators over that test's bound
(``rtol 1e-6, atol 1e-10``: <= 1 passes).

``--first-day`` counts the accepted steps of the first 24 h of cycle 1 only, for the bolus as
the engine gives it, with blood flow, permeability or binding made 1000x faster (a proxy for a
quasi-steady-state treatment of them: if the steps were spent resolving those processes, they
would go), and with the activity given as a 30-min zero-order infusion instead of a bolus.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from collections import Counter

import numpy as np
from kernel_inputs import wide_kernel_inputs

import simulator
from simulator import runner
from simulator.assembly import absolute_tolerance
from simulator.engine import course as course_module
from simulator.engine import layout as el
from simulator.engine import model as coupled
from simulator.engine import rodas
from simulator.engine.course import run_course
from simulator.pk.layout import COLD, GLOBAL_NAMES, N_GLOBAL, N_SUB, block_size
from simulator.reference import reference_course

#: windows of time since the latest injection [h]
EDGES_H = (0.0, 1e-3, 1e-2, 0.1, 1.0, 6.0, 24.0, 72.0, 168.0, 672.0, np.inf)
#: the saturating case of tests/literature/test_engine_reference.py
SATURATING = ("therapy.n_cycles=2", "therapy.peptide_nmol=600", "response.follow_up_months=8",
              "tumour.growth=gompertz", "radiobiology.tumour_alpha_per_gy=0.1",
              "+lesions={a:{volume_ml:80,sstr_density_nmol_per_l:400},"
              "b:{volume_ml:0.5,sstr_density_nmol_per_l:5,perfusion_ml_per_min_per_ml:0.1}}")


def recording_integrate(record: list):
    """``rodas.integrate``'s Python source with one line added after the error norm: append
    ``(t, index of the largest error term)`` of every attempted step to ``record``."""
    src = inspect.getsource(rodas.integrate.py_func)
    src = src[src.index("def integrate"):]
    anchor = "        err = math.sqrt(err / n)\n"
    assert src.count(anchor) == 1, "rodas.integrate changed: update step_budget.py"
    src = src.replace(anchor, anchor + (
        "        RECORD.append((t, int(np.argmax(np.abs(kk[5]) / (atol + rtol * np.maximum("
        "np.abs(y), np.abs(ynew)))))))\n"))
    namespace = dict(vars(rodas), RECORD=record)
    exec(src, namespace)  # noqa: S102 - our own module's source, one line added
    return namespace["integrate"]


def state_name(i: int, n_t: int) -> str:
    nb = block_size(n_t)
    if i < 2 * nb:
        species, j = divmod(i, nb)
        sp = ("labelled", "unlabelled")[species]
        if j < N_GLOBAL:
            return f"{sp} {GLOBAL_NAMES[j]}"
        tissue, sub = divmod(j - N_GLOBAL, N_SUB)
        where = ("kidneys", "spleen", "liver")[tissue] if tissue < 3 else "lesion"
        return f"{sp} {where} {('vascular', 'interstitial', 'bound', 'internalised')[sub]}"
    if i < el.oar_offset(n_t):
        return "time-integrated activity"
    if i < el.lesion_offset(n_t):
        return f"{el.OAR_TARGETS[(i - el.oar_offset(n_t)) // 2]} " \
               f"{('Gamma', 'Q')[(i - el.oar_offset(n_t)) % 2]}"
    return "lesion " + ("L", "N_d", "D", "Gamma", "Q", "J")[(i - el.lesion_offset(n_t)) % 6]


def budget(n: int, rtol: float, scale_unlabelled: bool) -> tuple[np.ndarray, list, float]:
    inputs = wide_kernel_inputs(n, rtol)
    n_t = inputs.arrays[0].shape[1]
    if scale_unlabelled:
        inputs.atol[:] = scaled_atol(inputs.model, inputs.atol, inputs.schedule)
    record: list = []
    course_module.integrate = recording_integrate(record)
    steps = np.zeros(len(EDGES_H) - 1)
    setters = [Counter() for _ in steps]
    inj = inputs.schedule.injection_times_h
    try:
        for p in range(n):
            record.clear()
            jac_at: list[float] = []

            def jac(t, y, args, out, jac_at=jac_at):
                jac_at.append(t)          # once per accepted step (and the first)
                coupled.jac(t, y, args, out)

            if inputs.course(p, rtol, jac=jac, driver=run_course.py_func) != 0:
                raise RuntimeError(f"patient {p} failed")
            since = lambda t: t - inj[np.searchsorted(inj, t, side="right") - 1]  # noqa: E731
            steps += np.histogram([since(t) for t in jac_at], bins=EDGES_H)[0]
            for t, i in record:
                w = np.searchsorted(EDGES_H, since(t), side="right") - 1
                setters[w][state_name(i, n_t)] += 1
    finally:
        course_module.integrate = rodas.integrate
    return steps / n, setters, float(np.sum(steps) / n)


def scaled_atol(m, atol, sched):
    """The rejected variant: the unlabelled block's atol times unlabelled / labelled injected."""
    out = np.array(atol, dtype=float, copy=True)
    hot, cold = sched.hot_nmol.max(axis=1), sched.cold_nmol.max(axis=1)
    ratio = np.where(hot > 0, cold / np.where(hot > 0, hot, 1.0), 1.0)
    nb = block_size(m.system.n_tissues)
    out[:, COLD * nb:(COLD + 1) * nb] *= np.maximum(ratio, 1.0)[:, None]
    return out


def saturating_error(scale_unlabelled: bool) -> float:
    """Largest error of the dose and repair accumulators (without L and N_d, tested apart)
    over the engine-reference test's bound, on its saturating case."""
    from simulator.assembly import build_model, make_schedule
    from simulator.population import Columns

    cfg = simulator.validate(simulator.compose(list(SATURATING)))
    if scale_unlabelled:    # the runner builds the tolerances without the schedule: close over it
        cols = Columns(cfg, 1)
        sched = make_schedule(cols, build_model(cols).system.mbq_per_nmol)
        runner.absolute_tolerance = lambda m, a: scaled_atol(m, absolute_tolerance(m, a), sched)
    try:
        res = runner.run_patient(cfg)
    finally:
        runner.absolute_tolerance = absolute_tolerance
    boundary, _ = reference_course(res.model, res.schedule, res.time_h, rtol=1e-10, atol=1e-14)
    n_t = res.system.n_tissues
    sl = slice(el.oar_offset(n_t), None)
    keep = np.ones(res.model.n_states - el.oar_offset(n_t), dtype=bool)
    keep[el.N_OAR_STATES * 2 + el.LES_L::el.N_LES_STATES] = False
    keep[el.N_OAR_STATES * 2 + el.LES_ND::el.N_LES_STATES] = False
    ours, theirs = res.boundary_states[0][-1, sl][keep], boundary[-1, sl][keep]
    return float(np.max(np.abs(ours - theirs) / (1e-10 + 1e-6 * np.abs(theirs))))


#: --first-day variants: tissue-parameter columns scaled, or an infusion (min)
FIRST_DAY = (("bolus", {}, 0.0), ("blood flow x1000", {"Q": 1e3}, 0.0),
             ("permeability x1000", {"PS": 1e3}, 0.0),
             ("binding on/off rates x1000", {"KON": 1e3, "KOFF": 1e3}, 0.0),
             ("blood flow and permeability x1000", {"Q": 1e3, "PS": 1e3}, 0.0),
             ("30-min infusion", {}, 30.0))


def first_day_steps(n: int, rtol: float, scale: dict, infusion_min: float,
                    window_h: float = 24.0) -> float:
    """Accepted steps per patient in the first ``window_h`` of cycle 1."""
    from simulator.pk import parameters as pkp

    inputs = wide_kernel_inputs(n, rtol)
    tissue = inputs.arrays[0]
    for name, factor in scale.items():
        tissue[:, :, getattr(pkp, name)] *= factor
    sched, rate = inputs.schedule, np.zeros(2)

    def rhs(t, y, args, out):
        coupled.rhs(t, y, args, out)
        out[inputs.hot_index] += rate[0]
        out[inputs.cold_index] += rate[1]

    total = 0
    for p in range(n):
        jac_at: list[float] = []

        def jac(t, y, args, out, jac_at=jac_at):
            jac_at.append(t)
            coupled.jac(t, y, args, out)

        y, work = inputs.y0[p].copy(), rodas.make_workspace_nb(inputs.model.n_states)
        pieces = [(0.0, window_h)]
        if infusion_min > 0:     # constant input over [0, T]: a segment of its own
            t_inf = infusion_min / 60.0
            rate[:] = sched.hot_nmol[p][0] / t_inf, sched.cold_nmol[p][0] / t_inf
            pieces = [(0.0, t_inf), (t_inf, window_h)]
        else:
            y[inputs.hot_index] += sched.hot_nmol[p][0]
            y[inputs.cold_index] += sched.cold_nmol[p][0]
        h = 1e-6
        for k, (t0, t1) in enumerate(pieces):
            if k == 1:
                rate[:] = 0.0
            status, _, h = rodas.integrate.py_func(rhs, jac, t0, t1, y, inputs.args(p), rtol,
                                                   inputs.atol[p], h, 200000, work,
                                                   inputs.structure, True)
            if status != 0:
                raise RuntimeError(f"patient {p}: status {status}")
        rate[:] = 0.0
        total += len(jac_at)
    return total / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--unlabelled-atol-ratio", action="store_true")
    parser.add_argument("--first-day", action="store_true")
    args = parser.parse_args()
    if args.first_day:
        print(f"first 24 h of cycle 1, {args.n} wide patients, rtol {args.rtol:g}: accepted "
              "steps per patient")
        for label, scale, infusion in FIRST_DAY:
            print(f"  {label:<36s}{first_day_steps(args.n, args.rtol, scale, infusion):8.1f}",
                  flush=True)
        return
    variants = [False, True] if args.unlabelled_atol_ratio else [False]
    for scaled in variants:
        start = time.perf_counter()
        per_window, setters, total = budget(args.n, args.rtol, scaled)
        label = "unlabelled atol x injected ratio (rejected)" if scaled else "engine as is"
        print(f"\n{label}: {args.n} wide patients, rtol {args.rtol:g}: {total:.1f} accepted "
              f"steps per patient ({time.perf_counter() - start:.0f} s)")
        print(f"  {'hours after injection':>22s}{'steps/patient':>15s}   states setting the "
              "step (share of attempted steps)")
        for a, b, s, c in zip(EDGES_H[:-1], EDGES_H[1:], per_window, setters, strict=True):
            tot = sum(c.values()) or 1
            top = ", ".join(f"{k} {v / tot:.0%}" for k, v in c.most_common(3))
            print(f"  {f'[{a:g}, {b:g})':>22s}{s:15.1f}   {top}")
        if args.unlabelled_atol_ratio:
            print(f"  saturating reference case: accumulator error / test bound = "
                  f"{saturating_error(scaled):.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
