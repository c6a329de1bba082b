"""Settings of a personal prediction: the prior, the measurement model, the sampler.

Read from ``conf/personal.yaml`` (or any file of that form) and checked before any
compute; every bad value is a :class:`simulator.ConfigError` naming ``personal.<key>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config import config_dir
from ..config.rules import fail

FIELD = "personal"

#: key -> (lo, hi, lo_open) of every number of the settings, by section
_ERRORS = {
    "calibration_sd": (0.0, 2.0, False), "organ_systematic_sd": (0.0, 2.0, False),
    "organ_random_sd": (0.0, 2.0, True), "lesion_systematic_sd_10ml": (0.0, 2.0, False),
    "lesion_random_sd_10ml": (0.0, 2.0, True), "lesion_dose_sd_10ml": (0.0, 2.0, True),
    "volume_sd": (0.0, 2.0, True), "max_sd": (0.0, 5.0, True),
}
_DOSE_REGIONS = ("kidneys", "spleen", "liver", "red_marrow")
_SAMPLER = {
    "n_twins": (10, 10_000_000, False), "pilot_twins": (10, 10_000_000, False),
    "max_rounds": (0, 50, False), "target_ess_fraction": (0.0, 1.0, True),
    "defensive_fraction": (0.0, 1.0, True), "proposal_df": (1.0, 1e6, False),
    "covariance_inflation": (0.1, 100.0, False), "min_ess": (1.0, 1e9, False),
    "z_max": (2.0, 10.0, False), "laplace_starts": (1, 100, False),
    "min_refit_ess": (2.0, 1e9, False),
}
_INTEGERS = ("n_twins", "pilot_twins", "max_rounds", "laplace_starts")


@dataclass(frozen=True)
class MeasurementError:
    calibration_sd: float
    organ_systematic_sd: float
    organ_random_sd: float
    lesion_systematic_sd_10ml: float
    lesion_random_sd_10ml: float
    dose_sd: dict[str, float]
    lesion_dose_sd_10ml: float
    volume_sd: float
    max_sd: float

    def lesion_scale(self, volume_ml: float) -> float:
        """(V / 10 mL)^(-1/3): delineation and partial-volume errors grow for small lesions."""
        return (volume_ml / 10.0) ** (-1.0 / 3.0)

    def capped(self, sd: float) -> float:
        return min(sd, self.max_sd)


@dataclass(frozen=True)
class Sampler:
    n_twins: int
    pilot_twins: int
    max_rounds: int
    target_ess_fraction: float
    defensive_fraction: float
    proposal_df: float
    covariance_inflation: float
    min_ess: float
    z_max: float
    laplace_starts: int
    min_refit_ess: float


@dataclass(frozen=True)
class Settings:
    prior: str
    lesion_intra_patient_gsd: float
    errors: MeasurementError
    sampler: Sampler
    source: str = ""

    def with_sampler(self, **changes) -> Settings:
        from dataclasses import replace

        return replace(self, sampler=replace(self.sampler, **changes))


def default_settings_path() -> Path:
    return config_dir() / "personal.yaml"


def load_settings(path: str | Path | None = None) -> Settings:
    path = Path(path) if path is not None else default_settings_path()
    if not path.is_file():
        fail(FIELD, str(path), "no such settings file")
    return parse_settings(yaml.safe_load(path.read_text()), str(path))


def _number(field: str, value: Any, lo: float, hi: float, lo_open: bool,
            integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        fail(field, value, "expected a finite number")
    if integer and value != int(value):
        fail(field, value, "expected a whole number")
    if value < lo or value > hi or (lo_open and value == lo):
        fail(field, value, f"allowed range is {lo:g} {'<' if lo_open else '<='} {field} "
                           f"<= {hi:g}")
    return int(value) if integer else float(value)


def _section(data: dict, key: str, allowed: tuple[str, ...]) -> dict:
    node = data.get(key)
    if not isinstance(node, dict):
        fail(f"{FIELD}.{key}", node, f"expected a mapping with keys {list(allowed)}")
    for k in node:
        if k not in allowed:
            fail(f"{FIELD}.{key}.{k}", node[k], f"unknown key; allowed are {list(allowed)}")
    for k in allowed:
        if k not in node:
            fail(f"{FIELD}.{key}.{k}", "missing", "a value is required")
    return node


def parse_settings(data: Any, source: str = "") -> Settings:
    top = ("prior", "lesion_intra_patient_gsd", "measurement_error", "sampler")
    if not isinstance(data, dict):
        fail(FIELD, data, f"expected a mapping with keys {list(top)}")
    for key in data:
        if key not in top:
            fail(f"{FIELD}.{key}", data[key], f"unknown key; allowed are {list(top)}")
    prior = data.get("prior")
    if not isinstance(prior, str) or not prior:
        fail(f"{FIELD}.prior", prior, "the name of a cohort config in conf/cohort/")
    gsd = _number(f"{FIELD}.lesion_intra_patient_gsd", data.get("lesion_intra_patient_gsd"),
                  1.0, 20.0, False)
    err = _section(data, "measurement_error", (*_ERRORS, "dose_sd"))
    values = {k: _number(f"{FIELD}.measurement_error.{k}", err[k], *bounds)
              for k, bounds in _ERRORS.items()}
    dose = err["dose_sd"]
    if not isinstance(dose, dict) or set(dose) != set(_DOSE_REGIONS):
        fail(f"{FIELD}.measurement_error.dose_sd", dose,
             f"expected a mapping with keys {list(_DOSE_REGIONS)}")
    values["dose_sd"] = {k: _number(f"{FIELD}.measurement_error.dose_sd.{k}", v, 0.0, 2.0,
                                    True) for k, v in dose.items()}
    smp = _section(data, "sampler", tuple(_SAMPLER))
    sampler = {k: _number(f"{FIELD}.sampler.{k}", smp[k], *bounds, integer=k in _INTEGERS)
               for k, bounds in _SAMPLER.items()}
    return Settings(prior=prior, lesion_intra_patient_gsd=gsd,
                    errors=MeasurementError(**values), sampler=Sampler(**sampler),
                    source=source)
