"""The README's cohort sweep end to end (slow: each job process compiles the engine):
a multirun over a sampled parameter with ``cohort.sampled_override=shift`` gives a real
SSTR axis, equals the in-process grid value for value, and a rerun resumes every job."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import simulator

COMMON = ["therapy.n_cycles=1", "response.follow_up_months=3", "cohort=example",
          "cohort.n_patients=3", "cohort.sampled_override=shift"]


@pytest.mark.slow
def test_cohort_sweep_over_sstr_density(tmp_path):
    command = [sys.executable, "-m", "simulator", "-m", "sweep=activity_sstr",
               "therapy.activity_gbq=7.4", "patient.sstr_density_nmol_per_l=10,500", *COMMON,
               f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra.launcher.n_jobs=1"]
    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    combined = xr.open_dataset(tmp_path / "sweep" / "combined.nc", engine="h5netcdf").load()
    assert (combined.job_status == "ok").all()
    grid = simulator.simulate(simulator.compose(
        [*COMMON, "+grid={therapy.activity_gbq:[7.4],patient.sstr_density_nmol_per_l:[10,500]}"]))
    for name, var in grid.data_vars.items():
        np.testing.assert_array_equal(combined[name].values, var.values, err_msg=name)
    dose = combined.lesion_dose_gy.sum(["cycle", "lesion"]).isel(activity_gbq=0)
    assert np.all(dose.sel(sstr_density_nmol_per_l=500) > 1.5 * dose.sel(
        sstr_density_nmol_per_l=10))
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("skipped, complete results") == 2
