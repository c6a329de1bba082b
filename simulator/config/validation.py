"""Check a composed config against the schema: types, bounds, choices, cross-field rules.

Runs before any computation; every failure is a :class:`simulator.ConfigError`
whose message names the dotted field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import types
import typing
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ..cohort.sampleable import config_leaf
from ..cohort.sampling import validate_cohort
from ..errors import ConfigError
from ..nuclides import lu177, nmol_per_gbq
from ..tumour.parameters import birth_rate_per_h, growth_rate_per_h
from .schema import Config


def _fail(path: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"Invalid configuration: {path} = {value!r}; {allowed}.")


def _describe_bounds(path: str, bounds: tuple, unit: str) -> str:
    lo, hi, lo_open, hi_open = bounds
    u = f" {unit}" if unit else ""
    return (f"allowed range is {lo:g} {'<' if lo_open else '<='} {path} "
            f"{'<' if hi_open else '<='} {hi:g}{u}")


def _check_number(path: str, value: Any, typ: type, meta: dict) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, value, f"expected a {typ.__name__}")
    if typ is int and not isinstance(value, int):
        _fail(path, value, "expected an integer")
    if not math.isfinite(value):
        _fail(path, value, "expected a finite number")
    bounds = meta.get("bounds")
    if bounds is None:
        return
    lo, hi, lo_open, hi_open = bounds
    if (value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi)):
        _fail(path, value, _describe_bounds(path, bounds, meta.get("unit", "")))


def _check_dataclass(node: Any, schema: type, path: str) -> None:
    if not isinstance(node, dict):
        keys = [f.name for f in dataclasses.fields(schema)]
        _fail(path, node, f"expected a mapping with keys {keys}")
    names = {f.name for f in dataclasses.fields(schema)}
    for key in node:
        if key not in names:
            _fail(f"{path}.{key}".lstrip("."), node[key],
                  f"unknown key; allowed keys of {path or 'the config'} are {sorted(names)}")
    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        _check_value(node.get(f.name, "???"), hints[f.name], f.metadata,
                     f"{path}.{f.name}".lstrip("."))


def _check_value(value: Any, hint: Any, meta: dict, path: str) -> None:
    if value == "???":
        _fail(path, "missing", "a value is required")
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
        _fail(path, value, "a value is required")
    if dataclasses.is_dataclass(hint):
        _check_dataclass(value, hint, path)
    elif origin is dict:
        if not isinstance(value, dict):
            _fail(path, value, "expected a mapping of name -> entry")
        item = typing.get_args(hint)[1]
        for name, sub in value.items():
            _check_value(sub, item, {}, f"{path}.{name}")
    elif origin is list:
        if not isinstance(value, list):
            _fail(path, value, "expected a list")
        item = typing.get_args(hint)[0]
        for index, sub in enumerate(value):
            _check_value(sub, item, {}, f"{path}[{index}]")
    elif hint is bool:
        if not isinstance(value, bool):
            _fail(path, value, "expected true or false")
    elif hint in (int, float):
        _check_number(path, value, hint, meta)
    elif hint is str:
        if not isinstance(value, str):
            _fail(path, value, "expected a string")
        choices = meta.get("choices")
        if choices and value not in choices:
            _fail(path, value, f"allowed values are {list(choices)}")


def _check_cross_fields(cfg: dict) -> None:
    therapy = cfg["therapy"]
    hot_nmol = therapy["activity_gbq"] * nmol_per_gbq(lu177())
    if therapy["peptide_nmol"] < hot_nmol:
        _fail("therapy.peptide_nmol", therapy["peptide_nmol"],
              f"must be at least the amount of 177Lu-labelled peptide, {hot_nmol:.3g} nmol for "
              f"therapy.activity_gbq = {therapy['activity_gbq']} GBq (carrier-free limit)")
    if cfg["output"]["plots"] and importlib.util.find_spec("matplotlib") is None:
        _fail("output.plots", True, "needs matplotlib: pip install 'prrt-simulator[plots]'")
    output = cfg["output"]
    for key in ("plots", "save_timeseries"):
        if output[key] and not output["per_patient"]:
            _fail(f"output.{key}", True, "needs per-patient results: set output.per_patient=true")
    if cfg.get("grid") and not output["per_patient"]:
        _fail("output.per_patient", False, "a grid run needs per-patient results: set "
              "output.per_patient=true")
    if output["summary_filename"] == output["filename"]:
        _fail("output.summary_filename", output["summary_filename"],
              "must differ from output.filename")
    response = cfg["response"]
    interval_months = response["assessment_interval_weeks"] * 7.0 * 12.0 / 365.25
    if response["follow_up_months"] < interval_months:
        _fail("response.follow_up_months", response["follow_up_months"],
              f"must cover at least one assessment, i.e. be >= "
              f"response.assessment_interval_weeks = {response['assessment_interval_weeks']} weeks "
              f"({interval_months:.3g} months)")
    tumour = cfg["tumour"]
    growth = growth_rate_per_h(tumour["volume_growth_percent_per_month"])
    if growth > birth_rate_per_h(tumour["potential_doubling_time_d"]) * (1.0 + 1e-12):
        _fail("tumour.potential_doubling_time_d", tumour["potential_doubling_time_d"],
              "the clonogen birth rate ln2/T_pot must be at least the net growth rate of "
              "tumour.volume_growth_percent_per_month = "
              f"{tumour['volume_growth_percent_per_month']} (the death rate cannot be negative)")
    for name, tissue in cfg["pk"].items():
        if isinstance(tissue, dict):
            total = tissue["vascular_fraction"] + tissue["interstitial_fraction"]
            if total >= 1.0:
                _fail(f"pk.{name}.vascular_fraction + pk.{name}.interstitial_fraction", total,
                      "the two fractions of tissue volume must sum to less than 1")
    validate_cohort(cfg)
    _check_grid(cfg)


def _check_grid(cfg: dict) -> None:
    """``grid``: dotted path of a numeric field -> non-empty list of distinct in-range values."""
    grid = cfg["grid"]
    if not isinstance(grid, dict):
        _fail("grid", grid, "expected a mapping of dotted config path -> list of values")
    for path, values in grid.items():
        field = f"grid.{path}"
        hint, meta = config_leaf(path, cfg, field, values)
        if hint not in (int, float):
            _fail(field, values, f"only numeric (float or int) fields can be gridded; {path} is "
                                 f"not one")
        if path in cfg["cohort"]["parameters"]:
            _fail(field, values, f"{path} is also sampled in cohort.parameters; grid a field "
                                 "the cohort keeps fixed")
        if path.split(".")[0] in ("seed", "cohort", "output", "grid"):
            _fail(field, values, "seed, cohort, output and grid settings cannot be gridded")
        if not isinstance(values, list) or not values:
            _fail(field, values, "expected a non-empty list of values")
        for value in values:
            _check_number(field, value, hint, meta)
        if len(set(values)) != len(values):
            _fail(field, values, "the values must be distinct")


def validate(cfg: DictConfig | dict) -> dict:
    """Validate a composed config; return it as a plain resolved dict.

    Raises
    ------
    ConfigError
        On the first invalid field, naming it, its value and the allowed range.
    """
    if isinstance(cfg, DictConfig):
        try:
            plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
        except Exception as exc:  # interpolation errors and the like
            raise ConfigError(f"Invalid configuration: {exc}") from exc
    else:
        plain = cfg
    plain = {k: v for k, v in plain.items() if k != "hydra"}
    _check_dataclass(plain, Config, "")
    _check_cross_fields(plain)
    return plain
