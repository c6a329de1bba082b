"""Sweep configs: launcher configs compose, the committed sweep and grid agree, grid checks."""

from __future__ import annotations

import importlib.util

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

import simulator
from simulator.config import config_dir, register_configs


def _hydra_cfg(*overrides):
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(config_dir())):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


LAUNCHERS = {
    "joblib": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
    "slurm": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
    "ray_cluster": "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher",
}


@pytest.mark.parametrize("name", sorted(LAUNCHERS))
def test_every_launcher_config_composes(name):
    ray_missing = importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None
    if name == "ray_cluster" and ray_missing:
        pytest.skip("the Ray launcher is the optional extra 'ray': pip install -e '.[ray]'")
    cfg = _hydra_cfg("sweep=activity_sstr", f"hydra/launcher={name}")
    assert cfg.hydra.launcher._target_ == LAUNCHERS[name]
    assert cfg.hydra.callbacks.gather._target_ == "simulator.sweep.callback.GatherCallback"


def test_default_multirun_launcher_is_joblib():
    assert _hydra_cfg().hydra.launcher._target_ == LAUNCHERS["joblib"]


def test_slurm_jobs_get_their_own_numba_cache():
    launcher = _hydra_cfg("hydra/launcher=slurm").hydra.launcher
    assert any("NUMBA_CACHE_DIR=" in line and "$SLURM_JOB_ID" in line for line in launcher.setup)
    assert launcher.partition is None and launcher.timeout_min > 0


def test_sweep_and_in_process_grid_files_agree():
    sweep = _hydra_cfg("sweep=activity_sstr").hydra.sweeper.params
    grid = simulator.validate(simulator.compose(["sweep=activity_sstr_grid"]))["grid"]
    assert list(sweep) == list(grid) == ["therapy.activity_gbq", "patient.sstr_density_nmol_per_l"]
    for key, values in grid.items():
        assert [float(v) for v in str(sweep[key]).split(",")] == values
    activity, density = grid.values()
    assert (min(activity), max(activity)) == (3.7, 11.1)
    assert 90 <= max(density) / min(density) <= 110          # about two decades


@pytest.mark.parametrize("override, fragment", [
    ("+grid={therapy.activity_gbq:[3.7,40]}", "grid.therapy.activity_gbq = 40"),
    ("+grid={therapy.activty_gbq:[3.7]}", "grid.therapy.activty_gbq"),
    ("+grid={therapy.n_cycles:[1.5]}", "grid.therapy.n_cycles = 1.5"),
    ("+grid={therapy.activity_gbq:[3.7,3.7]}", "distinct"),
    ("+grid={therapy.activity_gbq:[]}", "non-empty"),
    ("+grid={lesions.liver_1.site:[bone]}", "numeric"),
    ("+grid={seed:[1,2]}", "cannot be gridded"),
])
def test_bad_grid_is_a_config_error(override, fragment):
    with pytest.raises(simulator.ConfigError, match="Invalid configuration") as err:
        simulator.compose([override])
    assert fragment in str(err.value)


def test_grid_of_a_sampled_parameter_needs_a_stated_meaning():
    grid = "+grid={patient.sstr_density_nmol_per_l:[5,50]}"
    with pytest.raises(simulator.ConfigError, match="grid patient.sstr_density_nmol_per_l = 5; "
                                                    ".*sampled per patient"):
        simulator.compose(["cohort=example", grid])
    for mode in ("fix", "shift"):    # tests/unit/sweep/test_sampled_overrides.py runs them
        simulator.compose(["cohort=example", grid, f"cohort.sampled_override={mode}"])
