"""A patient's measurement file: what a clinic measures, read and checked before any compute.

Format (docs/personal_prediction.md): one YAML file with the patient's covariates, the
cycles (given and planned), the lesions at baseline, and three tables, each either a list of
mappings inside the YAML or the name of a CSV file beside it:

* ``activities``: ``cycle, region, time_h, activity_mbq[, relative_sd]``: quantitative
  SPECT/CT activity (MBq) of a region ``time_h`` hours after that cycle's injection;
* ``doses``: ``cycle, region, dose_gy[, relative_sd]``: a clinic's absorbed dose of a
  region in one cycle (instead of its activities);
* ``volumes``: ``lesion, time_d, volume_ml[, relative_sd]``: CT/MRI lesion volume
  ``time_d`` days after the first injection.

Every field carries its unit in its name.  Every bad value is a
:class:`simulator.ConfigError` (raised by :func:`simulator.config.rules.fail_patient_file`)
naming the file or table, the row, the field, the value and what is allowed.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config.rules import fail_patient_file
from ..config.schema import LESION_SITES, PatientConfig
from ..nuclides import lu177, nmol_per_gbq

#: organs whose activity SPECT/CT measures (kidneys = cortex + tubular cells together)
ACTIVITY_ORGANS = ("kidneys", "spleen", "liver")
#: organs with a per-cycle absorbed dose (red marrow: blood- or image-based)
DOSE_ORGANS = ("kidneys", "spleen", "liver", "red_marrow")

#: optional covariates of the file -> config path (bounds from the schema)
COVARIATES = {
    "body_mass_kg": "patient.body_mass_kg",
    "hematocrit_fraction": "patient.hematocrit",
    "plasma_volume_l": "patient.plasma_volume_l",
    "gfr_ml_per_min": "patient.gfr_ml_per_min",
    "kidney_mass_g": "patient.kidney_mass_g",
    "spleen_mass_g": "patient.spleen_mass_g",
    "liver_mass_g": "patient.liver_mass_g",
    "red_marrow_mass_g": "patient.red_marrow_mass_g",
}
TOP_KEYS = ("patient_id", "source", "renal_risk_factors", "who_grade", "ki67_percent",
            "cycles", "lesions", "activities", "doses", "volumes", *COVARIATES)
REQUIRED_KEYS = ("patient_id", "cycles", "lesions")

#: columns of each table: (required, optional)
COLUMNS = {
    "cycles": (("cycle", "injection_time_d", "activity_gbq"), ("peptide_nmol", "given")),
    "lesions": (("lesion", "site"), ("volume_ml", "suv_max")),
    "activities": (("cycle", "region", "time_h", "activity_mbq"), ("relative_sd",)),
    "doses": (("cycle", "region", "dose_gy"), ("relative_sd",)),
    "volumes": (("lesion", "time_d", "volume_ml"), ("relative_sd",)),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MAX_CYCLES = 12
_MAX_RELATIVE_SD = 2.0


@dataclass(frozen=True)
class Cycle:
    number: int
    injection_time_d: float     # days after the first injection
    activity_gbq: float
    peptide_nmol: float | None  # None: the config's therapy.peptide_nmol
    given: bool                 # False: planned (no measurement can belong to it)


@dataclass(frozen=True)
class Lesion:
    name: str
    site: str
    volume_ml: float | None     # baseline (CT/MRI before the first injection); None: not
                                # known, drawn from the prior's lesion volumes (no lesion
                                # measurement may then refer to it)
    suv_max: float | None       # SSTR-PET SUVmax at baseline (recorded, not used: see docs)


@dataclass(frozen=True)
class Activity:
    row: int
    cycle: int
    region: str
    time_h: float               # after that cycle's injection
    activity_mbq: float
    relative_sd: float | None


@dataclass(frozen=True)
class Dose:
    row: int
    cycle: int
    region: str
    dose_gy: float
    relative_sd: float | None


@dataclass(frozen=True)
class Volume:
    row: int
    lesion: str
    time_d: float               # after the first injection
    volume_ml: float
    relative_sd: float | None


@dataclass(frozen=True)
class PatientFile:
    """A validated measurement file."""

    patient_id: str
    source: str
    covariates: dict[str, float]         # config path -> value (known, fixed in every twin)
    renal_risk_factors: bool | None
    who_grade: int | None
    ki67_percent: float | None
    cycles: tuple[Cycle, ...]
    lesions: tuple[Lesion, ...]
    activities: tuple[Activity, ...]
    doses: tuple[Dose, ...]
    volumes: tuple[Volume, ...]
    path: str = ""

    @property
    def lesion_names(self) -> tuple[str, ...]:
        return tuple(lesion.name for lesion in self.lesions)

    @property
    def given_cycles(self) -> tuple[Cycle, ...]:
        return tuple(c for c in self.cycles if c.given)

    @property
    def injection_times_h(self) -> list[float]:
        return [24.0 * c.injection_time_d for c in self.cycles]

    @property
    def n_measurements(self) -> int:
        return len(self.activities) + len(self.doses) + len(self.volumes)

    def replace(self, **changes) -> PatientFile:
        return dataclasses.replace(self, **changes)


# --- reading -------------------------------------------------------------------------------

def load_patient(path: str | Path) -> PatientFile:
    """Read and validate a patient file (YAML; tables inline or in CSV files beside it)."""
    path = Path(path)
    if not path.is_file():
        fail_patient_file(str(path), "file", str(path), "no such file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        fail_patient_file(path.name, "YAML", str(exc).splitlines()[0], "not valid YAML")
    return parse_patient(data, base_dir=path.parent, name=path.name, path=str(path))


def _table(data: dict, key: str, base_dir: Path | None, name: str) -> tuple[str, list[dict]]:
    """(source name for messages, rows) of a table given inline or as a CSV file name."""
    value = data.get(key)
    if value is None:
        return f"{name} {key}", []
    if isinstance(value, str):
        if base_dir is None:
            fail_patient_file(name, key, value, "a CSV file needs a patient file on disk")
        csv_path = (base_dir / value)
        if not csv_path.is_file():
            fail_patient_file(name, key, value, f"no such CSV file beside {name}")
        with csv_path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            columns = [c.strip() for c in header]
            repeated = sorted({c for c in columns if columns.count(c) > 1})
            if repeated:
                fail_patient_file(value, "header", ",".join(columns),
                                  f"column(s) {repeated} appear more than once")
            _check_columns(value, key, columns)
            rows = []
            for index, fields in enumerate(reader, start=1):
                if not fields:                      # a blank line
                    continue
                if len(fields) != len(columns):
                    # a missing cell or a decimal comma ("12,5") must not shift or drop a
                    # value silently; an empty cell ("liver_1,liver,") is a missing value
                    fail_patient_file(value, "row", ",".join(fields),
                                      f"{len(fields)} fields where the header has "
                                      f"{len(columns)} ({', '.join(columns)}); write a "
                                      "decimal point, not a comma, and leave a cell empty "
                                      "rather than out", index)
                rows.append({c: (v.strip() or None) for c, v in zip(columns, fields,
                                                                      strict=True)})
        return value, rows
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        fail_patient_file(name, key, value, "expected a list of mappings (one per row) or the "
                                            "name of a CSV file")
    source = f"{name} {key}"
    for index, row in enumerate(value, start=1):
        _check_columns(source, key, list(row), row=index)
    return source, list(value)


def _check_columns(source: str, key: str, columns: list[str], row: int | None = None) -> None:
    required, optional = COLUMNS[key]
    for column in columns:
        if column not in required + optional:
            fail_patient_file(source, column, column, f"unknown column; {key} takes "
                                                      f"{list(required + optional)}", row)
    for column in required:
        if column not in columns:
            fail_patient_file(source, column, "missing", f"a required column of {key} "
                                                         f"({list(required)})", row)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _float(source: str, row: int | None, field: str, value: Any, lo: float, hi: float,
           unit: str, lo_open: bool = False, optional: bool = False) -> float | None:
    """A finite number within [lo, hi] (lo excluded with ``lo_open``)."""
    if _missing(value):
        if optional:
            return None
        fail_patient_file(source, field, "missing", "a value is required", row)
    if isinstance(value, bool):
        fail_patient_file(source, field, value, "expected a number", row)
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail_patient_file(source, field, value, "expected a number", row)
    u = f" {unit}" if unit else ""
    if not math.isfinite(number) or number < lo or number > hi or (lo_open and number == lo):
        allowed = (f"allowed range is {lo:g} {'<' if lo_open else '<='} {field} <= {hi:g}{u}")
        if number < 0 and lo >= 0:
            allowed = f"cannot be negative; {allowed}"
        fail_patient_file(source, field, value, allowed, row)
    return number


def _int(source: str, row: int | None, field: str, value: Any, lo: int, hi: int) -> int:
    number = _float(source, row, field, value, lo, hi, "")
    if number != int(number):
        fail_patient_file(source, field, value, "expected a whole number", row)
    return int(number)


def _bool(source: str, row: int | None, field: str, value: Any, default: bool) -> bool:
    if _missing(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    fail_patient_file(source, field, value, "expected true or false", row)


def _name(source: str, row: int | None, field: str, value: Any, allowed: tuple[str, ...],
          what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        fail_patient_file(source, field, value, f"{what}: one of {list(allowed)}", row)
    return value


def _schema_bounds(path: str) -> tuple[float, float, bool, str]:
    name = path.split(".")[1]
    meta = next(f.metadata for f in dataclasses.fields(PatientConfig) if f.name == name)
    lo, hi, lo_open, _ = meta["bounds"]
    return lo, hi, lo_open, meta.get("unit", "")


def parse_patient(data: Any, base_dir: Path | None = None, name: str = "patient file",
                  path: str = "") -> PatientFile:
    """Validate the parsed YAML of a patient file (see the module docstring)."""
    if not isinstance(data, dict):
        fail_patient_file(name, "file", type(data).__name__, "expected a mapping of keys")
    for key in data:
        if key not in TOP_KEYS:
            fail_patient_file(name, key, data[key], f"unknown key; allowed keys are "
                                                    f"{sorted(TOP_KEYS)}")
    for key in REQUIRED_KEYS:
        if _missing(data.get(key)):
            fail_patient_file(name, key, "missing", "a required key")
    patient_id = data["patient_id"]
    if not isinstance(patient_id, str | int):
        fail_patient_file(name, "patient_id", patient_id, "expected a text or a number")
    covariates = {}
    for key, cfg_path in COVARIATES.items():
        if key in data:
            lo, hi, lo_open, unit = _schema_bounds(cfg_path)
            covariates[cfg_path] = _float(name, None, key, data[key], lo, hi, unit, lo_open)
    risk = data.get("renal_risk_factors")
    risk = None if risk is None else _bool(name, None, "renal_risk_factors", risk, False)
    grade = data.get("who_grade")
    grade = None if grade is None else _int(name, None, "who_grade", grade, 1, 3)
    ki67 = _float(name, None, "ki67_percent", data.get("ki67_percent"), 0.0, 100.0, "%",
                  optional=True)
    cycles = _parse_cycles(*_table(data, "cycles", base_dir, name))
    lesions = _parse_lesions(*_table(data, "lesions", base_dir, name))
    # lesion measurements need the baseline volume (error model, relative change)
    names = tuple(lesion.name for lesion in lesions if lesion.volume_ml is not None)
    unknown = tuple(lesion.name for lesion in lesions if lesion.volume_ml is None)
    activities = _parse_activities(*_table(data, "activities", base_dir, name), cycles, names,
                                   unknown)
    doses = _parse_doses(*_table(data, "doses", base_dir, name), cycles, names, activities,
                         unknown)
    volumes = _parse_volumes(*_table(data, "volumes", base_dir, name), names, unknown)
    return PatientFile(patient_id=str(patient_id), source=str(data.get("source") or ""),
                       covariates=covariates, renal_risk_factors=risk, who_grade=grade,
                       ki67_percent=ki67, cycles=cycles, lesions=lesions, activities=activities,
                       doses=doses, volumes=volumes, path=path)


def _parse_cycles(source: str, rows: list[dict]) -> tuple[Cycle, ...]:
    if not rows:
        fail_patient_file(source, "cycles", "empty", "at least one cycle")
    if len(rows) > _MAX_CYCLES:
        fail_patient_file(source, "cycles", len(rows), f"at most {_MAX_CYCLES} cycles")
    cycles: list[Cycle] = []
    for index, row in enumerate(rows, start=1):
        number = _int(source, index, "cycle", row.get("cycle"), 1, _MAX_CYCLES)
        if number != index:
            fail_patient_file(source, "cycle", row.get("cycle"),
                              f"cycles are numbered 1, 2, ... in order: expected {index}", index)
        time_d = _float(source, index, "injection_time_d", row.get("injection_time_d"),
                        0.0, 3650.0, "d")
        if index == 1 and time_d != 0.0:
            fail_patient_file(source, "injection_time_d", row.get("injection_time_d"),
                              "the first cycle is day 0 (times count from the first injection)",
                              index)
        if cycles and time_d <= cycles[-1].injection_time_d:
            fail_patient_file(source, "injection_time_d", row.get("injection_time_d"),
                              f"times out of order: must be after cycle {index - 1} "
                              f"(day {cycles[-1].injection_time_d:g})", index)
        activity = _float(source, index, "activity_gbq", row.get("activity_gbq"), 0.0, 30.0,
                          "GBq", lo_open=True)
        peptide = _float(source, index, "peptide_nmol", row.get("peptide_nmol"), 0.0, 5000.0,
                         "nmol", optional=True)
        hot_nmol = activity * nmol_per_gbq(lu177())
        if peptide is not None and peptide < hot_nmol:
            fail_patient_file(source, "peptide_nmol", row.get("peptide_nmol"),
                              f"must be at least the 177Lu-labelled amount, {hot_nmol:.3g} nmol "
                              f"for {activity:g} GBq (carrier-free limit)", index)
        given = _bool(source, index, "given", row.get("given"), True)
        if given and cycles and not cycles[-1].given:
            fail_patient_file(source, "given", row.get("given"),
                              f"a given cycle cannot follow a planned one (cycle {index - 1} "
                              "is planned)", index)
        cycles.append(Cycle(number, time_d, activity, peptide, given))
    if not cycles[0].given:
        fail_patient_file(source, "given", rows[0].get("given"),
                          "the first cycle must be given (a prediction updates a treated "
                          "patient)", 1)
    return tuple(cycles)


def _parse_lesions(source: str, rows: list[dict]) -> tuple[Lesion, ...]:
    if not rows:
        fail_patient_file(source, "lesions", "empty", "at least one lesion")
    lesions: list[Lesion] = []
    reserved = set(ACTIVITY_ORGANS) | set(DOSE_ORGANS)
    for index, row in enumerate(rows, start=1):
        name = row.get("lesion")
        if not isinstance(name, str) or not _NAME.match(name) or name in reserved:
            fail_patient_file(source, "lesion", name,
                              "a name of lower-case letters, digits and _ starting with a "
                              f"letter, not an organ ({sorted(reserved)})", index)
        if name in (lesion.name for lesion in lesions):
            fail_patient_file(source, "lesion", name, "lesion names must be unique", index)
        site = _name(source, index, "site", row.get("site"), LESION_SITES, "a lesion site")
        volume = _float(source, index, "volume_ml", row.get("volume_ml"), 0.0, 5000.0, "mL",
                        lo_open=True, optional=True)
        suv = _float(source, index, "suv_max", row.get("suv_max"), 0.0, 1000.0, "",
                     lo_open=True, optional=True)
        lesions.append(Lesion(name, site, volume, suv))
    return tuple(lesions)


def _relative_sd(source: str, index: int, row: dict) -> float | None:
    return _float(source, index, "relative_sd", row.get("relative_sd"), 0.0, _MAX_RELATIVE_SD,
                  "", lo_open=True, optional=True)


def _not_unmeasured(source: str, index: int, field: str, value: Any,
                    unknown: tuple[str, ...]) -> None:
    if value in unknown:
        fail_patient_file(source, field, value,
                          f"lesion {value!r} has no baseline volume_ml in the lesions table: "
                          "its measurements need it (give the baseline CT/MRI volume)", index)


def _measured_cycle(source: str, index: int, value: Any, cycles: tuple[Cycle, ...]) -> Cycle:
    number = _int(source, index, "cycle", value, 1, _MAX_CYCLES)
    if number > len(cycles):
        fail_patient_file(source, "cycle", value, f"no such cycle (the file has "
                                                  f"{len(cycles)})", index)
    cycle = cycles[number - 1]
    if not cycle.given:
        fail_patient_file(source, "cycle", value, "a planned cycle has no measurements "
                                                  "(mark it given: true)", index)
    return cycle


def _parse_activities(source: str, rows: list[dict], cycles: tuple[Cycle, ...],
                      lesion_names: tuple[str, ...],
                      unknown: tuple[str, ...] = ()) -> tuple[Activity, ...]:
    out: list[Activity] = []
    last: dict[tuple[int, str], float] = {}
    regions = ACTIVITY_ORGANS + lesion_names
    decay_per_h = lu177().decay_constant_per_h
    for index, row in enumerate(rows, start=1):
        cycle = _measured_cycle(source, index, row.get("cycle"), cycles)
        _not_unmeasured(source, index, "region", row.get("region"), unknown)
        region = _name(source, index, "region", row.get("region"), regions,
                       "an organ with SPECT/CT activity or a lesion of the file")
        nxt = cycles[cycle.number].injection_time_d if cycle.number < len(cycles) else None
        span_h = 24.0 * (nxt - cycle.injection_time_d) if nxt is not None else 24.0 * 365
        time_h = _float(source, index, "time_h", row.get("time_h"), 0.0, span_h, "h",
                        lo_open=True)
        key = (cycle.number, region)
        if key in last and time_h <= last[key]:
            fail_patient_file(source, "time_h", row.get("time_h"),
                              f"times out of order: after {last[key]:g} h, the previous row "
                              f"of cycle {cycle.number}, {region}", index)
        last[key] = time_h
        activity = _float(source, index, "activity_mbq", row.get("activity_mbq"), 0.0, 1e5,
                          "MBq", lo_open=True)
        left_mbq = 1000.0 * cycle.activity_gbq * math.exp(-decay_per_h * time_h)
        if activity > left_mbq:
            fail_patient_file(source, "activity_mbq", row.get("activity_mbq"),
                              f"above the injected activity of cycle {cycle.number} "
                              f"({1000 * cycle.activity_gbq:g} MBq), decayed to {time_h:g} h: "
                              f"{left_mbq:.4g} MBq (MBq, not kBq?)", index)
        out.append(Activity(index, cycle.number, region, time_h, activity,
                            _relative_sd(source, index, row)))
    return tuple(out)


def _parse_doses(source: str, rows: list[dict], cycles: tuple[Cycle, ...],
                 lesion_names: tuple[str, ...], activities: tuple[Activity, ...],
                 unknown: tuple[str, ...] = ()) -> tuple[Dose, ...]:
    out: list[Dose] = []
    seen: set[tuple[int, str]] = set()
    with_activity = {(a.cycle, a.region) for a in activities}
    regions = DOSE_ORGANS + lesion_names
    for index, row in enumerate(rows, start=1):
        cycle = _measured_cycle(source, index, row.get("cycle"), cycles)
        _not_unmeasured(source, index, "region", row.get("region"), unknown)
        region = _name(source, index, "region", row.get("region"), regions,
                       "an organ with a dose or a lesion of the file")
        key = (cycle.number, region)
        if key in seen:
            fail_patient_file(source, "region", region, f"a second dose of cycle "
                                                        f"{cycle.number}, {region}", index)
        if key in with_activity:
            fail_patient_file(source, "region", region,
                              f"cycle {cycle.number}, {region} also has activities: the dose "
                              "is derived from them, so give one or the other (the same data "
                              "must not count twice)", index)
        seen.add(key)
        dose = _float(source, index, "dose_gy", row.get("dose_gy"), 0.0, 1000.0, "Gy",
                      lo_open=True)
        out.append(Dose(index, cycle.number, region, dose, _relative_sd(source, index, row)))
    return tuple(out)


def _parse_volumes(source: str, rows: list[dict], lesion_names: tuple[str, ...],
                   unknown: tuple[str, ...] = ()) -> tuple[Volume, ...]:
    out: list[Volume] = []
    last: dict[str, float] = {}
    for index, row in enumerate(rows, start=1):
        _not_unmeasured(source, index, "lesion", row.get("lesion"), unknown)
        lesion = _name(source, index, "lesion", row.get("lesion"), lesion_names,
                       "a lesion of the file")
        time_d = _float(source, index, "time_d", row.get("time_d"), 0.0, 7300.0, "d",
                        lo_open=True)
        if lesion in last and time_d <= last[lesion]:
            fail_patient_file(source, "time_d", row.get("time_d"),
                              f"times out of order: after day {last[lesion]:g}, the previous "
                              f"row of {lesion}", index)
        last[lesion] = time_d
        volume = _float(source, index, "volume_ml", row.get("volume_ml"), 0.0, 5000.0, "mL",
                        lo_open=True)
        out.append(Volume(index, lesion, time_d, volume, _relative_sd(source, index, row)))
    return tuple(out)


def check_against_config(patient: PatientFile, follow_up_months: float) -> None:
    """Checks that need the run's config: follow-up volumes within the simulated follow-up."""
    from ..units import HOURS_PER_MONTH

    limit_d = follow_up_months * HOURS_PER_MONTH / 24.0
    for v in patient.volumes:
        if v.time_d > limit_d:
            fail_patient_file(f"{Path(patient.path).name or 'patient file'} volumes", "time_d",
                              v.time_d, f"after the simulated follow-up of "
                                        f"{follow_up_months:g} months ({limit_d:.0f} d); "
                                        "raise response.follow_up_months", v.row)
