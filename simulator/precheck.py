"""Check every virtual patient of a run before any computation (and before any file).

:func:`simulator.configure.validate` checks the config's own values; the rules must also
hold for every sampled patient (bounds and cross-field rules,
:func:`simulator.simulation.check_sampled`) and every patient's lesions (a Gompertz
carrying capacity above each lesion's cell volume, :func:`simulator.config.rules.
check_gompertz_capacity`), at every point of an in-process grid.  Sampling is cheap and
bit-identical whatever the chunking (docs/model.md §9.4), so :func:`precheck` samples the
whole cohort in large chunks and applies those rules without running the engine.  The CLI
calls it before Hydra creates the run folder, and :func:`simulator.run.simulate_validated`
before it computes, so that an invalid patient is an error that writes nothing.
"""

from __future__ import annotations

import numpy as np

from .assembly import check_lesions, lesion_arrays
from .cohort import sample_lesions, sample_parameters
from .config.rules import fail_in_context
from .configure import validate
from .errors import ConfigError
from .population import Columns
from .simulation import check_sampled
from .sweep.grid import grid_points, point_config

#: patients sampled at once by the pre-check (bounds its memory, not its result)
PRECHECK_CHUNK = 20_000


def check_chunk(cfg: dict, sampled: dict[str, np.ndarray], generated: dict | None,
                start: int, stop: int) -> None:
    """The per-patient rules for patients ``start .. stop - 1`` of a validated config."""
    n = stop - start
    check_sampled(cfg, sampled, n, start)
    cols = Columns(cfg, n, sampled)
    check_lesions(cols, lesion_arrays(cols, generated), first_patient=start)


def precheck(cfg: dict, chunk: int = PRECHECK_CHUNK) -> None:
    """Apply every per-patient rule to every patient (and grid point) of a validated config.

    Raises
    ------
    ConfigError
        Naming the field, the first patient at fault (and the grid point), before any
        computation.
    """
    points = grid_points(cfg) if cfg["grid"] else [{}]
    variants = []
    for point in points:
        variant = point_config(cfg, point) if point else cfg   # sampled keys: their meaning
        if point:
            try:
                validate(variant)
            except ConfigError as exc:
                fail_in_context(exc, f"grid point {point}")
        variants.append((point, variant))
    seed, n = int(cfg["seed"]), int(cfg["cohort"]["n_patients"])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        draws: dict[str, tuple] = {}     # one sample per distinct cohort among the points
        for point, variant in variants:
            key = repr(variant["cohort"])
            if key not in draws:
                draws[key] = (sample_parameters(variant["cohort"], seed, start, stop),
                              sample_lesions(variant["cohort"]["lesions"], seed, start, stop))
            try:
                check_chunk(variant, *draws[key], start, stop)
            except ConfigError as exc:
                if not point:
                    raise
                fail_in_context(exc, f"grid point {point}")
