"""Full state layout of the coupled model: PBPK, organ-at-risk repair, lesion kinetics.

::

    [PBPK species blocks | hot-amount integrals per region]     simulator.pk.layout
    [Gamma, Q] for each organ at risk (kidneys, red marrow)     Gamma [Gy], Q [Gy^2]
    [L, N_d, D, Gamma, Q, J] for each lesion

with Q = int Ddot Gamma dt, L = ln N_v (viable cells), N_d doomed cells, D dose [Gy],
J = int dt / n(t) [h] (n = N_v / N_v(0), for the Zaider-Minerbo TCP).  BED = D + 2 Q / (alpha/beta).
"""

from ..pk.layout import n_pk_states

OAR_TARGETS = ("kidneys", "red_marrow")
OAR_GAMMA, OAR_Q = 0, 1
N_OAR_STATES = 2

LES_L, LES_ND, LES_D, LES_GAMMA, LES_Q, LES_J = range(6)
N_LES_STATES = 6
N_ORGAN_TISSUES = 3  # kidneys, spleen, liver precede the lesions among the tissues


def oar_offset(n_tissues: int) -> int:
    return n_pk_states(n_tissues)


def lesion_offset(n_tissues: int) -> int:
    return oar_offset(n_tissues) + N_OAR_STATES * len(OAR_TARGETS)


def n_states(n_tissues: int) -> int:
    """Length of the full state vector."""
    return lesion_offset(n_tissues) + N_LES_STATES * (n_tissues - N_ORGAN_TISSUES)
