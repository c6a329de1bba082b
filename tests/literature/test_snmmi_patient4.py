"""A real published patient through the personal prediction: SNMMI Lu-177 Dosimetry Challenge
2021 patient 4 (177Lu-DOTATATE, cycle 1; experiments/personal/snmmi_patient4/,
docs/personal_prediction.md §4).

The fit sees only the kidney and spleen activities at four time points.  Its posterior
cycle-1 absorbed doses are compared with the doses that another pipeline (PyTheranostics'
voxel-S-value dosimetry, qurit/PyTheranostics@35922de64dd8b6054203c84a02a2b939fc513b42,
tests/data/voxel_dosimetry_validation/expected_df_ad.csv) computed from the same images.  The
scans are shared, so this is a consistency check of the dose chain that we did not write
twice (time integration beyond the scans, S-value conversion), not an independent validation
of a prediction.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FILE = Path(__file__).resolve().parents[2] / "experiments" / "personal" / "snmmi_patient4" / \
    "patient.yaml"

#: PyTheranostics' mean absorbed doses of cycle 1 [Gy] (expected_df_ad.csv): left and right
#: kidney with their mean CT volumes [mL] (expected_results.csv), spleen
KIDNEY_LEFT_GY, KIDNEY_RIGHT_GY = 2.741417121338495, 2.2888928278245335
KIDNEY_LEFT_ML, KIDNEY_RIGHT_ML = 240.9825, 237.2131
SPLEEN_GY = 3.017681578796798


@pytest.mark.slow
def test_posterior_cycle1_doses_hold_the_voxel_dosimetry_of_the_same_scans():
    import numpy as np

    from simulator.personal.measurements import load_patient
    from simulator.personal.settings import load_settings
    from simulator.personal.update import fit_patient, weighted_quantiles

    patient = load_patient(FILE)
    assert {a.region for a in patient.activities} == {"kidneys", "spleen"}
    fit = fit_patient(patient, load_settings(), seed=0)
    kidney_gy = (KIDNEY_LEFT_GY * KIDNEY_LEFT_ML + KIDNEY_RIGHT_GY * KIDNEY_RIGHT_ML) / \
        (KIDNEY_LEFT_ML + KIDNEY_RIGHT_ML)                          # 2.517 Gy, both kidneys
    for name, reference in (("kidney_dose_gy", kidney_gy), ("spleen_dose_gy", SPLEEN_GY)):
        dose = fit.twins[name].isel(cycle=0).values
        lo, mid, hi = weighted_quantiles(dose, fit.weights, [0.05, 0.5, 0.95])
        assert lo <= reference <= hi, (name, lo, mid, hi, reference)
        assert abs(mid / reference - 1.0) < 0.15, (name, mid, reference)
    # four scans pin the kidney dose: its 90 % interval is narrower than half the dose (the
    # population's kidney Gy/GBq spans 0.38-0.61, 5th-95th percentile, on its own)
    dose = fit.twins["kidney_dose_gy"].isel(cycle=0).values
    assert np.ptp(weighted_quantiles(dose, fit.weights, [0.05, 0.95])) < 0.5 * kidney_gy
