"""Founding case report: Adnan A, Basu S, J Nucl Med Technol 2020;48(1):36-39,
doi:10.2967/jnmt.119.227058 (issue 7; experiments/seed_cases.py, docs/seed_cases.md).

The case configs compose and validate, share one population block, the twins centre on the
case, bad input is a ConfigError, and the notebook redraws the committed response map and
(slow) a map from a tiny run of experiments/seed_cases.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import simulator

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "experiments" / "notebooks" / "seed_cases.ipynb"
COMMITTED_MAP = ROOT / "experiments" / "results" / "seed_cases" / "response_map.nc"
CASES = {"seed_case1": "retroperitoneum", "seed_case2": "pelvis"}
POPULATION = ("radiobiology.tumour_alpha_per_gy", "tumour.stroma_fraction",
              "tumour.doomed_clearance_half_time_d", "tumour.clonogenic_fraction")


def _get(cfg: dict, path: str):
    for key in path.split("."):
        cfg = cfg[key]
    return cfg


@pytest.mark.parametrize("case, primary_site", CASES.items())
def test_case_is_a_single_patient_with_primary_and_metastases(case, primary_site):
    cfg = simulator.validate(simulator.compose([f"experiment={case}"]))
    sites = [lesion["site"] for lesion in cfg["lesions"].values()]
    assert sites[0] == primary_site and len(sites) >= 3
    assert (cfg["therapy"]["activity_gbq"], cfg["therapy"]["n_cycles"],
            cfg["therapy"]["interval_weeks"]) == (7.4, 4, 8.0)
    assert cfg["cohort"]["n_patients"] == 1 and not cfg["cohort"]["parameters"]
    assert cfg["patient"]["sstr_density_nmol_per_l"] > 50.0   # high avidity vs the reference


def test_both_cases_take_the_silent_parameters_from_one_block():
    population = simulator.validate(simulator.compose(["experiment=seed_population"]))
    for case in CASES:
        cfg = simulator.validate(simulator.compose([f"experiment={case}"]))
        for path in POPULATION:
            assert _get(cfg, path) == _get(population, path), (case, path)


def test_twins_centre_on_the_case_and_follow_overrides():
    cfg = simulator.validate(simulator.compose(
        ["experiment=seed_case1_twins", "patient.sstr_density_nmol_per_l=80"]))
    params = cfg["cohort"]["parameters"]
    assert params["patient.sstr_density_nmol_per_l"]["median"] == 80.0
    assert params["lesions.retroperitoneum_1.volume_ml"]["median"] == 20.0
    assert params["radiobiology.tumour_alpha_per_gy"]["median"] == \
        cfg["radiobiology"]["tumour_alpha_per_gy"]


@pytest.mark.parametrize("override, field", [
    ("lesions.retroperitoneum_1.volume_ml=-1", "lesions.retroperitoneum_1.volume_ml"),
    ("lesions.liver_1.site=brain", "lesions.liver_1.site"),
    ("patient.sstr_density_nmol_per_l=-3", "patient.sstr_density_nmol_per_l"),
])
def test_bad_case_input_is_a_config_error(override, field):
    with pytest.raises(simulator.ConfigError, match=field.replace(".", r"\.")):
        simulator.compose(["experiment=seed_case1", override])


def _run_notebook(monkeypatch, map_path: Path | None) -> int:
    """Execute the notebook (on ``map_path``, else the committed map); count its images."""
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("matplotlib")
    if map_path is None:
        monkeypatch.delenv("SEED_CASES_MAP", raising=False)
    else:
        monkeypatch.setenv("SEED_CASES_MAP", str(map_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return sum("image/png" in out.get("data", {}) for cell in nb.cells
               if cell.cell_type == "code" for out in cell.outputs)


def test_notebook_redraws_the_committed_map(monkeypatch):
    assert COMMITTED_MAP.is_file()
    assert _run_notebook(monkeypatch, None) == len(CASES)


@pytest.mark.slow   # a small simulation (8 patients) plus a kernel: ~30 s on 2 busy cores
def test_notebook_redraws_a_small_response_map(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.syspath_prepend(str(ROOT / "experiments"))
    import seed_cases

    tiny = seed_cases.RunSize(n_twins=1, map_twins=1, activities_gbq=(3.7, 7.4),
                              densities_nmol_per_l=(20.0, 150.0), sensitivity=False)
    rmap = seed_cases.response_maps(["seed_case1"], tiny)   # 2 x 2 grid, 1 twin
    for name in ("p_complete_metabolic", "p_near_complete", "p_cmr_and_near_complete"):
        assert ((rmap[name] >= 0) & (rmap[name] <= 1)).all()
    bed = rmap.kidney_bed_median_gy.isel(case=0)
    assert np.all(bed.isel(activity_gbq=1) > 1.5 * bed.isel(activity_gbq=0))  # 7.4 vs 3.7 GBq
    path = tmp_path / "response_map.nc"
    rmap.to_netcdf(path)
    assert _run_notebook(monkeypatch, path) == 1
    sys.modules.pop("seed_cases", None)
    sys.modules.pop("seed_case_figures", None)
