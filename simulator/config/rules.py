"""The rules a configuration must obey, and the one place that raises ``ConfigError``.

Every invalid-input message of the package comes from :func:`fail`: the field (dotted
config path), the value, and what is allowed.  Rules that link several fields are small
named functions over per-patient arrays, so that the same rule that holds for the config's
values holds for every sampled virtual patient (:func:`check_patients`): a cohort that
samples ``therapy.peptide_nmol`` or ``pk.tumour.vascular_fraction`` is checked patient by
patient, before any computation, and the message names the patient.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..nuclides import lu177, nmol_per_gbq
from ..units import HOURS_PER_MONTH, HOURS_PER_WEEK, birth_rate_per_h, growth_rate_per_h
from .schema import PKConfig, TissuePK

#: a per-patient getter: dotted path -> values, one per patient (shape (n,))
Getter = Callable[[str], np.ndarray]

#: PBPK tissues whose vascular and interstitial fractions share one tissue volume: the
#: ``TissuePK`` sections of the schema's ``pk`` group
PK_TISSUES = tuple(name for name, hint in typing.get_type_hints(PKConfig).items()
                   if hint is TissuePK)


def fail(field: str, value: Any, allowed: str) -> None:
    """Raise :class:`ConfigError` naming ``field``, ``value`` and what is allowed."""
    raise ConfigError(f"Invalid configuration: {field} = {value!r}; {allowed}.")


def fail_message(message: str) -> None:
    """Raise :class:`ConfigError` with a message that already names the field (Hydra's)."""
    raise ConfigError(f"Invalid configuration: {message}")


def fail_in_context(exc: ConfigError, context: str) -> None:
    """Raise ``exc`` again with ``context`` appended (e.g. the grid point it came from)."""
    raise ConfigError(f"{exc} ({context})") from exc


def describe_bounds(path: str, bounds: tuple, unit: str = "") -> str:
    """``allowed range is lo <= path <= hi unit`` (``<`` for open bounds)."""
    lo, hi, lo_open, hi_open = bounds
    u = f" {unit}" if unit else ""
    return (f"allowed range is {lo:g} {'<' if lo_open else '<='} {path} "
            f"{'<' if hi_open else '<='} {hi:g}{u}")


def out_of_bounds(values, bounds: tuple) -> np.ndarray:
    """Mask of values outside ``bounds = (lo, hi, lo_open, hi_open)`` or not finite."""
    v = np.asarray(values, dtype=float)
    lo, hi, lo_open, hi_open = bounds
    bad = (v < lo) | (v > hi) | (lo_open & (v == lo)) | (hi_open & (v == hi))
    return bad | ~np.isfinite(v)


def check_bounds(field: str, values, meta: dict, path: str | None = None,
                 first_patient: int | None = None, hint: str = "") -> None:
    """Fail for the first value outside the field's ``bounds`` (scalar or per patient)."""
    bounds = meta.get("bounds")
    if bounds is None:
        return
    v = np.atleast_1d(np.asarray(values, dtype=float))
    bad = out_of_bounds(v, bounds)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        allowed = describe_bounds(path or field, bounds, meta.get("unit", ""))
        if first_patient is not None:
            allowed = f"patient {first_patient + k} drew a value outside it: {allowed}{hint}"
        value = values if first_patient is None and np.ndim(values) == 0 else float(v[k])
        fail(field, value, allowed)


# --- cross-field rules: each returns (field, values, bad mask, what is allowed) ----------

def peptide_covers_labelled_amount(get: Getter):
    """The injected peptide includes the 177Lu-labelled molecules (carrier-free limit)."""
    activity, peptide = get("therapy.activity_gbq"), get("therapy.peptide_nmol")
    hot_nmol = activity * nmol_per_gbq(lu177())
    return ("therapy.peptide_nmol", peptide, peptide < hot_nmol,
            lambda k: (f"must be at least the amount of 177Lu-labelled peptide, "
                       f"{hot_nmol[k]:.3g} nmol for therapy.activity_gbq = {activity[k]:g} GBq "
                       "(carrier-free limit)"))


def birth_rate_covers_growth(get: Getter):
    """The clonogen birth rate ln2/T_pot is at least the net growth rate (death rate >= 0)."""
    growth_pct = get("tumour.volume_growth_percent_per_month")
    t_pot = get("tumour.potential_doubling_time_d")
    birth = np.where(np.isnan(t_pot), 0.0, birth_rate_per_h(np.nan_to_num(t_pot, nan=1.0)))
    bad = growth_rate_per_h(growth_pct) > birth * (1.0 + 1e-12)
    return ("tumour.potential_doubling_time_d", t_pot, bad,
            lambda k: ("the clonogen birth rate ln2/T_pot must be at least the net growth rate "
                       f"of tumour.volume_growth_percent_per_month = {growth_pct[k]:g} (the "
                       "death rate cannot be negative; no T_pot means no proliferation)"))


def tissue_fractions_below_one(tissue: str):
    """Vascular and interstitial fractions of a PBPK tissue leave room for its cells."""
    def rule(get: Getter):
        total = get(f"pk.{tissue}.vascular_fraction") + get(f"pk.{tissue}.interstitial_fraction")
        return (f"pk.{tissue}.vascular_fraction + pk.{tissue}.interstitial_fraction", total,
                total >= 1.0, lambda k: "the two fractions of tissue volume must sum to less "
                                        "than 1")
    rule.__name__ = f"{tissue}_fractions_below_one"
    return rule


PATIENT_RULES = (peptide_covers_labelled_amount, birth_rate_covers_growth,
                 *(tissue_fractions_below_one(t) for t in PK_TISSUES))


class SampledField(Exception):   # noqa: N818 (a signal, not an error)
    """Raised by a config getter for a field the cohort samples: the rule is checked per
    patient instead, since the config's own value of that field is never used."""


def check_patients(get: Getter, n: int, first_patient: int | None = None) -> None:
    """Apply every cross-field rule to ``n`` patients (``first_patient`` None: the config)."""
    for rule in PATIENT_RULES:
        try:
            field, values, bad, allowed = rule(get)
        except SampledField:
            continue
        bad = np.broadcast_to(bad, (n,))
        if np.any(bad):
            k = int(np.flatnonzero(bad)[0])
            value = float(np.broadcast_to(values, (n,))[k])
            if first_patient is None:
                fail(field, value, allowed(k))
            fail(field, value, f"patient {first_patient + k} (sampled by cohort.parameters) "
                               f"breaks the rule: {allowed(k)}")


def check_gompertz_capacity(max_volume_ml: np.ndarray, cell_volume_ml: np.ndarray,
                            present: np.ndarray, lesion_names, first_patient: int = 0) -> None:
    """A Gompertz carrying capacity exceeds the cell volume of every lesion of a patient."""
    bad = present & (max_volume_ml[:, None] <= cell_volume_ml)
    if np.any(bad):
        p, k = np.argwhere(bad)[0]
        fail("tumour.gompertz_max_volume_ml", float(max_volume_ml[p]),
             f"must exceed the cell volume of every lesion, {cell_volume_ml[p, k]:g} mL for "
             f"lesion {lesion_names[k]} of patient {first_patient + p}")


# --- run-level rules (the same for every patient) -----------------------------------------

#: what a results file name may be: outputs stay inside the run folder
FILE_NAME_RULE = ("a plain file name ending in .nc, written inside the run folder: not empty, "
                  "no path separator (/ or \\), not . or .., no control characters "
                  "or surrounding spaces")


def normalised_name(name: str) -> str:
    """A file name as a file system may compare it (Unicode NFC, case folded)."""
    import unicodedata

    return unicodedata.normalize("NFC", name).casefold()


#: longest output file name: the temporary file ``.<name>.<random>.tmp`` must still fit in
#: the usual 255-byte limit of a file name
MAX_FILE_NAME_BYTES = 200


def check_file_name(field: str, name) -> None:
    """``name`` is a plain ``*.nc`` file name (no folder), so outputs stay in the run folder."""
    if not isinstance(name, str):
        fail(field, name, f"expected {FILE_NAME_RULE}")
    bad = (name in ("", ".", "..") or "/" in name or "\\" in name
           or any(ord(c) < 32 or ord(c) == 127 for c in name)
           or not name.endswith(".nc") or name == ".nc" or name != name.strip())
    if bad:
        fail(field, name, f"expected {FILE_NAME_RULE}")
    if len(name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
        fail(field, name, f"at most {MAX_FILE_NAME_BYTES} bytes (the atomic write adds a "
                          "temporary name of up to 255 bytes beside it)")


def check_run_level(cfg: dict) -> None:
    """Output, response-schedule and plotting rules of a whole run."""
    import importlib.util

    output = cfg["output"]
    if output["plots"] and importlib.util.find_spec("matplotlib") is None:
        fail("output.plots", True, "needs matplotlib: pip install 'prrt-simulator[plots]'")
    for key in ("plots", "save_timeseries"):
        if output[key] and not output["per_patient"]:
            fail(f"output.{key}", True, "needs per-patient results: set output.per_patient=true")
    if cfg.get("grid") and not output["per_patient"]:
        fail("output.per_patient", False, "a grid run needs per-patient results: set "
                                          "output.per_patient=true")
    for key in ("filename", "summary_filename"):
        check_file_name(f"output.{key}", output[key])
    if normalised_name(output["summary_filename"]) == normalised_name(output["filename"]):
        fail("output.summary_filename", output["summary_filename"],
             f"must differ from output.filename = {output['filename']!r} (compared without "
             "case, as on macOS and Windows file systems)")
    response = cfg["response"]
    interval_months = response["assessment_interval_weeks"] * HOURS_PER_WEEK / HOURS_PER_MONTH
    if response["follow_up_months"] < interval_months:
        fail("response.follow_up_months", response["follow_up_months"],
             f"must cover at least one assessment, i.e. be >= "
             f"response.assessment_interval_weeks = {response['assessment_interval_weeks']} "
             f"weeks ({interval_months:.3g} months)")


# --- patient measurement files (simulator.personal) ----------------------------------------

def fail_patient_file(source: str, field: str, value: Any, allowed: str,
                      row: int | None = None) -> None:
    """Raise :class:`ConfigError` for a bad entry of a patient measurement file, naming the
    file (or table), the row (1-based data row, as in a spreadsheet below its header), the
    field, the value and what is allowed."""
    where = source if row is None else f"{source} row {row}"
    raise ConfigError(f"Invalid patient file: {where}: {field} = {value!r}; {allowed}.")
