"""Write the SYNTHETIC example patient of docs/personal_prediction.md (not a real patient).

A virtual patient drawn from the prior of conf/personal.yaml, with the covariates,
schedule and measurement times below, "measured" through the measurement model (seeded),
written as a patient file with CSV tables, plus its true parameters (truth.yaml) so that
the prediction can be checked against them.  Rounded to 3 significant digits, as a clinic
would report.

    NUMBA_NUM_THREADS=2 python experiments/personal_example.py \
        --out experiments/personal/example_synthetic
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import yaml

from simulator.personal.measurements import parse_patient
from simulator.personal.prior import build_prior
from simulator.personal.sbc import synthetic_patients
from simulator.personal.settings import load_settings

TIMES_H = (4.0, 24.0, 96.0, 168.0)
COVARIATES = {"body_mass_kg": 68.0, "hematocrit_fraction": 0.41, "gfr_ml_per_min": 78.0,
              "kidney_mass_g": 290.0}
LESIONS = [{"lesion": "liver_1", "site": "liver", "volume_ml": 22.0, "suv_max": 28.0},
           {"lesion": "lymph_node_1", "site": "lymph_node", "volume_ml": 6.0, "suv_max": 18.0}]
CYCLES = [{"cycle": 1, "injection_time_d": 0, "activity_gbq": 7.4, "given": True},
          *({"cycle": k, "injection_time_d": 56 * (k - 1), "activity_gbq": 7.4, "given": False}
            for k in (2, 3, 4))]


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", type=Path, default=Path("experiments/personal/example_synthetic"))
    args = parser.parse_args(argv)
    design = {"patient_id": "example_synthetic", **COVARIATES, "who_grade": 2,
              "ki67_percent": 8.0, "cycles": CYCLES, "lesions": LESIONS,
              "activities": [{"cycle": 1, "region": r, "time_h": t, "activity_mbq": 1.0}
                             for r in ("kidneys", "spleen", "liver_1", "lymph_node_1")
                             for t in TIMES_H],
              "doses": [{"cycle": 1, "region": "red_marrow", "dose_gy": 0.1}],
              "volumes": [{"lesion": name, "time_d": 50.0, "volume_ml": 1.0}
                          for name in ("liver_1", "lymph_node_1")]}
    settings = load_settings()
    patient = parse_patient(design)
    prior = build_prior(patient, settings)
    syn = synthetic_patients(patient, settings, prior, 1, args.seed)
    measured = syn.patients[0]
    args.out.mkdir(parents=True, exist_ok=True)
    tables = {
        "activities.csv": (["cycle", "region", "time_h", "activity_mbq"],
                           [[a.cycle, a.region, a.time_h, sig3(a.activity_mbq)]
                            for a in measured.activities]),
        "doses.csv": (["cycle", "region", "dose_gy"],
                      [[d.cycle, d.region, sig3(d.dose_gy)] for d in measured.doses]),
        "volumes.csv": (["lesion", "time_d", "volume_ml"],
                        [[v.lesion, v.time_d, sig3(v.volume_ml)] for v in measured.volumes]),
    }
    for name, (header, rows) in tables.items():
        with (args.out / name).open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    header = ("# SYNTHETIC example patient, NOT a real or published patient: drawn from the\n"
              "# prior and measured through the measurement model by\n"
              f"# `python experiments/personal_example.py --seed {args.seed}` (true values in\n"
              "# truth.yaml). Format: docs/personal_prediction.md.\n")
    doc = {"patient_id": "example_synthetic",
           "source": f"synthetic: experiments/personal_example.py --seed {args.seed}",
           **COVARIATES, "renal_risk_factors": False, "who_grade": 2, "ki67_percent": 8.0,
           "cycles": CYCLES, "lesions": LESIONS, "activities": "activities.csv",
           "doses": "doses.csv", "volumes": "volumes.csv"}
    (args.out / "patient.yaml").write_text(header + yaml.safe_dump(doc, sort_keys=False))
    truth = {k: float(v[0]) for k, v in syn.values.items()}
    truth.update({k: float(v[0]) for k, v in syn.truth.items()})
    (args.out / "truth.yaml").write_text("# true values of the synthetic example patient\n"
                                         + yaml.safe_dump(truth, sort_keys=True))
    print(f"wrote {args.out}/patient.yaml and its tables; truth.yaml")
    np.set_printoptions(precision=3)


if __name__ == "__main__":
    main()
