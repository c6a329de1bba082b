"""Command line: ``prrt-sim [overrides]`` and ``python -m simulator``.

Composes ``conf/config.yaml`` with Hydra, validates it, simulates and writes
``results.nc`` atomically into Hydra's run folder.  An invalid configuration
gives a one-paragraph message and exit status 2, and nothing is written.  In a
multirun (``-m``) each job prints one line when it finishes, keeps complete results
of an earlier run of the same job (resume), and records a failure in ``error.txt``
for the gatherer (:mod:`simulator.sweep`) instead of stopping the sweep.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from .config import compose_unchecked, config_dir, register_configs
from .configure import resolve_overrides, validate
from .errors import ConfigError, SolverError
from .sweep.gather import ERROR_FILE

EXIT_CONFIG_ERROR = 2
EXIT_SOLVER_ERROR = 3


def _job_label() -> str:
    """``job N [overrides]: `` in a multirun, empty in a single run."""
    hc = HydraConfig.get()
    if hc.mode != RunMode.MULTIRUN:
        return ""
    return f"job {hc.job.num} [{' '.join(hc.overrides.task)}]: "


def _run(cfg: DictConfig) -> Path:
    from .results import write_netcdf
    from .run import simulate_validated
    from .summary import summarize
    from .sweep.resume import is_complete

    plain = _validated(cfg)
    output = plain["output"]
    folder = Path(HydraConfig.get().runtime.output_dir)
    out = folder / output["filename"]
    label = _job_label()
    if label and output["per_patient"] and is_complete(out, plain):
        print(f"prrt-sim: {label}skipped, complete results in {out}")
        return out
    start = time.perf_counter()
    ds = simulate_validated(plain)
    written = []
    if output["per_patient"]:
        write_netcdf(ds, out)
        written.append(out)
    n = ds.sizes["patient"]
    if not plain["grid"] and (n > 1 or not output["per_patient"]):
        summary = summarize(ds)
        summary.attrs.update({k: v for k, v in ds.attrs.items() if k not in summary.attrs})
        write_netcdf(summary, folder / output["summary_filename"])
        written.append(folder / output["summary_filename"])
    (folder / ERROR_FILE).unlink(missing_ok=True)
    elapsed = time.perf_counter() - start
    rate = f", {n / elapsed:.1f} patients/s" if n > 1 else ""
    print(f"prrt-sim: {label}wrote {', '.join(map(str, written))} ({n} patient"
          f"{'s' if n > 1 else ''} in {elapsed:.1f} s{rate}, compilation included)")
    if plain["grid"]:
        from .sweep.table import summary_table

        print(summary_table(ds))
    elif not label:
        from .report import report

        print(report(ds))
    if plain["output"]["plots"]:
        from .plots import save_figures

        for path in save_figures(ds, out.parent):
            print(f"prrt-sim: wrote {path}")
    return written[0]


#: the config validated before Hydra started (single runs), so that it is not checked twice
_PREVALIDATED: dict = {}


def _validated(cfg: DictConfig) -> dict:
    """The plain validated config of this job (validated once per process)."""
    from omegaconf import OmegaConf

    from .config.validation import to_plain

    cfg = resolve_overrides(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]),
                            HydraConfig.get().overrides.task)
    plain = to_plain(cfg)
    if _PREVALIDATED.get("plain") == plain:
        return plain
    return validate(plain)


def _task(cfg: DictConfig) -> None:
    try:
        _run(cfg)
    except (ConfigError, SolverError) as exc:
        print(f"prrt-sim: {_job_label()}{exc}", file=sys.stderr)
        if _job_label():   # the sweep goes on; the gatherer reports the job as failed
            out_dir = Path(HydraConfig.get().runtime.output_dir)
            (out_dir / ERROR_FILE).write_text(f"{exc}\n")
            return
        sys.exit(EXIT_CONFIG_ERROR if isinstance(exc, ConfigError) else EXIT_SOLVER_ERROR)


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
        composed = compose_unchecked(overrides, config_name=config_name)
        _PREVALIDATED["plain"] = validate(resolve_overrides(composed, overrides))
    except ConfigError as exc:
        print(f"prrt-sim: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)


def main() -> None:
    """Console-script entry point."""
    register_configs()
    _PREVALIDATED.clear()
    _prevalidate(sys.argv[1:])
    hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_task)()
