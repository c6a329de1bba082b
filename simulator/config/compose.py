"""Compose a config from ``conf/`` with Hydra's compose API, outside any Hydra app.

Composition only; :func:`simulator.configure.compose` composes and validates.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from hydra import compose as hydra_compose
from hydra import version
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from .overrides import check_overrides, group_names
from .paths import config_dir
from .rules import fail, fail_message
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


@contextmanager
def _hydra_with_search_path(primary: Path, extra: Sequence[Path]):
    """Hydra initialised as ``prrt-sim --config-dir DIR`` would be: the primary config
    folder, with each extra folder prepended (before the schema) as Hydra's CLI does."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup

    backup = get_gh_backup()
    try:
        version.setbase("1.3")
        search_path = create_config_search_path(search_path_dir=str(primary))
        for folder in extra:
            search_path.prepend(provider="command-line", path=f"file://{folder}",
                                anchor=SearchPathQuery(provider="schema"))
        GlobalHydra.instance().clear()
        Hydra.create_main_hydra2(task_name="prrt-sim", config_search_path=search_path)
        yield
    finally:
        restore_gh_from_backup(backup)


def search_dirs(config_dirs: Sequence[str | Path] = (),
                primary: str | Path | None = None) -> tuple[Path, list[Path]]:
    """The primary config folder and the extra ones (absolute), or fail naming the flag."""
    main = Path(primary).resolve() if primary is not None else config_dir()
    if not (main / "config.yaml").is_file() and primary is not None:
        fail("--config-path", str(primary), "expected a folder holding config.yaml")
    extra = []
    for folder in config_dirs:
        path = Path(folder).resolve()
        if not path.is_dir():
            fail("--config-dir", str(folder), "expected an existing folder of config files")
        extra.append(path)
    return main, extra


def compose_unchecked(overrides: Sequence[str] = (), config_name: str = "config",
                      config_dirs: Sequence[str | Path] = (),
                      primary: str | Path | None = None) -> DictConfig:
    """Compose a configuration (Hydra errors become ``ConfigError``; values are not checked).

    Parameters
    ----------
    overrides : sequence of str
        Hydra override strings, e.g. ``["therapy.activity_gbq=5.55"]``.
    config_name : str
        Primary config file in ``conf/``.
    config_dirs : sequence of path
        Extra config folders searched first (``prrt-sim --config-dir DIR``).
    primary : path, optional
        The primary config folder instead of ``conf/`` (``prrt-sim --config-path DIR``).

    Raises
    ------
    ConfigError
        For an unknown config group or option, an override Hydra cannot apply, a config
        group given a non-string value, or a callback or ``_target_`` override
        (:mod:`simulator.config.overrides`).
    """
    register_configs()
    main, extra = search_dirs(config_dirs, primary)
    check_overrides(overrides, group_names([main, *extra]))
    try:
        with _hydra_with_search_path(main, extra):
            cfg = hydra_compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException, ValueError, TypeError) as exc:
        # ValueError / TypeError: Hydra's own for overrides it cannot apply
        fail_message(_explain(exc))
    return cfg
