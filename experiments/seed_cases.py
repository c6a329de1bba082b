"""Founding case report reproduced, and a map of where near-complete responses arise (issue 7).

Adnan A, Basu S. Rare-site primary soft-tissue neuroendocrine tumor with metastases and
near-complete resolution with 177Lu-DOTATATE. J Nucl Med Technol 2020;48(1):36-39,
doi:10.2967/jnmt.119.227058. Both patients reached a complete metabolic and a near-complete
anatomic response on PRRT alone. What we assume of each patient before its outcome is in
``conf/experiment/seed_case1_prior.yaml`` and ``seed_case2_prior.yaml`` (parameters the report
is silent about: the NETTER-1 population block ``conf/experiment/seed_population.yaml``);
docs/seed_cases.md argues every value.

Regenerate every table, figure and Dataset (about 4 min on 2 idle cores)::

    NUMBA_NUM_THREADS=2 .venv/bin/python experiments/seed_cases.py --write

For each case it runs

1. its virtual twins (``experiment=seed_caseN_twins``, the prior: the case's assumptions with
   the NETTER-1 population's spreads): the probability of CMR + near-complete anatomic
   response, and the **inference** (:func:`prior_twins`, :func:`posterior_medians`): the twins
   that reached the reported outcome are a sample of the posterior (rejection sampling), and
   their medians are the
   inferred patient ``conf/experiment/seed_caseN.yaml`` (``--write`` rewrites its
   ``[POST:...]`` values);
2. the deterministic patient, before (``seed_caseN_prior``) and after (``seed_caseN``) the
   inference: lesion doses and BED per cycle, kidney and marrow against their limits, volume
   curves, best RECIST 1.1 response, near-complete anatomic response, complete metabolic
   response (CMR), TCP;
3. the response map: therapy.activity_gbq x patient.sstr_density_nmol_per_l, a small cohort of
   prior twins at every point (:func:`evaluate_grid`), with the kidney-BED-limit frontier, and
   the inferred patient over the same grid;
4. the sensitivity of the inferred patient's outcome to stroma fraction, doomed-cell clearance
   half-time, growth rate, tumour alpha and lesion size (one at a time).

Everything goes to ``experiments/results/seed_cases/`` (``--out``): ``results.md`` (tables),
``response_map.nc`` and ``twins.nc`` (small), ``response_map_<case>.png``,
``volumes.png``, ``sensitivity.png``. ``--small`` is a tiny run for tests and the notebook
(``experiments/notebooks/seed_cases.ipynb``).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from omegaconf import DictConfig, OmegaConf

import simulator
from simulator.config import config_dir
from simulator.summary import wilson_interval

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from tagged_yaml import read_tagged, write_tagged, yaml_number  # noqa: E402

OUT = HERE / "results" / "seed_cases"
CASES = ("seed_case1", "seed_case2")
MAP_AXES = ("therapy.activity_gbq", "patient.sstr_density_nmol_per_l")
LESION_SCALE = "lesion_volume_scale"   # not a config path: every lesion volume x this factor
SENSITIVITY = {  # one at a time around the inferred case (alpha: the NETTER-1 median 0.010
    # and the uncalibrated default 0.0172 are both listed)
    "tumour.stroma_fraction": (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3),
    "tumour.doomed_clearance_half_time_d": (7.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0),
    "tumour.volume_growth_percent_per_month": (0.0, 0.4, 0.8, 2.0, 4.0, 8.0),
    "radiobiology.tumour_alpha_per_gy": (0.005, 0.01, 0.0172, 0.03, 0.05, 0.1),
    LESION_SCALE: (0.25, 0.5, 1.0, 2.0, 4.0),
}
#: per-patient outcomes kept from every simulated grid point
KEEP = ("best_response", "near_complete_response", "complete_metabolic_response", "tcp",
        "kidney_bed_cumulative_gy", "kidney_bed_limit_exceeded", "best_decrease",
        "pet_positive_at_baseline")
#: fewer accepted twins than this and ``--write`` refuses to write a posterior median
MIN_ACCEPTED = 20
#: the refined time axis of the deterministic cases (volume curves)
TIMESERIES = "output.save_timeseries=true"
OUTCOMES = ("no_CMR", "CMR_only", "CMR_and_near_complete", "complete_anatomic_CR",
            "near_complete_without_CMR")


@dataclass(frozen=True)
class RunSize:
    n_twins: int                 # prior twins per case (section 1)
    map_twins: int               # twins per grid point of the response map
    activities_gbq: tuple
    densities_nmol_per_l: tuple
    sensitivity: bool


FULL = RunSize(2000, 16, (1.85, 3.7, 5.55, 7.4, 11.1, 14.8, 22.2),
               (5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0), True)
SMALL = RunSize(4, 2, (3.7, 7.4), (20.0, 150.0), False)


#: Hydra overrides applied to every run (``--override``), e.g. an alternative population
OVERRIDES: list[str] = []


def compose(experiment: str, *overrides: str) -> DictConfig:
    return simulator.compose([f"experiment={experiment}", "output.progress=false", *OVERRIDES,
                              *overrides])


def best_decrease(ds: xr.Dataset) -> xr.DataArray:
    """Largest fractional decrease of the sum of target diameters at any assessment (1 = CR)."""
    sums = ds.sum_diameters_mm.where(ds.is_assessment, drop=True)
    dec = 1.0 - sums.isel(time=slice(1, None)).min("time") / sums.isel(time=0)
    return dec.assign_attrs(units="1", long_name="best decrease of the sum of target diameters "
                                                 "from baseline (1 = all targets gone)")


def add_derived(ds: xr.Dataset) -> xr.Dataset:
    """Add ``best_decrease`` and ``pet_positive_at_baseline`` (any lesion visible at time 0)."""
    ds["best_decrease"] = best_decrease(ds)
    ds["pet_positive_at_baseline"] = ds.lesion_pet_visible.isel(time=0).any("lesion").assign_attrs(
        units="1", long_name="some lesion visible on SSTR-PET at baseline")
    return ds


def _set(cfg: DictConfig, name: str, value: float) -> None:
    if name == LESION_SCALE:
        for lesion in cfg.lesions:
            cfg.lesions[lesion].volume_ml = float(cfg.lesions[lesion].volume_ml) * value
    else:
        OmegaConf.update(cfg, name, float(value))


def evaluate_grid(cfg: DictConfig, axes: dict[str, Sequence[float]],
                  apply: Callable[[DictConfig, str, float], None] = _set) -> xr.Dataset:
    """Simulate the cohort of ``cfg`` at every point of a grid, in this process.

    ``axes`` maps a dotted config path (e.g. ``therapy.activity_gbq``) to its values; each
    point is ``cfg`` with those values set, as a Hydra override would set them, so values that
    interpolate them (the twins' medians in ``conf/cohort/seed_twins.yaml``) follow. Every
    point simulates the same patients (same seed: common random numbers). Returns the
    per-patient outcomes :data:`KEEP` with one dimension per axis, named after the path's last
    part. A stand-in for the sweeps issue's in-process ``grid:`` (issue 5).
    """
    pieces = []
    for values in itertools.product(*axes.values()):
        point = cfg.copy()
        for name, value in zip(axes, values, strict=True):
            apply(point, name, value)
        ds = add_derived(simulator.simulate(point))
        pieces.append(ds[list(KEEP)].drop_vars(["time", "is_assessment"], errors="ignore"))
    dims = [name.split(".")[-1] for name in axes]
    index = pd.MultiIndex.from_product([np.asarray(v, dtype=float) for v in axes.values()],
                                       names=dims)
    grid = xr.concat(pieces, dim="point").assign_coords(
        xr.Coordinates.from_pandas_multiindex(index, "point")).unstack("point")
    return grid.transpose(*dims, "patient")


def kidney_bed_limit_gy(cfg: DictConfig) -> float:
    limits = cfg.limits
    return float(limits.kidney_bed_gy_with_risk_factors if cfg.patient.renal_risk_factors
                 else limits.kidney_bed_gy)


def reported_outcome(grid: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """CMR (the simulator's flag requires PET-visible disease at baseline) and CMR + near."""
    cmr = grid.complete_metabolic_response
    return cmr, cmr & grid.near_complete_response


def outcome_category(grid: xr.Dataset) -> xr.DataArray:
    """Index into :data:`OUTCOMES` per patient."""
    cmr, both = reported_outcome(grid)
    near, cr = grid.near_complete_response, grid.best_response == 0
    code = xr.where(cr, 3, xr.where(both, 2, xr.where(near, 4, xr.where(cmr, 1, 0))))
    return code.assign_attrs(flag_values=list(range(len(OUTCOMES))),
                             flag_meanings=" ".join(OUTCOMES), units="1")


def response_map(experiment: str, size: RunSize, post: dict[str, float] | None = None
                 ) -> xr.Dataset:
    """Probabilities of CMR / near-complete / both over the activity x SSTR density grid.

    Prior twins of the case at every grid point, plus the deterministic inferred case
    (:func:`inferred_case` with ``post``) at every grid point.
    """
    cfg = compose(f"{experiment}_twins", f"cohort.n_patients={size.map_twins}")
    axes = {MAP_AXES[0]: size.activities_gbq, MAP_AXES[1]: size.densities_nmol_per_l}
    grid = evaluate_grid(cfg, axes)
    cmr, both = reported_outcome(grid)
    out = xr.Dataset({
        "p_complete_metabolic": cmr.mean("patient"),
        "p_near_complete": grid.near_complete_response.mean("patient"),
        "p_cmr_and_near_complete": both.mean("patient"),
        "p_complete_anatomic": (grid.best_response == 0).mean("patient"),
        "kidney_bed_median_gy": grid.kidney_bed_cumulative_gy.median("patient"),
    })
    for name, what in [("p_complete_metabolic", "complete metabolic response (PET-positive "
                                                "at baseline)"),
                       ("p_near_complete", "near-complete anatomic response (PR, >= 80 %)"),
                       ("p_cmr_and_near_complete", "complete metabolic + near-complete anatomic"),
                       ("p_complete_anatomic", "complete anatomic response (RECIST CR)")]:
        out[name].attrs = {"units": "1", "long_name": f"probability over twins of {what}"}
    out["kidney_bed_median_gy"].attrs = {"units": "Gy",
                                         "long_name": "median cumulative kidney BED over twins"}
    inferred = inferred_case(experiment, post)
    case = evaluate_grid(inferred, axes)
    out["case_outcome"] = outcome_category(case.isel(patient=0, drop=True)).assign_attrs(
        long_name="outcome of the inferred case (posterior medians), deterministic")
    out["inferred_stroma_fraction"] = xr.DataArray(
        float(inferred.tumour.stroma_fraction), attrs={"units": "1"})
    out["inferred_tumour_alpha_per_gy"] = xr.DataArray(
        float(inferred.radiobiology.tumour_alpha_per_gy), attrs={"units": "1/Gy"})
    for name in KEEP:
        out[f"twin_{name}"] = grid[name]
    out["activity_gbq"].attrs = {"units": "GBq", "long_name": "activity per cycle"}
    out["sstr_density_nmol_per_l"].attrs = {
        "units": "nmol/L", "long_name": "tumour SSTR2 density (median of the twins)"}
    out["assumed_activity_gbq"] = xr.DataArray(float(cfg.therapy.activity_gbq),
                                               attrs={"units": "GBq"})
    out["assumed_sstr_density_nmol_per_l"] = xr.DataArray(
        float(cfg.patient.sstr_density_nmol_per_l), attrs={
            "units": "nmol/L", "long_name": "assumed density before the outcome (prior)"})
    out["inferred_sstr_density_nmol_per_l"] = xr.DataArray(
        float(inferred.patient.sstr_density_nmol_per_l), attrs={
            "units": "nmol/L", "long_name": "posterior median density (inferred case)"})
    out["kidney_bed_limit_gy"] = xr.DataArray(kidney_bed_limit_gy(cfg), attrs={
        "units": "Gy", "long_name": "applicable kidney BED limit (conf/limits)"})
    out["kidney_bed_limit_risk_factors_gy"] = xr.DataArray(
        float(cfg.limits.kidney_bed_gy_with_risk_factors),
        attrs={"units": "Gy", "long_name": "kidney BED limit with renal risk factors"})
    out.attrs.update(n_twins=size.map_twins, seed=int(cfg.seed),
                     prior="NETTER-1 population" + "".join(f", {o}" for o in OVERRIDES),
                     n_cycles=int(cfg.therapy.n_cycles),
                     peptide_nmol=float(cfg.therapy.peptide_nmol))
    return out


def response_maps(experiments: Sequence[str], size: RunSize,
                  posts: dict[str, dict[str, float]] | None = None) -> xr.Dataset:
    """:func:`response_map` of several cases along a ``case`` dimension (response_map.nc)."""
    posts = posts or {}
    return xr.concat([response_map(e, size, posts.get(e)).expand_dims(case=[e])
                      for e in experiments], dim="case")


def sensitivity(experiment: str, post: dict[str, float] | None = None
                ) -> dict[str, xr.Dataset]:
    """The deterministic inferred case (:func:`inferred_case`) with one assumption varied at
    a time (:data:`SENSITIVITY`)."""
    cfg = inferred_case(experiment, post)
    return {name: evaluate_grid(cfg, {name: values}).isel(patient=0)
            for name, values in SENSITIVITY.items()}


def wilson(flags) -> str:
    k, n = int(np.sum(flags)), int(np.size(flags))
    p, low, high = wilson_interval(k, n)
    return f"{k}/{n} = {p:.2f} (95 % CI {low:.2f}-{high:.2f})"


def case_yaml(experiment: str) -> Path:
    return config_dir() / "experiment" / f"{experiment}.yaml"


def prior_twins(experiment: str, n: int) -> xr.Dataset:
    """``n`` virtual twins of the case before its outcome, with ``accepted`` = reported outcome.

    The twins (``{experiment}_twins``) are draws from the prior: the case's assumptions with
    the spreads of the NETTER-1 population. Those that reach the reported outcome (CMR +
    near-complete, which excludes a CR) are draws from the posterior given that outcome.
    """
    tw = add_derived(simulator.simulate(compose(f"{experiment}_twins", f"cohort.n_patients={n}")))
    tw["accepted"] = reported_outcome(tw)[1].assign_attrs(
        units="1", long_name="twin reached the reported outcome (CMR + near-complete): "
                             "a draw from the posterior")
    return tw


def inferred_parameters(tw: xr.Dataset) -> list[str]:
    """The parameters that the inference sets: every varied one except the lesion sizes."""
    return [str(p) for p in tw.parameter.values if not str(p).startswith("lesions.")]


def posterior_medians(tw: xr.Dataset) -> dict[str, float]:
    """Median over the accepted twins of each inferred parameter, to the 4 significant digits
    that ``--write`` puts in the config (empty if no twin was accepted)."""
    acc = tw.accepted.values.astype(bool)
    if not acc.any():
        return {}
    return {p: float(yaml_number(np.median(tw.parameter_value.sel(parameter=p).values[acc])))
            for p in inferred_parameters(tw)}


def post_overrides(post: dict[str, float]) -> list[str]:
    return [f"{path}={value!r}" for path, value in post.items()]


def inferred_case(experiment: str, post: dict[str, float] | None = None,
                  *overrides: str) -> DictConfig:
    """The case conditioned on its outcome: ``{experiment}_prior`` with this run's posterior
    medians ``post`` as overrides (so that ``--override`` moves the prior and the posterior
    follows); ``None``: the committed ``conf/experiment/{experiment}.yaml``."""
    if post is None:
        return compose(experiment, *overrides)
    return compose(f"{experiment}_prior", *post_overrides(post), *overrides)


def posterior_table(tw: xr.Dataset, experiment: str) -> list[str]:
    """Prior and posterior of every varied parameter, and the value in the case's config."""
    acc = tw.accepted.values.astype(bool)
    written = read_tagged(case_yaml(experiment), "POST")
    rng = np.random.default_rng(0)
    lines = [f"{int(acc.sum())} of {acc.size} prior twins reached the reported outcome. "
             "Monte Carlo error of a posterior median: standard deviation over 1000 bootstrap "
             "resamples of the accepted twins.", "",
             "| parameter | prior median (5-95 %) | posterior median (5-95 %) | its MC error | "
             f"`{experiment}.yaml` before this run |", "|---|---|---|---|---|"]
    for p in tw.parameter.values:
        v = tw.parameter_value.sel(parameter=p).values
        if np.isnan(v).all():   # another case's lesion (a concatenated twins.nc)
            continue
        cells = []
        for x in (v, v[acc]):
            q = np.percentile(x, [5, 50, 95]) if x.size else [np.nan] * 3
            cells.append(f"{q[1]:.4g} ({q[0]:.4g}-{q[2]:.4g})")
        boot = (np.median(rng.choice(v[acc], (1000, acc.sum())), axis=1).std()
                if acc.any() else np.nan)
        error = f"{100 * boot / np.median(v[acc]):.0f} %" if acc.any() else "-"
        lines.append(f"| {p} | {cells[0]} | {cells[1]} | {error} | "
                     f"{written.get(str(p), 'as assumed')} |")
    return lines


def config_holds(experiment: str, post: dict[str, float]) -> bool:
    """Whether ``conf/experiment/{experiment}.yaml`` holds the posterior medians ``post``."""
    written = read_tagged(case_yaml(experiment), "POST")
    return bool(post) and all(p in written and np.isclose(float(written[p]), v, rtol=5e-4)
                              for p, v in post.items())


def deterministic(cfg: DictConfig) -> xr.Dataset:
    """The one patient of ``cfg``, with ``best_decrease`` and ``pet_positive_at_baseline``."""
    return add_derived(simulator.simulate(cfg)).isel(patient=0)


def case_tables(ds: xr.Dataset, cfg: DictConfig) -> list[str]:
    """Markdown tables of one deterministic case."""
    vol0 = ds.lesion_volume_ml.isel(time=0)
    lines = ["| lesion | site | V0 (mL) | diameter (mm) | target | dose per cycle (Gy) | "
             "BED per cycle (Gy) | total dose (Gy) | total BED (Gy) |", "|---" * 9 + "|"]
    for k, name in enumerate(ds.lesion.values):
        dose, bed = ds.lesion_dose_gy.isel(lesion=k), ds.lesion_bed_gy.isel(lesion=k)
        lines.append(
            f"| {name} | {cfg.lesions[name].site} | {float(vol0[k]):.1f} | "
            f"{(6 * float(vol0[k]) * 1e3 / np.pi) ** (1 / 3):.1f} | "
            f"{'yes' if bool(ds.lesion_is_target[k]) else 'no'} | "
            f"{' / '.join(f'{v:.1f}' for v in dose.values)} | "
            f"{' / '.join(f'{v:.1f}' for v in bed.values)} | {float(dose.sum()):.1f} | "
            f"{float(bed.sum()):.1f} |")
    limit = kidney_bed_limit_gy(cfg)
    kidney_dose = float(ds.kidney_dose_gy.sum())
    marrow = float(ds.marrow_dose_gy.sum())
    kidney_bed = float(ds.kidney_bed_cumulative_gy)
    codes = dict(zip(ds.best_response.attrs["flag_values"],
                     ds.best_response.attrs["flag_meanings"].split(), strict=True))
    lines += ["", "| quantity | value | limit |", "|---|---|---|",
              f"| kidney absorbed dose, 4 cycles | {kidney_dose:.1f} Gy "
              f"({kidney_dose / float(ds.injected_activity_gbq.sum()):.2f} Gy/GBq) | "
              f"{cfg.limits.kidney_dose_gy:g} Gy |",
              f"| kidney BED, cumulative | {kidney_bed:.1f} Gy | {limit:g} Gy "
              f"({cfg.limits.kidney_bed_gy_with_risk_factors:g} Gy with risk factors) |",
              f"| red-marrow absorbed dose | {marrow:.2f} Gy | {cfg.limits.marrow_dose_gy:g} Gy |",
              f"| best RECIST 1.1 response | {codes[int(ds.best_response)]} | |",
              f"| best decrease of the sum of target diameters | "
              f"{100 * float(ds.best_decrease):.1f} % | PR >= 30 %, near-complete >= "
              f"{100 * cfg.response.near_complete_threshold:g} % |",
              f"| near-complete anatomic response | {bool(ds.near_complete_response)} | |",
              f"| complete metabolic response | {bool(ds.complete_metabolic_response)} | |",
              f"| TCP (Zaider-Minerbo) | {float(ds.tcp):.3g} | |"]
    return lines


def twin_table(ds: xr.Dataset) -> list[str]:
    """Outcome probabilities over the twins, Wilson 95 % intervals."""
    cmr, both = (a.values for a in reported_outcome(ds))
    dec = ds.best_decrease.values
    q = np.percentile(dec, [5, 50, 95]) * 100
    kq = np.percentile(ds.kidney_bed_cumulative_gy.values, [5, 50, 95])
    return ["| outcome over twins | probability |", "|---|---|",
            f"| complete metabolic response (CMR) of PET-positive disease | {wilson(cmr)} |",
            f"| near-complete anatomic response | {wilson(ds.near_complete_response.values)} |",
            f"| **CMR + near-complete anatomic** | **{wilson(both)}** |",
            f"| complete anatomic response (RECIST CR) | {wilson(ds.best_response.values == 0)} |",
            f"| partial response or better | {wilson(ds.best_response.values <= 1)} |",
            f"| kidney BED above its limit | {wilson(ds.kidney_bed_limit_exceeded.values)} |",
            "", f"Best decrease of the sum of diameters, 5/50/95th percentiles: "
            f"{q[0]:.0f} / {q[1]:.0f} / {q[2]:.0f} %; cumulative kidney BED "
            f"{kq[0]:.1f} / {kq[1]:.1f} / {kq[2]:.1f} Gy."]


def sensitivity_table(sens: dict[str, xr.Dataset]) -> list[str]:
    lines = ["| varied assumption | value | best response | best decrease | near-complete | CMR |",
             "|---|---|---|---|---|---|"]
    names = {0: "CR", 1: "PR", 2: "SD", 3: "PD", -1: "NE"}
    for path, res in sens.items():
        dim = path.split(".")[-1]
        for value in res[dim].values:
            r = res.sel({dim: value})
            lines.append(f"| {path} | {value:g} | {names[int(r.best_response)]} | "
                         f"{100 * float(r.best_decrease):.0f} % | "
                         f"{bool(r.near_complete_response)} | "
                         f"{bool(r.complete_metabolic_response)} |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    from seed_case_figures import save_map, save_sensitivity, save_volumes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny run (tests, notebook)")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument("--write", action="store_true",
                        help="write the posterior medians into conf/experiment/seed_caseN.yaml "
                             f"(needs >= {MIN_ACCEPTED} accepted twins)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="Hydra override for every run (repeatable), e.g. "
                             "radiobiology.tumour_alpha_per_gy=0.03")
    args = parser.parse_args(argv)
    if args.write and args.override:
        parser.error("--write stores the posterior of the committed prior: not with --override")
    OVERRIDES[:] = args.override
    size = SMALL if args.small else FULL
    args.out.mkdir(parents=True, exist_ok=True)
    report = ["# Founding case report: measured outcomes", "",
              "Written by `experiments/seed_cases.py`" + (" (--small)" if args.small else "")
              + "".join(f" --override {o}" for o in args.override)
              + "; assumptions and discussion in `docs/seed_cases.md`.", ""]
    twins, cases, sens, posts, used = [], {}, {}, {}, {}
    for experiment in CASES:
        print(f"{experiment}: prior twins, inference, deterministic, sensitivity", flush=True)
        tw = prior_twins(experiment, size.n_twins)
        posts[experiment] = posterior_medians(tw)
        enough = int(tw.accepted.sum()) >= MIN_ACCEPTED
        post = used[experiment] = posts[experiment] if enough else None
        twins.append(tw[list(KEEP) + ["parameter_value", "accepted"]].expand_dims(
            case=[experiment]))
        report += [f"## {experiment}", "", f"### {size.n_twins} virtual twins (the prior)", "",
                   *twin_table(tw), "", "### Inference: the twins that reached the reported "
                   "outcome", "", *posterior_table(tw, experiment)]
        if not enough:
            report += ["", f"**Fewer than {MIN_ACCEPTED} accepted twins: the inferred patient "
                       f"below is the committed `{experiment}.yaml`, not this run's "
                       "posterior.**"]
        prior = f"{experiment}_prior"
        source = f"`experiment={experiment}`" if post is None else "this run's posterior medians"
        before = f"before the outcome: `experiment={prior}`"
        for cfg, title in ((compose(prior, TIMESERIES), before),
                           (inferred_case(experiment, post, TIMESERIES), f"inferred: {source}")):
            ds = deterministic(cfg)
            report += ["", f"### Deterministic patient {title}", "", *case_tables(ds, cfg)]
        cases[experiment] = ds
        if size.sensitivity:
            sens[experiment] = sensitivity(experiment, post)
            report += ["", "### Sensitivity of the inferred patient (one assumption at a time)",
                       "", *sensitivity_table(sens[experiment])]
        report.append("")
    print("response maps", flush=True)
    rmap = response_maps(CASES, size, used)
    rmap.to_netcdf(args.out / "response_map.nc")
    xr.concat(twins, dim="case", join="outer").to_netcdf(args.out / "twins.nc")
    for experiment in CASES:
        save_map(rmap, experiment, args.out / f"response_map_{experiment}.png")
    save_volumes(cases, args.out / "volumes.png")
    if sens:
        save_sensitivity(sens, args.out / "sensitivity.png")
    short = [e for e in CASES if used[e] is None]
    if args.write and not short:   # every output above is saved: now the configs
        for experiment in CASES:
            write_tagged(case_yaml(experiment), "POST", posts[experiment])
    report += ["## The inferred patients' configs", ""] + [
        f"- `conf/experiment/{e}.yaml` holds this run's posterior medians: "
        f"{'yes' if config_holds(e, posts[e]) else '**no**'}" for e in CASES]
    (args.out / "results.md").write_text("\n".join(report) + "\n")
    print(f"wrote {args.out}")
    if args.write and short:
        raise SystemExit(f"{short}: fewer than {MIN_ACCEPTED} twins reached the outcome; "
                         "no config written")


if __name__ == "__main__":
    main()
