"""Rodas4: stiff, L-stable, error-controlled Rosenbrock integrator (numba).

Six-stage, order 4(3), stiffly accurate method of Hairer & Wanner, *Solving ODEs II*,
2nd ed., Sec. VI.4 (code ``RODAS``), in the W-transformed form of ``rodas.f``: with
``E = I/(h*GAMMA) - J``, stage ``s`` solves
``E k_s = f(t + c_s h, y + sum_j A_sj k_j) + h D_s f_t + sum_j (C_sj / h) k_j``;
``y_new = y + sum_j A_6j k_j + k_6`` and the embedded error estimate is ``k_6``.
``f_t`` is ``rodas.f``'s forward-difference time derivative (zero if autonomous).

Coefficients: ``rodas.f`` (Hairer & Wanner, 1995), ``SUBROUTINE ROCOE``, ``METH=1``
(as carried verbatim by KPP's ``atm_rodas`` port), checked digit for digit against
``OrdinaryDiffEq.jl``'s ``Rodas4Tableau``.  Step control as ``rodas.f``: safety 0.9,
exponent 1/4, ``h_new/h in [0.2, 6]``, Gustafsson's predictive controller.

``integrate`` uses ``cache=False``: signatures holding dispatcher types never hit numba's
disk cache (numba #2956/#6264); caching would only append dead entries per process.
"""

import math

import numba
import numpy as np

from ..jit import JIT
from .bordered import assemble_core, factor_bordered, solve_structured

GAMMA = 0.25
C2, C3, C4 = 0.386, 0.21, 0.63
D1, D2, D3, D4 = 0.25, -0.1043, 0.1035, -0.3620000000000023e-01
A21 = 1.544
A31, A32 = 0.9466785280815826, 0.2557011698983284
A41, A42, A43 = 3.314825187068521, 2.896124015972201, 0.9986419139977817
A51, A52, A53, A54 = 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950
C21 = -5.6688
C31, C32 = -2.430093356833875, -0.2063599157091915
C41, C42, C43 = -0.1073529058151375, -9.594562251023355, -20.47028614809616
C51, C52, C53, C54 = 7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160
C61, C62, C63 = 8.083246795921522, -7.981132988064893, -31.52159432874371
C64, C65 = 16.31930543123136, -6.058818238834054

# Strictly lower-triangular rows s = 1..5 packed at s*(s-1)/2; _A row 5 = A5j + k5 (A65 = 1).
_A = (A21, A31, A32, A41, A42, A43, A51, A52, A53, A54, A51, A52, A53, A54, 1.0)
_G = (C21, C31, C32, C41, C42, C43, C51, C52, C53, C54, C61, C62, C63, C64, C65)
_C = (0.0, C2, C3, C4, 1.0, 1.0)
_D = (D1, D2, D3, D4, 0.0, 0.0)
_UROUND = 2.220446049250313e-16
_SAFE, _FAC1, _FAC2 = 0.9, 5.0, 1.0 / 6.0  # h_new = h / fac with fac in [_FAC2, _FAC1]


def make_workspace(n):
    """Allocate the workspace used by :func:`integrate`.

    Parameters
    ----------
    n : int
        Number of states.

    Returns
    -------
    tuple
        ``(vec, jmat, emat, piv, info)``: ``vec`` (12, n) float64 stage vectors,
        ``jmat``/``emat`` (n, n) float64 Jacobian and LU of ``I/(h*GAMMA) - J``,
        ``piv`` (n,) int64 pivots, ``info`` (4,) float64 receiving
        ``[t reached, accepted steps, rejected steps, RHS evaluations]``.
    """
    vec, jmat, emat = np.zeros((12, n)), np.zeros((n, n)), np.zeros((n, n))
    return vec, jmat, emat, np.zeros(n, dtype=np.int64), np.zeros(4)


#: the same allocation, callable from numba kernels (one workspace per patient)
make_workspace_nb = numba.njit(**JIT)(make_workspace)


@numba.njit(**JIT)
def lu_factor(a, piv, n=-1):
    """LU-factorise the leading ``n x n`` block of ``a`` in place (partial pivoting).

    Row swaps are recorded in ``piv``; ``n < 0`` means the whole matrix.  Returns 0 on
    success, ``k + 1`` if the pivot of column ``k`` is exactly zero.
    """
    if n < 0:
        n = a.shape[0]
    for k in range(n):
        p = k
        amax = abs(a[k, k])
        for i in range(k + 1, n):
            if abs(a[i, k]) > amax:
                amax = abs(a[i, k])
                p = i
        piv[k] = p
        if amax == 0.0:
            return k + 1
        if p != k:
            for j in range(n):
                a[k, j], a[p, j] = a[p, j], a[k, j]
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            m = a[i, k] * inv
            a[i, k] = m
            if m != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= m * a[k, j]
    return 0


@numba.njit(**JIT)
def lu_solve(a, piv, b, n=-1):
    """Solve ``A x = b`` in place in ``b`` given ``a, piv`` from :func:`lu_factor`."""
    if n < 0:
        n = a.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            b[k], b[p] = b[p], b[k]
    for i in range(1, n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


@numba.njit(**JIT)
def step_factor(err, accepted_before, h, hacc, erracc):
    """``fac`` of the next step ``h / fac`` (``rodas.f``): ``err^(1/4) / 0.9`` clipped to
    [1/6, 5]; for an accepted step after an earlier accepted one (``accepted_before``), at
    least Gustafsson's predictive factor from the last accepted step ``hacc`` and its error
    ``erracc``.  Shared by :func:`integrate` and
    :func:`simulator.engine.lockstep.run_lanes`."""
    fac = max(_FAC2, min(_FAC1, err**0.25 / _SAFE))
    if err <= 1.0 and accepted_before:  # predictive controller of Gustafsson
        facgus = (hacc / h) * (err * err / erracc) ** 0.25 / _SAFE
        fac = max(fac, max(_FAC2, min(_FAC1, facgus)))
    return fac


@numba.njit(**{**JIT, "cache": False})
def integrate(fun, jac, t0, t1, y, args, rtol, atol, h0, max_steps, work, structure=None,
              autonomous=False):
    """Integrate ``y' = f(t, y)`` in place from ``t0`` to exactly ``t1 > t0`` (Rodas4).

    Parameters
    ----------
    fun, jac : numba dispatchers
        ``fun(t, y, args, dydt)``, ``jac(t, y, args, dfdy)`` write their last argument
        (pass ``.py_func`` versions to ``integrate.py_func``).
    t0, t1 : float
        Start and end time.
    y : ndarray, shape (n,)
        Initial state, overwritten with the last accepted state.
    args : tuple
        Passed unchanged to ``fun`` and ``jac``.
    rtol, atol : float, ndarray of shape (n,)
        Relative and per-component absolute tolerance.
    h0 : float
        Initial step; ``<= 0`` selects one (Hairer's ``0.01 ||y|| / ||f||``).
    max_steps : int
        Maximum attempted (accepted + rejected) steps.
    work : tuple
        From :func:`make_workspace`; ``work[4]`` receives the statistics.
    structure : tuple of int64 arrays, optional
        ``(core, bptr, down, dptr, dcols)`` from
        :func:`simulator.engine.structure.solver_structure`: the linear solves then
        exploit the Jacobian's exact sparsity (block-arrowhead core, downstream states
        by substitution; :mod:`simulator.engine.bordered`).  ``J`` may only be nonzero
        where that structure says.  Default: dense LU with partial pivoting.
    autonomous : bool
        ``f`` does not depend on ``t``: the time derivative ``f_t`` is exactly zero and
        its finite-difference evaluation (one RHS call per step) is skipped.

    Returns
    -------
    status, n_steps, h_last : int, int, float
        Status 0 success, 1 ``max_steps`` exceeded, 2 step-size underflow
        (``h < 1e-14 |t|``), 3 non-finite values; attempted steps; step size to
        continue with (pass back as ``h0``).
    """
    vec, jm, e, piv, info = work
    n = y.shape[0]
    ynew, dy1, dy, fx, ftmp = vec[0], vec[1], vec[2], vec[3], vec[4]
    kk = vec[5:11]
    t, span = t0, t1 - t0
    info[:] = 0.0
    info[0], h = t0, h0
    if h <= 0.0:
        fun(t, y, args, dy1)
        info[3] += 1.0
        d0, d1 = 0.0, 0.0
        for i in range(n):
            sk = atol[i] + rtol * abs(y[i])
            d0 += (y[i] / sk) ** 2
            d1 += (dy1[i] / sk) ** 2
        d0, d1 = math.sqrt(d0 / n), math.sqrt(d1 / n)
        h = 0.01 * d0 / d1 if (d0 > 1e-5 and d1 > 1e-5) else span * 1e-6
    h = min(h, span)
    hacc, erracc, hopt = h, 1.0, h
    n_steps, n_acc, n_bad, reject = 0, 0, 0, False
    while True:
        if n_steps >= max_steps:
            return 1, n_steps, h
        if h < 1e-14 * abs(t) or t + h == t:
            return 2, n_steps, h
        hopt = h
        last = t + 1.0001 * h >= t1
        if last:
            h = t1 - t
        if not reject:  # new Jacobian and f_t at the accepted point
            fun(t, y, args, dy1)
            jac(t, y, args, jm)
            info[3] += 1.0
            if autonomous:
                fx[:] = 0.0
            else:
                delt = math.sqrt(_UROUND * max(1e-5, abs(t)))
                fun(t + delt, y, args, ftmp)
                info[3] += 1.0
                for i in range(n):
                    fx[i] = (ftmp[i] - dy1[i]) / delt
            # a NaN/inf in f stops here; one in the Jacobian reaches the stages and the error
            # norm, which rejects the step and stops after 5 (status 3 either way)
            if not math.isfinite(np.sum(dy1) + np.sum(fx)):
                return 3, n_steps, hopt
        n_steps += 1
        inv_hg = 1.0 / (h * GAMMA)
        if structure is None:
            for i in range(n):
                for j in range(n):
                    e[i, j] = -jm[i, j]
                e[i, i] += inv_hg
            singular = lu_factor(e, piv, n)
        else:
            assemble_core(e, jm, structure[0], structure[1], inv_hg)
            singular = factor_bordered(e, piv, structure[1])
        if singular != 0:
            h *= 0.5
            reject = True
            continue
        hc = 1.0 / h
        for s in range(6):  # E k_s = f(t + c_s h, y + sum A_sj k_j) + h D_s f_t + sum C_sj k_j / h
            o = s * (s - 1) // 2
            # stage sums as contiguous axpys, j ascending: per component the same additions
            # in the same order as a dot product over j (bit-identical), but vectorisable and
            # with each tableau coefficient read once per stage
            if s > 0:
                ynew[:] = y
                for j in range(s):
                    a_sj = _A[o + j]
                    kj = kk[j]
                    for i in range(n):
                        ynew[i] += a_sj * kj[i]
                fun(t + _C[s] * h, ynew, args, dy)
            f = dy1 if s == 0 else dy
            ftmp[:] = 0.0
            for j in range(s):
                g_sj = _G[o + j]
                kj = kk[j]
                for i in range(n):
                    ftmp[i] += g_sj * kj[i]
            hd = h * _D[s]
            ks = kk[s]
            for i in range(n):
                ks[i] = f[i] + hd * fx[i] + hc * ftmp[i]
            if structure is None:
                lu_solve(e, piv, kk[s], n)
            else:
                solve_structured(e, piv, jm, kk[s], vec[11], structure, inv_hg)
        err = 0.0
        for i in range(n):  # stiffly accurate: y_new = (stage-6 argument) + k6
            ynew[i] += kk[5, i]
            sk = atol[i] + rtol * max(abs(y[i]), abs(ynew[i]))
            err += (kk[5, i] / sk) ** 2
        err = math.sqrt(err / n)
        info[3] += 5.0
        if not math.isfinite(err):  # overflow in a trial step: reject (h *= 0.2), then give up
            n_bad += 1
            if n_bad >= 5:
                return 3, n_steps, hopt
            err = 1e4
        fac = step_factor(err, n_acc > 0, h, hacc, erracc)
        if err <= 1.0:
            n_acc, n_bad = n_acc + 1, 0
            hacc = h
            erracc = max(1e-2, err)
            for i in range(n):
                y[i] = ynew[i]
            t = t1 if last else t + h
            info[0], info[1] = t, n_acc
            hnew = min(h / fac, span, h if reject else span)  # no growth right after a reject
            reject = False
            if last:
                return 0, n_steps, hopt
            h = hnew
        else:
            reject = True
            info[2] += 1.0
            h = h / fac
