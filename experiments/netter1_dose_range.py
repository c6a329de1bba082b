"""Tumour dose per cycle of the virtual NETTER-1 arm, like for like with the published range.

    python experiments/netter1_dose_range.py [--n 2000]   # writes results/netter1_dose_range.md

The published 2-77 Gy per cycle is the minimum and maximum over 880 dose assessments of 182
lesions >= 8 mL in 41 patients (J Nucl Med 2022, PMC8978188). A minimum and
a maximum depend on the sample size and on the clustering of lesions in patients, so they are
compared with the same statistic of the virtual cohort: draw 41 virtual patients with at least
one lesion >= 8 mL, take every dose per cycle of their lesions >= 8 mL, record the minimum and
maximum; repeat. Lesions of one patient share its SSTR2 density, as in the trial.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simulator.trial import run_arm

N_PATIENTS, MIN_VOLUME_ML, PUBLISHED_GY = 41, 8.0, (2.0, 77.0)

RESULTS = Path(__file__).resolve().parent / "results"


def write_report(name: str, lines: list[str]) -> None:
    """Write ``lines`` as ``results/<name>`` (markdown) and print them."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text("\n".join(lines))
    print("\n".join(lines))


def clustered_extremes(dose_gy: np.ndarray, volume_ml: np.ndarray, draws: int, seed: int):
    """Minimum and maximum dose per cycle over ``N_PATIENTS`` drawn patients, ``draws`` times.

    ``dose_gy`` (patient, lesion, cycle), ``volume_ml`` (patient, lesion) at baseline.
    """
    big = volume_ml >= MIN_VOLUME_ML
    patients = np.flatnonzero(big.any(axis=1))
    rng = np.random.default_rng(seed)
    lo, hi = np.empty(draws), np.empty(draws)
    for k in range(draws):
        pick = rng.choice(patients, N_PATIENTS, replace=False)
        doses = dose_gy[pick][big[pick]]
        lo[k], hi[k] = np.nanmin(doses), np.nanmax(doses)
    return lo, hi


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20170112)
    parser.add_argument("--draws", type=int, default=2000)
    args = parser.parse_args(argv)
    ds = run_arm(args.n, args.seed, control=False)
    lo, hi = clustered_extremes(ds.lesion_dose_gy.values, ds.lesion_volume_ml.isel(time=0).values,
                                args.draws, args.seed)
    q = (0.05, 0.5, 0.95)
    lines = ["# Tumour dose per cycle, like for like (experiments/netter1_dose_range.py)", "",
             f"`python experiments/netter1_dose_range.py --n {args.n} --seed {args.seed} "
             f"--draws {args.draws}`: {args.draws} draws of {N_PATIENTS} virtual patients "
             f"(177Lu-DOTATATE arm) with lesions >= {MIN_VOLUME_ML:g} mL; all their lesion "
             "doses per cycle.", "",
             "| statistic | simulated, median (5th-95th percentile of draws) | published |",
             "|---|---|---|",
             f"| minimum dose per cycle [Gy] | {np.quantile(lo, 0.5):.1f} "
             f"({np.quantile(lo, q[0]):.1f}-{np.quantile(lo, q[2]):.1f}) | {PUBLISHED_GY[0]:g} |",
             f"| maximum dose per cycle [Gy] | {np.quantile(hi, 0.5):.1f} "
             f"({np.quantile(hi, q[0]):.1f}-{np.quantile(hi, q[2]):.1f}) | {PUBLISHED_GY[1]:g} |",
             ""]
    write_report("netter1_dose_range.md", lines)


if __name__ == "__main__":
    main()
