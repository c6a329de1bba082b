"""The declared calibration and validation targets of issue 14 (experiments/targets/*.yaml).

Checks that every entry is complete (value or interval, an uncertainty, a source with a DOI or
an explicit unverified note), that the two sets are disjoint (no source in both, so no number
in both), and that docs/targets.md names every entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "experiments" / "targets"
DOC = ROOT / "docs" / "targets.md"

REQUIRED = ("name", "quantity", "source_id", "value", "units", "source", "doi", "where",
            "population", "protocol", "criteria", "timepoint_months", "verified")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
INTERVAL_KINDS = {"ci95", "range", "declared", "lower_bound", "wilson95_from_n_k"}


def _load(name: str) -> list[dict]:
    data = yaml.safe_load((TARGETS / f"{name}.yaml").read_text(encoding="utf-8"))
    return data["targets"]


CALIBRATION = _load("calibration")
VALIDATION = _load("validation")
ALL = [("calibration", e) for e in CALIBRATION] + [("validation", e) for e in VALIDATION]


def _id(item) -> str:
    return f"{item[0]}:{item[1].get('name')}"


@pytest.mark.parametrize("item", ALL, ids=_id)
def test_entry_is_complete(item):
    _, entry = item
    missing = [k for k in REQUIRED if k not in entry]
    assert not missing, f"missing keys {missing}"
    assert entry["interval_kind"] in INTERVAL_KINDS
    has_interval = "interval" in entry
    has_counts = "n" in entry and "k" in entry
    assert has_interval or has_counts, "needs an interval or counts n, k"
    if has_interval:
        low, high = entry["interval"]
        assert low is not None
        if entry["interval_kind"] == "lower_bound":
            assert high is None and entry["value"] is None
        elif high is not None:
            assert low <= high
            if entry["value"] is not None:
                assert low <= entry["value"] <= high
    if has_counts:
        n, k = entry["n"], entry["k"]
        assert isinstance(n, int) and isinstance(k, int) and 0 <= k <= n
        # the counts must reproduce the published rate to its rounding
        assert abs(k / n - entry["value"]) <= 0.006, (k, n, entry["value"])
    verified = entry["verified"]
    assert isinstance(verified["ok"], bool)
    assert verified["note"].strip()
    doi = entry["doi"]
    if doi is None or not DOI.match(str(doi)):
        assert verified["ok"] is False, "no DOI: must be marked verified.ok = false with a note"
    if entry["timepoint_months"] is not None:
        assert entry["timepoint_months"] > 0


@pytest.mark.parametrize("entries", [CALIBRATION, VALIDATION], ids=["calibration", "validation"])
def test_names_are_unique(entries):
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))


def test_no_name_in_both_sets():
    assert not {e["name"] for e in CALIBRATION} & {e["name"] for e in VALIDATION}


def test_no_number_in_both_sets():
    """The same source and quantity is never both a calibration and a validation target."""
    def key(e):
        return (e["source_id"], e["quantity"].strip().lower())
    assert not {key(e) for e in CALIBRATION} & {key(e) for e in VALIDATION}


def test_validation_sources_disjoint_from_calibration_sources():
    cal_ids = {e["source_id"] for e in CALIBRATION}
    val_ids = {e["source_id"] for e in VALIDATION}
    assert not cal_ids & val_ids
    cal_dois = {str(e["doi"]).lower() for e in CALIBRATION if e["doi"]}
    val_dois = {str(e["doi"]).lower() for e in VALIDATION if e["doi"]}
    assert not cal_dois & val_dois


def test_validation_roles():
    roles = {e["role"] for e in VALIDATION}
    assert roles <= {"target", "emulation_input"}
    for e in VALIDATION:
        assert e["tier"] in {"primary", "secondary"}
        assert e["emulation"].strip()
    # issue 14: at least two published series not used in the calibration
    primary = {e["source_id"] for e in VALIDATION
               if e["role"] == "target" and e["tier"] == "primary"}
    assert len(primary) >= 2


def test_calibration_covers_issue_14():
    ids = {e["source_id"] for e in CALIBRATION}
    names = {e["name"] for e in CALIBRATION}
    assert "strosberg2017" in ids
    assert {"netter1_orr_treated", "netter1_orr_control", "netter1_cr_treated"} <= names
    pfs_times = {e["timepoint_months"] for e in CALIBRATION
                 if e["source_id"] == "strosberg2017" and "pfs" in e["name"]}
    assert len(pfs_times - {None}) >= 2
    assert {"kwekkeboom2008_cr", "kwekkeboom2008_pr", "kwekkeboom2008_sd",
            "kwekkeboom2008_pd"} <= names
    assert "roth2022_lesion_dose_fall_per_cycle" in names
    assert any("kidney" in e["quantity"] for e in CALIBRATION)


def test_doc_mentions_every_entry():
    text = DOC.read_text(encoding="utf-8")
    absent = [e["name"] for _, e in ALL if e["name"] not in text]
    assert not absent, f"docs/targets.md does not mention {absent}"
