"""Command-line overrides checked before Hydra sees them: group values and what may be set.

Hydra turns a config-group override with a non-string value (``therapy=null``,
``lesions=5``, ``=5``, ``lesions=[1,2]``) into a ``ValueError`` or ``TypeError`` traceback;
here each is a :class:`simulator.ConfigError` naming the group.  Overrides may not add
Hydra callbacks or set ``_target_`` anywhere: both make Hydra import and call arbitrary
Python (``+hydra.callbacks.x._target_=os.system``); the project's own callback and launcher
targets live in the committed config files.  Deleting a key (``~key``) is allowed.  A
boolean field takes ``true`` or ``false`` only (OmegaConf would silently read 2 as true).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .rules import fail, fail_message

#: override keys (dotted) under which nothing may be added or changed from the command line
FORBIDDEN_PREFIXES = ("hydra.callbacks",)
#: a key component that makes Hydra instantiate a Python object
TARGET = "_target_"


def parse(overrides: Sequence[str]) -> list:
    """Hydra's parsed overrides (a syntax error is a ``ConfigError``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(overrides=list(overrides))
    except HydraException as exc:
        fail_message(" ".join(str(exc).split()))
    return []


def group_names(config_dirs: Iterable[Path]) -> set[str]:
    """Config groups (sub-folders, ``a/b`` for nested ones) of the given config folders."""
    groups = set()
    for folder in config_dirs:
        folder = Path(folder)
        if folder.is_dir():
            groups |= {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()}
    return groups


def _values(value: Any) -> list:
    """The values of an override (each option of a sweep, the value otherwise)."""
    options = getattr(value, "list", None)
    if options is not None:                 # ChoiceSweep, GlobSweep
        return list(options)
    return [value]


def _has_target(value: Any) -> bool:
    if isinstance(value, dict):
        return any(str(k) == TARGET or _has_target(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_target(v) for v in value)
    return False


def _schema_type(path: str) -> Any:
    """The schema's type of a dotted path through dataclass fields only (None otherwise)."""
    import dataclasses
    import typing

    from .dotted import strip_optional
    from .schema import Config

    hint: Any = Config
    for part in path.split("."):
        if not dataclasses.is_dataclass(hint):
            return None
        fields = {f.name for f in dataclasses.fields(hint)}
        if part not in fields:
            return None
        hint = strip_optional(typing.get_type_hints(hint)[part])
    return hint


def _is_group(key: str, groups: set[str]) -> bool:
    return key == "" or key in groups or key.startswith("hydra/")


def check_overrides(overrides: Sequence[str], groups: set[str]) -> None:
    """Fail for an override Hydra would reject with a traceback, or one that is forbidden.

    Parameters
    ----------
    overrides : sequence of str
        Command-line overrides, ``hydra.*`` ones included.
    groups : set of str
        The config groups of the search path (:func:`group_names`).
    """
    for override in parse(overrides):
        key = override.key_or_group
        line = override.input_line
        if override.is_delete():
            continue
        parts = key.replace("/", ".").split(".")
        if TARGET in parts or any(key == p or key.startswith(p + ".")
                                  for p in FORBIDDEN_PREFIXES):
            fail(key, line, "callbacks and _target_ make Hydra import and call arbitrary "
                            "Python; they cannot be set from the command line (the project's "
                            "own live in conf/)")
        values = _values(override.value()) if override.is_sweep_override() else [
            override.value()]
        if any(_has_target(v) for v in values):
            fail(key or "the config", line, "a value may not contain _target_ (it makes Hydra "
                                            "import and call arbitrary Python)")
        if key == "":
            fail("override", line, "expected key=value with a config path or group as key")
        if _schema_type(key) is bool:     # OmegaConf would read 2 as true, 0 as false
            for value in values:
                if not isinstance(value, bool):
                    fail(key, value, "expected true or false")
        if _is_group(key, groups):
            for value in values:
                if isinstance(value, dict):
                    continue        # a mapping sets the config node of the same name
                if isinstance(value, list):     # Hydra would merge all of them into one run
                    fail(key, value, f"{key} is a config group: choose one option; to run "
                                     f"each, sweep them: prrt-sim -m {key}="
                                     f"{','.join(map(str, value))}")
                if not isinstance(value, str) or not value:
                    fail(key, value, f"{key} is a config group: expected the name of one of "
                                     f"its options (conf/{key}/<name>.yaml)")
