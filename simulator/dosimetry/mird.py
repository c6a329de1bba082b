"""MIRD-formalism helpers: time-integrated activity and absorbed dose.

D = Ã · S, Ã = ∫_0^∞ A(t) dt (MIRD Pamphlet 21, Bolch et al. 2009, J Nucl Med
50:477-484, doi:10.2967/jnumed.108.056036; docs/model.md §4.1).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import electron_volt, mega

# 1 MeV in J (scipy.constants, CODATA 2018): 1.602176634e-13 J.
_J_PER_MEV = mega * electron_volt
# Bq s -> MBq h: 1e6 Bq/MBq x 3600 s/h (number of decays per MBq h).
_DECAYS_PER_MBQ_H = 1e6 * 3600.0


def tia_mono_exponential_mbq_h(a0_mbq, lambda_per_h):
    """Time-integrated activity of A(t) = A0 exp(-λ t) over [0, ∞): Ã = A0/λ.

    Parameters
    ----------
    a0_mbq : float or array_like
        Activity at t = 0 (MBq).
    lambda_per_h : float or array_like
        Effective elimination rate constant (1/h), > 0.

    Returns
    -------
    numpy.ndarray or float
        Time-integrated activity (MBq h).
    """
    lam = np.asarray(lambda_per_h, dtype=float)
    if not np.all(lam > 0.0):
        raise ValueError("lambda_per_h must be > 0 for a finite time-integrated activity")
    return np.asarray(a0_mbq, dtype=float) / lam


def dose_gy(tia_mbq_h, s_gy_per_mbq_h):
    """Mean absorbed dose D = Ã · S (MIRD).

    Parameters
    ----------
    tia_mbq_h : float or array_like
        Time-integrated activity in the source region (MBq h).
    s_gy_per_mbq_h : float or array_like
        S-value target <- source (Gy MBq^-1 h^-1).

    Returns
    -------
    numpy.ndarray or float
        Absorbed dose (Gy).
    """
    return np.asarray(tia_mbq_h, dtype=float) * np.asarray(s_gy_per_mbq_h, dtype=float)


def electron_full_absorption_s_gy_per_mbq_h(electron_energy_mev, mass_g):
    """Self S-value assuming all electron energy is absorbed locally: S = Δe/m.

    Parameters
    ----------
    electron_energy_mev : float
        Mean electron energy per decay Δe (MeV); 0.14792 for 177Lu (ICRP-107).
    mass_g : float or array_like
        Source = target mass (g).

    Returns
    -------
    numpy.ndarray or float
        S (Gy MBq^-1 h^-1); 177Lu: 85.3e-3 × (1 g / m) (Δe from ICRP-107; docs/model.md §4.1).
    """
    energy_j = electron_energy_mev * _J_PER_MEV
    return energy_j * _DECAYS_PER_MBQ_H / (np.asarray(mass_g, dtype=float) * 1e-3)
