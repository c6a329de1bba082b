"""Command line: ``prrt-sim [overrides]`` and ``python -m simulator``.

Composes ``conf/config.yaml`` with Hydra, validates it, simulates and writes
``results.nc`` atomically into Hydra's run folder.  An invalid configuration
gives a one-paragraph message and exit status 2, and nothing is written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from .config import compose, config_dir, register_configs, validate
from .errors import ConfigError, SolverError

EXIT_CONFIG_ERROR = 2
EXIT_SOLVER_ERROR = 3


def _run(cfg: DictConfig) -> Path:
    from .results import write_netcdf
    from .simulation import simulate_cohort
    from .summary import summarize

    plain = validate(cfg)
    output = plain["output"]
    start = time.perf_counter()
    ds = simulate_cohort(plain)
    folder = Path(HydraConfig.get().runtime.output_dir)
    out = folder / output["filename"]
    written = []
    if output["per_patient"]:
        write_netcdf(ds, out)
        written.append(out)
    n = ds.sizes["patient"]
    if n > 1 or not output["per_patient"]:
        summary = summarize(ds)
        summary.attrs.update({k: v for k, v in ds.attrs.items() if k not in summary.attrs})
        write_netcdf(summary, folder / output["summary_filename"])
        written.append(folder / output["summary_filename"])
    elapsed = time.perf_counter() - start
    print(f"prrt-sim: wrote {', '.join(map(str, written))} ({n} patient{'s' if n > 1 else ''} "
          f"in {elapsed:.1f} s, {n / elapsed:.1f} patients/s including compilation)")
    if plain["output"]["plots"]:
        from .plots import save_figures

        for path in save_figures(ds, out.parent):
            print(f"prrt-sim: wrote {path}")
    return written[0]


def _task(cfg: DictConfig) -> None:
    try:
        _run(cfg)
    except ConfigError as exc:
        print(f"prrt-sim: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    except SolverError as exc:
        print(f"prrt-sim: {exc}", file=sys.stderr)
        sys.exit(EXIT_SOLVER_ERROR)


_PASSIVE_FLAGS = {"-m", "--multirun", "-c", "--cfg", "-h", "--help", "--hydra-help", "-i", "--info",
                  "--shell-completion", "-sc", "-p", "--package", "--run"}


def _prevalidate(argv: list[str]) -> None:
    """Compose and validate a single run's overrides before Hydra creates any folder.

    Multirun sweeps and Hydra's informational flags are left to Hydra; each
    multirun job is still validated in :func:`_task` before it computes.
    """
    if any(a.split("=")[0] in _PASSIVE_FLAGS for a in argv):
        return
    config_name, overrides, it = "config", [], iter(argv)
    for arg in it:
        if arg in ("-cn", "--config-name"):
            config_name = next(it, config_name)
        elif arg.startswith("--config-name="):
            config_name = arg.split("=", 1)[1]
        elif arg in ("-cp", "--config-path", "-cd", "--config-dir"):
            next(it, None)
        elif not arg.startswith("-") and not arg.lstrip("+~").startswith("hydra."):
            overrides.append(arg)
    try:
        compose(overrides, config_name=config_name)
    except ConfigError as exc:
        print(f"prrt-sim: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)


def main() -> None:
    """Console-script entry point."""
    register_configs()
    _prevalidate(sys.argv[1:])
    hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_task)()
