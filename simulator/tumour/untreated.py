"""Closed-form lesion kinetics without irradiation (no 177Lu: the control arm).

With no dose rate the kill rate k(t) is 0, so no cell is ever doomed (N_d = 0) and the
viable cells grow exponentially at the net rate rho (docs/model.md §6.4, g = 1)::

    L(t) = ln N_v(t) = L0 + rho t,     J(t) = int_0^t N_v(0) / N_v(s) ds = (1 - e^(-rho t)) / rho

(J = t for rho = 0).  These are the exact solutions of the kernel's equations
(:mod:`simulator.engine.model`) with Ddot = 0; rho < 0 is a shrinking tumour.
"""

from __future__ import annotations

import numpy as np


def log_viable_cells(l0, rho_per_h, t_h):
    """ln N_v at times ``t_h`` [h] from ln N_v(0) = ``l0`` and net growth ``rho_per_h`` [1/h].

    Broadcasts its arguments (numpy rules).
    """
    return np.asarray(l0) + np.asarray(rho_per_h) * np.asarray(t_h)


def inverse_size_integral_h(rho_per_h, t_h):
    """J(t) = int_0^t e^(-rho s) ds [h], the Zaider-Minerbo integral of an unirradiated lesion."""
    rho = np.asarray(rho_per_h, dtype=float)
    t = np.asarray(t_h, dtype=float)
    safe = np.where(rho == 0.0, 1.0, rho)
    return np.where(rho == 0.0, t, -np.expm1(-safe * t) / safe)
