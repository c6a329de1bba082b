"""Adult-male reference organ self-S values for 177Lu with patient-mass scaling.

S-values: qurit/PyTheranostics ``doodle/dosimetry/phantomdata/Lu177-Male-Svalues.csv``
(units mGy MBq^-1 s^-1; presumably OLINDA/EXM 2 with the ICRP-89 adult male, [INFER]),
[DATA]; docs/model.md §4.3.

Reference masses: ICRP Publication 89 (2002), "Basic anatomical and physiological data
for use in radiological protection: reference values", Ann ICRP 32(3-4),
doi:10.1016/S0146-6453(03)00002-2, adult male. They agree with the electron-only masses
implied by the S-values (305 g kidneys, 148 g spleen, 1.73 kg liver, m = Δe/S [DERIVED];
docs/model.md §4.3).
"""

from __future__ import annotations

import numpy as np

# mGy/(MBq s) -> Gy/(MBq h): x 1e-3 Gy/mGy x 3600 s/h.
_MGY_PER_MBQ_S_TO_GY_PER_MBQ_H = 1e-3 * 3600.0

# Self-S, adult male (qurit/PyTheranostics Lu177-Male-Svalues.csv), mGy/(MBq s).
_SELF_S_MGY_PER_MBQ_S = {
    "kidneys": 7.76e-5,
    "spleen": 1.60e-4,
    "liver": 1.37e-5,
    "red_marrow": 1.15e-5,
}

#: Reference self-S values (Gy MBq^-1 h^-1), source as above.
REFERENCE_SELF_S_GY_PER_MBQ_H = {
    organ: s * _MGY_PER_MBQ_S_TO_GY_PER_MBQ_H for organ, s in _SELF_S_MGY_PER_MBQ_S.items()
}

#: S(red marrow <- total body), adult male, 2.74e-7 mGy/(MBq s) (Lu177-Male-Svalues.csv),
#: in Gy/(MBq h).
S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H = 2.74e-7 * _MGY_PER_MBQ_S_TO_GY_PER_MBQ_H

#: ICRP-89 adult-male reference organ masses (g), doi:10.1016/S0146-6453(03)00002-2.
REFERENCE_MASS_G = {
    "kidneys": 310.0,
    "spleen": 150.0,
    "liver": 1800.0,
    "red_marrow": 1170.0,
}


def organ_self_s_gy_per_mbq_h(organ: str, mass_g: float) -> float:
    """Organ self-S value scaled to the patient's organ mass.

    Uses S(m) = S_ref × m_ref / m. Because the 177Lu self-dose is electron-dominated
    (electrons fully absorbed, photon self-absorption is minor), linear mass scaling is
    the standard approximation (e.g. OLINDA/EXM organ-mass adjustment); [INFER] in
    docs/model.md §4.3.

    Parameters
    ----------
    organ : str
        One of ``"kidneys"``, ``"spleen"``, ``"liver"``, ``"red_marrow"``.
    mass_g : float or array_like
        Patient organ mass (g), > 0.

    Returns
    -------
    float or numpy.ndarray
        S(organ <- organ) (Gy MBq^-1 h^-1).

    Raises
    ------
    ValueError
        If ``organ`` is unknown or ``mass_g`` is not positive.
    """
    if organ not in REFERENCE_SELF_S_GY_PER_MBQ_H:
        known = ", ".join(sorted(REFERENCE_SELF_S_GY_PER_MBQ_H))
        raise ValueError(f"unknown organ {organ!r}; known organs: {known}")
    if not np.all(np.asarray(mass_g, dtype=float) > 0.0):
        raise ValueError(f"mass_g for organ {organ!r} must be > 0")
    return REFERENCE_SELF_S_GY_PER_MBQ_H[organ] * REFERENCE_MASS_G[organ] / mass_g
