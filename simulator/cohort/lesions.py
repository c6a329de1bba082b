"""Generated lesions: per-patient lesion count, volumes and sites (docs/model.md §9.5).

``cohort.lesions`` is ``{count: <spec or int>, volume_ml: <spec>, sites: {values: [...],
weights: [...]}, max_count: int}``, optionally with lesion-level variation around the
patient's values (docs/cohorts.md): ``sstr_density_factor`` and ``alpha_factor`` (positive
multipliers of the patient's SSTR2 density and tumour alpha) and
``growth_offset_percent_per_month`` (added to the patient's net growth), each a distribution
spec.  Each patient draws ``1 + 2 max_count`` uniforms from its own stream 1: the count,
then ``max_count`` volume and ``max_count`` site variates of which the first ``count`` are
used; and ``3 max_count`` uniforms from stream 4 for the factors, drawn whether or not a
factor is given.  A fixed number of draws per patient keeps lesion j of a patient the same
when only the count distribution or a factor changes (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.rules import fail
from ..config.schema import LESION_SITES, LesionConfig
from .distributions import Distribution, parse_distribution
from .seeding import LESION_FACTORS, LESIONS, patient_generator

FIELD = "cohort.lesions"
KEYS = ("count", "volume_ml", "sites", "max_count")
#: optional lesion-level variation: (key, neutral value, must the distribution be positive)
FACTORS = (("sstr_density_factor", 1.0, True), ("alpha_factor", 1.0, True),
           ("growth_offset_percent_per_month", 0.0, False))
MAX_COUNT = 1000


@dataclass(frozen=True)
class LesionSpec:
    """Parsed ``cohort.lesions``: count and volume [mL] distributions, site choice."""

    count: Distribution
    volume_ml: Distribution
    site: Distribution            # choice over indices into site_names
    site_names: list[str]
    max_count: int
    factors: dict[str, Distribution]   # lesion-level variation (keys of FACTORS) given


def parse_lesions(spec: Any) -> LesionSpec:
    """Parse and validate ``cohort.lesions``.

    Raises
    ------
    ConfigError
        Naming the ``cohort.lesions`` field at fault: missing/unknown keys, ``max_count``
        outside 1..1000, a count that is not a fixed integer or a choice of integers in
        1..max_count, a volume distribution that can leave the named-lesion bounds
        (0, 5000] mL (not strictly positive, median outside, no ``high`` <= 5000 mL),
        site names not in ``LESION_SITES``.
    """
    optional = [key for key, _, _ in FACTORS]
    if not isinstance(spec, dict) or not set(KEYS) <= set(spec) <= set(KEYS) | set(optional):
        fail(FIELD, spec, f"expected a mapping with the keys {list(KEYS)} and optionally "
                          f"{optional}")
    max_count = spec["max_count"]
    if isinstance(max_count, bool) or not isinstance(max_count, int) or not (
            1 <= max_count <= MAX_COUNT):
        fail(f"{FIELD}.max_count", max_count, f"allowed range is 1 <= max_count <= {MAX_COUNT}")
    count = parse_distribution("count", spec["count"], prefix=FIELD)
    low_count, high_count = count.support()
    if not count.integer_valued or low_count < 1 or high_count > max_count:
        fail(f"{FIELD}.count", spec["count"],
             f"the lesion count must be a fixed integer or a choice of integers, every one in "
             f"1 <= count <= cohort.lesions.max_count = {max_count}")
    volume = parse_distribution("volume_ml", spec["volume_ml"], prefix=FIELD)
    lo, hi = LesionConfig.__dataclass_fields__["volume_ml"].metadata["bounds"][:2]
    if not volume.positive or not lo < volume.median() <= hi or volume.support()[1] > hi:
        fail(f"{FIELD}.volume_ml", spec["volume_ml"],
             f"lesion volumes must lie in the bounds of a named lesion, {lo:g} < volume_ml <= "
             f"{hi:g} mL: a positive distribution (e.g. lognormal) with its median in that "
             f"range and bounded above by {hi:g} mL (high: {hi:g} or less)")
    sites = spec["sites"]
    if not isinstance(sites, dict) or "values" not in sites or set(sites) - {"values", "weights"}:
        fail(f"{FIELD}.sites", sites, "expected {values: [site names], weights: [...]}")
    names = sites["values"]
    if not isinstance(names, list) or not names:
        fail(f"{FIELD}.sites.values", names, f"expected a non-empty list of {list(LESION_SITES)}")
    for name in names:
        if name not in LESION_SITES:
            fail(f"{FIELD}.sites.values", name, f"allowed sites are {list(LESION_SITES)}")
    choice = {"dist": "choice", "values": list(range(len(names)))}
    if "weights" in sites:
        choice["weights"] = sites["weights"]
    site = parse_distribution("sites", choice, prefix=FIELD)
    factors = {}
    for key, _, positive in FACTORS:
        if key in spec:
            factors[key] = parse_distribution(key, spec[key], prefix=FIELD)
            if positive and not factors[key].positive:
                fail(f"{FIELD}.{key}", spec[key], "a multiplier must be strictly positive: a "
                                                  "positive distribution, e.g. lognormal")
    return LesionSpec(count, volume, site, list(names), max_count, factors)


def sample_lesions(lesion_cfg: dict | None, seed: int, start: int, stop: int) -> dict | None:
    """Generated lesions of patients ``[start, stop)``, bit-identical whatever the chunking.

    Parameters
    ----------
    lesion_cfg : dict or None
        ``cohort.lesions``; None (no generated lesions) returns None.
    seed : int
        Root seed of the run.
    start, stop : int
        Patient index range.

    Returns
    -------
    dict or None
        ``count`` (n,) int, lesions per patient in 1..max_count;
        ``volume_ml`` (n, max_count) float [mL], NaN beyond the count;
        ``site`` (n, max_count) int index into ``site_names``, -1 beyond the count;
        ``site_names`` list of str; and for each key of ``FACTORS`` an (n, max_count) float
        array (the neutral value where the factor is not given or beyond the count).
    """
    if lesion_cfg is None:
        return None
    spec = parse_lesions(lesion_cfg)
    m = spec.max_count
    u = np.empty((stop - start, 1 + 2 * m))
    v = np.empty((stop - start, len(FACTORS), m))
    for row, patient in enumerate(range(start, stop)):
        u[row] = patient_generator(seed, patient, LESIONS).random(1 + 2 * m)
        v[row] = patient_generator(seed, patient, LESION_FACTORS).random((len(FACTORS), m))
    count = spec.count.ppf(u[:, 0]).astype(np.int64)   # integers in 1..m (parse_lesions)
    used = np.arange(m)[None, :] < count[:, None]
    volume = np.where(used, spec.volume_ml.ppf(u[:, 1:1 + m]), np.nan)
    site = np.where(used, spec.site.ppf(u[:, 1 + m:]), -1).astype(np.int64)
    out = {"count": count, "volume_ml": volume, "site": site, "site_names": spec.site_names}
    for i, (key, neutral, _) in enumerate(FACTORS):
        dist = spec.factors.get(key)
        out[key] = np.full((stop - start, m), neutral) if dist is None \
            else np.where(used, dist.ppf(v[:, i]), neutral)
    return out
