"""Simulate a configured cohort chunk by chunk (orchestration; a single patient is n = 1).

For each chunk of ``solver.chunk_size`` patients: sample their parameters and
lesions (:mod:`simulator.cohort`, per-patient seeds), build the arrays, run the
batch kernel, compute the outcomes, realise each patient's cure by a Bernoulli
draw from its TCP, and append the chunk's Dataset.  Results do not depend on the
chunk size or on the number of threads.
"""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import xarray as xr

from .adaptive import run_schedule
from .assembly import assessment_times_h
from .cohort import cure_uniforms, observation_variates, sample_lesions, sample_parameters
from .config import rules
from .config.validation import PARAMETERS, check_sampleable
from .population import Columns
from .results.dataset import to_dataset
from .summary import summary_inputs

log = logging.getLogger(__name__)

#: Seconds between progress log lines when stderr is not a terminal (batch jobs).
LOG_INTERVAL_S = 60.0


class _Progress:
    """Progress of a cohort run: a tqdm bar on a terminal, else a log line every minute.

    The log lines (patients done, patients/s, estimated time left) reach Hydra's
    ``cli.log`` and the job's stderr, so batch jobs (SLURM, nohup) show progress too.
    """

    def __init__(self, total: int, enabled: bool):
        self.total, self.done = total, 0
        self.enabled = enabled and total > 1
        self.start = self.last_log = time.perf_counter()
        self.bar = None
        if self.enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="patient", desc="prrt-sim", file=sys.stderr)

    def update(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        now = time.perf_counter()
        if self.enabled and self.done < self.total and now - self.last_log >= LOG_INTERVAL_S:
            self.last_log = now
            rate = self.done / (now - self.start)
            log.info("%d/%d patients (%.1f %%), %.1f patients/s, about %.0f min left",
                     self.done, self.total, 100.0 * self.done / self.total, rate,
                     (self.total - self.done) / rate / 60.0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _sampled_variables(cfg: dict, sampled: dict[str, np.ndarray]) -> dict:
    names = sorted(sampled)
    if not names:
        return {}
    units = [check_sampleable(name, cfg)[1].get("unit", "") or "1" for name in names]
    values = np.stack([sampled[name] for name in names], axis=1)
    return {
        "parameter_value": xr.Variable(("patient", "parameter"), values,
                                       {"long_name": "sampled patient parameter",
                                        "units": "see parameter_units"}),
        "parameter_units": xr.Variable(("parameter",), np.asarray(units, dtype=str),
                                       {"long_name": "unit of each sampled parameter"}),
    }


def check_sampled(cfg: dict, sampled: dict[str, np.ndarray], n: int, start: int,
                  field: str = PARAMETERS) -> None:
    """Every sampled patient obeys the field bounds and the cross-field rules of the config;
    ``field`` is the config section that set the values (``cohort.parameters``, or
    ``sensitivity.parameters`` for the rows of a Sobol' design).

    Raises
    ------
    ConfigError
        Naming the parameter, the first patient at fault and the rule or range.
    """
    if not sampled:
        return
    for path, values in sampled.items():
        rules.check_bounds(f"{field}.{path}", values, check_sampleable(path, cfg)[1],
                           path=path, first_patient=start,
                           hint="; truncate the distribution (low/high) or narrow it")
    rules.check_patients(Columns(cfg, n, sampled).with_nan, n, first_patient=start,
                         sampled_by=field)


def run_observation_variates(cfg: dict, start: int, stop: int,
                             n_cycles: int | None = None) -> dict[str, np.ndarray]:
    """Observation variates (:func:`simulator.cohort.observation_variates`) of patients
    ``start .. stop - 1`` of a validated config, shaped by the config: the padded lesion width
    (``cohort.lesions.max_count`` or the named lesions), the assessments and ``n_cycles``
    (default ``therapy.n_cycles``)."""
    lesions = cfg["cohort"]["lesions"]
    n_lesions = int(lesions["max_count"]) if lesions is not None else len(cfg["lesions"])
    cycles = int(cfg["therapy"]["n_cycles"]) if n_cycles is None else n_cycles
    return observation_variates(int(cfg["seed"]), start, stop, n_lesions,
                                assessment_times_h(cfg).size, cycles)


def _tile_rows(values: np.ndarray, copies: int) -> np.ndarray:
    """``copies`` copies of an array stacked along its first (patient) axis."""
    return np.tile(values, (copies,) + (1,) * (values.ndim - 1))


def simulate_chunk(cfg: dict, start: int, stop: int) -> xr.Dataset:
    """Dataset of patients ``start .. stop - 1`` of the configured cohort."""
    return simulate_chunk_variants(cfg, start, stop, [{}])[0]


def simulate_chunk_variants(cfg: dict, start: int, stop: int, variants: list[dict],
                            activity_gbq: list[np.ndarray | None] | None = None,
                            patients: np.ndarray | None = None) -> list[xr.Dataset]:
    """Patients ``start .. stop - 1`` once per variant, all in one batch of the engine.

    A variant maps dotted config paths (per-patient parameter columns, not sampled by the
    cohort) to a value, or to one value per patient.  Every variant sees the same sampled
    patients: patient i's variates, lesions and cure draw come from its own seeded streams,
    so each variant's Dataset equals a run of the config with those values set.

    ``activity_gbq``: per variant, None (the config's schedule, ``therapy.schedule``) or each
    patient's activity per cycle, (n, n_cycles) GBq with 0 for a cycle not given.
    ``patients``: indices in ``[start, stop)`` of the patients to simulate (default all);
    per-patient variant values and ``activity_gbq`` rows follow this selection.
    """
    seed, cohort = int(cfg["seed"]), cfg["cohort"]
    index = np.arange(start, stop) if patients is None else np.asarray(patients, dtype=int)
    rows = index - start
    n, copies = index.size, len(variants)
    sampled = sample_parameters(cohort, seed, start, stop)
    check_sampled(cfg, sampled, stop - start, start)
    sampled = {k: v[rows] for k, v in sampled.items()}
    generated = sample_lesions(cohort["lesions"], seed, start, stop)
    if generated is not None:
        generated = {k: v if k == "site_names" else _tile_rows(np.asarray(v)[rows], copies)
                     for k, v in generated.items()}
    columns = {path: _tile_rows(values, copies) for path, values in sampled.items()}
    for path in sorted({path for variant in variants for path in variant}):
        default = Columns(cfg, 1)(path)[0]
        columns[path] = np.concatenate([
            np.broadcast_to(np.asarray(v[path], dtype=float) if path in v else default, (n,))
            for v in variants])
    cols = Columns(cfg, n * copies, columns)
    schedule = None
    if activity_gbq is not None and any(a is not None for a in activity_gbq):
        fixed = np.repeat(cols("therapy.activity_gbq")[:, None],
                          int(cfg["therapy"]["n_cycles"]), axis=1)
        schedule = np.concatenate([fixed[k * n:(k + 1) * n] if a is None else np.asarray(a)
                                   for k, a in enumerate(activity_gbq)])
    variates = {k: _tile_rows(v[rows], copies)
                for k, v in run_observation_variates(cfg, start, stop).items()}
    res, out = run_schedule(cols, generated, schedule, variates)
    ds = to_dataset(res, out, cols, np.tile(index, copies))
    cured = _tile_rows(cure_uniforms(seed, start, stop)[rows], copies) < out.tcp
    ds["cured"] = xr.Variable(("patient",), cured,
                              {"units": "1", "long_name": "cure realised by a Bernoulli draw "
                                                          "from the patient's TCP"})
    for name, var in _sampled_variables(cfg, {k: columns[k] for k in sampled}).items():
        ds[name] = var
    if sampled:
        ds = ds.assign_coords(parameter=("parameter", sorted(sampled)))
    return [ds.isel(patient=slice(k * n, (k + 1) * n)) for k in range(copies)]


def join_chunks(pieces: list[xr.Dataset]) -> xr.Dataset:
    """The chunks of a cohort, in order, as one Dataset along ``patient``."""
    return pieces[0] if len(pieces) == 1 else xr.concat(pieces, dim="patient",
                                                        data_vars="minimal", coords="minimal",
                                                        compat="override", join="override")


def simulate_cohort(cfg: dict) -> xr.Dataset:
    """Simulate every patient of a validated config, chunk by chunk.

    With ``output.per_patient=false`` each chunk is reduced at once to the variables
    :func:`simulator.summarize` needs (:func:`simulator.summary.summary_inputs`).
    """
    n = int(cfg["cohort"]["n_patients"])
    chunk = int(cfg["solver"]["chunk_size"])
    progress = _Progress(n, cfg["output"]["progress"])
    start_time, pieces = time.perf_counter(), []
    try:
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            piece = simulate_chunk(cfg, start, stop)
            pieces.append(piece if cfg["output"]["per_patient"] else summary_inputs(piece))
            progress.update(stop - start)
    finally:
        progress.close()
    ds = join_chunks(pieces)
    elapsed = time.perf_counter() - start_time
    ds.attrs["n_patients"] = n
    ds.attrs["wall_time_s"] = round(elapsed, 3)
    return ds

