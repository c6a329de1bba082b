"""The patient measurement file: a valid file reads; every kind of bad file is a ConfigError
naming the file or table, the row and the field, before any compute."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from simulator import ConfigError
from simulator.personal.measurements import check_against_config, load_patient, parse_patient

EXAMPLE = Path(__file__).resolve().parents[3] / "experiments" / "personal" / \
    "example_synthetic" / "patient.yaml"

VALID = {
    "patient_id": "p1", "body_mass_kg": 70.0, "gfr_ml_per_min": 85.0,
    "cycles": [{"cycle": 1, "injection_time_d": 0, "activity_gbq": 7.4},
               {"cycle": 2, "injection_time_d": 56, "activity_gbq": 7.4, "given": False}],
    "lesions": [{"lesion": "liver_1", "site": "liver", "volume_ml": 12.0, "suv_max": 20.0}],
    "activities": [{"cycle": 1, "region": "kidneys", "time_h": 24.0, "activity_mbq": 120.0},
                   {"cycle": 1, "region": "kidneys", "time_h": 96.0, "activity_mbq": 60.0},
                   {"cycle": 1, "region": "liver_1", "time_h": 24.0, "activity_mbq": 80.0}],
    "doses": [{"cycle": 1, "region": "red_marrow", "dose_gy": 0.12}],
    "volumes": [{"lesion": "liver_1", "time_d": 50.0, "volume_ml": 11.0}],
}


def edited(path: str, value):
    """VALID with one entry changed: ``path`` like ``activities.1.time_h``."""
    data = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if isinstance(node, list):
        node[int(leaf)] = value
    else:
        node[leaf] = value
    return data


def test_valid_file_reads():
    p = parse_patient(VALID)
    assert p.covariates == {"patient.body_mass_kg": 70.0, "patient.gfr_ml_per_min": 85.0}
    assert [c.given for c in p.cycles] == [True, False]
    assert p.injection_times_h == [0.0, 56 * 24.0]
    assert p.lesion_names == ("liver_1",) and p.lesions[0].suv_max == 20.0
    assert p.n_measurements == 5


def test_example_file_with_csv_tables_reads():
    p = load_patient(EXAMPLE)
    assert p.patient_id == "example_synthetic" and len(p.activities) == 16
    assert {a.region for a in p.activities} == {"kidneys", "spleen", "liver_1", "lymph_node_1"}


# (what is wrong, the edited file, words the message must hold)
BAD = [
    ("unknown key", {**VALID, "weight_kg": 70}, ["weight_kg", "unknown key"]),
    ("missing key", {k: v for k, v in VALID.items() if k != "patient_id"},
     ["patient_id", "required"]),
    ("covariate out of range", edited("gfr_ml_per_min", 400.0),
     ["gfr_ml_per_min", "allowed range"]),
    ("first cycle not day 0", edited("cycles.0.injection_time_d", 3),
     ["cycles row 1", "injection_time_d", "day 0"]),
    ("cycle times out of order", edited("cycles.1.injection_time_d", 0),
     ["cycles row 2", "injection_time_d", "times out of order"]),
    ("cycles numbered wrongly", edited("cycles.1.cycle", 3), ["cycles row 2", "cycle"]),
    ("non-positive activity", edited("cycles.0.activity_gbq", 0.0),
     ["cycles row 1", "activity_gbq"]),
    ("peptide below the labelled amount", edited("cycles.0.peptide_nmol", 1.0),
     ["cycles row 1", "peptide_nmol", "carrier-free"]),
    ("first cycle planned", edited("cycles.0.given", False), ["cycles row 1", "given"]),
    ("negative lesion volume", edited("lesions.0.volume_ml", -3.0),
     ["lesions row 1", "volume_ml", "negative"]),
    ("unknown site", edited("lesions.0.site", "brain"), ["lesions row 1", "site"]),
    ("lesion named like an organ", edited("lesions.0.lesion", "kidneys"),
     ["lesions row 1", "lesion"]),
    ("activity times out of order", edited("activities.1.time_h", 12.0),
     ["activities row 2", "time_h", "times out of order"]),
    ("activity above injected", edited("activities.0.activity_mbq", 9000.0),
     ["activities row 1", "activity_mbq", "above the injected activity"]),
    ("negative activity", edited("activities.0.activity_mbq", -5.0),
     ["activities row 1", "activity_mbq", "negative"]),
    ("unknown region", edited("activities.2.region", "liver_2"),
     ["activities row 3", "region"]),
    ("measurement of a planned cycle", edited("activities.2.cycle", 2),
     ["activities row 3", "cycle", "planned"]),
    ("scan after the next injection", edited("activities.1.time_h", 2000.0),
     ["activities row 2", "time_h"]),
    ("bad relative sd", edited("activities.0", {**VALID["activities"][0],
                                                "relative_sd": 5.0}),
     ["activities row 1", "relative_sd"]),
    ("unknown column", edited("activities.0", {**VALID["activities"][0], "mbq": 1.0}),
     ["activities", "mbq", "unknown column"]),
    ("dose and activities of the same region and cycle",
     edited("doses.0", {"cycle": 1, "region": "kidneys", "dose_gy": 3.0}),
     ["doses row 1", "region", "count twice"]),
    ("negative dose", edited("doses.0.dose_gy", -1.0), ["doses row 1", "dose_gy", "negative"]),
    ("negative follow-up volume", edited("volumes.0.volume_ml", -1.0),
     ["volumes row 1", "volume_ml", "negative"]),
    ("volume of an unknown lesion", edited("volumes.0.lesion", "bone_1"),
     ["volumes row 1", "lesion"]),
    ("not a number", edited("volumes.0.time_d", "fifty"), ["volumes row 1", "time_d",
                                                          "expected a number"]),
    ("not a mapping", ["patient"], ["expected a mapping"]),
    # a lesion without a baseline volume is allowed, but nothing may be measured on it
    ("activity of a lesion without baseline volume",
     edited("lesions.0", {"lesion": "liver_1", "site": "liver"}),
     ["activities row 3", "region", "liver_1", "no baseline volume_ml"]),
    ("follow-up volume of a lesion without baseline volume",
     {**edited("lesions.0", {"lesion": "liver_1", "site": "liver"}),
      "activities": VALID["activities"][:2]},
     ["volumes row 1", "lesion", "liver_1", "no baseline volume_ml"]),
]


@pytest.mark.parametrize("case, data, words", BAD, ids=[b[0] for b in BAD])
def test_bad_file_names_field_and_row(case, data, words):
    with pytest.raises(ConfigError) as info:
        parse_patient(data, name="patient.yaml")
    message = str(info.value)
    assert message.startswith("Invalid patient file: patient.yaml")
    for word in words:
        assert word in message, (case, message)


def _write(tmp_path: Path, data: dict, tables: dict[str, str]) -> Path:
    for name, text in tables.items():
        (tmp_path / name).write_text(text)
    path = tmp_path / "patient.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_csv_rows_are_named_by_file_and_row(tmp_path):
    data = {**VALID, "activities": "activities.csv"}
    text = ("cycle,region,time_h,activity_mbq\n1,kidneys,24,120\n1,kidneys,96,60\n"
            "1,kidneys,48,70\n")
    with pytest.raises(ConfigError, match=re.escape("activities.csv row 3: time_h = '48'")):
        load_patient(_write(tmp_path, data, {"activities.csv": text}))


def test_csv_missing_column(tmp_path):
    data = {**VALID, "volumes": "volumes.csv"}
    with pytest.raises(ConfigError, match="volumes.csv: volume_ml = 'missing'"):
        load_patient(_write(tmp_path, data, {"volumes.csv": "lesion,time_d\nliver_1,50\n"}))


@pytest.mark.parametrize("row, fields", [("1,kidneys,24,120,5", 5),   # decimal comma
                                         ("1,kidneys,24", 3)])          # a cell left out
def test_csv_row_with_the_wrong_number_of_fields_is_named(tmp_path, row, fields):
    """A decimal comma ("120,5") or a missing cell must not shift or drop a value silently."""
    data = {**VALID, "activities": "activities.csv"}
    text = f"cycle,region,time_h,activity_mbq\n1,kidneys,12,130\n{row}\n"
    with pytest.raises(ConfigError, match=re.escape(
            f"activities.csv row 2: row = '{row}'; {fields} fields where the header has 4")):
        load_patient(_write(tmp_path, data, {"activities.csv": text}))


def test_csv_repeated_column_is_refused(tmp_path):
    data = {**VALID, "activities": "activities.csv"}
    text = "cycle,region,time_h,activity_mbq,activity_mbq\n1,kidneys,24,120,999\n"
    with pytest.raises(ConfigError, match=re.escape("['activity_mbq'] appear more than once")):
        load_patient(_write(tmp_path, data, {"activities.csv": text}))


def test_csv_empty_cell_is_a_missing_value(tmp_path):
    """An empty cell is a missing value: optional (a lesion's unknown volume) or an error
    naming the field (a required one)."""
    data = {**VALID, "lesions": "lesions.csv", "volumes": None,
            "activities": VALID["activities"][:2]}
    p = load_patient(_write(tmp_path, data, {"lesions.csv": "lesion,site,volume_ml\n"
                                                              "liver_1,liver,\n"}))
    assert p.lesions[0].volume_ml is None
    data = {**VALID, "activities": "activities.csv"}
    with pytest.raises(ConfigError, match="activities.csv row 1: activity_mbq = 'missing'"):
        load_patient(_write(tmp_path, data, {"activities.csv": "cycle,region,time_h,"
                                                                "activity_mbq\n1,kidneys,24,\n"}))


def test_csv_file_missing(tmp_path):
    data = {**VALID, "doses": "doses.csv"}
    with pytest.raises(ConfigError, match="no such CSV file"):
        load_patient(_write(tmp_path, data, {}))


def test_invalid_yaml(tmp_path):
    path = tmp_path / "patient.yaml"
    path.write_text("patient_id: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_patient(path)


def test_volume_after_the_follow_up():
    patient = parse_patient(edited("volumes.0.time_d", 2000.0))
    with pytest.raises(ConfigError, match="volumes row 1: time_d = 2000.0; after the simulated"):
        check_against_config(patient, follow_up_months=36.0)


def test_lesion_without_baseline_volume_gets_the_prior_volume_in_every_twin():
    """A lesion the file names without a volume: its baseline volume is a sampled parameter
    with the prior cohort's lesion-volume distribution, and each twin is simulated with its
    own draw (not the placeholder); body mass may be absent (the model does not use it)."""
    import numpy as np

    from simulator.personal.course import simulate_twins
    from simulator.personal.prior import build_prior
    from simulator.personal.settings import load_settings

    data = {k: v for k, v in VALID.items() if k not in ("body_mass_kg", "volumes")}
    data["lesions"] = [*VALID["lesions"], {"lesion": "liver_2", "site": "liver"}]
    patient = parse_patient(data)
    assert patient.lesions[1].volume_ml is None and "patient.body_mass_kg" not in \
        patient.covariates
    prior = build_prior(patient, load_settings())
    name = "lesions.liver_2.volume_ml"
    assert name in prior.names and "lesions.liver_1.volume_ml" not in prior.names
    z = np.zeros((3, prior.dim))
    z[:, prior.names.index(name)] = [-1.0, 0.0, 1.5]
    values = prior.values(z)
    vols = values[name]
    assert vols[0] < vols[1] < vols[2] and vols[1] == pytest.approx(10.0, rel=1e-6)
    ds, _ = simulate_twins(prior.cfg, values, patient)
    baseline = ds.lesion_volume_ml.isel(time=0).sel(lesion="liver_2").values
    assert baseline == pytest.approx(vols, rel=1e-6)
    assert np.allclose(ds.lesion_volume_ml.isel(time=0).sel(lesion="liver_1").values, 12.0)
