"""Would a higher-order Rosenbrock method take fewer steps?  Rodas5P against the engine's Rodas4.

    PYTHONPATH=. python benchmarks/higher_order_steps.py [--n 6] [--rtol 1e-5 1e-6 1e-7]

Not a test, and not an engine option: a measurement that decides whether implementing one pays.
``rodas.integrate``'s Python source is turned into an s-stage generic (the stage loop, the
stage count and the step-size exponent; everything else, including the structured linear
solves, the error norm and the controller, is the engine's) and run on the first ``--n``
``cohort=wide`` patients with

* Rodas4 (the engine's own tableau, 6 stages, step exponent 1/4: reproduces the engine's step
  counts), and
* Rodas5P (Steinebach 2023, BIT Numer Math 63:27, doi:10.1007/s10543-023-00967-x; 8 stages,
  order 5(4), stiffly accurate, coefficients as tabulated in OrdinaryDiffEq.jl's
  ``Rodas5PTableau``; step exponent 1/5).

Prints, per rtol and method, the accepted steps per patient and the largest relative error of
the lesion dose and repair integral (D, Q) at the end of the course against the engine at rtol
1e-10 (atol x 1e-4).  A Rodas5P step costs 8 right-hand sides and solves against Rodas4's 6
(one Jacobian and one LU each).
"""

from __future__ import annotations

import argparse
import inspect

import numpy as np
from kernel_inputs import FIRST_STEP_H, MAX_STEPS, wide_kernel_inputs

from simulator.engine import course as course_module
from simulator.engine import layout as el
from simulator.engine import model as coupled
from simulator.engine import rodas
from simulator.engine.course import run_course
from simulator.engine.rodas import make_workspace_nb

#: Rodas5P (Steinebach 2023), W-transformed form as rodas.py's: gamma, a_ij (stages 2-6),
#: C_ij (stages 2-8); stages 7 and 8 take the stage-6 argument plus k6 (plus k7)
R5P_GAMMA = 0.21193756319429014
R5P_A = ((3.0,), (2.849394379747939, 0.45842242204463923),
         (-6.954028509809101, 2.489845061869568, -10.358996098473584),
         (2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641),
         (-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256,
          0.030198172008377946))
R5P_C = ((-14.155112264123755,), (-17.97296035885952, -2.859693295451294),
         (147.12150275711716, -1.41221402718213, 71.68940251302358),
         (165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306),
         (24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125,
          -0.6610691825249471),
         (30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783,
          -19.097331116725623, -28.087943162872662),
         (37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047,
          -40.06618937091002, -54.66780262877968, -9.48861652309627))
R5P_NODES = (0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716,
             0.4288403609558664, 1.0, 1.0, 1.0)
R5P_D = (0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734,
         2.325825639765069, 0.0, 0.0, 0.0)


def generic_integrate(stages, a, g, nodes, d, gamma, exponent):
    """``rodas.integrate`` (Python) with another stiffly accurate tableau."""
    src = inspect.getsource(rodas.integrate.py_func)
    src = src[src.index("def integrate"):]
    for old, new in (("kk = vec[5:11]", f"kk = vec[5:{5 + stages}]"),
                     ("for s in range(6):", f"for s in range({stages}):"),
                     ("kk[s], vec[11], structure", f"kk[s], vec[{5 + stages}], structure"),
                     ("kk[5, i]", f"kk[{stages - 1}, i]")):
        if old not in src:
            raise RuntimeError(f"rodas.integrate changed ({old!r}): update this benchmark")
        src = src.replace(old, new)
    namespace = dict(vars(rodas), _A=tuple(a), _G=tuple(g), _C=tuple(nodes), _D=tuple(d),
                     GAMMA=gamma)

    def step_factor(err, accepted_before, h, hacc, erracc):   # rodas.step_factor's rule
        fac = max(rodas._FAC2, min(rodas._FAC1, err**exponent / rodas._SAFE))
        if err <= 1.0 and accepted_before:
            facgus = (hacc / h) * (err * err / erracc) ** exponent / rodas._SAFE
            fac = max(fac, max(rodas._FAC2, min(rodas._FAC1, facgus)))
        return fac

    namespace["step_factor"] = step_factor
    exec(src, namespace)  # noqa: S102 - our own module's source, the stage count changed
    return namespace["integrate"]


def methods():
    rows = (*R5P_A, R5P_A[4] + (1.0,), R5P_A[4] + (1.0, 1.0))
    return {"Rodas4": (6, generic_integrate(6, rodas._A, rodas._G, rodas._C, rodas._D,
                                            rodas.GAMMA, 0.25)),
            "Rodas5P": (8, generic_integrate(8, [x for r in rows for x in r],
                                             [x for r in R5P_C for x in r], R5P_NODES, R5P_D,
                                             R5P_GAMMA, 0.2))}


def final_state(inputs, p, rtol, atol, driver, work, counted=None):
    sched, n = inputs.schedule, inputs.model.n_states
    boundary = np.zeros((sched.injection_times_h.size + 1, n))

    def jac(t, y, args, out):
        counted.append(t)           # once per accepted step (and the first)
        coupled.jac(t, y, args, out)

    status = driver(coupled.rhs, coupled.jac if counted is None else jac, inputs.args(p),
                    inputs.y0[p].copy(), sched.injection_times_h, inputs.hot_index,
                    inputs.cold_index, sched.hot_nmol[p], sched.cold_nmol[p], sched.end_h,
                    inputs.times_h, rtol, atol, MAX_STEPS, FIRST_STEP_H, work, boundary,
                    np.zeros((inputs.times_h.size, n)), inputs.structure)
    if status != 0:
        raise RuntimeError(f"patient {p}: status {status}")
    return boundary[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--rtol", type=float, nargs="+", default=[1e-5, 1e-6, 1e-7])
    args = parser.parse_args()
    found = methods()
    print(f"{args.n} wide patients; error: max relative error of lesion D and Q at the end vs "
          "the engine at rtol 1e-10")
    for rtol in args.rtol:
        inputs = wide_kernel_inputs(args.n, rtol)
        n, n_t = inputs.model.n_states, inputs.arrays[0].shape[1]
        les = slice(el.lesion_offset(n_t), None)
        refs = [final_state(inputs, p, 1e-10, inputs.atol[p] * 1e-4, run_course,
                            make_workspace_nb(n)) for p in range(args.n)]
        for name, (stages, integrate) in found.items():
            course_module.integrate = integrate
            base = make_workspace_nb(n)
            work = (np.zeros((6 + stages, n)), *base[1:])
            steps, err = [], 0.0
            try:
                for p in range(args.n):
                    counted: list[float] = []
                    y = final_state(inputs, p, rtol, inputs.atol[p], run_course.py_func, work,
                                    counted)
                    steps.append(len(counted))
                    for k in (el.LES_D, el.LES_Q):
                        ours = y[les][k::el.N_LES_STATES]
                        ref = refs[p][les][k::el.N_LES_STATES]
                        err = max(err, float(np.max(np.abs(ours / ref - 1.0))))
            finally:
                course_module.integrate = rodas.integrate
            print(f"  rtol {rtol:<8g}{name:<9s}{np.mean(steps):9.1f} steps/patient"
                  f"   max rel error D, Q {err:.2e}", flush=True)


if __name__ == "__main__":
    main()
