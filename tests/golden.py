"""Golden files: scipy reference integrations stored once, so the default suite skips scipy.

    .venv/bin/python -m tests.golden            # show what each golden file holds
    .venv/bin/python -m tests.golden --update   # regenerate them (a few minutes; on purpose only)

Each file in ``tests/literature/golden/`` holds the states that ``scipy.integrate.solve_ivp``
(Radau, :mod:`simulator.reference`) reached for the configs of one test module, and a JSON
``meta`` entry: the command that made it, when, the library versions, the solver tolerances,
sha256 of the reference code, and per case the validated config and the schedule (inputs).
The default suite compares the engine with these states at each test's own tolerance and
checks that the stored inputs are still the ones the test composes; the live scipy
comparisons stay as ``slow`` tests.  Regenerate after a change to the model, the reference
or the configs, after the slow live tests have passed.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import platform
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "tests" / "literature" / "golden"
UPDATE_COMMAND = ".venv/bin/python -m tests.golden --update"
REFERENCE_SOURCES = ("simulator/reference.py", "simulator/pk/reference.py")

# tests/literature/test_engine_reference.py: Radau at rtol 1e-10, atol 1e-14
ENGINE_FILE = GOLDEN_DIR / "engine_reference.npz"
ENGINE_TOL = {"method": "Radau", "rtol": 1e-10, "atol": 1e-14}
ENGINE_CASES = {
    "reference_2_cycles": ("therapy.n_cycles=2", "response.follow_up_months=6"),
    "saturating_gompertz_strong_kill": (
        "therapy.n_cycles=2", "therapy.peptide_nmol=600", "response.follow_up_months=8",
        "tumour.growth=gompertz", "radiobiology.tumour_alpha_per_gy=0.1",
        "+lesions={a:{volume_ml:80,sstr_density_nmol_per_l:400},"
        "b:{volume_ml:0.5,sstr_density_nmol_per_l:5,perfusion_ml_per_min_per_ml:0.1}}"),
}

# tests/literature/test_cohort_reference.py: the first patients of conf/cohort/wide.yaml,
# Radau at rtol 1e-8, atol 1e-12 (simulator.reference.wide_config)
COHORT_FILE = GOLDEN_DIR / "cohort_reference.npz"
COHORT_TOL = {"method": "Radau", "rtol": 1e-8, "atol": 1e-12}
COHORT_N = 3


def config_json(cfg: dict) -> str:
    """Canonical JSON of a validated config (what the golden file records as its input)."""
    return json.dumps(cfg, sort_keys=True, default=str)


def schedule_arrays(res) -> dict[str, np.ndarray]:
    """The schedule and output times of a course: the inputs the reference integrates on."""
    s = res.schedule
    return {"time_h": res.time_h, "injection_times_h": s.injection_times_h,
            "end_h": np.asarray(s.end_h), "hot_nmol": s.hot_nmol, "cold_nmol": s.cold_nmol}


def _provenance(tol: dict) -> dict:
    import scipy

    return {"command": UPDATE_COMMAND,
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(
                timespec="seconds"),
            "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "machine": platform.machine(),
            "solver": tol,
            "reference_sha256": {p: hashlib.sha256((ROOT / p).read_bytes()).hexdigest()
                                 for p in REFERENCE_SOURCES}}


class Golden:
    """A loaded golden file: ``meta`` (dict) and its arrays by name."""

    def __init__(self, path: Path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; make it with {UPDATE_COMMAND}")
        with np.load(path, allow_pickle=False) as z:
            self.arrays = {k: z[k] for k in z.files if k != "meta"}
            self.meta = json.loads(str(z["meta"]))
        self.path = path

    def case(self, name: str) -> dict[str, np.ndarray]:
        prefix = f"{name}/"
        return {k[len(prefix):]: v for k, v in self.arrays.items() if k.startswith(prefix)}


def _save(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta, indent=1, sort_keys=True)),
                        **arrays)
    tmp.replace(path)


def engine_config(case: str) -> dict:
    from tests.conftest import plain_cfg

    return plain_cfg(*ENGINE_CASES[case])


def cohort_config() -> dict:
    from simulator.reference import wide_config

    return wide_config(COHORT_N)


def cohort_engine():
    """Engine course, columns and outcomes of the golden cohort (as the test computes them)."""
    from simulator.outcomes import compute_outcomes
    from simulator.reference import engine_chunk

    res, cols, _ = engine_chunk(cohort_config(), COHORT_N)
    return res, cols, compute_outcomes(res, cols)


def cohort_outcomes_of_states(res, cols, boundary, series):
    """Outcomes of stored reference states, and log-survival of engine and reference."""
    from simulator.reference import outcomes_of_states

    return outcomes_of_states(res, cols, boundary, series)


def update_engine_reference() -> None:
    from simulator.reference import reference_course
    from simulator.runner import run_patient

    meta, arrays = {**_provenance(ENGINE_TOL), "cases": {}}, {}
    for case, overrides in ENGINE_CASES.items():
        cfg = engine_config(case)
        res = run_patient(cfg)
        boundary, series = reference_course(res.model, res.schedule, res.time_h,
                                            rtol=ENGINE_TOL["rtol"], atol=ENGINE_TOL["atol"])
        meta["cases"][case] = {"overrides": list(overrides), "config": json.loads(
            config_json(cfg))}
        arrays.update({f"{case}/boundary": boundary, f"{case}/series": series,
                       **{f"{case}/input/{k}": v for k, v in schedule_arrays(res).items()}})
        print(f"{case}: boundary {boundary.shape}, series {series.shape}")
    _save(ENGINE_FILE, meta, arrays)


def update_cohort_reference() -> None:
    cfg = cohort_config()
    res, _, _ = cohort_engine()
    from simulator.reference import reference_states

    boundary, series = reference_states(res, COHORT_TOL["rtol"], COHORT_TOL["atol"])
    meta = {**_provenance(COHORT_TOL), "n_patients": COHORT_N,
            "cases": {"wide": {"overrides": f"simulator.reference.wide_config({COHORT_N})",
                               "config": json.loads(config_json(cfg))}}}
    _save(COHORT_FILE, meta, {"wide/boundary": boundary, "wide/series": series,
                              **{f"wide/input/{k}": v for k, v in schedule_arrays(res).items()}})
    print(f"wide cohort: boundary {boundary.shape}, series {series.shape}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true",
                        help="integrate the references again with scipy and rewrite the files")
    args = parser.parse_args(argv)
    if args.update:
        update_engine_reference()
        update_cohort_reference()
    for path in (ENGINE_FILE, COHORT_FILE):
        g = Golden(path)
        meta = {k: v for k, v in g.meta.items() if k != "cases"}
        print(f"{path.relative_to(ROOT)} ({path.stat().st_size} bytes): "
              f"cases {list(g.meta['cases'])}\n{json.dumps(meta, indent=1)}")


if __name__ == "__main__":
    main()
