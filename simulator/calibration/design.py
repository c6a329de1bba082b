"""A space-filling design of hyperparameters and its simulation with common random numbers.

Every design point is one virtual trial (both arms, :func:`simulator.trial.run_arm`) of the
same ``n_patients`` virtual patients (one root seed for every point: common random numbers,
so that differences between points are the hyperparameters' and not the sampling's).  The
results accumulate in a netCDF file, written after every point, so that an interrupted design
resumes where it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.stats import qmc

from ..trial import run_arm
from .space import KWEKKEBOOM_FACTOR, KWEKKEBOOM_SHARE, PANCREATIC_ALPHA_FACTOR, Space
from .summaries import STATISTICS, STATISTICS_VERSION, trial_summaries


def _git_commit() -> str:
    """The commit of the working tree that simulates (with ``+dirty`` if it has changes)."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                "simulator", "conf"], capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def latin_hypercube(space: Space, n: int, seed: int) -> np.ndarray:
    """``n`` points of an optimised Latin hypercube in the prior box, (n, dim) in units."""
    if n < 1:
        raise ValueError(f"design size n = {n} must be >= 1")
    u = qmc.LatinHypercube(d=space.dim, optimization="random-cd", rng=seed).random(n)
    return space.from_unit(u)


def lanes_overrides(lanes: int) -> tuple[str, ...]:
    """The Hydra overrides that run a calibration's simulations with ``solver.lanes =
    lanes`` (none for 1, the default)."""
    return () if lanes == 1 else (f"solver.lanes={lanes}",)


def simulate_point(space: Space, theta, n_patients: int, seed: int, lanes: int = 1
                   ) -> dict[str, float]:
    """The summary statistics of one virtual trial at hyperparameters ``theta``;
    ``lanes``: ``solver.lanes`` (1: the scalar engine; 64: 2.9x faster per design point on
    2 cores, results within the solver tolerance of lanes 1, docs/calibration.md §13)."""
    treated, control, pancreatic = simulate_arms(space, theta, n_patients, seed, lanes)
    return trial_summaries(treated, control, pancreatic,
                           share=space.value(theta, KWEKKEBOOM_SHARE, 0.0),
                           factor=space.value(theta, KWEKKEBOOM_FACTOR, 1.0))


#: the pancreatic arm's root seed is the midgut arms' + this (other virtual patients, the same
#: ones at every design point: common random numbers)
PANCREATIC_SEED_OFFSET = 1


def simulate_arms(space: Space, theta, n_patients: int, seed: int, lanes: int = 1
                  ) -> tuple[xr.Dataset, xr.Dataset, xr.Dataset | None]:
    """The treated and control arms of ``cohort=netter1`` at ``theta`` (root ``seed``), and,
    for a space with a ``pancreatic_alpha_factor``, the pancreatic population's treated arm
    (:meth:`Space.pancreatic_editor`, root seed ``seed`` + :data:`PANCREATIC_SEED_OFFSET`;
    ``None`` otherwise)."""
    edit = space.editor(theta)
    overrides = lanes_overrides(lanes)
    treated = run_arm(n_patients, seed, control=False, edit=edit, overrides=overrides)
    control = run_arm(n_patients, seed, control=True, edit=edit, overrides=overrides)
    pancreatic = None
    if PANCREATIC_ALPHA_FACTOR in space.names:
        pancreatic = run_arm(n_patients, seed + PANCREATIC_SEED_OFFSET, control=False,
                             edit=space.pancreatic_editor(theta), overrides=overrides)
    return treated, control, pancreatic


def design_dataset(space: Space, theta: np.ndarray, stats: np.ndarray, wave: np.ndarray,
                   n_patients: int, seed: int, command: str = "",
                   git_commit: str | None = None, lanes: int = 1) -> xr.Dataset:
    """The design as a Dataset: ``theta`` (point, hyperparameter), ``statistic_value``
    (point, statistic), ``wave`` (point); ``lanes`` the ``solver.lanes`` it was simulated
    with."""
    ds = xr.Dataset(
        {"theta": (("point", "hyperparameter"), np.asarray(theta, float)),
         "statistic_value": (("point", "statistic"), np.asarray(stats, float)),
         "wave": ("point", np.asarray(wave, int))},
        coords={"hyperparameter": space.names, "statistic": list(STATISTICS),
                "statistic_units": ("statistic", list(STATISTICS.values()))},
        attrs={"n_patients_per_arm": int(n_patients), "seed": int(seed),
               "solver_lanes": int(lanes), "statistics_version": STATISTICS_VERSION,
               "pancreatic_seed_offset": PANCREATIC_SEED_OFFSET,
               "git_commit": git_commit or _git_commit(),
               "description": "virtual NETTER-1 trials at design points (common random "
                              "numbers: one seed for every point; a pancreatic treated arm, "
                              "if the space has one, on seed + pancreatic_seed_offset)",
               "command": command})
    ds.theta.attrs["long_name"] = "hyperparameter value (units in the name)"
    ds.statistic_value.attrs["long_name"] = "summary statistic (units: statistic_units)"
    return ds


def check_design(design: xr.Dataset, space: Space, path: Path | str = "the design") -> None:
    """ValueError unless ``design`` holds the statistics that
    :mod:`~.summaries` computes now (same names and :data:`~.summaries.STATISTICS_VERSION`)
    over the hyperparameters of ``space``."""
    if list(design.statistic.values) != list(STATISTICS) or \
            design.attrs.get("statistics_version") != STATISTICS_VERSION:
        raise ValueError(f"{path} holds other statistics (version "
                         f"{design.attrs.get('statistics_version', 'none')}) than simulator/"
                         f"calibration/summaries.py computes now (version "
                         f"{STATISTICS_VERSION}): start a new design")
    names = [str(n) for n in design.hyperparameter.values]
    if names != space.names:
        raise ValueError(f"{path} was simulated over the hyperparameters {names}, not "
                         f"{space.names}: start a new design")


def load_design(path: Path | str, space: Space) -> xr.Dataset:
    """A saved design, checked against ``space`` and the current statistics
    (:func:`check_design`)."""
    design = xr.load_dataset(path)
    check_design(design, space, path)
    return design


def run_design(space: Space, theta: np.ndarray, path: Path, n_patients: int, seed: int,
               wave: int = 0, command: str = "", progress: bool = True, lanes: int = 1
               ) -> xr.Dataset:
    """Simulate every row of ``theta`` not yet in ``path`` and append it there
    (``lanes``: :func:`simulate_point`).

    An existing file must have the same ``n_patients``, ``seed`` and ``lanes`` (else
    ValueError: the common random numbers would be broken, or the points would come from
    engines that agree only within the tolerance; a file without ``solver_lanes`` was
    simulated with lanes 1).  Returns the whole design.
    """
    theta = np.atleast_2d(np.asarray(theta, float))
    space.check(theta)
    path = Path(path)
    if path.exists():
        old = xr.load_dataset(path)
        if old.attrs["n_patients_per_arm"] != n_patients or old.attrs["seed"] != seed:
            raise ValueError(f"{path} was simulated with n_patients_per_arm = "
                             f"{old.attrs['n_patients_per_arm']}, seed = {old.attrs['seed']}; "
                             f"asked n_patients = {n_patients}, seed = {seed}")
        if int(old.attrs.get("solver_lanes", 1)) != lanes:
            raise ValueError(f"{path} was simulated with solver.lanes = "
                             f"{int(old.attrs.get('solver_lanes', 1))}; asked lanes = {lanes}")
        check_design(old, space, path)
        rows_t, rows_s = list(old.theta.values), list(old.statistic_value.values)
        if command and command not in old.attrs.get("command", ""):
            command = f"{old.attrs.get('command', '')} ; {command}".strip(" ;")
        commits = old.attrs.get("git_commit", "unknown")
        if _git_commit() not in commits:
            commits = f"{commits} ; {_git_commit()}"
        waves = list(old.wave.values)
    else:
        rows_t, rows_s, waves = [], [], []
        commits = _git_commit()
    done = {tuple(np.round(r, 12)) for r in rows_t}
    todo = [r for r in theta if tuple(np.round(r, 12)) not in done]
    t0 = time.perf_counter()
    for i, row in enumerate(todo):
        s = simulate_point(space, row, n_patients, seed, lanes)
        rows_t.append(row)
        rows_s.append([s[k] for k in STATISTICS])
        waves.append(wave)
        ds = design_dataset(space, np.array(rows_t), np.array(rows_s), np.array(waves),
                            n_patients, seed, command, commits, lanes)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.nc")
        ds.to_netcdf(tmp)
        tmp.replace(path)
        if progress:
            el = time.perf_counter() - t0
            print(f"design point {i + 1}/{len(todo)} ({el:.0f} s, "
                  f"{el / (i + 1):.1f} s/point): ORR {s['orr_treated']:.3f}, "
                  f"PFS20 {s['pfs20_treated']:.3f}", flush=True)
    if not rows_t:
        raise ValueError("empty design")
    return design_dataset(space, np.array(rows_t), np.array(rows_s), np.array(waves),
                          n_patients, seed, command, commits, lanes)
