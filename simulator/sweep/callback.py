"""Hydra callback of ``prrt-sim -m``: warm numba's cache, then gather and summarise.

Registered in ``conf/config.yaml`` under ``hydra.callbacks.gather``.

* ``on_multirun_start`` (in the launching process, before any job): with a launcher
  whose jobs share this machine's numba cache (joblib, Ray), when some ``cache=True``
  function has no cache index yet, one tiny simulation (one patient, one cycle) of the
  sweep's base config compiles and writes them all once, so parallel jobs only read
  the cache and never race to write it (numba#10128).  The coupled batch kernel is
  cached too (:func:`simulator.engine.batch.run_coupled_batch`), so jobs start in seconds.
  SLURM jobs get their own node-local ``NUMBA_CACHE_DIR`` instead
  (``conf/hydra/launcher/slurm.yaml``); the basic launcher runs jobs one by one.
* ``on_multirun_end``: writes ``combined.nc`` in the sweep folder and prints one row
  per sweep point; exits with status 1 when a job failed or is missing, after
  writing what there is.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

SHARED_CACHE_LAUNCHERS = ("joblib", "ray")


class GatherCallback(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        target = str(config.hydra.launcher.get("_target_", "")).lower()
        if any(name in target for name in SHARED_CACHE_LAUNCHERS) and cold_cached_functions():
            warm_numba_cache(config)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from .gather import write_combined
        from .table import summary_table

        try:
            path, ds = write_combined(Path(config.hydra.sweep.dir))
        except Exception as exc:   # Hydra would turn it into a warning and exit 0
            print(f"prrt-sim: gathering the sweep failed: {exc}; the jobs' results stay in "
                  f"their folders (prrt-sim-gather {config.hydra.sweep.dir})", file=sys.stderr)
            sys.exit(1)
        print(summary_table(ds))
        print(f"prrt-sim: wrote {path}")
        bad = [str(s) for s in ds["job_status"].values.ravel() if s != "ok"]
        if bad:   # Hydra turns a callback's exceptions into warnings: exit here instead
            print(f"prrt-sim: {len(bad)} of {ds['job_status'].size} sweep jobs are not ok "
                  f"(first: {bad[0]}); rerun the same command to resume", file=sys.stderr)
            sys.exit(1)


def cold_cached_functions() -> list[str]:
    """The engine's ``cache=True`` numba functions with no cache index yet."""
    from .. import simulation  # noqa: F401  (imports every engine module)
    from ..engine.cache import cold_functions

    return cold_functions()


def warm_numba_cache(config: DictConfig) -> float:
    """Compile the cached numba functions with a one-patient, one-cycle run; seconds taken."""
    from ..config.dotted import with_values
    from ..configure import validate
    from ..errors import ConfigError
    from ..simulation import simulate_cohort

    start = time.perf_counter()
    try:   # the task config only: hydra's own node holds resolvers of the app (now, ...)
        plain = validate(OmegaConf.masked_copy(config, [k for k in config if k != "hydra"]))
    except ConfigError as exc:    # the jobs will report it, each for its own overrides
        print(f"prrt-sim: numba cache not warmed ({exc})")
        return 0.0
    tiny = with_values(plain, {"cohort.n_patients": 1, "therapy.n_cycles": 1,
                               "output.progress": False})
    simulate_cohort(tiny)
    elapsed = time.perf_counter() - start
    print(f"prrt-sim: numba cache warmed in {elapsed:.1f} s before the parallel jobs")
    return elapsed
