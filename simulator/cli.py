"""Command line: ``prrt-sim [overrides]``, ``prrt-sim plan [overrides]`` and
``python -m simulator``.

Composes ``conf/config.yaml`` with Hydra, validates it, simulates and writes
``results.nc`` atomically into Hydra's run folder, then the record ``done.json``
(sha256 of every output, :mod:`simulator.sweep.resume`).  An invalid configuration
(found by :func:`prevalidate`: composition with Hydra's search path, validation, and
every sampled patient's rules) gives a one-paragraph message and exit status 2, and
nothing is written.  In a multirun (``-m``) each job prints one line when it finishes,
keeps complete results of an earlier run of the same job (resume), and records a failure
in ``error.txt`` for the gatherer (:mod:`simulator.sweep`) instead of stopping the sweep.
SIGTERM stops a run as SIGINT does.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from .config import compose_unchecked, config_dir, register_configs
from .configure import base_composer, composer_from_sources, resolve_overrides, validate
from .errors import ConfigError, SolverError
from .sweep.gather import ERROR_FILE

EXIT_CONFIG_ERROR = 2
EXIT_SOLVER_ERROR = 3
EXIT_INTERRUPTED = 130     # 128 + SIGINT, as a shell reports an interrupted command


def _job_label() -> str:
    """``job N [overrides]: `` in a multirun, empty in a single run."""
    hc = HydraConfig.get()
    if hc.mode != RunMode.MULTIRUN:
        return ""
    return f"job {hc.job.num} [{' '.join(hc.overrides.task)}]: "


def _run(cfg: DictConfig) -> Path:
    from .results import write_netcdf
    from .results.io import remove_stale_temporaries
    from .run import simulate_validated
    from .summary import summarize
    from .sweep.resume import DONE_FILE, is_complete, output_names, write_record

    plain = _validated(cfg)
    output = plain["output"]
    folder = Path(HydraConfig.get().runtime.output_dir)
    out = folder / output["filename"]
    label = _job_label()
    if label and output["per_patient"] and is_complete(folder, plain):
        remove_stale_temporaries(folder, [*output_names(plain), DONE_FILE])
        print(f"prrt-sim: {label}skipped, complete results in {out}")
        return out
    # a rerun: no record until every output is written again; temporaries of a killed run
    (folder / DONE_FILE).unlink(missing_ok=True)
    remove_stale_temporaries(folder, [*output_names(plain), DONE_FILE])
    start = time.perf_counter()
    planned = None
    if plain.get("plan") is not None:
        from .run import plan_validated

        planned = plan_validated(plain, prechecked=_prechecked(plain))
        ds = planned.resimulation
    else:
        ds = simulate_validated(plain, prechecked=_prechecked(plain))
    written = []
    if output["per_patient"]:
        write_netcdf(ds, out)
        written.append(out)
    n = ds.sizes["patient"]
    if output["summary_filename"] in output_names(plain):
        summary = summarize(ds)
        summary.attrs.update({k: v for k, v in ds.attrs.items() if k not in summary.attrs})
        write_netcdf(summary, folder / output["summary_filename"])
        written.append(folder / output["summary_filename"])
    if planned is not None:
        write_netcdf(planned.plan, folder / plain["plan"]["filename"])
        written.append(folder / plain["plan"]["filename"])
    write_record(folder, plain)        # last: the run is complete
    (folder / ERROR_FILE).unlink(missing_ok=True)
    elapsed = time.perf_counter() - start
    rate = f", {n / elapsed:.1f} patients/s" if n > 1 else ""
    print(f"prrt-sim: {label}wrote {', '.join(map(str, written))} ({n} patient"
          f"{'s' if n > 1 else ''} in {elapsed:.1f} s{rate}, compilation included)")
    if planned is not None:
        from .report import plan_report

        print(plan_report(planned.plan))
        if importlib.util.find_spec("matplotlib") is not None:
            from .plots import save_pareto_figure

            print(f"prrt-sim: wrote {save_pareto_figure(planned.plan, out.parent)}")
    elif plain["grid"]:
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

    hc = HydraConfig.get()
    cfg = resolve_overrides(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]),
                            hc.overrides.task,
                            composer_from_sources(hc.job.config_name, hc.runtime.config_sources))
    plain = to_plain(cfg)
    if _PREVALIDATED.get("plain") == plain:
        return plain
    return validate(plain)


def _prechecked(plain: dict) -> bool:
    """Whether :func:`prevalidate` already checked every patient of this config."""
    return _PREVALIDATED.get("plain") == plain


def _interrupt(signum, frame) -> None:
    """SIGTERM (``kill``, SLURM's time limit) stops a run as Ctrl-C (SIGINT) does: the
    ``finally`` and ``except BaseException`` clauses run, so no temporary file is left."""
    raise KeyboardInterrupt(f"signal {signum}")


def _handle_sigterm() -> None:
    try:
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:          # not the main thread of the interpreter
        pass


def _task(cfg: DictConfig) -> None:
    _handle_sigterm()             # in the launcher's worker processes too
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
                  "--shell-completion", "-sc", "-p", "--package", "--run", "--experimental-rerun"}
#: Hydra flags that take a value (the next argument, or ``--flag=value``)
_VALUE_FLAGS = {"-cn": "config_name", "--config-name": "config_name",
                "-cd": "config_dirs", "--config-dir": "config_dirs",
                "-cp": "primary", "--config-path": "primary"}


def _parse_argv(argv: list[str]) -> dict:
    """Hydra's command line split into config name, search path, overrides and mode."""
    args = {"config_name": "config", "config_dirs": [], "primary": None, "overrides": [],
            "passive": False}
    it = iter(argv)
    for arg in it:
        flag, has_value, value = arg.partition("=")
        if flag in _VALUE_FLAGS:
            value = value if has_value else next(it, None)
            name = _VALUE_FLAGS[flag]
            if value is None:
                continue
            if name == "config_dirs":
                args[name].append(value)
            elif name == "primary":
                # Hydra reads a relative --config-path from the module of hydra.main (this one)
                args[name] = str((Path(__file__).parent / value).resolve())
            else:
                args[name] = value
        elif arg.startswith("-"):
            args["passive"] |= flag in _PASSIVE_FLAGS
        elif "=" in arg or arg.startswith("~"):
            args["overrides"].append(arg)
    return args


def prevalidate(argv: list[str]) -> dict | None:
    """Check a command line before Hydra creates any folder; the validated config.

    Every command line: the overrides, ``hydra.*`` ones included, are checked for config
    groups given non-string values, callbacks and ``_target_``
    (:mod:`simulator.config.overrides`).  A single run is then composed with the same
    search path as Hydra's (``--config-dir``, ``--config-path``, ``--config-name``),
    validated, and every patient and grid point checked
    (:func:`simulator.precheck.precheck`).  Multirun sweeps and Hydra's informational
    flags return None after the override check; each multirun job is still validated and
    pre-checked in :func:`_task` before it computes.

    Raises
    ------
    ConfigError
        Naming the field (or flag), the value and what is allowed.
    """
    from .config.compose import search_dirs
    from .config.overrides import check_overrides, group_names
    from .precheck import precheck

    args = _parse_argv(argv)
    main_dir, extra = search_dirs(args["config_dirs"], args["primary"])
    check_overrides(args["overrides"], group_names([main_dir, *extra]))
    if args["passive"]:
        return None
    # hydra.* overrides configure Hydra's run, not the task, except its search path
    task = [o for o in args["overrides"] if not o.lstrip("+~").startswith(("hydra.", "hydra/"))
            or o.lstrip("+~").startswith("hydra.searchpath")]
    composed = compose_unchecked(task, config_name=args["config_name"],
                                 config_dirs=args["config_dirs"], primary=args["primary"])
    plain = validate(resolve_overrides(composed, task, base_composer(
        args["config_name"], args["config_dirs"], args["primary"])))
    precheck(plain)
    return plain


def _prevalidate(argv: list[str]) -> None:
    """:func:`prevalidate`, or a one-line message and exit status 2."""
    try:
        plain = prevalidate(argv)
    except ConfigError as exc:
        print(f"prrt-sim: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    if plain is not None:
        _PREVALIDATED["plain"] = plain


#: ``prrt-sim plan [overrides]``: the plan of the configured patients (conf/plan/default.yaml)
PLAN_COMMAND = "plan"


def plan_argv(argv: list[str]) -> list[str]:
    """``plan ...`` -> ``... plan=default`` (unless the line already chooses a plan)."""
    if not argv or argv[0] != PLAN_COMMAND:
        return argv
    rest = argv[1:]
    chosen = any(a.lstrip("+~").split("=", 1)[0] == "plan" for a in rest)
    return rest if chosen else [*rest, "plan=default"]


def main() -> None:
    """Console-script entry point."""
    _handle_sigterm()
    register_configs()
    _PREVALIDATED.clear()
    sys.argv[1:] = plan_argv(sys.argv[1:])
    try:
        _prevalidate(sys.argv[1:])
        hydra.main(version_base="1.3", config_path=str(config_dir()),
                   config_name="config")(_task)()
    except KeyboardInterrupt:     # Ctrl-C or SIGTERM: finished outputs stay, nothing partial
        print("prrt-sim: interrupted; files written so far are complete (rerun to resume)",
              file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
