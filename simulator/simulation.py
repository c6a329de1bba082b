"""Simulate a configured cohort chunk by chunk (orchestration; a single patient is n = 1).

For each chunk of ``solver.chunk_size`` patients: sample their parameters and
lesions (:mod:`simulator.cohort`, per-patient seeds), build the arrays, run the
batch kernel, compute the outcomes, realise each patient's cure by a Bernoulli
draw from its TCP, and append the chunk's Dataset.  Results do not depend on the
chunk size or on the number of threads.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import xarray as xr

from .cohort import check_sampleable, cure_uniforms, sample_lesions, sample_parameters
from .cohort.sampleable import check_sampled
from .course import run_chunk
from .outcomes import compute_outcomes
from .population import Columns
from .results.dataset import to_dataset
from .summary import summary_inputs


def _progress(total: int, enabled: bool):
    if not enabled or not sys.stderr.isatty() or total <= 1:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="patient", desc="prrt-sim", file=sys.stderr)


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


def _tile_rows(values: np.ndarray, copies: int) -> np.ndarray:
    """``copies`` copies of an array stacked along its first (patient) axis."""
    return np.tile(values, (copies,) + (1,) * (values.ndim - 1))


def simulate_chunk(cfg: dict, start: int, stop: int) -> xr.Dataset:
    """Dataset of patients ``start .. stop - 1`` of the configured cohort."""
    return simulate_chunk_variants(cfg, start, stop, [{}])[0]


def simulate_chunk_variants(cfg: dict, start: int, stop: int,
                            variants: list[dict[str, float]]) -> list[xr.Dataset]:
    """Patients ``start .. stop - 1`` once per variant, all in one batch of the engine.

    A variant maps dotted config paths (per-patient parameter columns, not sampled by the
    cohort) to values.  Every variant sees the same sampled patients: patient i's variates,
    lesions and cure draw come from its own seeded streams, so each variant's Dataset equals
    a run of the config with those values set.
    """
    seed, cohort = int(cfg["seed"]), cfg["cohort"]
    n, copies = stop - start, len(variants)
    sampled = sample_parameters(cohort, seed, start, stop)
    for path, values in sampled.items():
        check_sampled(path, values, cfg, start)
    generated = sample_lesions(cohort["lesions"], seed, start, stop)
    if generated is not None:
        generated = {k: v if k == "site_names" else _tile_rows(np.asarray(v), copies)
                     for k, v in generated.items()}
    columns = {path: _tile_rows(values, copies) for path, values in sampled.items()}
    for path in sorted({path for variant in variants for path in variant}):
        columns[path] = np.repeat([float(v[path]) if path in v else Columns(cfg, 1)(path)[0]
                                   for v in variants], n)
    cols = Columns(cfg, n * copies, columns)
    res = run_chunk(cols, generated)
    out = compute_outcomes(res, cols)
    ds = to_dataset(res, out, cols, np.tile(np.arange(start, stop), copies))
    cured = _tile_rows(cure_uniforms(seed, start, stop), copies) < out.tcp
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
    bar = _progress(n, cfg["output"]["progress"])
    start_time, pieces = time.perf_counter(), []
    try:
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            piece = simulate_chunk(cfg, start, stop)
            pieces.append(piece if cfg["output"]["per_patient"] else summary_inputs(piece))
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    ds = join_chunks(pieces)
    elapsed = time.perf_counter() - start_time
    ds.attrs["n_patients"] = n
    ds.attrs["wall_time_s"] = round(elapsed, 3)
    return ds


def simulate_config(cfg: dict) -> xr.Dataset:
    """The cohort of a validated config, over its ``grid`` when it has one."""
    if cfg["grid"]:
        from .sweep.grid import simulate_grid

        return simulate_grid(cfg)
    return simulate_cohort(cfg)
