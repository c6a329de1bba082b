"""Validation of the personal prediction (docs/personal_prediction.md §5).

1. Simulation-based calibration: ``--n`` synthetic patients of the design below drawn from
   the prior, measured through the measurement model and fitted; rank histograms and the
   coverage of the 50 % and 90 % intervals of every parameter and predicted quantity.
2. Recovery: a few synthetic patients with known parameters (prior quantiles) fitted.
3. Narrowing: the same synthetic patients measured at 1, 2 and 4 time points.

    NUMBA_NUM_THREADS=2 python experiments/personal_sbc.py --n 200 \
        --out experiments/results/personal_sbc
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from simulator.personal.measurements import parse_patient
from simulator.personal.prior import build_prior
from simulator.personal.sbc import calibrate, coverage, rank_histogram, synthetic_patients
from simulator.personal.settings import load_settings
from simulator.personal.update import fit_patient, weighted_quantiles

#: the measurement design: what a clinic measures after cycle 1 of 4 x 7.4 GBq q8w (the
#: values are placeholders, replaced by synthetic measurements)
SBC_DESIGN = {
    "patient_id": "sbc_design", "body_mass_kg": 70.0, "gfr_ml_per_min": 85.0,
    "kidney_mass_g": 310.0,
    "cycles": [{"cycle": 1, "injection_time_d": 0, "activity_gbq": 7.4},
               *({"cycle": k, "injection_time_d": 56 * (k - 1), "activity_gbq": 7.4,
                  "given": False} for k in (2, 3, 4))],
    "lesions": [{"lesion": "liver_1", "site": "liver", "volume_ml": 15.0}],
    "activities": [{"cycle": 1, "region": r, "time_h": t, "activity_mbq": 1.0}
                   for r in ("kidneys", "liver_1") for t in (4.0, 24.0, 96.0, 168.0)],
    "doses": [{"cycle": 1, "region": "red_marrow", "dose_gy": 0.1}],
    "volumes": [{"lesion": "liver_1", "time_d": 50.0, "volume_ml": 15.0}],
}
NARROWING = {"1 (24 h)": (24.0,), "2 (24, 96 h)": (24.0, 96.0),
             "4 (4, 24, 96, 168 h)": (4.0, 24.0, 96.0, 168.0)}
KEY_PARAMETERS = ("pk.kidney_reabsorbed_fraction", "pk.tubular_release_half_life_h",
                  "lesions.liver_1.sstr_density_nmol_per_l", "pk.tumour.release_half_life_h")


def sbc_section(settings, n: int, seed: int, out: Path, head: list[str]) -> list[str]:
    design = parse_patient(SBC_DESIGN)
    start = time.perf_counter()

    def checkpoint(partial):
        lines = sbc_table(partial, settings, seed, time.perf_counter() - start)
        (out / "results_partial.md").write_text("\n".join(head + lines) + "\n")

    ds = calibrate(design, settings, n, seed, log=lambda m: print(m, flush=True),
                   checkpoint=checkpoint)
    wall = time.perf_counter() - start
    ds.attrs["wall_time_s"] = round(wall, 1)
    ds.to_netcdf(out / "sbc.nc")
    (out / "results_partial.md").unlink(missing_ok=True)
    return sbc_table(ds, settings, seed, wall)


def sbc_table(ds, settings, seed: int, wall: float) -> list[str]:
    n = ds.sizes["synthetic_patient"]
    ranks = ds["rank"].values
    c50, c90 = coverage(ranks, 0.5), coverage(ranks, 0.9)
    counts, p = rank_histogram(ranks)
    lines = [f"## Simulation-based calibration ({n} synthetic patients, seed {seed})", "",
             f"Wall time {wall / 60:.1f} min ({np.mean(ds.fit_time_s):.1f} s a fit); ESS "
             f"median {np.median(ds.ess):.0f} (5th percentile {np.percentile(ds.ess, 5):.0f}) "
             f"of {settings.sampler.n_twins} final twins.", "",
             "| quantity | kind | 50 % coverage | 90 % coverage | rank histogram (10 bins) | "
             "chi-square p |", "|---|---|---|---|---|---|"]
    for k, name in enumerate(ds.quantity.values):
        kind = "parameter" if bool(ds.is_parameter.values[k]) else "predicted"
        lines.append(f"| `{name}` | {kind} | {100 * c50[k]:.1f} % | {100 * c90[k]:.1f} % | "
                     f"{' '.join(str(c) for c in counts[k])} | {p[k]:.2f} |")
    pooled = ranks[np.isfinite(ranks)]
    p50, p90 = (100 * coverage(pooled[:, None], level)[0] for level in (0.5, 0.9))
    lines += ["", f"Pooled over every quantity: 50 % coverage {p50:.1f} %, "
                  f"90 % coverage {p90:.1f} %; largest "
                  f"deviation from nominal: {100 * np.max(np.abs(c50 - 0.5)):.1f} points (50 %), "
                  f"{100 * np.max(np.abs(c90 - 0.9)):.1f} points (90 %).", ""]
    return lines


def recovery_section(settings, seed: int) -> list[str]:
    design = parse_patient(SBC_DESIGN)
    prior = build_prior(design, settings)
    lines = ["## Recovery of known parameters", "",
             "Three synthetic patients with every parameter at its prior 10th, 50th and 90th "
             "percentile (z = -1.28, 0, +1.28), measured once through the measurement model.",
             "", "| patient | parameter | true | posterior median | 90 % interval | inside |",
             "|---|---|---|---|---|---|"]
    z = np.outer([-1.2816, 0.0, 1.2816], np.ones(prior.dim))
    syn = synthetic_patients(design, settings, prior, 3, seed + 7, z=z)
    for i, patient in enumerate(syn.patients):
        fit = fit_patient(patient, settings, prior=prior, seed=seed + i)
        for name in KEY_PARAMETERS + ("radiobiology.tumour_alpha_per_gy",):
            q = weighted_quantiles(fit.values[name], fit.weights, (0.05, 0.5, 0.95))
            true = syn.values[name][i]
            lines.append(f"| z = {z[i, 0]:+.2f} | `{name}` | {true:.4g} | {q[1]:.4g} | "
                         f"{q[0]:.4g} - {q[2]:.4g} | {'yes' if q[0] <= true <= q[2] else 'no'} |")
    return lines + [""]


def narrowing_section(settings, seed: int, replicates: int) -> list[str]:
    design = parse_patient(SBC_DESIGN)
    prior = build_prior(design, settings)
    syn = synthetic_patients(design, settings, prior, replicates, seed + 11)
    widths = {label: {k: [] for k in KEY_PARAMETERS} for label in NARROWING}
    for i, patient in enumerate(syn.patients):
        for label, times in NARROWING.items():
            sub = patient.replace(activities=tuple(a for a in patient.activities
                                                   if a.time_h in times))
            fit = fit_patient(sub, settings, prior=prior, seed=seed + 31 * i)
            for name in KEY_PARAMETERS:
                q = weighted_quantiles(np.log(fit.values[name]), fit.weights, (0.05, 0.95))
                widths[label][name].append(q[1] - q[0])
    prior_width = {k: float(np.diff(np.log(prior.dists[k].ppf(np.array([0.05, 0.95]))))[0])
                   for k in KEY_PARAMETERS}
    lines = ["## More time points narrow the posterior", "",
             f"{replicates} synthetic patients from the prior; the same cycle-1 SPECT/CT "
             "series of kidneys and lesion kept at 1, 2 or 4 of its time points (the marrow "
             "dose and the day-50 CT volume always). Width of the 90 % posterior interval of "
             "ln(parameter), mean over the patients (prior width in the first row):", "",
             "| time points | " + " | ".join(f"`{k}`" for k in KEY_PARAMETERS) + " |",
             "|---|" + "---|" * len(KEY_PARAMETERS),
             "| prior | " + " | ".join(f"{prior_width[k]:.3f}" for k in KEY_PARAMETERS) + " |"]
    for label in NARROWING:
        lines.append(f"| {label} | " + " | ".join(f"{np.mean(widths[label][k]):.3f}"
                                                  for k in KEY_PARAMETERS) + " |")
    return lines + [""]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="synthetic patients of the SBC")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--twins", type=int, default=300, help="final twins a fit")
    parser.add_argument("--pilot", type=int, default=150, help="twins a pilot round")
    parser.add_argument("--starts", type=int, default=2, help="Laplace starts")
    parser.add_argument("--replicates", type=int, default=5, help="patients of the narrowing")
    parser.add_argument("--sections", nargs="+", default=["recovery", "narrowing", "sbc"])
    parser.add_argument("--out", type=Path, default=Path("experiments/results/personal_sbc"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = load_settings().with_sampler(n_twins=args.twins, pilot_twins=args.pilot,
                                            laplace_starts=args.starts)
    start = time.perf_counter()
    lines = ["# Personal prediction: validation", "",
             f"`NUMBA_NUM_THREADS=2 python experiments/personal_sbc.py --n {args.n} --seed "
             f"{args.seed} --twins {args.twins} --pilot {args.pilot} --replicates "
             f"{args.replicates} --starts {args.starts} --sections {' '.join(args.sections)}`", ""]
    sections = {"sbc": lambda: sbc_section(settings, args.n, args.seed, args.out, lines[:]),
                "recovery": lambda: recovery_section(settings, args.seed),
                "narrowing": lambda: narrowing_section(settings, args.seed, args.replicates)}
    for name in args.sections:
        t = time.perf_counter()
        lines += sections[name]()
        lines.append(f"({name}: {time.perf_counter() - t:.0f} s)")
        lines.append("")
        (args.out / "results.md").write_text("\n".join(lines) + "\n")
    lines.append(f"Total wall time {(time.perf_counter() - start) / 60:.1f} min.")
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
