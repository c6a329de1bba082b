"""Compose and validate a whole run configuration: the config's fields and rules
(:mod:`simulator.config`), then the cohort's distributions, lesions and copula
(:mod:`simulator.cohort`).  Every layer above this one validates through here.
"""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig, OmegaConf

from .cohort import validate_cohort
from .cohort.overrides import apply_sampled_overrides, override_keys
from .config import compose_unchecked
from .config import validate as validate_fields
from .config.dotted import get


def validate(cfg: DictConfig | dict) -> dict:
    """Validate a composed config; return it as a plain resolved dict.

    Raises
    ------
    ConfigError
        On the first invalid field, naming it, its value and the allowed range.
    """
    plain = validate_fields(cfg)
    validate_cohort(plain)
    for path, values in plain["grid"].items():     # a gridded sampled parameter has a meaning
        for value in values:
            apply_sampled_overrides(plain, {path: value}, "grid")
    return plain


def resolve_overrides(cfg: DictConfig, overrides) -> DictConfig:
    """Give the overrides that set a sampled parameter their meaning (``cohort.sampled_override``,
    :mod:`simulator.cohort.overrides`); ``cfg`` is updated in place and returned."""
    keys = override_keys(overrides)
    params = cfg.cohort.parameters if "cohort" in cfg else None
    if not keys or not params:
        return cfg
    plain = validate_fields(cfg)
    values = {k: get(plain, k) for k in keys if k in plain["cohort"]["parameters"]}
    new = apply_sampled_overrides(plain, values, "override")["cohort"]["parameters"]
    if new != plain["cohort"]["parameters"]:
        OmegaConf.update(cfg, "cohort.parameters", new, merge=False)
    return cfg


def compose(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose a configuration from ``conf/`` and validate it.

    Parameters
    ----------
    overrides : sequence of str
        Hydra override strings, e.g. ``["therapy.activity_gbq=5.55"]``.
    config_name : str
        Primary config file in ``conf/``.

    Raises
    ------
    ConfigError
        For an unknown key or group, a wrong type or an out-of-range value.
    """
    cfg = resolve_overrides(compose_unchecked(overrides, config_name=config_name), overrides)
    validate(cfg)
    return cfg
