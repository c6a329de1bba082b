"""docs/parameters.md must agree with conf/ and the schema, so that it cannot drift.

The page is parsed table by table. A table whose first header cell is ``key`` (or
``fitted parameter``) documents config keys: its first column is a key in backticks,
relative to the config section named by the enclosing ``##`` heading (``## patient
(`conf/patient/reference.yaml`)`` -> ``patient.``; the top-level and calibration tables
use full paths). For each such row:

* the ``value`` cell must equal the composed default config (conf/ is the truth);
  ``unset → X`` means the key is null and falls back to the key named in the source cell,
  whose value must be X;
* an ``allowed range`` cell in interval notation must equal the schema bounds.

Every leaf of the default config (numbers, and also the settings) must be documented by such
a row, or be listed in ``NOT_DOCUMENTED`` with the reason. The `netter1` cohort table is
checked against ``conf/cohort/netter1.yaml``: the distribution kind and every number of each
row.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

import simulator
from simulator.config.dotted import schema_leaf

ROOT = Path(__file__).resolve().parents[2]
PARAMETERS_DOC = ROOT / "docs" / "parameters.md"

#: leaves of the default config that have no row of their own, and why
NOT_DOCUMENTED = {
    "cohort.n_patients": "the default `single` cohort is one patient (cohort section text)",
    "cohort.sampling": "a setting of the cohort files; syntax in the README",
    "cohort.correlations": "empty in `single`; copula syntax in the README and docs/model.md §9",
    "cohort.lesions": "null in `single`; generated lesions are documented per cohort file",
    "plan": "null unless a plan is chosen (`prrt-sim plan`, conf/plan/default.yaml); its keys "
            "are documented in docs/planning.md",
}

_MINUS = str.maketrans({"−": "-", "–": "-"})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?%?", re.IGNORECASE)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _tables() -> list[dict]:
    """Tables of the page: heading path, header cells and rows (lists of cells)."""
    tables, headings = [], {}
    lines = PARAMETERS_DOC.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#+) (.*)$", line)
        if heading:
            level = len(heading.group(1))
            headings = {k: v for k, v in headings.items() if k < level}
            headings[level] = heading.group(2)
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| ]+\|$", lines[i + 1]):
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            tables.append({"headings": dict(headings), "header": header, "rows": rows})
            continue
        i += 1
    return tables


def _plain(overrides: list[str] | None = None) -> dict:
    return OmegaConf.to_container(simulator.compose(overrides or []), resolve=True)


DEFAULT = _plain()


def _prefix(headings: dict) -> str:
    """Config section of a ``##`` heading: its first word if that is a config section."""
    word = headings.get(2, "").split(" ")[0].strip("`")
    return f"{word}." if word in DEFAULT else ""


def _lookup(cfg: dict, path: str) -> Any:
    node: Any = cfg
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def _resolve(key: str, prefix: str) -> str:
    for path in (prefix + key, key):
        try:
            _lookup(DEFAULT, path)
            return path
        except KeyError:
            pass
    raise AssertionError(f"docs/parameters.md documents `{key}` under '{prefix}', "
                         "which is not a key of the default config")


def _key_rows() -> list[tuple[str, dict]]:
    rows = []
    for table in _tables():
        header = table["header"]
        if header[0] not in ("key", "fitted parameter") or "value" not in header:
            continue
        prefix = _prefix(table["headings"])
        for row in table["rows"]:
            key = re.fullmatch(r"`([\w.]+)`", row[0])
            assert key, f"row without a `key` in a key table of docs/parameters.md: {row}"
            cells = dict(zip(header, row, strict=True))
            rows.append((_resolve(key.group(1), prefix), cells))
    return rows


KEY_ROWS = _key_rows()


def _number(text: str) -> float:
    text = text.translate(_MINUS).replace(" ", "")
    if text == "2^63-1":
        return float(2**63 - 1)
    return float(text)


def _same(doc: str, value: Any) -> bool:
    if isinstance(value, bool):
        return doc.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        return math.isclose(_number(doc), value, rel_tol=1e-12, abs_tol=0.0)
    return doc == str(value)


def test_page_has_key_tables():
    assert len(KEY_ROWS) >= 90, f"only {len(KEY_ROWS)} documented keys found: parsing broke?"
    assert len({path for path, _ in KEY_ROWS}) >= 80


@pytest.mark.parametrize(("path", "cells"), KEY_ROWS, ids=[p for p, _ in KEY_ROWS])
def test_documented_value_equals_conf(path: str, cells: dict):
    doc, value = cells["value"], _lookup(DEFAULT, path)
    unset = re.fullmatch(r"unset → (\S+)", doc)
    if unset:
        assert value is None, f"{path}: documented as unset, conf has {value!r}"
        fallback = re.search(r"`([\w.]+)`", cells.get("source", ""))
        assert fallback, f"{path}: an unset key must name its fallback key in the source cell"
        assert _same(unset.group(1), _lookup(DEFAULT, fallback.group(1))), (
            f"{path}: documented fallback {unset.group(1)}, "
            f"{fallback.group(1)} = {_lookup(DEFAULT, fallback.group(1))!r} in conf")
        return
    if isinstance(value, list):  # "[a, b]"
        names = [x.strip() for x in doc.strip("[]").split(",") if x.strip()]
        assert names == [str(v) for v in value], (
            f"{path}: docs/parameters.md says {doc!r}, conf has {value!r}")
        return
    token = doc.split(" ")[0]  # "1.409 h" -> "1.409"
    assert _same(token, value), f"{path}: docs/parameters.md says {doc!r}, conf has {value!r}"


_RANGE = re.compile(r"^([\[(])([^,\[\]()]+), ([^,\[\]()]+)([\])])")


@pytest.mark.parametrize(("path", "cells"),
                         [(p, c) for p, c in KEY_ROWS if _RANGE.match(
                             c.get("allowed range", "").translate(_MINUS))],
                         ids=[p for p, c in KEY_ROWS if _RANGE.match(
                             c.get("allowed range", "").translate(_MINUS))])
def test_documented_range_equals_schema(path: str, cells: dict):
    match = _RANGE.match(cells["allowed range"].translate(_MINUS))
    _, meta = schema_leaf(path, DEFAULT)
    assert "bounds" in meta, f"{path}: a range is documented but the schema has no bounds"
    lo, hi, lo_open, hi_open = meta["bounds"]
    doc = (_number(match.group(2)), _number(match.group(3)),
           match.group(1) == "(", match.group(4) == ")")
    assert math.isclose(doc[0], lo) and math.isclose(doc[1], hi) and doc[2:] == (
        lo_open, hi_open), f"{path}: docs/parameters.md range {match.group(0)}, schema {meta}"


def _leaves(node: Any, path: str = "") -> list[str]:
    """Paths of the leaves (numbers, strings, booleans, null, lists) of a config tree."""
    if isinstance(node, dict):
        return [leaf for key, value in node.items()
                for leaf in _leaves(value, f"{path}.{key}" if path else key)]
    return [path]


def test_every_default_is_documented():
    documented = {path for path, _ in KEY_ROWS}
    leaves = _leaves(DEFAULT)
    numeric = [p for p in leaves if isinstance(_lookup(DEFAULT, p), (int, float))]
    assert len(numeric) >= 80, "the default config lost its numeric leaves: parsing broke?"
    missing = [p for p in leaves if p not in documented and p not in NOT_DOCUMENTED]
    assert not missing, f"defaults missing from docs/parameters.md: {missing}"
    stale = [p for p in NOT_DOCUMENTED if p in documented]
    assert not stale, f"documented now, remove from NOT_DOCUMENTED: {stale}"


# ---- the netter1 cohort table --------------------------------------------------------

NETTER1 = _plain(["cohort=netter1"])["cohort"]
_LESION_ROWS = {"lesions: count": "count", "lesions: volume": "volume_ml",
                "lesions: site": "sites", "lesions: SSTR2 density factor": "sstr_density_factor",
                "lesions: alpha factor": "alpha_factor",
                "lesions: growth offset": "growth_offset_percent_per_month"}


def _netter1_rows() -> list[tuple[str, str, Any]]:
    tables = [t for t in _tables() if "netter1" in t["headings"].get(3, "")
              and t["header"][:2] == ["parameter", "distribution"]]
    assert len(tables) == 1, "expected one parameter/distribution table in the netter1 section"
    rows = []
    for row in tables[0]["rows"]:
        key = re.fullmatch(r"`([\w.]+)`", row[0])
        if key:
            spec = NETTER1["parameters"].get(key.group(1))
        else:
            assert row[0] in _LESION_ROWS, f"unexpected netter1 row {row[0]!r}"
            spec = NETTER1["lesions"][_LESION_ROWS[row[0]]]
        assert spec is not None, f"netter1 row {row[0]} is not in conf/cohort/netter1.yaml"
        rows.append((row[0], row[1], spec))
    return rows


def _spec_numbers(spec: Any) -> list[float]:
    if isinstance(spec, dict):
        return [x for v in spec.values() for x in _spec_numbers(v)]
    if isinstance(spec, list):
        return [x for v in spec for x in _spec_numbers(v)]
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return [float(spec)]
    return []


@pytest.mark.parametrize(("name", "doc", "spec"), _netter1_rows(),
                         ids=[r[0] for r in _netter1_rows()])
def test_netter1_row_equals_conf(name: str, doc: str, spec: Any):
    kind = doc.split(",")[0].split(":")[0].split(" ")[0]
    if isinstance(spec, dict) and "dist" in spec:
        assert kind == spec["dist"], f"{name}: documented {kind}, conf {spec['dist']}"
    elif not isinstance(spec, dict):
        assert kind == "fixed", f"{name}: conf has the fixed value {spec}; document it as fixed"
    numbers = _spec_numbers(spec)
    text = re.sub(r"(\d) %", r"\1%", doc.translate(_MINUS))  # "95.65 %" -> "95.65%"
    for token in _NUMBER.findall(text):
        value = float(token.rstrip("%")) / (100.0 if token.endswith("%") else 1.0)
        assert any(math.isclose(value, x, rel_tol=1e-9, abs_tol=1e-12) for x in numbers), (
            f"{name}: docs/parameters.md says {token} ({doc!r}); conf has {numbers}")


def test_every_netter1_parameter_is_documented():
    documented = {name.strip("`") for name, _, _ in _netter1_rows()}
    missing = sorted(set(NETTER1["parameters"]) - documented)
    assert not missing, f"netter1 parameters missing from docs/parameters.md: {missing}"
