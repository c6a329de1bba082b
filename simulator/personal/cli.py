"""``prrt-sim-fit patient.yaml``: update a patient from their measurements, predict the rest.

Writes ``posterior.nc`` (the patient's parameters: twins, weights, prior and posterior
quantiles), ``prediction.nc`` (posterior predictive of the course), ``prediction.png`` (one
page) and, with ``--planned-activity-gbq``, ``alternatives.nc`` into ``--out``.  A bad
patient or settings file exits with status 2 and one line naming the file, row and field,
before any compute.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from ..errors import ConfigError, SolverError
from ..results.io import write_netcdf

EXIT_INPUT_ERROR = 2
EXIT_SOLVER_ERROR = 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prrt-sim-fit", description=__doc__.splitlines()[0])
    p.add_argument("patient", type=Path, help="patient measurement file (YAML)")
    p.add_argument("--settings", type=Path, default=None,
                   help="settings file (default conf/personal.yaml)")
    p.add_argument("--prior", default=None,
                   help="cohort config of conf/cohort/ used as the prior (default: settings)")
    p.add_argument("--twins", type=int, default=None, help="twins of the final round")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/personal/<patient_id>)")
    p.add_argument("--planned-activity-gbq", type=float, nargs="*", default=None,
                   help="also predict with every planned cycle at each of these activities")
    p.add_argument("--no-figure", action="store_true")
    p.add_argument("overrides", nargs="*",
                   help="config overrides of the twins, Hydra syntax (solver.rtol=1e-5)")
    return p


def run(args: argparse.Namespace) -> dict:
    from dataclasses import replace

    from .measurements import load_patient
    from .predict import alternatives, prediction_dataset
    from .settings import load_settings
    from .update import fit_patient, posterior_dataset

    settings = load_settings(args.settings)
    if args.prior:
        settings = replace(settings, prior=args.prior)
    if args.twins:
        settings = settings.with_sampler(n_twins=args.twins)
    patient = load_patient(args.patient)
    out = args.out or Path("outputs") / "personal" / patient.patient_id
    fit = fit_patient(patient, settings, args.overrides, seed=args.seed,
                      log=lambda m: print(f"prrt-sim-fit: {m}", file=sys.stderr))
    out.mkdir(parents=True, exist_ok=True)
    posterior, prediction = posterior_dataset(fit), prediction_dataset(fit)
    paths = {"posterior": write_netcdf(posterior, out / "posterior.nc"),
             "prediction": write_netcdf(prediction, out / "prediction.nc")}
    if args.planned_activity_gbq:
        alt = alternatives(fit, args.planned_activity_gbq, seed=args.seed)
        paths["alternatives"] = write_netcdf(alt, out / "alternatives.nc")
    import importlib.util

    if not args.no_figure and importlib.util.find_spec("matplotlib") is None:
        print("prrt-sim-fit: no figure (needs matplotlib: pip install 'prrt-simulator[plots]')",
              file=sys.stderr)
    elif not args.no_figure:
        from .figure import prediction_figure

        limits = fit.prior.cfg["limits"]
        risk = fit.prior.cfg["patient"]["renal_risk_factors"]
        limit = limits["kidney_bed_gy_with_risk_factors" if risk else "kidney_bed_gy"]
        paths["figure"] = prediction_figure(posterior, prediction, out / "prediction.png",
                                            kidney_limit_gy=limit)
    print(report(fit, prediction))
    for name, path in paths.items():
        print(f"prrt-sim-fit: wrote {path} ({name})")
    return paths


def report(fit, prediction) -> str:
    """The few lines the CLI prints."""
    def q(var, *sel):
        v = prediction[var]
        for dim, value in sel:
            v = v.sel({dim: value})
        return (f"{float(v.sel(quantile=0.5)):.3g} ({float(v.sel(quantile=0.05)):.3g}-"
                f"{float(v.sel(quantile=0.95)):.3g})")

    lines = [f"patient {fit.patient.patient_id}: {fit.weights.size} twins, ESS {fit.ess:.0f}, "
             f"{fit.wall_time_s:.0f} s",
             "  posterior predictive, median (90 % interval):",
             f"  kidney BED over the course {q('kidney_bed_total_gy')} Gy; planned cycles "
             f"{q('kidney_bed_planned_gy')} Gy",
             f"  red-marrow BED {q('marrow_bed_total_gy')} Gy, dose {q('marrow_dose_total_gy')} Gy"]
    for lesion in prediction.lesion.values:
        lines.append(f"  lesion {lesion}: dose {q('lesion_dose_total_gy', ('lesion', lesion))}"
                     " Gy")
    probs = ", ".join(f"{c} {float(p):.2f}" for c, p in zip(
        prediction.response_class.values, prediction.response_probability.values, strict=True))
    lines.append(f"  best response: {probs}")
    lines.append(f"  P(CMR + near-complete) {float(prediction.p_cmr_and_near_complete):.2f}; "
                 f"P(kidney BED over its limit) "
                 f"{float(prediction.p_kidney_bed_limit_exceeded):.2f}")
    pfs = ", ".join(f"{m:g} mo {float(s):.2f}" for m, s in zip(
        prediction.pfs_time_months.values, prediction.progression_free.values, strict=True))
    lines.append(f"  progression-free: {pfs}")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            run(args)
    except ConfigError as exc:
        print(f"prrt-sim-fit: {exc}", file=sys.stderr)
        sys.exit(EXIT_INPUT_ERROR)
    except SolverError as exc:
        print(f"prrt-sim-fit: {exc}", file=sys.stderr)
        sys.exit(EXIT_SOLVER_ERROR)


if __name__ == "__main__":
    main()
