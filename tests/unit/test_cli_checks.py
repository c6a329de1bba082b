"""Issue 18 ("no silent wrong answers"): the CLI's checks before Hydra creates any folder.

In process: :func:`simulator.cli.prevalidate` is what ``prrt-sim`` runs before Hydra, and
``_prevalidate`` turns its ``ConfigError`` into one line on stderr and exit status 2.
Two subprocess tests check that Hydra then agrees (no run folder; ``--config-dir``).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import _interrupt, _prevalidate, prevalidate
from simulator.errors import ConfigError
from simulator.results import open_results
from simulator.results.io import write_atomic

REPO = Path(__file__).resolve().parents[2]


def _exit_2(argv, capsys, field):
    """``_prevalidate`` exits 2 with one line naming ``field`` and no traceback."""
    with pytest.raises(SystemExit) as exit_info:
        _prevalidate(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("prrt-sim: Invalid configuration: ") and field in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


# --- item 4: output file names ----------------------------------------------------------

@pytest.mark.parametrize("override, field", [
    ("output.summary_filename=./results.nc", "output.summary_filename"),
    ("output.summary_filename=results.nc", "output.summary_filename"),
    ("output.summary_filename=RESULTS.nc", "output.summary_filename"),
    ("output.filename=", "output.filename"),
    ("output.filename=.", "output.filename"),
    ("output.filename=..", "output.filename"),
    ("output.filename=/", "output.filename"),
    ("output.filename=../x.nc", "output.filename"),
    ("output.filename=/tmp/x.nc", "output.filename"),
    ("output.filename=sub/x.nc", "output.filename"),
    ("output.filename=x.txt", "output.filename"),
    ("output.filename=.nc", "output.filename"),
    ("output.summary_filename=..\\\\s.nc", "output.summary_filename"),
])
def test_output_names_stay_inside_the_run_folder(override, field, capsys, tmp_path,
                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    _exit_2([override], capsys, field)
    assert not list(tmp_path.iterdir())


def test_plain_distinct_names_are_accepted():
    cfg = prevalidate(["output.filename=run_1.nc", "output.summary_filename=run_1_summary.nc"])
    assert cfg["output"]["filename"] == "run_1.nc"


# --- item 5: group overrides with non-string values -------------------------------------

@pytest.mark.parametrize("override, field", [
    ("therapy=null", "therapy"), ("cohort=null", "cohort"), ("therapy=5", "therapy"),
    ("lesions=5", "lesions"), ("=5", "override"), ("lesions=[1,2]", "lesions"),
    ("hydra/launcher=5", "hydra/launcher"), ("therapy=", "therapy"),
    ("therapy=[standard,none]", "therapy"),   # Hydra merged both into one 0-GBq run (review)
])
@pytest.mark.parametrize("mode", [[], ["-m"]])
def test_group_overrides_with_non_string_values_exit_2(override, field, mode, capsys):
    _exit_2([*mode, override], capsys, field)


@pytest.mark.parametrize("override", ["output.plots=2", "output.per_patient=0",
                                      "patient.renal_risk_factors=1"])
def test_booleans_take_true_or_false_only(override, capsys):
    _exit_2([override], capsys, override.split("=")[0])
    _exit_2(["-m", override], capsys, override.split("=")[0])


# --- item 6: errors that need the sampled patients come before any folder ---------------

@pytest.mark.parametrize("overrides, field", [
    (["tumour.growth=gompertz", "tumour.gompertz_max_volume_ml=9.5"],
     "tumour.gompertz_max_volume_ml"),
    (["cohort=example", "cohort.n_patients=50",
      "cohort.parameters={patient.gfr_ml_per_min:{dist:normal,mean:90,sd:200}}"],
     "cohort.parameters.patient.gfr_ml_per_min"),
    (["cohort=example", "cohort.n_patients=50", "tumour.growth=gompertz",
      "tumour.gompertz_max_volume_ml=20"], "tumour.gompertz_max_volume_ml"),
    (["+grid={therapy.activity_gbq:[7.4,29]}", "therapy.peptide_nmol=20"],
     "therapy.peptide_nmol"),
])
def test_per_patient_rules_are_checked_before_hydra(overrides, field, capsys):
    err = _exit_2(overrides, capsys, field)
    assert "patient" in err or "grid point" in err


def test_gompertz_error_leaves_no_run_folder(tmp_path):
    """The issue's example, end to end: exit 2, no .hydra/, no cli.log."""
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "tumour.growth=gompertz",
         "tumour.gompertz_max_volume_ml=9.5", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "NUMBA_NUM_THREADS": "1"})
    assert proc.returncode == 2, proc.stderr
    assert "tumour.gompertz_max_volume_ml" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


# --- item 9: --config-dir ---------------------------------------------------------------

MINE = "n_patients: 2\nsampling: random\nparameters: {}\ncorrelations: []\nlesions: null\n"


@pytest.fixture
def user_conf(tmp_path):
    (tmp_path / "conf" / "cohort").mkdir(parents=True)
    (tmp_path / "conf" / "cohort" / "mine.yaml").write_text(MINE)
    return tmp_path / "conf"


@pytest.mark.parametrize("form", ["separate", "equals", "short", "searchpath"])
def test_config_dir_is_searched_by_the_prevalidation(user_conf, form):
    flag = {"separate": ["--config-dir", str(user_conf)],
            "equals": [f"--config-dir={user_conf}"], "short": ["-cd", str(user_conf)],
            "searchpath": [f"hydra.searchpath=[file://{user_conf}]"]}[form]
    assert prevalidate([*flag, "cohort=mine"])["cohort"]["n_patients"] == 2
    with pytest.raises(ConfigError, match="cohort/mine"):
        prevalidate(["cohort=mine"])
    with pytest.raises(ConfigError, match="--config-dir"):
        prevalidate(["--config-dir", str(user_conf / "absent"), "cohort=mine"])


def test_config_dir_run_writes_readable_results_and_a_record(user_conf, tmp_path):
    """End to end with Hydra: the user's cohort runs; files 0644 under umask 022; done.json
    holds the sha256 of both outputs (items 7, 8, 9)."""
    run = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.umask(0o022); sys.argv[0] = 'prrt-sim'; "
         "from simulator.cli import main; main()",
         "--config-dir", str(user_conf), "cohort=mine", "therapy.n_cycles=1",
         "response.follow_up_months=3", f"hydra.run.dir={run}"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "NUMBA_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert open_results(run / "results.nc").sizes["patient"] == 2
    import json

    from simulator.sweep.resume import sha256_file

    record = json.loads((run / "done.json").read_text())
    assert record["files"] == {name: sha256_file(run / name)
                               for name in ("results.nc", "summary.nc")}
    for name in ("results.nc", "summary.nc", "done.json"):
        assert stat.S_IMODE((run / name).stat().st_mode) == 0o644, name
    assert not list(run.glob(".*.tmp"))


# --- item 10: callbacks, _target_, oc.env -----------------------------------------------

@pytest.mark.parametrize("override, field", [
    ("+hydra.callbacks.x._target_=os.system", "hydra.callbacks.x._target_"),
    ("+hydra.callbacks={x:{_target_:os.system}}", "hydra.callbacks"),
    ("hydra.callbacks.gather._target_=os.system", "hydra.callbacks.gather._target_"),
    ("hydra.launcher._target_=os.system", "hydra.launcher._target_"),
    ("+x._target_=os.system", "x._target_"),
    ("+cohort.lesions={_target_:os.system}", "cohort.lesions"),
])
@pytest.mark.parametrize("mode", [[], ["-m"]])
def test_callbacks_and_targets_are_refused(override, field, mode, capsys):
    err = _exit_2([*mode, override], capsys, field)
    assert "_target_" in err


def test_an_environment_secret_never_reaches_a_result_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PRRT_TEST_SECRET", "s3cr3t-t0ken")
    monkeypatch.chdir(tmp_path)
    for override in ("seed=${oc.env:PRRT_TEST_SECRET}",
                     "output.filename=${oc.env:PRRT_TEST_SECRET}.nc",
                     "+lesions.x={volume_ml:3,site:${oc.env:PRRT_TEST_SECRET}}"):
        err = _exit_2([override], capsys, "oc.env")
        assert "s3cr3t-t0ken" not in err
    assert not list(tmp_path.iterdir())


# --- item 7: SIGTERM is handled like SIGINT ---------------------------------------------

def test_sigterm_interrupts_a_write_and_leaves_no_temporary(tmp_path):
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        def write(tmp):
            tmp.write_bytes(b"partial")
            os.kill(os.getpid(), signal.SIGTERM)

        with pytest.raises(KeyboardInterrupt):
            write_atomic(tmp_path / "results.nc", write)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_a_run_is_one_line_and_status_130(tmp_path):
    """Adversarial review: SIGTERM printed a full KeyboardInterrupt traceback."""
    import subprocess
    import sys
    import time

    from tests.conftest import checkout_env

    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "cohort=example", "cohort.n_patients=20000",
         "output.progress=false", f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path, env=checkout_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 90.0    # Hydra made the run folder: now inside the run
    while not (tmp_path / "run").is_dir() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "prrt-sim: interrupted" in err
    assert not list((tmp_path / "run").glob("*.nc")) and not list(
        (tmp_path / "run").glob(".*.tmp"))
