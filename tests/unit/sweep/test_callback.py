"""The gather callback warms numba only for launchers whose jobs share the local cache."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from simulator.sweep import callback
from tests.conftest import checkout_env


@pytest.mark.parametrize("target, warms", [
    ("hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", True),
    ("hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher", True),
    ("hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher", False),
    ("hydra._internal.core_plugins.basic_launcher.BasicLauncher", False),
])
def test_warm_up_only_for_shared_cache_launchers_with_a_cold_cache(monkeypatch, target, warms):
    calls = []
    monkeypatch.setattr(callback, "warm_numba_cache", calls.append)
    monkeypatch.setattr(callback, "cold_cached_functions", lambda: ["simulator.engine.model.rhs"])
    cfg = OmegaConf.create({"hydra": {"launcher": {"_target_": target}}})
    callback.GatherCallback().on_multirun_start(cfg)
    assert len(calls) == int(warms)
    monkeypatch.setattr(callback, "cold_cached_functions", lambda: [])
    callback.GatherCallback().on_multirun_start(cfg)
    assert len(calls) == int(warms)                    # a warm cache is not warmed again


def test_an_empty_cache_dir_is_cold(tmp_path):
    code = "from simulator.sweep.callback import cold_cached_functions as c; print(c())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "",
                              "PYTHONPATH": checkout_env()["PYTHONPATH"]}, timeout=120)
    assert "simulator.engine.model.rhs" in out.stdout, out.stderr[-2000:]
