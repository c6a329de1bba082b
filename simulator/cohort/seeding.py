"""Per-patient random streams derived from the one root seed (docs/model.md §9.4).

Patient i's stream s is ``SeedSequence(seed, spawn_key=(i, s))``: independent of every
other patient and stream, and of how patients are split into chunks or threads.
Streams: 0 parameter variates, 1 lesion generation, 2 cure draw, 3 observation (measurement
error, visit jitter, new lesions), 4 lesion-level factors.
"""

from __future__ import annotations

import numpy as np

PARAMETERS, LESIONS, CURE, OBSERVATION, LESION_FACTORS = 0, 1, 2, 3, 4


def patient_generator(seed: int, patient: int, stream: int = 0) -> np.random.Generator:
    """The random generator of one patient and stream.

    Parameters
    ----------
    seed : int
        Root seed of the run (``seed`` in the config).
    patient : int
        Patient index (0-based, global across chunks).
    stream : int
        0: parameter variates, 1: lesion generation, 2: cure draw, 3: observation,
        4: lesion-level factors.

    Returns
    -------
    numpy.random.Generator
        ``default_rng(SeedSequence(seed, spawn_key=(patient, stream)))``.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(patient, stream)))
