"""Calibrate the virtual NETTER-1 population as Bayesian inference (issue 14; docs/calibration.md).

    python experiments/calibrate_posterior.py design --n 200       # wave 0: Latin hypercube
    python experiments/calibrate_posterior.py fit                  # emulator + emcee
    python experiments/calibrate_posterior.py refine --n 60        # wave 1: posterior draws
    python experiments/calibrate_posterior.py fit                  # refit on both waves
    python experiments/calibrate_posterior.py predictive --draws 30  # posterior predictive
    python experiments/calibrate_posterior.py report               # results/calibration.md

Files in ``experiments/results/calibration/``: ``design.nc`` (simulated design points),
``posterior.nc`` (ArviZ layout: group ``posterior`` with dims chain, draw), ``predictive.nc``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from simulator.calibration.design import latin_hypercube, run_design
from simulator.calibration.space import Space

OUT = Path(__file__).resolve().parent / "results" / "calibration"
DESIGN = OUT / "design.nc"


def command_line() -> str:
    return shlex.join(["python", "experiments/calibrate_posterior.py", *sys.argv[1:]])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("design", help="simulate a Latin-hypercube design (wave 0)")
    p.add_argument("--n", type=int, default=200, help="design points")
    p.add_argument("--patients", type=int, default=2000, help="virtual patients per arm")
    p.add_argument("--seed", type=int, default=6, help="root seed (common random numbers)")
    p.add_argument("--design-seed", type=int, default=14, help="seed of the hypercube")
    args = parser.parse_args(argv)
    space = Space()
    if args.stage == "design":
        theta = latin_hypercube(space, args.n, args.design_seed)
        run_design(space, theta, DESIGN, args.patients, args.seed, wave=0,
                   command=command_line())


if __name__ == "__main__":
    main()
