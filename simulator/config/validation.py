"""Check a composed config against the schema: types, bounds, choices, cross-field rules.

Runs before any computation; every failure is a :class:`simulator.ConfigError` raised by
:mod:`simulator.config.rules`, naming the dotted field, the value and what is allowed.
This is the config-level check; the cohort's distributions are checked on top of it by
:func:`simulator.configure.validate` (they need the sampling math of
:mod:`simulator.cohort`).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from . import rules
from .dotted import RUN_LEVEL, SHARED_BY_BATCH, get, schema_leaf
from .rules import fail
from .schema import Config

#: config path of the cohort's per-patient distributions
PARAMETERS = "cohort.parameters"


def check_number(path: str, value: Any, typ: type, meta: dict) -> None:
    """A finite number of the field's type within its ``bounds``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, value, f"expected a {typ.__name__}")
    if typ is int and not isinstance(value, int):
        fail(path, value, "expected an integer")
    if not math.isfinite(value):
        fail(path, value, "expected a finite number")
    rules.check_bounds(path, value, meta)


def _check_dataclass(node: Any, schema: type, path: str) -> None:
    if not isinstance(node, dict):
        keys = [f.name for f in dataclasses.fields(schema)]
        fail(path, node, f"expected a mapping with keys {keys}")
    names = {f.name for f in dataclasses.fields(schema)}
    for key in node:
        if key not in names:
            fail(f"{path}.{key}".lstrip("."), node[key],
                 f"unknown key; allowed keys of {path or 'the config'} are {sorted(names)}")
    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        _check_value(node.get(f.name, "???"), hints[f.name], f.metadata,
                     f"{path}.{f.name}".lstrip("."))


def _check_value(value: Any, hint: Any, meta: dict, path: str) -> None:
    if value == "???":
        fail(path, "missing", "a value is required")
    if hint is Any:  # free-form entries (cohort specs) are checked by their own parser
        return
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return
        hint = args[0]
        origin = typing.get_origin(hint)
    if value is None:
        fail(path, value, "a value is required")
    if dataclasses.is_dataclass(hint):
        _check_dataclass(value, hint, path)
    elif origin is dict:
        if not isinstance(value, dict):
            fail(path, value, "expected a mapping of name -> entry")
        item = typing.get_args(hint)[1]
        for name, sub in value.items():
            _check_value(sub, item, {}, f"{path}.{name}")
    elif origin is list:
        if not isinstance(value, list):
            fail(path, value, "expected a list")
        item = typing.get_args(hint)[0]
        for index, sub in enumerate(value):
            _check_value(sub, item, {}, f"{path}[{index}]")
    elif hint is bool:
        if not isinstance(value, bool):
            fail(path, value, "expected true or false")
    elif hint in (int, float):
        check_number(path, value, hint, meta)
    elif hint is str:
        if not isinstance(value, str):
            fail(path, value, "expected a string")
        choices = meta.get("choices")
        if choices and value not in choices:
            fail(path, value, f"allowed values are {list(choices)}")


def numeric_leaf(path: str, cfg: dict, field: str, value: Any) -> tuple[type, dict]:
    """Type (float or int) and metadata of the numeric field at ``path``, or fail naming
    ``field`` (``cohort.parameters.<path>`` or ``grid.<path>``) and ``value``."""
    if not isinstance(path, str) or not path:
        fail(field, path, "expected a dotted config path")
    leaf = schema_leaf(path, cfg)
    if isinstance(leaf, str):
        fail(field, value, leaf)
    hint, meta = leaf
    if hint not in (float, int):
        kind = ("a group of fields" if dataclasses.is_dataclass(hint) or typing.get_origin(hint)
                else f"a {getattr(hint, '__name__', hint)} field")
        fail(field, value, f"only numeric (float or int) fields can vary; {path} is {kind}")
    return hint, meta


def check_sampleable(path: str, cfg: dict, spec: Any = None) -> tuple[type, dict]:
    """``path`` names a numeric leaf that may vary per patient; its type and metadata.

    Fails naming ``cohort.parameters.<path>`` when the path is run-level (``seed``,
    ``solver.``, ``output.``, ``cohort.``, ``response.``, ``observation.``), part of the
    schedule every patient shares (``therapy.n_cycles``, ``therapy.interval_weeks``), unknown,
    or not numeric.
    """
    field, value = f"{PARAMETERS}.{path}", path if spec is None else spec
    if not isinstance(path, str) or not path:
        fail(PARAMETERS, path, "parameter names must be dotted config paths")
    if path.split(".")[0] in RUN_LEVEL:
        fail(field, value, f"settings under {list(RUN_LEVEL)} are run-level and cannot vary "
                           "per patient")
    if path in SHARED_BY_BATCH:
        fail(field, value, f"the schedule {list(SHARED_BY_BATCH)} is shared by every patient "
                           "of a run and cannot vary per patient (sweep or grid it instead)")
    return numeric_leaf(path, cfg, field, value)


def config_getter(cfg: dict, sampled=()):
    """Per-patient getter of a single config (one patient; ``None`` reads as NaN).

    A path in ``sampled`` (drawn per patient by the cohort) raises
    :class:`simulator.config.rules.SampledField`: its config value is never used, so a rule
    on it is checked for every sampled patient instead (:func:`rules.check_patients`).
    """
    def get_one(path: str) -> np.ndarray:
        if path in sampled:
            raise rules.SampledField(path)
        value = get(cfg, path)
        return np.array([np.nan if value is None else float(value)])
    return get_one


def _check_grid(cfg: dict) -> None:
    """``grid``: dotted path of a numeric field -> non-empty list of distinct in-range values."""
    grid = cfg["grid"]
    if not isinstance(grid, dict):
        fail("grid", grid, "expected a mapping of dotted config path -> list of values")
    for path, values in grid.items():
        field = f"grid.{path}"
        hint, meta = numeric_leaf(path, cfg, field, values)
        if path.split(".")[0] in ("seed", "cohort", "output", "grid"):
            fail(field, values, "seed, cohort, output and grid settings cannot be gridded")
        if not isinstance(values, list) or not values:
            fail(field, values, "expected a non-empty list of values")
        for value in values:
            check_number(field, value, hint, meta)
        if len(set(values)) != len(values):
            fail(field, values, "the values must be distinct")


#: a resolver call, ``${name:args}`` (``oc.env``, ``oc.decode`` ..., spaces allowed by
#: OmegaConf); plain interpolations ``${a.b}`` have no colon.  ``oc.decode`` can build an
#: ``oc.env`` call from pieces, so every resolver is refused, not only ``oc.env``.
_ENV_INTERPOLATION = re.compile(r"\$\{\s*[A-Za-z_][\w.\s]*:")


def check_no_env(node: Any, path: str = "") -> None:
    """Fail for an ``${oc.env:...}`` interpolation anywhere in an unresolved config.

    The resolved config is stored in every output file (``config_yaml``), so an
    environment variable (a token, a password) would be written into the results.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if path == "" and key == "hydra":
                continue
            check_no_env(value, f"{path}.{key}".lstrip("."))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            check_no_env(value, f"{path}[{index}]")
    elif isinstance(node, str) and _ENV_INTERPOLATION.search(node):
        fail(path, node, "environment variables (oc.env) and other resolvers (oc.decode, ...) "
                         "are not allowed: the resolved config is stored in every output file, "
                         "so a variable's value (a secret?) would be written there; write the "
                         "value itself")


def to_plain(cfg: DictConfig | dict) -> dict:
    """A composed config as a plain resolved dict without the ``hydra`` node.

    Raises ``ConfigError`` for an ``${oc.env:...}`` interpolation (:func:`check_no_env`).
    """
    if isinstance(cfg, DictConfig):
        keys = [k for k in cfg if k != "hydra"]
        check_no_env(OmegaConf.to_container(OmegaConf.masked_copy(cfg, keys), resolve=False))
        try:
            plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
        except Exception as exc:  # interpolation errors and the like
            rules.fail_message(str(exc))
    else:
        plain = cfg
    return {k: v for k, v in plain.items() if k != "hydra"}


def validate(cfg: DictConfig | dict) -> dict:
    """Validate a composed config (without the cohort's distributions); return it plain.

    Raises
    ------
    ConfigError
        On the first invalid field, naming it, its value and the allowed range.
    """
    plain = to_plain(cfg)
    _check_dataclass(plain, Config, "")
    params = plain["cohort"]["parameters"]
    sampled = set(params) if isinstance(params, dict) else set()
    rules.check_patients(config_getter(plain, sampled), 1)
    rules.check_run_level(plain)
    params = plain["cohort"]["parameters"]
    if not isinstance(params, dict):
        fail(PARAMETERS, params, "expected a mapping of dotted config path -> distribution")
    for path, spec in params.items():
        check_sampleable(path, plain, spec)
    _check_grid(plain)
    return plain
