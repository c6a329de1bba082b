"""Behaviour of the coupled model's outcomes (issue 3, "Must show")."""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.response.recist import CR, PR


def _run(*overrides):
    return simulator.simulate(simulator.compose(list(overrides))).isel(patient=0)


def _bed_and_min_volume(ds):
    return float(ds.lesion_bed_gy.sum()), float(ds.lesion_volume_ml.min())


@pytest.mark.parametrize("key, values", [
    ("therapy.activity_gbq", (3.7, 7.4, 11.1)),
    ("patient.sstr_density_nmol_per_l", (10, 50, 250)),
])
def test_more_activity_or_density_gives_more_bed_and_more_shrinkage(key, values):
    runs = [_bed_and_min_volume(_run(f"{key}={v}", "response.follow_up_months=12"))
            for v in values]
    bed, vmin = np.array(runs).T
    assert np.all(np.diff(bed) > 0)
    assert np.all(np.diff(vmin) < 0)


def test_slower_clearance_slows_shrinkage_at_equal_kill():
    fast, slow = (_run("therapy.n_cycles=1", "response.follow_up_months=6",
                       f"tumour.doomed_clearance_half_time_d={d}") for d in (10, 60))
    first = {"lesion": 0, "time": 1}
    surviving = [float((ds.lesion_viable_fraction * ds.lesion_volume_ml).isel(first))
                 for ds in (fast, slow)]
    np.testing.assert_allclose(surviving[0], surviving[1], rtol=0.02)   # same kill
    assert float(slow.lesion_volume_ml.isel(first)) > 1.2 * float(fast.lesion_volume_ml.isel(first))


@pytest.mark.parametrize("stroma, best, near_complete", [
    (0.0, CR, False),      # everything clears: complete anatomic response
    (0.004, PR, True),     # a stromal residue of 6 mm stays visible: near-complete
    (0.05, PR, False),     # a larger residue: partial response only
])
def test_stroma_residue_decides_complete_versus_near_complete(stroma, best, near_complete):
    ds = _run("lesions.liver_1.volume_ml=30", "patient.sstr_density_nmol_per_l=200",
              "radiobiology.tumour_alpha_per_gy=0.3", f"tumour.stroma_fraction={stroma}",
              "tumour.doomed_clearance_half_time_d=20")
    assert int(ds.best_response) == best
    assert bool(ds.near_complete_response) is near_complete
    assert bool(ds.complete_metabolic_response)       # receptor-bearing cells are gone


def test_low_density_lesion_stays_metabolically_visible():
    ds = _run("patient.sstr_density_nmol_per_l=10")
    assert not bool(ds.complete_metabolic_response)
    assert int(ds.best_response) != CR


def test_poisson_and_zaider_minerbo_tcp_agree_without_repopulation():
    ds = _run("lesions.liver_1.volume_ml=2", "patient.sstr_density_nmol_per_l=200",
              "radiobiology.tumour_alpha_per_gy=0.12", "tumour.clonogenic_fraction=1e-3",
              "tumour.potential_doubling_time_d=null",
              "tumour.volume_growth_percent_per_month=0", "response.follow_up_months=12")
    assert 0.05 < float(ds.tcp) < 0.95
    np.testing.assert_allclose(float(ds.tcp), float(ds.tcp_poisson), rtol=1e-5)


def test_net_clonogen_growth_lowers_tcp():
    """Same birth rate (T_pot), faster net growth (less cell loss): lower TCP, both forms."""
    common = ("lesions.liver_1.volume_ml=2", "patient.sstr_density_nmol_per_l=200",
              "radiobiology.tumour_alpha_per_gy=0.12", "tumour.clonogenic_fraction=1e-3",
              "response.follow_up_months=12", "tumour.potential_doubling_time_d=20")
    static = _run(*common, "tumour.volume_growth_percent_per_month=0")
    growing = _run(*common, "tumour.volume_growth_percent_per_month=8")
    assert float(growing.tcp) < float(static.tcp) < 1.0
    assert float(growing.tcp_poisson) < float(static.tcp_poisson)


def test_kidney_bed_exceeds_dose_and_limits_flag():
    heavy = ("therapy.n_cycles=6", "therapy.activity_gbq=10", "therapy.peptide_nmol=200")
    ds = _run(*heavy)
    dose, bed = float(ds.kidney_dose_gy.sum()), float(ds.kidney_bed_gy.sum())
    assert dose < bed < dose * (1 + dose / 6 / 2.6)     # BED = D (1 + G D / (a/b)), G < 1
    assert 28.0 < bed < 40.0 and dose > 23.0
    assert bool(ds.kidney_dose_limit_exceeded)
    assert not bool(ds.kidney_bed_limit_exceeded)
    risky = _run(*heavy, "patient.renal_risk_factors=true")
    assert bool(risky.kidney_bed_limit_exceeded)
    assert not bool(_run().kidney_dose_limit_exceeded)
    np.testing.assert_allclose(float(ds.kidney_bed_cumulative_gy), bed, rtol=1e-12)


def test_eqd2_is_bed_over_one_plus_two_over_alpha_beta():
    ds = _run("therapy.n_cycles=1")
    np.testing.assert_allclose(ds.kidney_eqd2_gy, ds.kidney_bed_gy / (1 + 2 / 2.6), rtol=1e-12)


def test_static_tumour_dose_equals_s_value_times_tia():
    """With no kill and no growth the lesion dose accumulator equals S(m0) x TIA."""
    from simulator.dosimetry.spheres import sphere_s_value_gy_per_mbq_h

    ds = _run("radiobiology.tumour_alpha_per_gy=0", "tumour.volume_growth_percent_per_month=0")
    s = sphere_s_value_gy_per_mbq_h(10.0 * 1.03)
    np.testing.assert_allclose(ds.lesion_dose_gy.sel(lesion="liver_1"),
                               s * ds.tia_mbq_h.sel(region="liver_1"), rtol=1e-9)


def test_best_decrease_and_pet_positivity_at_baseline_from_arrays():
    from simulator.outcomes import best_decrease, pet_positive_at_baseline

    assessment = np.array([True, False, True, True, False, True])
    sums = np.array([[50.0, 1.0, 40.0, 10.0, 0.0, 20.0],    # best: 10 of 50 -> 80 %
                     [20.0, 0.0, 25.0, 30.0, 0.0, 22.0],    # only growth: -10 %
                     [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])       # no target lesion
    dec = best_decrease(sums, assessment)
    np.testing.assert_allclose(dec[:2], [0.8, -0.1])
    assert np.isnan(dec[2])
    visible = np.zeros((2, 3, 4), bool)
    visible[0, 2, 0] = True     # patient 0: one lesion visible at baseline
    visible[1, 0, 1] = True     # patient 1: visible only later
    assert pet_positive_at_baseline(visible).tolist() == [True, False]


def test_dataset_has_best_decrease_and_baseline_pet_positivity():
    ds = _run("response.follow_up_months=12")
    for name in ("best_decrease", "pet_positive_at_baseline"):
        assert ds[name].attrs["units"] == "1" and ds[name].attrs["long_name"]
    sums = ds.sum_diameters_mm.where(ds.is_assessment, drop=True).values
    assert float(ds.best_decrease) == pytest.approx(1.0 - sums[1:].min() / sums[0], rel=1e-12)
    assert bool(ds.pet_positive_at_baseline) == bool(ds.lesion_pet_visible.isel(time=0).any())
