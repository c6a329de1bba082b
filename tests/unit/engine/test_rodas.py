"""Accuracy and robustness tests for the Rodas4 integrator."""

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from simulator.engine.rodas import integrate, make_workspace


@numba.njit(cache=True)
def lin_fun(t, y, args, dydt):
    dydt[:] = args[0] @ y


@numba.njit(cache=True)
def lin_jac(t, y, args, dfdy):
    dfdy[:, :] = args[0]


@numba.njit(cache=True)
def rober_fun(t, y, args, dydt):
    k1, k2, k3 = args
    dydt[0] = -k1 * y[0] + k3 * y[1] * y[2]
    dydt[1] = k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2
    dydt[2] = k2 * y[1] ** 2


@numba.njit(cache=True)
def rober_jac(t, y, args, dfdy):
    k1, k2, k3 = args
    dfdy[0, 0], dfdy[0, 1], dfdy[0, 2] = -k1, k3 * y[2], k3 * y[1]
    dfdy[1, 0], dfdy[1, 1], dfdy[1, 2] = k1, -k3 * y[2] - 2 * k2 * y[1], -k3 * y[1]
    dfdy[2, 0], dfdy[2, 1], dfdy[2, 2] = 0.0, 2 * k2 * y[1], 0.0


@numba.njit(cache=True)
def riccati_fun(t, y, args, dydt):
    dydt[0] = -y[0] * y[0] + args[0] * (1.0 + np.cos(t))  # args[0]=0: 1/(1+t)


@numba.njit(cache=True)
def riccati_jac(t, y, args, dfdy):
    dfdy[0, 0] = -2.0 * y[0]


@numba.njit(cache=True)
def nan_fun(t, y, args, dydt):
    dydt[0] = np.sqrt(y[0] - 1.0) if t > 0.5 else -y[0]  # NaN once t > 0.5 (y < 1)


@numba.njit(cache=True)
def nan_jac(t, y, args, dfdy):
    dfdy[0, 0] = -1.0


def stiff_linear(n=12, seed=1):
    """A = V diag(lam) V^-1, eigenvalues log-spaced in [-1e4, -1e-3], cond(V) ~ 10."""
    rng = np.random.default_rng(seed)
    lam = -np.logspace(-3, 4, n)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v = q @ np.diag(np.linspace(1.0, 3.0, n)) @ np.linalg.qr(rng.standard_normal((n, n)))[0]
    return v @ np.diag(lam) @ np.linalg.inv(v), rng.uniform(0.5, 1.5, n)


def run(fun, jac, t0, t1, y0, args, rtol, atol, h0=0.0, max_steps=100_000, kernel=integrate):
    y = np.array(y0, dtype=float)
    atol = np.full(y.size, atol)
    status, nsteps, h = kernel(
        fun, jac, t0, t1, y, args, rtol, atol, h0, max_steps, make_workspace(y.size)
    )
    return status, nsteps, h, y


def test_stiff_linear_matches_expm():
    a, y0 = stiff_linear()
    worst = 0.0
    y, t = y0.copy(), 0.0
    h = 0.0
    for t_next in (1e-3, 0.1, 10.0, 300.0, 3000.0):
        status, _, h, y = run(lin_fun, lin_jac, t, t_next, y, (a,), 1e-10, 1e-14, h0=h)
        assert status == 0
        ref = expm(a * t_next) @ y0
        worst = max(worst, np.max(np.abs(y - ref) / np.abs(ref)))
        t = t_next
    assert worst < 1e-8


def test_robertson_vs_radau():
    k = (0.04, 3e7, 1e4)
    y0 = [1.0, 0.0, 0.0]
    status, nsteps, _, y = run(rober_fun, rober_jac, 0.0, 1e5, y0, k, 1e-10, 1e-14)
    assert status == 0
    ref = solve_ivp(
        lambda t, y: [
            -k[0] * y[0] + k[2] * y[1] * y[2],
            k[0] * y[0] - k[2] * y[1] * y[2] - k[1] * y[1] ** 2,
            k[1] * y[1] ** 2,
        ],
        (0.0, 1e5),
        y0,
        method="Radau",
        rtol=1e-11,
        atol=1e-14,
    ).y[:, -1]
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    assert abs(y.sum() - 1.0) < 1e-10


def test_convergence_with_tolerance():
    errs = []
    for rtol in (1e-4, 1e-6, 1e-8):
        status, _, _, y = run(riccati_fun, riccati_jac, 0.0, 10.0, [1.0], (0.0,), rtol, rtol)
        assert status == 0
        errs.append(abs(y[0] - 1.0 / 11.0) * 11.0)
        assert errs[-1] <= 10 * rtol
    assert errs[0] > errs[1] > errs[2]
    assert errs[0] / errs[2] > 1e2  # tolerance proportionality (loosely)


def test_piecewise_equals_direct_and_lands_exactly():
    args = (1.0,)  # non-autonomous forcing exercises the f_t term
    s1, _, h1, y1 = run(riccati_fun, riccati_jac, 0.0, 2.5, [1.0], args, 1e-10, 1e-12)
    work = make_workspace(1)
    y2 = y1.copy()
    s2, _, _ = integrate(
        riccati_fun, riccati_jac, 2.5, 7.0, y2, args, 1e-10, np.full(1, 1e-12), h1, 100_000, work
    )
    assert work[4][0] == 7.0  # info[0] = t reached, exactly t1
    s3, _, _, yd = run(riccati_fun, riccati_jac, 0.0, 7.0, [1.0], args, 1e-10, 1e-12)
    assert s1 == s2 == s3 == 0
    assert abs(y2[0] - yd[0]) < 1e-8 * abs(yd[0])
    work1 = make_workspace(1)
    integrate(
        riccati_fun,
        riccati_jac,
        0.0,
        2.5,
        np.ones(1),
        args,
        1e-10,
        np.full(1, 1e-12),
        0.0,
        100_000,
        work1,
    )
    assert work1[4][0] == 2.5


def test_py_func_matches_jit():
    a, y0 = stiff_linear(n=5, seed=3)
    _, _, _, yj = run(lin_fun, lin_jac, 0.0, 1.0, y0, (a,), 1e-8, 1e-12)
    _, _, _, yp = run(
        lin_fun.py_func, lin_jac.py_func, 0.0, 1.0, y0, (a,), 1e-8, 1e-12, kernel=integrate.py_func
    )
    np.testing.assert_allclose(yp, yj, rtol=1e-12, atol=0)


@pytest.mark.parametrize("case", ["max_steps", "nan"])
def test_status_codes(case):
    if case == "max_steps":
        a, y0 = stiff_linear()
        status, nsteps, _, y = run(
            lin_fun, lin_jac, 0.0, 100.0, y0, (a,), 1e-10, 1e-14, max_steps=3
        )
        assert (status, nsteps) == (1, 3)
    else:
        status, _, _, y = run(nan_fun, nan_jac, 0.0, 2.0, [1.0], (), 1e-8, 1e-10)
        assert status == 3
        assert np.all(np.isfinite(y))
