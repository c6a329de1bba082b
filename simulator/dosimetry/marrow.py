"""Red-marrow absorbed-dose-rate model (blood-based method) for 177Lu-DOTATATE.

Method: Forrer et al. 2009, "Bone marrow dosimetry in peptide receptor radionuclide
therapy with [177Lu-DOTA0,Tyr3]octreotate", Eur J Nucl Med Mol Imaging 36:1138-1146,
doi:10.1007/s00259-009-1072-6 (no specific marrow uptake; marrow activity concentration
equals that of blood), and the EANM guideline Hindorf et al. 2010, "EANM Dosimetry
Committee guidelines for bone marrow and whole-body dosimetry", Eur J Nucl Med Mol
Imaging 37:1238-1250, doi:10.1007/s00259-010-1422-4.

Equations (all quantities at time t)::

    A_RM(t)   = C_blood(t) [MBq/g] * m_RM [g] * RMBLR
    dD_RM/dt  = A_RM(t) * S(RM <- RM) + A_rem(t) * S(RM <- TB)

with RMBLR the red-marrow-to-blood activity-concentration ratio (1.0 for peptides,
Forrer 2009), S-values from the adult-male reference phantom (see
:mod:`simulator.dosimetry.organs`, docs/model.md §4.3-§4.4). ``A_rem`` is the activity in the
remainder of the body (total-body activity minus marrow activity), whose cross-dose is
approximated with S(RM <- TB) as recommended by Hindorf 2010.
"""

from __future__ import annotations

import numpy as np

from simulator.dosimetry.organs import (
    REFERENCE_MASS_G,
    S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H,
    organ_self_s_gy_per_mbq_h,
)

#: ICRP-89 adult-male red-marrow mass (g), doi:10.1016/S0146-6453(03)00002-2.
RED_MARROW_REFERENCE_MASS_G = REFERENCE_MASS_G["red_marrow"]

#: Red-marrow-to-blood concentration ratio for 177Lu-DOTATATE (Forrer 2009,
#: doi:10.1007/s00259-009-1072-6; dimensionless).
DEFAULT_RMBLR = 1.0


def marrow_activity_mbq(blood_conc_mbq_per_g, marrow_mass_g=RED_MARROW_REFERENCE_MASS_G,
                        rmblr=DEFAULT_RMBLR):  # fmt: skip
    """Red-marrow activity from blood concentration, A_RM = C_blood m_RM RMBLR.

    Parameters
    ----------
    blood_conc_mbq_per_g : float or array_like
        Blood activity concentration (MBq/g).
    marrow_mass_g : float or array_like, optional
        Red-marrow mass (g); default ICRP-89 adult male, 1170 g.
    rmblr : float or array_like, optional
        Red-marrow-to-blood concentration ratio (dimensionless), default 1.0.

    Returns
    -------
    numpy.ndarray or float
        Red-marrow activity (MBq).
    """
    return np.asarray(blood_conc_mbq_per_g, dtype=float) * marrow_mass_g * rmblr


def marrow_dose_rate_gy_per_h(blood_conc_mbq_per_g, remainder_activity_mbq,
                              marrow_mass_g=RED_MARROW_REFERENCE_MASS_G,
                              rmblr=DEFAULT_RMBLR):  # fmt: skip
    """Red-marrow absorbed-dose rate, blood-based method (Forrer 2009; Hindorf 2010).

    ``dD/dt = C_blood m_RM RMBLR S(RM<-RM; m_RM) + A_rem S(RM<-TB)``, where the
    self-S is scaled to ``marrow_mass_g`` by m_ref/m (see
    :func:`simulator.dosimetry.organs.organ_self_s_gy_per_mbq_h`). All arguments
    broadcast as numpy arrays.

    Parameters
    ----------
    blood_conc_mbq_per_g : float or array_like
        Blood activity concentration (MBq/g).
    remainder_activity_mbq : float or array_like
        Activity in the remainder of the body (MBq), cross-irradiating the marrow.
    marrow_mass_g : float or array_like, optional
        Red-marrow mass (g); default 1170 g (ICRP-89 adult male).
    rmblr : float or array_like, optional
        Red-marrow-to-blood concentration ratio (dimensionless), default 1.0.

    Returns
    -------
    numpy.ndarray or float
        Red-marrow absorbed-dose rate (Gy/h).
    """
    a_rm_mbq = marrow_activity_mbq(blood_conc_mbq_per_g, marrow_mass_g, rmblr)
    s_self = organ_self_s_gy_per_mbq_h("red_marrow", marrow_mass_g)
    a_rem_mbq = np.asarray(remainder_activity_mbq, dtype=float)
    return a_rm_mbq * s_self + a_rem_mbq * S_RED_MARROW_FROM_TOTAL_BODY_GY_PER_MBQ_H
