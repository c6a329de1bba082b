"""Compose and validate a whole run configuration: the config's fields and rules
(:mod:`simulator.config`), then the cohort's distributions, lesions and copula
(:mod:`simulator.cohort`).  Every layer above this one validates through here.
"""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from .cohort import validate_cohort
from .config import compose_unchecked
from .config import validate as validate_fields


def validate(cfg: DictConfig | dict) -> dict:
    """Validate a composed config; return it as a plain resolved dict.

    Raises
    ------
    ConfigError
        On the first invalid field, naming it, its value and the allowed range.
    """
    plain = validate_fields(cfg)
    validate_cohort(plain)
    return plain


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
    cfg = compose_unchecked(overrides, config_name=config_name)
    validate(cfg)
    return cfg
