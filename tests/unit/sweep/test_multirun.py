"""prrt-sim -m on a 2 x 2 grid: combined.nc, grid == multirun, kill-and-resume, failed jobs.

One patient, one cycle, three months of follow-up: each fresh process pays the numba
compilation (~15 s on 2 cores), the jobs themselves take under a second.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

import simulator
from simulator.results import open_results
from simulator.sweep.gather import gather, main
from tests.conftest import checkout_env

SMALL = ["therapy.n_cycles=1", "response.follow_up_months=3"]
SWEEP = ["sweep=activity_sstr", "therapy.activity_gbq=7.4,3.7",
         "patient.sstr_density_nmol_per_l=80,20", *SMALL]
POINTS = [(a, s) for a in (7.4, 3.7) for s in (80.0, 20.0)]    # jobs 0..3 in sweep order


def _command(sweep_dir, *extra):
    return [sys.executable, "-m", "simulator", "-m", *SWEEP, f"hydra.sweep.dir={sweep_dir}",
            *extra]


def _env():
    return checkout_env(NUMBA_NUM_THREADS="1")


@pytest.fixture(scope="module")
def full_sweep(tmp_path_factory):
    """An uninterrupted sweep with the default (joblib, 2 processes) launcher."""
    root = tmp_path_factory.mktemp("sweep")
    start = time.perf_counter()
    proc = subprocess.run(_command(root / "full", "hydra.launcher.n_jobs=2"), cwd=root,
                          env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"multirun of 4 jobs in {time.perf_counter() - start:.1f} s")
    return root / "full", proc.stdout


def _data(ds):
    return ds.drop_vars(["job_status", "job_overrides"], errors="ignore")


def test_combined_has_a_dim_per_swept_key_and_reproduces_every_job(full_sweep):
    sweep_dir, stdout = full_sweep
    combined = xr.open_dataset(sweep_dir / "combined.nc", engine="h5netcdf")
    assert list(combined["kidney_dose_gy"].dims)[:3] == [
        "activity_gbq", "sstr_density_nmol_per_l", "patient"]
    assert combined["activity_gbq"].values.tolist() == [3.7, 7.4]          # sorted
    assert combined["sstr_density_nmol_per_l"].values.tolist() == [20.0, 80.0]
    assert combined["activity_gbq"].attrs["units"] == "GBq"
    assert combined["sstr_density_nmol_per_l"].attrs["units"] == "nmol/L"
    assert (combined["job_status"] == "ok").all()
    for job, (activity, density) in enumerate(POINTS):
        own = open_results(sweep_dir / str(job) / "results.nc")
        point = combined.sel(activity_gbq=activity, sstr_density_nmol_per_l=density)
        assert f"therapy.activity_gbq={activity:g}" in str(point["job_overrides"].values)
        for name, var in own.data_vars.items():
            np.testing.assert_array_equal(point[name].values, var.values, err_msg=name)
        assert float(point["injected_activity_gbq"][0, 0]) == activity
    lesion_dose = combined["lesion_dose_gy"].sum(["lesion", "cycle"])
    assert (lesion_dose.diff("activity_gbq") > 0).all()     # the data do differ by point
    assert stdout.count("prrt-sim: job ") == 4                # a line per finished job
    assert "ORR %" in stdout
    table = stdout[stdout.index("activity_gbq  sstr"):].splitlines()
    assert len([line for line in table if line.strip()[:3] in ("3.7", "7.4")]) == 4


def test_in_process_grid_equals_the_gathered_multirun(full_sweep):
    sweep_dir, _ = full_sweep
    combined = _data(xr.open_dataset(sweep_dir / "combined.nc", engine="h5netcdf"))
    cfg = simulator.compose([*SMALL, "+grid={therapy.activity_gbq:[7.4,3.7],"
                                     "patient.sstr_density_nmol_per_l:[80,20]}"])
    grid = simulator.simulate(cfg)
    assert dict(grid.sizes) == dict(combined.sizes)
    assert set(grid.data_vars) == set(combined.data_vars)
    for name in grid.variables:
        assert grid[name].dims == combined[name].dims, name
        np.testing.assert_array_equal(grid[name].values, combined[name].values, err_msg=name)
    assert grid["activity_gbq"].attrs == combined["activity_gbq"].attrs


def _same_combined(a_dir, b_dir):
    a = xr.open_dataset(a_dir / "combined.nc", engine="h5netcdf")
    b = xr.open_dataset(b_dir / "combined.nc", engine="h5netcdf")
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert {k: v for k, v in a.attrs.items() if k != "sweep_dir"} == \
        {k: v for k, v in b.attrs.items() if k != "sweep_dir"}


def _rerun_of_a_complete_sweep(full_sweep, tmp_path, run):
    """Fast resume check (no compilation): every complete job is kept as it is."""
    sweep_dir, _ = full_sweep
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    (copy / "combined.nc").unlink()
    kept = {p: p.stat().st_mtime_ns for p in copy.glob("*/results.nc")}
    stale = copy / "3" / ".results.nc.0123456789ab.tmp"      # left by a killed write
    stale.write_bytes(b"partial")
    rerun = run(copy, "hydra/launcher=basic")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.stdout.count("skipped, complete results") == 4
    assert not stale.exists()           # removed although its job is kept (review)
    assert "]: wrote " not in rerun.stdout
    assert {p: p.stat().st_mtime_ns for p in copy.glob("*/results.nc")} == kept
    _same_combined(sweep_dir, copy)


def test_rerun_of_a_complete_sweep_skips_every_job(full_sweep, tmp_path, cli_in_process):
    _rerun_of_a_complete_sweep(full_sweep, tmp_path, lambda sweep_dir, *extra: cli_in_process(
        tmp_path, *_command(sweep_dir, *extra)[3:]))


@pytest.mark.slow   # a fresh Python; the same rerun runs in-process above
def test_rerun_of_a_complete_sweep_skips_every_job_in_a_fresh_process(full_sweep, tmp_path):
    _rerun_of_a_complete_sweep(full_sweep, tmp_path, lambda sweep_dir, *extra: subprocess.run(
        _command(sweep_dir, *extra), cwd=tmp_path, env=_env(), capture_output=True, text=True,
        timeout=600))


@pytest.mark.slow   # two fresh processes, each compiling the engine (~30 s on 2 idle cores)
def test_killed_sweep_resumes_to_the_same_combined(full_sweep, tmp_path):
    sweep_dir, _ = full_sweep
    resumed = tmp_path / "resumed"
    proc = subprocess.Popen(_command(resumed, "hydra/launcher=basic"), cwd=tmp_path,
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    first = resumed / "0" / "done.json"     # a job is finished once its record is written
    deadline = time.monotonic() + 300
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)                       # mid-sweep, no clean-up
    proc.wait()
    done = sorted(p.parent.name for p in resumed.glob("*/done.json"))
    assert "0" in done and len(done) < 4, done
    assert not (resumed / "combined.nc").exists()
    kept = {job: (resumed / job / "results.nc").stat().st_mtime_ns for job in done}

    rerun = subprocess.run(_command(resumed, "hydra/launcher=basic"), cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.stdout.count("skipped, complete results") == len(done)
    assert rerun.stdout.count("]: wrote ") == 4 - len(done)
    for job, mtime in kept.items():                           # finished jobs untouched
        assert (resumed / job / "results.nc").stat().st_mtime_ns == mtime
    _same_combined(sweep_dir, resumed)


def test_failed_job_is_kept_as_status_and_nan(full_sweep, tmp_path, capsys):
    sweep_dir, _ = full_sweep
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    (copy / "combined.nc").unlink()
    (copy / "3" / "results.nc").unlink()
    (copy / "3" / "error.txt").write_text("integration failed for 1 patient(s)\n")
    ds = gather(copy)
    failed = dict(zip(["activity_gbq", "sstr_density_nmol_per_l"], POINTS[3], strict=True))
    assert ds["job_status"].sel(failed).item().startswith("failed: integration failed")
    assert np.isnan(ds["tcp"].sel(failed)).all()
    assert (ds["job_status"] == "ok").sum() == 3
    assert np.isfinite(ds["tcp"].sel(activity_gbq=POINTS[0][0])).all()
    with pytest.raises(SystemExit) as exit_:
        main([str(copy)])                                     # prrt-sim-gather
    assert exit_.value.code == 1
    assert (copy / "combined.nc").is_file()
    assert "failed" in capsys.readouterr().out


INVALID = ["-m", "therapy.activity_gbq=40,50", "hydra/launcher=basic"]


def _invalid_jobs_fail_alone(tmp_path, proc):
    """Jobs rejected by validation (no compilation): error.txt, status kept, exit non-zero."""
    assert proc.returncode != 0
    assert proc.stderr.count("therapy.activity_gbq = 40") >= 1
    assert "2 of 2 sweep jobs are not ok" in proc.stderr
    for job in ("0", "1"):
        assert "allowed range" in (tmp_path / "bad" / job / "error.txt").read_text()
    ds = xr.open_dataset(tmp_path / "bad" / "combined.nc", engine="h5netcdf")
    assert ds["activity_gbq"].values.tolist() == [40.0, 50.0]
    assert all(s.startswith("failed: Invalid configuration") for s in ds["job_status"].values)


def test_invalid_jobs_fail_alone_and_are_reported(tmp_path, cli_in_process):
    _invalid_jobs_fail_alone(tmp_path, cli_in_process(
        tmp_path, *INVALID, f"hydra.sweep.dir={tmp_path / 'bad'}"))


@pytest.mark.slow   # a fresh Python; the same sweep runs in-process above
def test_invalid_jobs_fail_alone_and_are_reported_in_a_fresh_process(tmp_path):
    _invalid_jobs_fail_alone(tmp_path, subprocess.run(
        [sys.executable, "-m", "simulator", *INVALID, f"hydra.sweep.dir={tmp_path / 'bad'}"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300))
