"""Assemble the xarray Dataset of a run: CF-style attrs, units on every variable."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import OmegaConf

from ..course import CourseResult
from ..dosimetry.dose_map import ORGAN_TARGETS
from ..pk.layout import region_names

#: long names of the organ dose variables, by target
_ORGAN_VARS = {"kidneys": "kidney", "spleen": "spleen", "liver": "liver", "red_marrow": "marrow"}


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


def _var(dims, data, units, long_name, **extra):
    return xr.Variable(dims, np.asarray(data), {"units": units, "long_name": long_name, **extra})


def to_dataset(result: CourseResult, cfg: dict) -> xr.Dataset:
    """Dataset with a ``patient`` dimension of size 1 (cohorts stack along it later)."""
    n_cyc = result.schedule.injection_times_h.size
    lesions = list(cfg["lesions"])
    n_org = len(ORGAN_TARGETS)
    regions = region_names(lesions)
    dv = {}
    for k, target in enumerate(ORGAN_TARGETS):
        name = _ORGAN_VARS[target]
        dv[f"{name}_dose_gy"] = _var(("patient", "cycle"), result.dose_gy[k][None], "Gy",
                                     f"{target.replace('_', ' ')} mean absorbed dose per cycle")
    dv["lesion_dose_gy"] = _var(("patient", "lesion", "cycle"), result.dose_gy[n_org:][None],
                                "Gy", "lesion mean absorbed dose per cycle")
    dv["tia_mbq_h"] = _var(("patient", "region", "cycle"), result.tia_mbq_h[None], "MBq h",
                           "time-integrated activity per cycle")
    dv["injected_activity_gbq"] = _var(("patient", "cycle"),
                                       np.full((1, n_cyc), cfg["therapy"]["activity_gbq"]),
                                       "GBq", "administered 177Lu activity")
    coords = {
        "patient": ("patient", [0], {"long_name": "virtual patient index"}),
        "cycle": ("cycle", np.arange(1, n_cyc + 1), {"long_name": "treatment cycle"}),
        "lesion": ("lesion", lesions, {"long_name": "lesion name"}),
        "region": ("region", list(regions), {"long_name": "PBPK source region"}),
        "cycle_start_h": ("cycle", result.schedule.injection_times_h,
                          {"units": "h", "long_name": "injection time"}),
        "lesion_site": ("lesion", [cfg["lesions"][n]["site"] for n in lesions],
                        {"long_name": "anatomical site"}),
        "lesion_volume_ml": ("lesion", [cfg["lesions"][n]["volume_ml"] for n in lesions],
                             {"units": "mL", "long_name": "lesion volume at baseline"}),
    }
    if cfg["output"]["save_timeseries"]:
        coords["time"] = ("time", result.time_h,
                          {"units": "h", "long_name": "time after the first injection"})
        coords["target"] = ("target", list(ORGAN_TARGETS) + lesions,
                            {"long_name": "absorbed-dose target"})
        dv["activity_mbq"] = _var(("patient", "region", "time"), result.activity_mbq[None],
                                  "MBq", "177Lu activity per region")
        dv["dose_rate_gy_per_h"] = _var(("patient", "target", "time"),
                                        result.dose_rate_gy_per_h[None], "Gy/h",
                                        "mean absorbed-dose rate")
    attrs = {
        "title": "prrt-simulator results",
        "Conventions": "CF-1.10",
        "source": f"prrt-simulator {package_version()}",
        "git_revision": git_revision(),
        "seed": int(cfg["seed"]),
        "config_yaml": OmegaConf.to_yaml(OmegaConf.create(cfg)),
        "nuclide": "Lu-177",
    }
    return xr.Dataset(dv, coords=coords, attrs=attrs)
