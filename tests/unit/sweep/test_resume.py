"""A job's results are kept only when complete, unaltered and made from the same resolved
config (issue 18 item 7: a verifiable record ``done.json`` written last)."""

from __future__ import annotations

import json
import stat

import numpy as np
import xarray as xr

from simulator.results import write_netcdf
from simulator.results.dataset import config_yaml
from simulator.results.io import remove_stale_temporaries, temporary_pattern
from simulator.sweep.grid import with_values
from simulator.sweep.resume import DONE_FILE, is_complete, output_names, write_record


def _write(folder, cfg, n=1, record=True):
    """The outputs of ``cfg`` in ``folder`` (``n`` patients), then the record."""
    folder.mkdir(exist_ok=True)
    ds = xr.Dataset({"tcp": ("patient", np.arange(n, dtype=float))},
                    attrs={"config_yaml": config_yaml(cfg)})
    for name in output_names(cfg):
        write_netcdf(ds, folder / name)
    if record:
        write_record(folder, cfg)
    return folder


def _cohort(cfg, n):
    return with_values(cfg, {"cohort.n_patients": n})


def test_complete_results_of_the_same_config_are_kept(tmp_path, reference_cfg):
    folder = _write(tmp_path / "job", reference_cfg)
    assert output_names(reference_cfg) == ["results.nc"]
    assert is_complete(folder, reference_cfg)
    cohort = _cohort(reference_cfg, 3)
    assert output_names(cohort) == ["results.nc", "summary.nc"]
    assert is_complete(_write(tmp_path / "cohort", cohort, n=3), cohort)


def test_another_config_missing_or_truncated_file_reruns(tmp_path, reference_cfg):
    folder = _write(tmp_path / "job", reference_cfg)
    assert not is_complete(folder, with_values(reference_cfg, {"therapy.activity_gbq": 3.7}))
    assert not is_complete(folder, with_values(reference_cfg, {"seed": 7}))
    assert not is_complete(tmp_path / "absent", reference_cfg)
    short = _write(tmp_path / "short", reference_cfg, n=2)      # wrong patient count
    assert not is_complete(short, reference_cfg)
    path = folder / "results.nc"
    path.write_bytes(path.read_bytes()[:200])                    # truncated
    assert not is_complete(folder, reference_cfg)


def test_altered_data_rerun(tmp_path, reference_cfg):
    """A results file changed after the run (same config, readable) is not complete."""
    folder = _write(tmp_path / "job", reference_cfg)
    with xr.open_dataset(folder / "results.nc", engine="h5netcdf") as ds:
        altered = ds.load()
    altered["tcp"][:] = 0.99
    write_netcdf(altered, folder / "results.nc")
    assert not is_complete(folder, reference_cfg)


def test_a_job_killed_before_its_summary_or_record_reruns(tmp_path, reference_cfg):
    cohort = _cohort(reference_cfg, 3)
    folder = _write(tmp_path / "job", cohort, n=3)
    (folder / "summary.nc").unlink()            # killed between results.nc and summary.nc
    assert not is_complete(folder, cohort)
    no_record = _write(tmp_path / "no_record", cohort, n=3, record=False)
    assert not is_complete(no_record, cohort)
    bad = _write(tmp_path / "bad_record", cohort, n=3)
    (bad / DONE_FILE).write_text("{not json")
    assert not is_complete(bad, cohort)
    record = json.loads((folder / DONE_FILE).read_text())
    assert sorted(record["files"]) == ["results.nc", "summary.nc"]


def test_results_are_readable_with_the_umask_mode_and_stale_temporaries_go(tmp_path,
                                                                          reference_cfg):
    """Issue 18 item 8: mkstemp made results 0600; item 7: killed writes left .tmp files."""
    import os

    old = os.umask(0o022)
    try:
        folder = _write(tmp_path / "job", reference_cfg)
    finally:
        os.umask(old)
    for name in ("results.nc", DONE_FILE):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o644, name
    stale = folder / ".results.nc.abc123.tmp"
    stale.write_bytes(b"partial")
    other = folder / ".notes.txt.tmp"
    other.write_bytes(b"not ours")
    assert temporary_pattern("results.nc") == ".results.nc.*.tmp"
    assert remove_stale_temporaries(folder, ["results.nc"]) == [stale]
    assert not stale.exists() and other.exists()
    assert not list(folder.glob(".*.tmp.*"))


def test_the_gatherer_takes_no_altered_job(tmp_path, reference_cfg):
    """Issue 18 item 7: an altered results.nc no longer reaches combined.nc as ok."""
    from omegaconf import OmegaConf

    from simulator.sweep.gather import _status

    job = _write(tmp_path / "0", reference_cfg)
    (job / ".hydra").mkdir()
    OmegaConf.save(OmegaConf.create(reference_cfg), job / ".hydra" / "config.yaml")
    assert _status(job) == "ok"
    with xr.open_dataset(job / "results.nc", engine="h5netcdf") as ds:
        altered = ds.load()
    altered["tcp"][:] = 0.5
    write_netcdf(altered, job / "results.nc")
    assert _status(job) == "missing"
