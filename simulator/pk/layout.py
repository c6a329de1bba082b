"""State-vector layout of the PBPK model (one patient).

The state holds, for each peptide species (``HOT`` = 177Lu-labelled, ``COLD`` =
unlabelled + decayed), a block of amounts in nmol::

    [plasma, rest, metabolite, tubular, urine,
     tissue_0 (vascular, interstitial, bound, internalised), tissue_1 (...), ...]

followed by one accumulator per *region* holding the time integral of the hot
amount (nmol h) -- multiplied by the activity per nmol it is the
time-integrated activity (MBq h) of MIRD.  Regions are the five global pools
followed by the tissues (each tissue's four sub-compartments together).

Tissues are ordered ``kidneys, spleen, liver, lesion_0, lesion_1, ...``.
The radiobiology and tumour states follow the PBPK part
(:mod:`simulator.engine.layout`).
"""

HOT, COLD = 0, 1
N_SPECIES = 2

PLASMA, REST, METABOLITE, TUBULAR, URINE = 0, 1, 2, 3, 4
N_GLOBAL = 5
GLOBAL_NAMES = ("plasma", "rest_of_body", "metabolite", "kidney_tubular_cells", "urine")

VASCULAR, INTERSTITIAL, BOUND, INTERNALISED = 0, 1, 2, 3
N_SUB = 4

KIDNEYS, SPLEEN, LIVER = 0, 1, 2
N_ORGANS = 3
ORGAN_NAMES = ("kidneys", "spleen", "liver")


def block_size(n_tissues: int) -> int:
    """Number of states of one species."""
    return N_GLOBAL + N_SUB * n_tissues


def n_regions(n_tissues: int) -> int:
    """Number of time-integrated-activity accumulators."""
    return N_GLOBAL + n_tissues


def n_pk_states(n_tissues: int) -> int:
    """Length of the PBPK part of the state (species blocks + accumulators)."""
    return N_SPECIES * block_size(n_tissues) + n_regions(n_tissues)


def tia_offset(n_tissues: int) -> int:
    """Index of the first accumulator."""
    return N_SPECIES * block_size(n_tissues)


def region_names(lesion_names) -> tuple[str, ...]:
    """Names of the regions, in accumulator order."""
    return GLOBAL_NAMES + ORGAN_NAMES + tuple(lesion_names)
