"""Command line: a run writes results.nc; bad input exits non-zero with no traceback, no file.

``python -m simulator`` runs end to end in a fresh process once in the default suite
(``test_run_writes_results_and_prints_path``); the other cases call the same entry point,
:func:`simulator.cli.main`, in this process (no new Python, no second compilation of the
engine).  Their fresh-process twins are ``slow``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.results import open_results
from tests.conftest import checkout_env


def _cli_subprocess(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "simulator", *args,
                           f"hydra.run.dir={tmp_path / 'run'}"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=checkout_env())


BAD_INPUT = [
    ("therapy.activity_gbq=-1", "therapy.activity_gbq"),
    ("therapy.n_cycles=0", "therapy.n_cycles"),
    ("therapy.activty_gbq=7", "therapy.activty_gbq"),
    ("lesions.liver_1.volume_ml=-3", "lesions.liver_1.volume_ml"),
]


def _assert_clean_config_error(proc, tmp_path, field):
    assert proc.returncode == 2
    assert field in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("override, field", BAD_INPUT)
def test_bad_input_exits_cleanly_and_writes_nothing(tmp_path, cli_in_process, override, field):
    _assert_clean_config_error(cli_in_process(tmp_path, override), tmp_path, field)


@pytest.mark.slow   # a fresh Python per case; the in-process test above checks the same
@pytest.mark.parametrize("override, field", BAD_INPUT)
def test_bad_input_exits_cleanly_and_writes_nothing_in_a_fresh_process(tmp_path, override,
                                                                        field):
    _assert_clean_config_error(_cli_subprocess(tmp_path, override), tmp_path, field)


def test_run_writes_results_and_prints_path(tmp_path):
    proc = _cli_subprocess(tmp_path, "therapy.n_cycles=1", "therapy.activity_gbq=5.55")
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "run" / "results.nc"
    assert str(path) in proc.stdout
    ds = open_results(path)
    assert float(ds.injected_activity_gbq[0, 0]) == 5.55
    assert ds.kidney_dose_gy.attrs["units"] == "Gy"
    kidney_gy = float(ds.kidney_dose_gy.sum())          # the printed summary is this run's
    assert f"kidney  {kidney_gy:8.2f} Gy  ({kidney_gy / 5.55:.3f} Gy/GBq)" in proc.stdout
    assert "best response (RECIST 1.1): " in proc.stdout and "TCP (Zaider-Minerbo)" in proc.stdout


COHORT_SUMMARY_ONLY = ("cohort=example", "cohort.n_patients=3", "therapy.n_cycles=1",
                       "response.follow_up_months=3", "output.per_patient=false")


def _assert_summary_only(proc, tmp_path):
    assert proc.returncode == 0, proc.stderr
    run = tmp_path / "run"
    assert not (run / "results.nc").exists()
    summary = open_results(run / "summary.nc")
    assert summary.attrs["n_patients"] == 3
    assert str(run / "summary.nc") in proc.stdout
    assert f"objective response (CR + PR)   {100 * float(summary.orr):5.1f} %" in proc.stdout


def test_cohort_writes_summary_and_summary_only_mode_skips_results(tmp_path, cli_in_process):
    _assert_summary_only(cli_in_process(tmp_path, *COHORT_SUMMARY_ONLY), tmp_path)


@pytest.mark.slow   # a fresh Python compiling the engine (~15 s); checked in-process above
def test_cohort_summary_only_in_a_fresh_process(tmp_path):
    _assert_summary_only(_cli_subprocess(tmp_path, *COHORT_SUMMARY_ONLY), tmp_path)


def test_a_median_pfs_not_reached_is_said_so():
    import numpy as np
    import xarray as xr

    from simulator.report import cohort_report

    n = 20
    ds = xr.Dataset({"progression_time_months": ("patient", np.full(n, 12.0)),
                     "progression_observed": ("patient", np.zeros(n, dtype=bool))})
    assert "median PFS not reached within the follow-up" in cohort_report(ds)
    ds["progression_observed"][:] = True
    assert "median PFS 12.0 months" in cohort_report(ds)
