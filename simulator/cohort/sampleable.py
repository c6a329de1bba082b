"""Which config fields may vary between patients, and checks of a sampled field's values.

A sampled parameter is a dotted path to a numeric (float or int) leaf of the composed
config, e.g. ``patient.sstr_density_nmol_per_l`` or ``lesions.liver_1.volume_ml``.
The root seed and the solver, output, cohort and response settings are run-level
choices and cannot vary per patient.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import numpy as np

from ..config.schema import Config
from .distributions import PREFIX, Distribution, fail

RUN_LEVEL = ("seed", "solver", "output", "cohort", "response")


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def check_sampleable(path: str, base_cfg: dict, spec: Any = None) -> tuple[type, dict]:
    """Check that ``path`` names a numeric leaf of the config that may vary per patient.

    Parameters
    ----------
    path : str
        Dotted config path, e.g. ``radiobiology.tumour_alpha_per_gy``.
    base_cfg : dict
        The composed (plain) config the cohort varies.
    spec : optional
        The parameter's distribution spec, shown as the value in error messages.

    Returns
    -------
    (type, dict)
        The leaf's type (``float`` or ``int``) and its schema metadata (``bounds``, ``unit``).

    Raises
    ------
    ConfigError
        Naming ``cohort.parameters.<path>`` when the path is run-level (``seed``,
        ``solver.``, ``output.``, ``cohort.``, ``response.``), unknown, or not a numeric leaf.
    """
    field, value = f"{PREFIX}.{path}", path if spec is None else spec
    if not isinstance(path, str) or not path:
        fail(PREFIX, path, "parameter names must be dotted config paths")
    if path.split(".")[0] in RUN_LEVEL:
        fail(field, value, f"settings under {list(RUN_LEVEL)} are run-level and cannot vary "
                          "per patient")
    hint, meta = config_leaf(path, base_cfg, field, value)
    if hint not in (float, int):
        kind = ("a group of fields" if dataclasses.is_dataclass(hint) or typing.get_origin(hint)
                else f"a {getattr(hint, '__name__', hint)} field")
        fail(field, value, f"only numeric (float or int) fields can be sampled; {path} is {kind}")
    return hint, meta


def config_leaf(path: str, base_cfg: dict, field: str, value: Any) -> tuple[Any, dict]:
    """Schema type hint and metadata (``bounds``, ``unit``) of the config node at ``path``.

    Raises
    ------
    ConfigError
        Naming ``field`` and ``value`` when ``path`` is not a node of ``base_cfg``.
    """
    node: Any = base_cfg
    hint: Any = Config
    meta: dict = {}
    for depth, part in enumerate(path.split(".")):
        where = ".".join(path.split(".")[:depth]) or "the config"
        if dataclasses.is_dataclass(hint):
            fields = {f.name: f for f in dataclasses.fields(hint)}
            if part not in fields or not isinstance(node, dict):
                fail(field, value, f"unknown config path; {where} has the keys {sorted(fields)}")
            hint, meta = typing.get_type_hints(hint)[part], dict(fields[part].metadata)
        elif typing.get_origin(hint) is dict:
            if not isinstance(node, dict) or part not in node:
                keys = sorted(node) if isinstance(node, dict) else []
                fail(field, value, f"unknown config path; {where} has the keys {keys}")
            hint, meta = typing.get_args(hint)[1], {}
        else:
            fail(field, value, f"unknown config path; {where} is a leaf, not a mapping")
        node = node[part]
        hint = _strip_optional(hint)
    return hint, meta


def check_values(path: str, dist: Distribution, leaf: type, meta: dict) -> None:
    """Check a distribution against its field: integers for an int field, median within bounds.

    Raises
    ------
    ConfigError
        Naming ``cohort.parameters.<path>``.
    """
    field = f"{PREFIX}.{path}"
    if leaf is int and not dist.integer_valued:
        fail(field, dist.kind, "an integer field takes a fixed integer or a choice of integers")
    bounds = meta.get("bounds")
    if bounds is None:
        return
    lo, hi, lo_open, hi_open = bounds
    median = dist.median()
    if median < lo or median > hi or (lo_open and median == lo) or (hi_open and median == hi):
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        fail(field, median, f"the median must lie in the allowed range of {path}: "
                            f"{lo:g} {'<' if lo_open else '<='} {path} "
                            f"{'<' if hi_open else '<='} {hi:g}{unit}")


def check_sampled(path: str, values: np.ndarray, base_cfg: dict, first_patient: int) -> None:
    """Check sampled values against the field's bounds before they are simulated.

    Raises
    ------
    ConfigError
        Naming ``cohort.parameters.<path>``, the first patient and value out of range,
        and the allowed range (truncate the distribution with ``low``/``high``).
    """
    meta = check_sampleable(path, base_cfg)[1]
    bounds = meta.get("bounds")
    if bounds is None:
        return
    lo, hi, lo_open, hi_open = bounds
    bad = (values < lo) | (values > hi) | (lo_open & (values == lo)) | (hi_open & (values == hi))
    bad |= ~np.isfinite(values)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        fail(f"{PREFIX}.{path}", float(values[k]),
             f"patient {first_patient + k} drew a value outside the allowed range "
             f"{lo:g} {'<' if lo_open else '<='} {path} {'<' if hi_open else '<='} {hi:g}{unit};"
             " truncate the distribution (normal: low/high) or narrow it")
