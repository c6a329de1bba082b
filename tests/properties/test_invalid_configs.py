"""Hypothesis: every kind of invalid configuration is refused cleanly (issue 18).

Invalid inputs are generated across every group: numbers out of range, wrong types,
bad choices, bad distributions, sampled patients that break a bound or a cross-field
rule, bad generated lesions, bad grids, bad file names, config groups given non-string
values, callbacks and ``_target_``, ``oc.env``.  Each goes either through the command
line's pre-validation, in process (:func:`simulator.cli._prevalidate`: exit status 2, one
line on stderr naming the field, no traceback), or through the API on a plain config
(:func:`simulator.configure.validate` then :func:`simulator.precheck.precheck`:
``ConfigError`` naming the field).  Nothing may be written to the working folder.  No
engine runs: every one of these errors comes before any computation.

The default run draws a few examples; ``-m slow`` runs the many-example version.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import math
import os
import tempfile
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import simulator
from simulator.cli import _prevalidate
from simulator.config.dotted import RUN_LEVEL, strip_optional, with_values
from simulator.config.schema import Config
from simulator.errors import ConfigError
from simulator.precheck import precheck


@functools.cache
def reference() -> dict:
    return simulator.validate(simulator.compose([]))


def _numeric_fields() -> list[tuple[str, type, tuple]]:
    """(dotted path, int or float, bounds) of every bounded numeric field of the reference."""
    out = []

    def walk(schema, prefix):
        hints = typing.get_type_hints(schema)
        for f in dataclasses.fields(schema):
            hint, path = strip_optional(hints[f.name]), f"{prefix}{f.name}"
            if dataclasses.is_dataclass(hint) and f.default is None:
                continue   # an optional section absent from the reference (plan: its bounds
                           # are tested in tests/unit/test_planning.py)
            if dataclasses.is_dataclass(hint):
                walk(hint, path + ".")
            elif typing.get_origin(hint) is dict and f.name == "lesions":
                walk(typing.get_args(hint)[1], f"{path}.liver_1.")
            elif hint in (int, float) and "bounds" in f.metadata:
                out.append((path, hint, f.metadata["bounds"]))

    walk(Config, "")
    return out


NUMERIC = _numeric_fields()
FLOATS = [(p, b) for p, t, b in NUMERIC if t is float]
SAMPLEABLE = [(p, b) for p, b in FLOATS if p.split(".")[0] not in RUN_LEVEL]
BOOLEANS = ["output.plots", "output.progress", "output.per_patient", "output.save_timeseries",
            "patient.renal_risk_factors", "response.confirmation"]
CHOICES = {"tumour.growth": ("exponential", "gompertz"),
           "therapy.schedule": ("fixed", "dosimetry_guided", "personalised_activity"),
           "therapy.replan": ("every_cycle", "first_cycle"),
           "cohort.sampling": ("random", "sobol", "halton"),
           "lesions.liver_1.site": ("liver", "lymph_node", "bone", "lung", "peritoneum",
                                    "pancreas", "soft_tissue", "retroperitoneum", "pelvis",
                                    "other")}
GROUPS = ["patient", "lesions", "therapy", "pk", "dosimetry", "radiobiology", "tumour",
          "response", "limits", "cohort", "solver", "output", "experiment", "sweep",
          "hydra/launcher"]


@dataclasses.dataclass
class Case:
    """An invalid input: command-line overrides, or changes of the plain reference config."""

    kind: str
    field: str
    argv: list[str] | None = None
    changes: dict | None = None


def _out_of_range(bounds, integer: bool):
    lo, hi, lo_open, hi_open = bounds
    if integer:
        return st.one_of(st.integers(max_value=int(lo) - 1), st.integers(min_value=int(hi) + 1))
    scale = st.floats(1e-6, 1e6)
    options = [scale.map(lambda f: lo - max(abs(lo), 1.0) * f),
               scale.map(lambda f: hi + max(abs(hi), 1.0) * f),
               st.sampled_from([math.nan, math.inf, -math.inf])]
    if lo_open:
        options.append(st.just(float(lo)))
    if hi_open:
        options.append(st.just(float(hi)))
    return st.one_of(*options)


@st.composite
def out_of_range(draw):
    path, typ, bounds = draw(st.sampled_from(NUMERIC))
    value = draw(_out_of_range(bounds, typ is int))
    if draw(st.booleans()):
        return Case("number out of range", path, argv=[f"{path}={value!r}"])
    return Case("number out of range", path, changes={path: value})


NAME = st.text(alphabet="abcxyz019_", min_size=1, max_size=6)


@st.composite
def wrong_type(draw):
    path = draw(st.sampled_from([p for p, _, _ in NUMERIC] + BOOLEANS + list(CHOICES)))
    if path in CHOICES:
        value = draw(NAME.filter(lambda v: v not in CHOICES[path]))
        return Case("bad choice", path, argv=[f"{path}={value}"])
    if path in BOOLEANS:
        value = draw(st.sampled_from(["maybe", "[1]", "{a:1}", "abc", "2.5", "2", "0", "1"]))
        return Case("wrong type", path, argv=[f"{path}={value}"])
    value = draw(st.sampled_from(["abc", "[1,2]", "{a:1}", "true", "''"]))
    if path.startswith("therapy.n_cycles") and value == "true":
        value = "abc"
    return Case("wrong type", path, argv=[f"{path}={value}"])


def _bad_spec(bounds):
    lo, hi = bounds[0], bounds[1]
    mid = 0.5 * (lo + hi)
    positive = st.floats(0.1, 10.0)
    weights = st.lists(st.floats(0.01, 1.0), min_size=2, max_size=4).filter(
        lambda w: abs(math.fsum(w) - 1.0) > 1e-6)
    return st.one_of(
        positive.map(lambda g: {"dist": "lognormal", "median": -g, "gsd": 2.0}),
        st.floats(0.0, 0.999).map(lambda g: {"dist": "lognormal", "median": 1.0, "gsd": g}),
        st.floats(-5.0, 0.0).map(lambda s: {"dist": "normal", "mean": mid, "sd": s}),
        positive.map(lambda d: {"dist": "uniform", "low": mid, "high": mid - d}),
        st.floats(-5.0, 0.0).map(lambda a: {"dist": "loguniform", "low": a, "high": 10.0}),
        weights.map(lambda w: {"dist": "choice", "values": [mid] * len(w), "weights": w}),
        weights.map(lambda w: {"dist": "mixture", "weights": w, "components": [
            {"dist": "uniform", "low": lo, "high": mid}] * len(w)}),
        NAME.map(lambda n: {"dist": f"x{n}", "mean": 1.0}),
        st.just({"dist": "normal", "mean": mid}),
        st.just({"dist": "mixture", "weights": [1.0], "components": [
            {"dist": "uniform", "low": lo, "high": mid}]}),
        st.floats(1e-3, 1e3).map(lambda f: {"dist": "uniform", "low": hi + f, "high": hi + 2 * f
                                            + 1.0}),   # median out of range
        st.sampled_from(["abc", True, None, [1, 2]]),
    )


@st.composite
def bad_distribution(draw):
    path, bounds = draw(st.sampled_from(SAMPLEABLE))
    spec = draw(_bad_spec(bounds))
    return Case("bad distribution", f"cohort.parameters.{path}",
                changes={"cohort.parameters": {path: spec}, "cohort.n_patients": 20})


@st.composite
def bad_patients(draw):
    """Distributions whose median is fine but whose patients break a bound or a rule."""
    which = draw(st.sampled_from(["bounds", "peptide", "gompertz", "fractions"]))
    n = 60
    if which == "bounds":
        path, (lo, hi, _, _) = draw(st.sampled_from(SAMPLEABLE))
        spec = {"dist": "uniform", "low": lo, "high": hi + 0.5 * (hi - lo)}   # 1/3 above hi
        return Case("sampled patient out of bounds", f"cohort.parameters.{path}",
                    changes={"cohort.parameters": {path: spec}, "cohort.n_patients": n})
    if which == "peptide":    # 7.4 GBq carry 10.2 nmol of labelled peptide
        spec = {"dist": "uniform", "low": draw(st.floats(0.5, 5.0)), "high": 40.0}
        return Case("sampled patient breaks a rule", "therapy.peptide_nmol",
                    changes={"cohort.parameters": {"therapy.peptide_nmol": spec},
                             "therapy.peptide_nmol": 40.0, "cohort.n_patients": n})
    if which == "gompertz":   # the 10 mL lesion has ~8 mL of cells
        spec = {"dist": "uniform", "low": 1.0, "high": draw(st.floats(12.0, 40.0))}
        return Case("sampled patient breaks a rule", "tumour.gompertz_max_volume_ml",
                    changes={"cohort.parameters": {"tumour.gompertz_max_volume_ml": spec},
                             "tumour.growth": "gompertz", "tumour.gompertz_max_volume_ml": 30.0,
                             "cohort.n_patients": n})
    tissue = draw(st.sampled_from(["tumour", "kidneys", "spleen", "liver"]))
    spec = {"dist": "uniform", "low": 0.01, "high": 0.9}
    return Case("sampled patient breaks a rule", f"pk.{tissue}.vascular_fraction",
                changes={"cohort.parameters": {f"pk.{tissue}.vascular_fraction": spec},
                         f"pk.{tissue}.interstitial_fraction": 0.6,
                         f"pk.{tissue}.vascular_fraction": 0.2, "cohort.n_patients": n})


@st.composite
def bad_lesions(draw):
    good = {"count": 2, "volume_ml": {"dist": "lognormal", "median": 10.0, "gsd": 2.0,
                                      "high": 5000.0},
            "sites": {"values": ["liver", "bone"], "weights": [0.5, 0.5]}, "max_count": 3}
    which = draw(st.sampled_from(["count", "volume_ml", "max_count", "sites"]))
    if which == "count":
        bad = draw(st.one_of(st.integers(max_value=0), st.integers(min_value=4),
                             st.lists(st.integers(-3, 6), min_size=1, max_size=4).filter(
                                 lambda v: min(v) < 1 or max(v) > 3).map(
                                 lambda v: {"dist": "choice", "values": v}),
                             st.just({"dist": "uniform", "low": 1, "high": 3})))
    elif which == "volume_ml":
        bad = draw(st.one_of(
            # unbounded lognormal (gsd = 1 exactly is a fixed, valid 10 mL)
            st.floats(1.0, 5.0, exclude_min=True).map(
                lambda g: {"dist": "lognormal", "median": 10.0, "gsd": g}),
            st.floats(5000.001, 1e6).map(lambda h: {"dist": "lognormal", "median": 10.0,
                                                   "gsd": 2.0, "high": h}),
            st.floats(5001.0, 1e5).map(lambda h: {"dist": "uniform", "low": 1.0, "high": h}),
            st.just({"dist": "normal", "mean": 10.0, "sd": 2.0}), st.just(0.0)))
    elif which == "max_count":
        bad = draw(st.one_of(st.integers(max_value=0), st.integers(min_value=1001)))
    else:
        bad = draw(st.one_of(
            st.just({"values": ["liver", "brain"]}),
            st.lists(st.floats(0.01, 1.0), min_size=2, max_size=2).filter(
                lambda w: abs(sum(w) - 1.0) > 1e-6).map(
                lambda w: {"values": ["liver", "bone"], "weights": w})))
    return Case("bad generated lesions", f"cohort.lesions.{which}",
                changes={"cohort.lesions": {**good, which: bad}, "cohort.n_patients": 20})


@st.composite
def bad_grid(draw):
    path, typ, bounds = draw(st.sampled_from(
        [(p, t, b) for p, t, b in NUMERIC if p.split(".")[0] not in ("seed", "cohort", "output")]))
    which = draw(st.sampled_from(["range", "empty", "duplicate", "run-level", "unknown"]))
    if which == "range":
        values = [draw(_out_of_range(bounds, typ is int))]
    elif which == "empty":
        values = []
    elif which == "duplicate":
        value = reference()
        for part in path.split("."):
            value = value[part]
        values = [value, value]
    elif which == "run-level":
        path, values = draw(st.sampled_from(["seed", "cohort.n_patients", "output.filename"])), [1]
    else:
        path, values = f"therapy.x{draw(NAME)}", [1.0]
    return Case("bad grid", f"grid.{path}", changes={"grid": {path: values}})


BAD_NAMES = st.one_of(
    st.sampled_from(["", ".", "..", "/", "./results.nc", "../x.nc", "/tmp/x.nc", "a/b.nc",
                     "a\\b.nc", ".nc", "x.txt", "x", " x.nc", "x.nc ", "x\n.nc", "x\x00.nc"]),
    st.text(min_size=0, max_size=12).filter(
        lambda s: not s.endswith(".nc") or "/" in s or "\\" in s or s.strip() != s
        or any(ord(c) < 32 for c in s) or s == ".nc"),
    NAME.map(lambda s: f"../{s}.nc"), NAME.map(lambda s: f"{s}/{s}.nc"))


@st.composite
def bad_file_name(draw):
    key = draw(st.sampled_from(["filename", "summary_filename"]))
    if draw(st.booleans()):
        same = draw(NAME.map(lambda s: f"{s}.nc"))
        other = draw(st.sampled_from([same, same.upper().replace(".NC", ".nc"), same.upper()]))
        return Case("same file names", "output.summary_filename",
                    changes={"output.filename": same, "output.summary_filename": other})
    return Case("bad file name", f"output.{key}", changes={f"output.{key}": draw(BAD_NAMES)})


@st.composite
def bad_group_override(draw):
    group = draw(st.sampled_from(GROUPS))
    value = draw(st.sampled_from(["null", "5", "2.5", "true", "[1,2]", "[]", "''"]))
    mode = draw(st.sampled_from([[], ["-m"]]))
    return Case("bad group override", group, argv=[*mode, f"{group}={value}"])


@st.composite
def forbidden_override(draw):
    name = draw(NAME)
    target = draw(st.sampled_from(["os.system", "builtins.eval", "subprocess.run"]))
    key, argv = draw(st.sampled_from([
        (f"hydra.callbacks.{name}._target_", f"+hydra.callbacks.{name}._target_={target}"),
        ("hydra.callbacks", f"+hydra.callbacks={{{name}:{{_target_:{target}}}}}"),
        ("hydra.launcher._target_", f"hydra.launcher._target_={target}"),
        (f"{name}._target_", f"+{name}._target_={target}"),
        (f"x{name}", f"+x{name}={{_target_:{target}}}"),
        ("oc.env", f"therapy.activity_gbq=${{oc.env:PRRT_{name.upper()}}}"),
        ("oc.env", f"output.filename=${{oc.env:HOME}}{name}.nc"),
    ]))
    mode = draw(st.sampled_from([[], ["-m"]])) if "oc.env" not in argv else []
    return Case("forbidden override", key, argv=[*mode, argv])


CASES = st.one_of(out_of_range(), wrong_type(), bad_distribution(), bad_patients(),
                  bad_lesions(), bad_grid(), bad_file_name(), bad_group_override(),
                  forbidden_override())


def _apply(case: Case) -> dict:
    plain = reference()
    changes = dict(case.changes)
    for key in [k for k in changes if k in ("grid", "cohort.parameters", "cohort.lesions")]:
        plain = with_values(plain, {key: changes.pop(key)})
    return with_values(plain, changes)


def check_refused(case: Case) -> None:
    """The case is refused naming its field, with no traceback and no file written."""
    event(case.kind)
    with tempfile.TemporaryDirectory() as folder:
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            if case.argv is not None:
                err = io.StringIO()
                with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_info:
                    _prevalidate(case.argv)
                message = err.getvalue()
                assert exit_info.value.code == 2, (case, message)
                assert message.startswith("prrt-sim: Invalid configuration: "), (case, message)
                assert len(message.strip().splitlines()) == 1, (case, message)
            else:
                with pytest.raises(ConfigError) as error:
                    precheck(simulator.validate(_apply(case)))
                message = str(error.value)
                assert message.startswith("Invalid configuration: "), (case, message)
            assert case.field in message, (case, message)
            assert "Traceback" not in message
        finally:
            os.chdir(cwd)
        assert list(Path(folder).iterdir()) == [], case


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.filter_too_much])


@settings(max_examples=30, derandomize=True, **SETTINGS)
@given(CASES)
def test_invalid_configs_are_refused_before_anything_is_written(case):
    check_refused(case)


@pytest.mark.slow
@settings(max_examples=2000, **SETTINGS)
@given(CASES)
def test_invalid_configs_are_refused_many_examples(case):
    check_refused(case)
