"""Compose a config from ``conf/`` with Hydra's compose API, outside any Hydra app.

Composition only; :func:`simulator.configure.compose` composes and validates.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from .paths import config_dir
from .rules import fail_message
from .schema import register_configs


def _explain(exc: BaseException) -> str:
    """One paragraph from an exception and its causes (Hydra nests the useful part)."""
    parts = []
    while exc is not None:
        text = " ".join(str(exc).split())
        if text and text not in parts:
            parts.append(text)
        exc = exc.__cause__
    return ": ".join(parts)


def compose_unchecked(overrides: Sequence[str] = (), config_name: str = "config"
                      ) -> DictConfig:
    """Compose a configuration (Hydra errors become ``ConfigError``; values are not checked).

    Parameters
    ----------
    overrides : sequence of str
        Hydra override strings, e.g. ``["therapy.activity_gbq=5.55"]``.
    config_name : str
        Primary config file in ``conf/``.

    Raises
    ------
    ConfigError
        For an unknown config group or option, or an override Hydra cannot apply.
    """
    register_configs()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=str(config_dir()),
                                   job_name="prrt-sim"):
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        fail_message(_explain(exc))
    return cfg
