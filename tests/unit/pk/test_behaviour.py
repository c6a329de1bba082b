"""Qualitative behaviour the PBPK must show (issue 2): receptor density, saturation, sink."""

from __future__ import annotations

import numpy as np

import simulator


def _doses(*overrides):
    ds = simulator.simulate(simulator.compose(["therapy.n_cycles=1", "solver.rtol=1e-8",
                                               *overrides]))
    return ds.isel(patient=0, cycle=0)


def test_higher_sstr_density_gives_higher_lesion_dose():
    doses = [float(_doses(f"patient.sstr_density_nmol_per_l={d}").lesion_dose_gy[0])
             for d in (2, 10, 50, 200, 1000)]
    assert np.all(np.diff(doses) > 0)
    assert doses[-1] > 5 * doses[0]


def test_cold_peptide_excess_saturates_lesion_uptake_at_high_density():
    low = _doses("patient.sstr_density_nmol_per_l=500", "therapy.peptide_nmol=100")
    high = _doses("patient.sstr_density_nmol_per_l=500", "therapy.peptide_nmol=2000")
    assert float(high.lesion_dose_gy[0]) < 0.8 * float(low.lesion_dose_gy[0])


def test_large_tumour_burden_lowers_kidney_and_spleen_dose():
    lesions = ",".join(f"m{i}:{{volume_ml:150,sstr_density_nmol_per_l:300}}" for i in range(8))
    base = _doses()
    burden = _doses(f"+lesions={{{lesions}}}")
    assert float(burden.kidney_dose_gy) < 0.97 * float(base.kidney_dose_gy)
    assert float(burden.spleen_dose_gy) < 0.9 * float(base.spleen_dose_gy)


def test_doses_scale_with_activity_at_fixed_peptide_amount():
    """At fixed total peptide, hot amount is a tracer: dose is linear in activity.

    Exactly so without cell kill (alpha = 0): with kill, the lesion's receptors and
    vascular space shrink with its cells, more so at the higher activity.
    """
    a = _doses("therapy.activity_gbq=3.7", "radiobiology.tumour_alpha_per_gy=0")
    b = _doses("therapy.activity_gbq=7.4", "radiobiology.tumour_alpha_per_gy=0")
    np.testing.assert_allclose(float(b.kidney_dose_gy), 2 * float(a.kidney_dose_gy), rtol=1e-6)
