"""Dotted config paths (``therapy.activity_gbq``): read, set, and look up in the schema.

The one place that walks a config by a dotted path; every module that reads or sets a
value by path (per-patient columns, grids, sweeps, experiments) uses these.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from .schema import Config

#: top-level sections that are run-level choices: they cannot vary per patient or per grid
#: point inside one engine batch
RUN_LEVEL = ("seed", "solver", "output", "cohort", "response", "observation")

#: per-patient in the config but shared by all patients of a batch (the schedule)
SHARED_BY_BATCH = ("therapy.n_cycles", "therapy.interval_weeks")

_MISSING = object()


def get(cfg: dict, path: str, default: Any = _MISSING) -> Any:
    """The value at ``path`` (``KeyError`` naming the path unless ``default`` is given)."""
    node: Any = cfg
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:   # a dict or a DictConfig
            if default is _MISSING:
                raise KeyError(path)
            return default
        node = node[part]
    return node


def with_values(cfg: dict, values: dict[str, Any]) -> dict:
    """A deep copy of ``cfg`` with every dotted path in ``values`` set to its value."""
    out = copy.deepcopy(cfg)
    for path, value in values.items():
        *parents, leaf = path.split(".")
        node = out
        for key in parents:
            node = node[key]
        node[leaf] = value
    return out


def strip_optional(hint: Any) -> Any:
    """``X`` for ``X | None``; other hints unchanged."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def schema_leaf(path: str, cfg: dict) -> tuple[Any, dict] | str:
    """Schema type hint and metadata (``bounds``, ``unit``) of the node at ``path``.

    Returns a string explaining why instead, when ``path`` is not a node of ``cfg``.
    """
    node: Any = cfg
    hint: Any = Config
    meta: dict = {}
    for depth, part in enumerate(path.split(".")):
        where = ".".join(path.split(".")[:depth]) or "the config"
        if dataclasses.is_dataclass(hint):
            fields = {f.name: f for f in dataclasses.fields(hint)}
            if part not in fields or not isinstance(node, dict):
                return f"unknown config path; {where} has the keys {sorted(fields)}"
            hint, meta = typing.get_type_hints(hint)[part], dict(fields[part].metadata)
        elif typing.get_origin(hint) is dict:
            if not isinstance(node, dict) or part not in node:
                keys = sorted(node) if isinstance(node, dict) else []
                return f"unknown config path; {where} has the keys {keys}"
            hint, meta = typing.get_args(hint)[1], {}
        else:
            return f"unknown config path; {where} is a leaf, not a mapping"
        node = node[part]
        hint = strip_optional(hint)
    return hint, meta
