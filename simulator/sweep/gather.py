"""Gather the jobs of a Hydra multirun folder into ``combined.nc``.

The sweep folder holds ``multirun.yaml`` (written by Hydra's sweeper) and one folder per
job with ``.hydra/overrides.yaml``, ``.hydra/config.yaml`` and ``results.nc``.  The jobs
expected are re-derived from ``multirun.yaml`` exactly as Hydra's basic sweeper expands
them (``hydra.sweeper.params`` then the command-line overrides), and each is matched to
the job folder with the same overrides, wherever and in whatever order it ran.  Every
sweep override (``key=a,b,c``) becomes a dimension (:mod:`simulator.sweep.combine`);
``job_status`` (``ok`` / ``failed`` / ``missing``) and ``job_overrides`` are kept per
point, and points without valid results are NaN.  ``prrt-sim-gather <sweep_dir>`` does
the same for a sweep whose jobs ran elsewhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import xarray as xr
import yaml
from omegaconf import OmegaConf

from ..config.dotted import get
from ..config.rules import fail
from ..configure import composer_from_sources, resolve_overrides, validate
from ..errors import ConfigError
from ..results import open_results, write_netcdf
from ..results.io import remove_stale_temporaries
from .combine import combine
from .resume import is_complete

COMBINED = "combined.nc"
ERROR_FILE = "error.txt"


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def expected_jobs(sweep_dir: Path) -> tuple[list[list[str]], list[str]] | None:
    """Override lists of the sweep's jobs and its swept keys, from ``multirun.yaml``."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    path = sweep_dir / "multirun.yaml"
    if not path.is_file():
        return None
    hydra_cfg = OmegaConf.load(path).hydra
    params = hydra_cfg.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()]
    arguments += list(OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False))
    parsed = OverridesParser.create().parse_overrides(arguments)
    swept = list(dict.fromkeys(_key(o.input_line) for o in parsed
                               if o.is_sweep_override() and not _key(o.input_line)
                               .startswith("hydra.")))
    jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    return jobs, swept


def job_folders(sweep_dir: Path) -> dict[tuple[str, ...], Path]:
    """Job folder of each override list found under ``sweep_dir`` (newest wins)."""
    found: dict[tuple[str, ...], Path] = {}
    for path in sorted(sweep_dir.rglob(".hydra/overrides.yaml"),
                       key=lambda p: p.stat().st_mtime):
        job = path.parent.parent
        if job == sweep_dir:
            continue
        overrides = tuple(yaml.safe_load(path.read_text()) or [])
        if overrides not in found or not _ok(found[overrides]) or _ok(job):
            found[overrides] = job
    return found


def _job_cfg(job: Path) -> dict:
    """The job's validated config, its overrides given their meaning as the job did."""
    path = job / ".hydra" / "overrides.yaml"
    overrides = (yaml.safe_load(path.read_text()) or []) if path.is_file() else []
    hydra_yaml = job / ".hydra" / "hydra.yaml"
    compose_base = None
    if hydra_yaml.is_file():            # the job's config name and search path
        hydra = OmegaConf.load(hydra_yaml).hydra
        compose_base = composer_from_sources(hydra.job.config_name,
                                             hydra.runtime.config_sources)
    return validate(resolve_overrides(OmegaConf.load(job / ".hydra" / "config.yaml"),
                                      overrides, compose_base))


def _ok(job: Path) -> bool:
    try:
        cfg = _job_cfg(job)
    except (ConfigError, OSError):
        return False
    return is_complete(job, cfg)


def _value(cfg: dict, key: str, override: str) -> Any:
    """The job's resolved value of a swept key (the override's text for a config group)."""
    node = get(cfg, key, None)
    return override.split("=", 1)[1] if node is None or isinstance(node, (dict, list)) else node


def _status(job: Path | None) -> str:
    if job is None:
        return "missing"
    if _ok(job):
        return "ok"
    error = job / ERROR_FILE
    return f"failed: {error.read_text().strip()}" if error.is_file() else "missing"


def gather(sweep_dir: str | Path) -> xr.Dataset:
    """The sweep's jobs as one Dataset (dims: swept keys..., patient, ...)."""
    sweep_dir = Path(sweep_dir)
    folders = job_folders(sweep_dir)
    expected = expected_jobs(sweep_dir)
    if expected is None:       # another sweeper: every job found, keys that differ are swept
        jobs = [list(k) for k in folders]
        keys = [_key(o) for o in (jobs[0] if jobs else [])]
        swept = [k for k in keys if len({dict((_key(o), o) for o in j).get(k) for j in jobs}) > 1]
    else:
        jobs, swept = expected
    if not jobs or not swept:
        fail("sweep folder", str(sweep_dir), f"found the jobs {sorted(folders)!r}; expected a "
             "Hydra multirun folder with at least one swept key (key=a,b)")
    points, datasets, status, overrides = [], [], [], []
    base_cfg = None
    for job_overrides in jobs:
        job = folders.get(tuple(job_overrides))
        state = _status(job)
        by_key = {_key(o): o for o in job_overrides}
        cfg = _job_cfg(job) if job is not None and state == "ok" else None
        if cfg is not None:
            base_cfg = base_cfg or cfg
            datasets.append(open_results(job / cfg["output"]["filename"]).load())
        else:
            datasets.append(None)
        points.append({k: _value(cfg, k, by_key[k]) if cfg else _parse(by_key[k]) for k in swept})
        status.append(state)
        overrides.append(" ".join(job_overrides))
    ds = combine(points, datasets, base_cfg or {},
                 per_point={"job_status": status, "job_overrides": overrides})
    ds["job_status"].attrs["long_name"] = "ok, failed: <message>, or missing"
    ds["job_overrides"].attrs["long_name"] = "Hydra overrides of the job"
    ds.attrs["sweep_dir"] = str(sweep_dir)
    return ds


def _parse(override: str) -> Any:
    """A missing job's swept value from its override text (YAML scalar)."""
    return yaml.safe_load(override.split("=", 1)[1])


def write_combined(sweep_dir: str | Path) -> tuple[Path, xr.Dataset]:
    """Gather and write ``combined.nc`` in the sweep folder (atomically)."""
    ds = gather(sweep_dir)
    remove_stale_temporaries(sweep_dir, [COMBINED])   # left by a killed gatherer
    return write_netcdf(ds, Path(sweep_dir) / COMBINED), ds


def main(argv: list[str] | None = None) -> None:
    """``prrt-sim-gather <sweep_dir>``: write ``combined.nc`` and print the summary table."""
    from .table import summary_table

    parser = argparse.ArgumentParser(prog="prrt-sim-gather", description=__doc__.split("\n")[0])
    parser.add_argument("sweep_dir", type=Path, help="Hydra multirun folder (multirun/...)")
    args = parser.parse_args(argv)
    try:
        path, ds = write_combined(args.sweep_dir)
    except ConfigError as exc:
        print(f"prrt-sim-gather: {exc}", file=sys.stderr)
        sys.exit(2)
    print(summary_table(ds))
    print(f"prrt-sim-gather: wrote {path}")
    if any(s != "ok" for s in ds["job_status"].values.ravel()):
        sys.exit(1)
