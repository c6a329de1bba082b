"""A job's results are kept only when complete and made from the same resolved config."""

from __future__ import annotations

import numpy as np
import xarray as xr

from simulator.results import write_netcdf
from simulator.results.dataset import config_yaml
from simulator.sweep.grid import with_values
from simulator.sweep.resume import is_complete


def _write(path, cfg, n=1):
    ds = xr.Dataset({"tcp": ("patient", np.zeros(n))}, attrs={"config_yaml": config_yaml(cfg)})
    return write_netcdf(ds, path)


def test_complete_results_of_the_same_config_are_kept(tmp_path, reference_cfg):
    path = _write(tmp_path / "results.nc", reference_cfg)
    assert is_complete(path, reference_cfg)


def test_another_config_missing_or_truncated_file_reruns(tmp_path, reference_cfg):
    path = _write(tmp_path / "results.nc", reference_cfg)
    assert not is_complete(path, with_values(reference_cfg, {"therapy.activity_gbq": 3.7}))
    assert not is_complete(path, with_values(reference_cfg, {"seed": 7}))
    assert not is_complete(tmp_path / "absent.nc", reference_cfg)
    short = _write(tmp_path / "short.nc", reference_cfg, n=2)      # wrong patient count
    assert not is_complete(short, reference_cfg)
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(path.read_bytes()[:200])
    assert not is_complete(truncated, reference_cfg)
