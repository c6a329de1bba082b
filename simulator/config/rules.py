"""The rules a configuration must obey, and the one place that raises ``ConfigError``.

Every invalid-input message of the package comes from :func:`fail`: the field (dotted
config path), the value, and what is allowed.  Rules that link several fields are small
named functions over per-patient arrays, so that the same rule that holds for the config's
values holds for every sampled virtual patient (:func:`check_patients`): a cohort that
samples ``therapy.peptide_nmol`` or ``pk.tumour.vascular_fraction`` is checked patient by
patient, before any computation, and the message names the patient.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..nuclides import lu177, nmol_per_gbq
from ..units import HOURS_PER_MONTH, HOURS_PER_WEEK, birth_rate_per_h, growth_rate_per_h
from .dotted import strip_optional
from .schema import LIMIT_NAMES, Config, PKConfig, TherapyConfig, TissuePK

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


def check_patients(get: Getter, n: int, first_patient: int | None = None,
                   sampled_by: str = "cohort.parameters") -> None:
    """Apply every cross-field rule to ``n`` patients (``first_patient`` None: the config);
    ``sampled_by`` names the config section that set the patients' values."""
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
            fail(field, value, f"patient {first_patient + k} (sampled by {sampled_by}) "
                               f"breaks the rule: {allowed(k)}")


def _leaf_meta(path: str) -> dict:
    """Schema metadata (``bounds``, ``unit``) of a numeric config field."""
    hint: Any = Config
    meta: dict = {}
    for part in path.split("."):
        fields = {f.name: f for f in dataclasses.fields(hint)}
        hint, meta = strip_optional(typing.get_type_hints(hint)[part]), dict(fields[part].metadata)
    return meta


def check_lesion_values(alpha_per_gy: np.ndarray, alpha_factor: np.ndarray,
                        growth_percent_per_month: np.ndarray, growth_offset: np.ndarray,
                        t_pot_d: np.ndarray, present: np.ndarray, lesion_names,
                        first_patient: int = 0) -> None:
    """Lesion-level tumour alpha (patient's (n,) times the lesion's factor (n, L)) and net
    growth (patient's plus the lesion's offset, ``cohort.lesions``) within the bounds of
    their fields, and growth no faster than the clonogen birth rate ln2/T_pot
    (:func:`birth_rate_covers_growth`)."""
    alpha = alpha_per_gy[:, None] * alpha_factor
    growth = growth_percent_per_month[:, None] + growth_offset
    checks = []
    for path, field, factor, value in (
            ("radiobiology.tumour_alpha_per_gy", "alpha_factor", alpha_factor, alpha),
            ("tumour.volume_growth_percent_per_month", "growth_offset_percent_per_month",
             growth_offset, growth)):
        meta = _leaf_meta(path)
        checks.append((field, factor, value, out_of_bounds(value, meta["bounds"]),
                       f"{path} = {{value:g}}; "
                       f"{describe_bounds(path, meta['bounds'], meta.get('unit', ''))}"))
    birth = np.where(np.isnan(t_pot_d), 0.0, birth_rate_per_h(np.nan_to_num(t_pot_d, nan=1.0)))
    in_bounds = np.where(checks[1][3], 0.0, growth)
    checks.append(("growth_offset_percent_per_month", growth_offset, growth,
                   growth_rate_per_h(in_bounds) > birth[:, None] * (1.0 + 1e-12),
                   "tumour.volume_growth_percent_per_month = {value:g}, faster than the clonogen "
                   "birth rate ln2 / tumour.potential_doubling_time_d allows"))
    for field, factor, value, bad, allowed in checks:
        bad = bad & present
        if np.any(bad):
            p, k = np.argwhere(bad)[0]
            fail(f"cohort.lesions.{field}", float(factor[p, k]),
                 f"lesion {lesion_names[k]} of patient {first_patient + p} gets "
                 + allowed.format(value=value[p, k]))


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
    check_limits(cfg)
    check_schedule(cfg)
    check_plan(cfg)
    response = cfg["response"]
    interval_months = response["assessment_interval_weeks"] * HOURS_PER_WEEK / HOURS_PER_MONTH
    if response["follow_up_months"] < interval_months:
        fail("response.follow_up_months", response["follow_up_months"],
             f"must cover at least one assessment, i.e. be >= "
             f"response.assessment_interval_weeks = {response['assessment_interval_weeks']} "
             f"weeks ({interval_months:.3g} months)")
    jitter = cfg["observation"]["visit_jitter_weeks"]
    if jitter >= response["assessment_interval_weeks"] / 2.0:
        fail("observation.visit_jitter_weeks", jitter,
             f"must be below half of response.assessment_interval_weeks = "
             f"{response['assessment_interval_weeks']} weeks, so that visits stay in order")


# --- adaptive schedules, enforced limits, plans (docs/planning.md) --------------------------

#: the therapy keys a plan chooses (``prrt-sim plan``): a cohort may not sample them then
PLANNED_KEYS = ("therapy.activity_gbq", "therapy.n_cycles", "therapy.interval_weeks",
                "therapy.peptide_nmol")


def _sampled(cfg: dict) -> set:
    params = cfg["cohort"]["parameters"]
    return set(params) if isinstance(params, dict) else set()


def _needs_limits(cfg: dict) -> str | None:
    """What keeps the enforced limits in this run (an adaptive schedule, a plan), or None."""
    if cfg["therapy"]["schedule"] != "fixed":
        return f"therapy.schedule={cfg['therapy']['schedule']}"
    return "a plan (prrt-sim plan)" if cfg.get("plan") is not None else None


def check_limits(cfg: dict) -> None:
    """``limits.enforced`` names known limits once each, and is not empty where a schedule
    or a plan has to keep it; the kidney BED limit with risk factors is the lower one."""
    limits = cfg["limits"]
    enforced = limits["enforced"]
    if any(name not in LIMIT_NAMES for name in enforced) or len(set(enforced)) != len(enforced):
        fail("limits.enforced", enforced, f"expected distinct names from {list(LIMIT_NAMES)}")
    user = _needs_limits(cfg)
    if user and not enforced:
        fail("limits.enforced", enforced, f"{user} keeps the enforced limits: name at least one "
                                          f"of {list(LIMIT_NAMES)}")
    if limits["kidney_bed_gy_with_risk_factors"] > limits["kidney_bed_gy"]:
        fail("limits.kidney_bed_gy_with_risk_factors", limits["kidney_bed_gy_with_risk_factors"],
             f"must not exceed limits.kidney_bed_gy = {limits['kidney_bed_gy']:g} Gy (renal risk "
             "factors lower the kidneys' tolerance, Bodei 2008)")


def _check_activity_bounds(cfg: dict) -> None:
    therapy = cfg["therapy"]
    if therapy["min_activity_gbq"] > therapy["max_activity_gbq"]:
        fail("therapy.max_activity_gbq", therapy["max_activity_gbq"],
             f"must be at least therapy.min_activity_gbq = {therapy['min_activity_gbq']:g} GBq: "
             "these bounds exclude every activity")


def _labelled_nmol(activity_gbq: float) -> float:
    return activity_gbq * nmol_per_gbq(lu177())


def check_schedule(cfg: dict) -> None:
    """An adaptive schedule (``therapy.schedule``) has a first cycle to measure, and a
    personalised activity has cycles to set and bounds that leave some activity."""
    therapy = cfg["therapy"]
    schedule = therapy["schedule"]
    if schedule == "fixed":
        return
    sampled = _sampled(cfg)
    if "therapy.activity_gbq" not in sampled and therapy["activity_gbq"] <= 0.0:
        fail("therapy.activity_gbq", therapy["activity_gbq"],
             f"therapy.schedule={schedule} measures the dose of a first cycle: its activity must "
             "be > 0")
    for key in ("therapy.n_cycles", "therapy.interval_weeks"):
        if key in sampled:
            fail(f"cohort.parameters.{key}", key, f"therapy.schedule={schedule} sets the cycles "
                                                  "itself: the cohort cannot sample them")
    if schedule != "personalised_activity":
        return
    if therapy["n_cycles"] < 2:
        fail("therapy.n_cycles", therapy["n_cycles"], "personalised_activity sets the activity of "
             "the cycles after the first (dosimetry) cycle: at least 2 cycles")
    _check_activity_bounds(cfg)
    need = _labelled_nmol(therapy["max_activity_gbq"])
    if "therapy.peptide_nmol" not in sampled and therapy["peptide_nmol"] < need:
        fail("therapy.peptide_nmol", therapy["peptide_nmol"],
             f"must be at least the 177Lu-labelled peptide of therapy.max_activity_gbq = "
             f"{therapy['max_activity_gbq']:g} GBq, {need:.3g} nmol (carrier-free limit)")


def _check_candidates(key: str, values) -> None:
    """``plan.<key>``: a non-empty list of distinct values, each valid for ``therapy.<key>``."""
    field_ = f"plan.{key}"
    if not isinstance(values, list) or not values:
        fail(field_, values, "expected a non-empty list of candidate values")
    meta = next(f.metadata for f in dataclasses.fields(TherapyConfig) if f.name == key)
    integer = typing.get_type_hints(TherapyConfig)[key] is int
    allowed = describe_bounds(f"therapy.{key}", meta["bounds"], meta["unit"])
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                integer and not isinstance(value, int)):
            fail(field_, values, f"expected a list of {'integers' if integer else 'numbers'}")
        if out_of_bounds(value, meta["bounds"]):
            fail(field_, values, f"{value!r} is outside the range of therapy.{key}: {allowed}")
    if len(set(values)) != len(values):
        fail(field_, values, "the values must be distinct")


def check_plan(cfg: dict) -> None:
    """A plan (``prrt-sim plan``) searches fixed schedules within bounds that leave at least
    one plan; its outputs are valid file names."""
    plan = cfg.get("plan")
    if plan is None:
        return
    therapy = cfg["therapy"]
    if therapy["schedule"] != "fixed":
        fail("therapy.schedule", therapy["schedule"], "a plan searches fixed schedules and "
             "compares them with the configured one: set therapy.schedule=fixed")
    if cfg.get("grid"):
        fail("grid", cfg["grid"], "a plan searches its own values (plan.*): leave grid empty")
    if not cfg["output"]["per_patient"]:
        fail("output.per_patient", False, "a plan writes the re-simulation of its patients: set "
                                          "output.per_patient=true")
    for key in sorted(_sampled(cfg) & set(PLANNED_KEYS)):
        fail(f"cohort.parameters.{key}", key, "a plan chooses the therapy: the cohort cannot "
                                              "sample it")
    for key in ("n_cycles", "interval_weeks", "peptide_nmol"):
        _check_candidates(key, plan[key])
    _check_activity_bounds(cfg)
    need = _labelled_nmol(therapy["max_activity_gbq"])
    if min(plan["peptide_nmol"]) < need:
        fail("plan.peptide_nmol", plan["peptide_nmol"],
             f"every value must be at least the 177Lu-labelled peptide of "
             f"therapy.max_activity_gbq = {therapy['max_activity_gbq']:g} GBq, {need:.3g} nmol "
             "(carrier-free limit)")
    check_file_name("plan.filename", plan["filename"])
    for key in ("filename", "summary_filename"):
        if normalised_name(plan["filename"]) == normalised_name(cfg["output"][key]):
            fail("plan.filename", plan["filename"], f"must differ from output.{key} = "
                                                    f"{cfg['output'][key]!r}")


def fail_infeasible(field: str, value, message: str) -> None:
    """A plan found no schedule within its bounds that keeps an enforced limit (found by
    simulation, so after compute): the message names the limit and what was tried."""
    fail(field, value, message)


# --- patient measurement files (simulator.personal) ----------------------------------------

def fail_patient_file(source: str, field: str, value: Any, allowed: str,
                      row: int | None = None) -> None:
    """Raise :class:`ConfigError` for a bad entry of a patient measurement file, naming the
    file (or table), the row (1-based data row, as in a spreadsheet below its header), the
    field, the value and what is allowed."""
    where = source if row is None else f"{source} row {row}"
    raise ConfigError(f"Invalid patient file: {where}: {field} = {value!r}; {allowed}.")
