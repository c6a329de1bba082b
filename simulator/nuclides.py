"""Radionuclide decay data (177Lu) for the PRRT simulator.

All values are read at run time from ICRP Publication 107 (Eckerman & Endo 2008,
Ann ICRP 38(3), doi:10.1016/j.icrp.2008.10.004), as tabulated by the installed package
``icrp107_database`` (``Lu-177.json``):

* half-life 6.647 d = 159.528 h (the same value as ``radioactivedecay``'s default ICRP-107
  dataset; tests/unit/test_nuclides.py compares the two);
* mean emitted energies per decay:
  electrons (beta- + internal-conversion + Auger) = 0.14792 MeV,
  photons (gamma + X-ray) = 0.03510 MeV
  (cross-checked against
  EJNMMI Phys 2020, doi:10.1186/s40658-020-00301-2, Table 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from icrp107_database import get_icrp107_spectrum
from scipy.constants import Avogadro

SECONDS_PER_H = 3600.0
#: hours per time unit of the ICRP-107 tables
_HOURS_PER = {"s": 1.0 / 3600.0, "m": 1.0 / 60.0, "h": 1.0, "d": 24.0, "y": 365.25 * 24.0}

_ELECTRON_KINDS = ("beta-", "IE", "auger")
_PHOTON_KINDS = ("gamma", "X")


@dataclass(frozen=True)
class Nuclide:
    """Physical decay data of a radionuclide.

    Attributes
    ----------
    name : str
        Nuclide symbol, e.g. ``"Lu-177"``.
    half_life_h : float
        Physical half-life (h).
    decay_constant_per_h : float
        Physical decay constant ln(2)/T½ (1/h).
    electron_energy_mev : float
        Mean electron energy emitted per decay, beta- + IC + Auger (MeV).
    photon_energy_mev : float
        Mean photon energy emitted per decay, gamma + X-ray (MeV).
    beta_mean_energy_mev : float
        Mean beta- energy emitted per decay (MeV).
    """

    name: str
    half_life_h: float
    decay_constant_per_h: float
    electron_energy_mev: float
    photon_energy_mev: float
    beta_mean_energy_mev: float


def _mean_energy_per_decay_mev(nuclide: str, kind: str) -> float:
    """Return sum_i y_i E_i (MeV per decay) of one ICRP-107 emission kind."""
    spec = get_icrp107_spectrum(nuclide, kind)
    return float(np.dot(np.asarray(spec["energies"]), np.asarray(spec["weights"])))


def _from_icrp107(name: str) -> Nuclide:
    table = get_icrp107_spectrum(name, "beta-")
    half_life_h = float(table["half_life"]) * _HOURS_PER[table["time_unit"]]
    beta_mev = _mean_energy_per_decay_mev(name, "beta-")
    return Nuclide(
        name=name,
        half_life_h=half_life_h,
        decay_constant_per_h=math.log(2.0) / half_life_h,
        electron_energy_mev=sum(_mean_energy_per_decay_mev(name, k) for k in _ELECTRON_KINDS),
        photon_energy_mev=sum(_mean_energy_per_decay_mev(name, k) for k in _PHOTON_KINDS),
        beta_mean_energy_mev=beta_mev,
    )


@cache
def lu177() -> Nuclide:
    """Return ICRP-107 decay data for 177Lu (cached).

    Returns
    -------
    Nuclide
        T½ = 159.528 h, Δe = 0.14792 MeV, Δph = 0.03510 MeV, mean beta 0.13327 MeV
        (ICRP Publication 107, doi:10.1016/j.icrp.2008.10.004).
    """
    return _from_icrp107("Lu-177")


def activity_mbq_per_nmol(nuclide: Nuclide) -> float:
    """Specific activity of the pure nuclide, A = λ N (MBq per nmol of atoms).

    Parameters
    ----------
    nuclide : Nuclide
        Decay data (uses ``decay_constant_per_h``, 1/h).

    Returns
    -------
    float
        N_A * 1e-9 mol/nmol * λ (1/s) / 1e6 Bq/MBq; ≈ 727 MBq/nmol for 177Lu
        (N_A from scipy.constants, CODATA 2018).
    """
    decay_constant_per_s = nuclide.decay_constant_per_h / SECONDS_PER_H
    return Avogadro * 1e-9 * decay_constant_per_s / 1e6


def nmol_per_gbq(nuclide: Nuclide) -> float:
    """Amount of nuclide atoms per GBq of activity (nmol/GBq); ≈ 1.376 for 177Lu.

    Parameters
    ----------
    nuclide : Nuclide
        Decay data.

    Returns
    -------
    float
        1000 MBq/GBq divided by :func:`activity_mbq_per_nmol` (nmol/GBq).
    """
    return 1000.0 / activity_mbq_per_nmol(nuclide)
