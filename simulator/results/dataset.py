"""Assemble the xarray Dataset of a run: CF-style attrs, units on every variable."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numba
import numpy as np
import scipy
import xarray as xr
from omegaconf import OmegaConf

from ..dosimetry.dose_map import ORGAN_TARGETS
from ..outcomes import Outcomes, best_decrease, pet_positive_at_baseline
from ..pk.layout import region_names
from ..population import Columns
from ..response.recist import CR, NOT_EVALUABLE, PD, PR, SD
from ..runner import CourseResult
from ..units import HOURS_PER_MONTH

#: long names of the organ dose variables, by target
_ORGAN_VARS = {"kidneys": "kidney", "spleen": "spleen", "liver": "liver", "red_marrow": "marrow"}
_FLAG_VALUES = (NOT_EVALUABLE, CR, PR, SD, PD)
_FLAG_MEANINGS = "not_evaluable CR PR SD PD"


def package_version() -> str:
    try:
        return version("prrt-simulator")
    except PackageNotFoundError:
        return "unknown"


def git_revision() -> str:
    """Git commit of the source tree, with ``-dirty`` if modified; ``unknown`` outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=root,
                             capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev.stdout.strip() or "unknown"


def library_versions() -> dict[str, str]:
    """Versions of Python and the numerical libraries, as ``<name>_version`` attributes."""
    return {"python_version": platform.python_version(), "numpy_version": np.__version__,
            "scipy_version": scipy.__version__, "numba_version": numba.__version__,
            "xarray_version": xr.__version__}


def config_yaml(cfg: dict) -> str:
    """The resolved config as stored in a Dataset's ``config_yaml`` attribute."""
    return OmegaConf.to_yaml(OmegaConf.create(cfg))


def _var(dims, data, units, long_name, **extra):
    return xr.Variable(dims, np.asarray(data), {"units": units, "long_name": long_name, **extra})


def to_dataset(res: CourseResult, out: Outcomes, cols: Columns,
               patient_index: np.ndarray | None = None) -> xr.Dataset:
    """Dataset of a chunk of patients (``patient`` dimension, index from 0 unless given)."""
    cfg = cols.cfg
    n_cyc = res.schedule.injection_times_h.size
    lesions = list(res.model.lesions.names)
    n = out.tcp.shape[0]
    p = ("patient",)
    pc, plc = ("patient", "cycle"), ("patient", "lesion", "cycle")
    plt = ("patient", "lesion", "time")
    dv = {}
    for k, target in enumerate(ORGAN_TARGETS):
        dv[f"{_ORGAN_VARS[target]}_dose_gy"] = _var(
            pc, out.organ_dose_gy[:, k], "Gy",
            f"{target.replace('_', ' ')} mean absorbed dose per cycle")
    dv["kidney_bed_gy"] = _var(pc, out.oar_bed_gy[:, 0], "Gy",
                               "kidney biologically effective dose per cycle")
    dv["kidney_eqd2_gy"] = _var(pc, out.kidney_eqd2_gy, "Gy",
                                "kidney equivalent dose in 2 Gy fractions per cycle")
    dv["marrow_bed_gy"] = _var(pc, out.oar_bed_gy[:, 1], "Gy",
                               "red marrow biologically effective dose per cycle")
    dv["kidney_bed_cumulative_gy"] = _var(p, out.oar_bed_gy[:, 0].sum(axis=1), "Gy",
                                          "kidney BED summed over all cycles")
    dv["kidney_eqd2_cumulative_gy"] = _var(p, out.kidney_eqd2_gy.sum(axis=1), "Gy",
                                           "kidney EQD2 summed over all cycles")
    dv["lesion_dose_gy"] = _var(plc, out.lesion_dose_gy, "Gy",
                                "lesion mean absorbed dose per cycle")
    dv["lesion_bed_gy"] = _var(plc, out.lesion_bed_gy, "Gy",
                               "lesion biologically effective dose per cycle")
    dv["tia_mbq_h"] = _var(("patient", "region", "cycle"), out.tia_mbq_h, "MBq h",
                           "time-integrated activity per cycle")
    dv["injected_activity_gbq"] = _var(pc, res.schedule.activity_gbq, "GBq",
                                       "administered 177Lu activity (0: cycle not given)")
    dv["lesion_volume_ml"] = _var(plt, out.lesion_volume_ml, "mL", "lesion volume")
    dv["lesion_viable_fraction"] = _var(plt, out.lesion_viable_fraction, "1",
                                        "fraction of the lesion volume made of viable cells")
    dv["lesion_pet_visible"] = _var(plt, out.lesion_pet_visible, "1",
                                    "lesion visible on SSTR-PET (our operational definition)")
    dv["sum_diameters_mm"] = _var(("patient", "time"), out.sum_diameters_mm, "mm",
                                  "RECIST 1.1 sum of target-lesion diameters")
    dv["best_decrease"] = _var(p, best_decrease(out.sum_diameters_mm, out.is_assessment), "1",
                               "best decrease of the sum of target diameters from baseline "
                               "(1 = all targets gone; NaN without targets)")
    dv["pet_positive_at_baseline"] = _var(p, pet_positive_at_baseline(out.lesion_pet_visible),
                                          "1", "some lesion visible on SSTR-PET at baseline")
    dv["best_response"] = _var(p, out.best_response.astype(np.int64), "1",
                               "RECIST 1.1 best overall response",
                               flag_values=np.array(_FLAG_VALUES, dtype=np.int64),
                               flag_meanings=_FLAG_MEANINGS)
    for name, long_name in (
        ("near_complete_response",
         f"PR with >= {cfg['response']['near_complete_threshold']:.0%} decrease of the sum"),
        ("complete_metabolic_response",
         "no lesion visible on SSTR-PET at some assessment (some visible at baseline)"),
        ("progression_observed", "RECIST progression observed"),
        ("kidney_bed_limit_exceeded",
         "cumulative kidney BED above limits.kidney_bed_gy(_with_risk_factors)"),
        ("kidney_dose_limit_exceeded",
         "cumulative kidney absorbed dose above limits.kidney_dose_gy"),
        ("marrow_dose_limit_exceeded",
         "cumulative red-marrow absorbed dose above limits.marrow_dose_gy"),
    ):
        dv[name] = _var(p, np.asarray(getattr(out, name), dtype=bool), "1", long_name)
    dv["progression_time_months"] = _var(p, out.progression_time_months, "months",
                                         "time to RECIST progression or censoring")
    dv["best_response_true"] = _var(p, out.best_response_true.astype(np.int64), "1",
                                    "RECIST 1.1 best overall response of the true diameters "
                                    "at the nominal visits (no measurement error)",
                                    flag_values=np.array(_FLAG_VALUES, dtype=np.int64),
                                    flag_meanings=_FLAG_MEANINGS)
    dv["progression_time_true_months"] = _var(
        p, out.progression_time_true_months, "months",
        "time to RECIST progression or censoring, true diameters at the nominal visits")
    dv["progression_true_observed"] = _var(
        p, np.asarray(out.progression_true_observed, dtype=bool), "1",
        "RECIST progression of the true diameters (or a new lesion) during follow-up")
    dv["new_lesion_time_months"] = _var(p, out.new_lesion_time_months, "months",
                                        "time of the first new lesion (inf: none)")
    dv["targets_gone_time_months"] = _var(
        p, out.targets_gone_time_months, "months",
        "recorded date of the first assessment at which every measured target lesion had "
        "disappeared (a RECIST CR of the targets, new lesions aside; inf: never)")
    pa = ("patient", "assessment")
    dv["visit_time_months"] = _var(pa, out.visit_time_months, "months",
                                   "recorded date of each assessment (baseline first), with "
                                   "the observation model's visit jitter")
    dv["sum_diameters_observed_mm"] = _var(
        pa, out.sum_diameters_observed_mm, "mm",
        "measured RECIST 1.1 sum of target diameters at each assessment (observation model)")
    dv["kidney_dose_observed_gy"] = _var(pc, out.kidney_dose_observed_gy, "Gy",
                                         "kidney absorbed dose per cycle as SPECT/CT dosimetry "
                                         "measures it (observation model)")
    dv["lesion_dose_observed_gy"] = _var(plc, out.lesion_dose_observed_gy, "Gy",
                                         "lesion absorbed dose per cycle as SPECT/CT dosimetry "
                                         "measures it (observation model)")
    dv["tcp"] = _var(p, out.tcp, "1", "tumour control probability (Zaider-Minerbo); a "
                     "relative index: clonogen number and radiosensitivity are not calibrated "
                     "to durable complete responses (docs/model.md §7)")
    dv["tcp_poisson"] = _var(p, out.tcp_poisson, "1",
                             "tumour control probability (Poisson, expected clonogens); a "
                             "relative index (docs/model.md §7)")
    site = res.model.lesions.site.astype(str)
    coords = {
        "patient": ("patient", np.arange(n) if patient_index is None else patient_index,
                    {"long_name": "virtual patient index"}),
        "cycle": ("cycle", np.arange(1, n_cyc + 1), {"long_name": "treatment cycle"}),
        "lesion": ("lesion", lesions, {"long_name": "lesion name"}),
        "region": ("region", list(region_names(lesions)), {"long_name": "PBPK source region"}),
        "time": ("time", res.time_h,
                 {"units": "h", "long_name": "time after the first injection"}),
        "is_assessment": ("time", out.is_assessment, {"long_name": "response assessment time"}),
        "assessment": ("assessment", np.arange(out.visit_time_months.shape[1]),
                       {"long_name": "response assessment (0 = baseline)"}),
        "assessment_nominal_months": ("assessment", res.time_h[out.is_assessment] / HOURS_PER_MONTH,
                                      {"units": "months",
                                       "long_name": "scheduled date of each assessment"}),
        "cycle_start_h": ("cycle", res.schedule.injection_times_h,
                          {"units": "h", "long_name": "injection time"}),
    }
    if cfg["cohort"]["lesions"] is None:   # the configured lesions: same for every patient
        coords["lesion_site"] = ("lesion", [cfg["lesions"][k]["site"] for k in lesions],
                                 {"long_name": "anatomical site"})
    else:
        dv["lesion_site"] = xr.Variable(("patient", "lesion"), site,
                                        {"long_name": "anatomical site ('' = no lesion)"})
    dv["lesion_is_target"] = _var(("patient", "lesion"), out.lesion_is_target, "1",
                                  "RECIST 1.1 target lesion")
    if out.activity_mbq is not None:
        coords["target"] = ("target", list(ORGAN_TARGETS) + lesions,
                            {"long_name": "absorbed-dose target"})
        dv["activity_mbq"] = _var(("patient", "region", "time"), out.activity_mbq,
                                  "MBq", "177Lu activity per region")
        dv["dose_rate_gy_per_h"] = _var(("patient", "target", "time"), out.dose_rate_gy_per_h,
                                        "Gy/h", "mean absorbed-dose rate")
    attrs = {
        "title": "prrt-simulator results",
        "Conventions": "CF-1.10",
        "source": f"prrt-simulator {package_version()}",
        "git_revision": git_revision(),
        **library_versions(),
        "seed": int(cfg["seed"]),
        "config_yaml": config_yaml(cfg),
        "nuclide": "Lu-177",
    }
    return xr.Dataset(dv, coords=coords, attrs=attrs)
