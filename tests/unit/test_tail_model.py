"""The response-tail model (issue 14): lesion biology that follows the tumour, lesion-level
heterogeneity, new lesions and the observation model, through whole simulations."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import simulator
from simulator.cohort import sample_lesions
from simulator.errors import ConfigError
from simulator.response.recist import CR, NOT_EVALUABLE, PD

COHORT = ["cohort=example", "cohort.n_patients=12", "response.follow_up_months=12",
          "therapy.n_cycles=2", "output.progress=false"]
LESIONS = ("+cohort.lesions={count:{dist:choice,values:[1,2,3]},volume_ml:{dist:lognormal,"
           "median:8,gsd:2,high:5000},sites:{values:[liver,lymph_node]},max_count:3}")


def _run(*extra):
    return simulator.simulate(simulator.compose([*COHORT, *extra]))


def _dose_ratio(*extra):
    ds = simulator.simulate(simulator.compose(["patient.sstr_density_nmol_per_l=300",
                                               "radiobiology.tumour_alpha_per_gy=0.02",
                                               "tumour.doomed_clearance_half_time_d=120",
                                               *extra]))
    dose = ds.lesion_dose_gy.values[0, 0]
    return dose[-1] / dose[0]


def test_lesion_dose_falls_across_cycles_when_the_lesion_shrinks():
    """The audit: with a fixed blood supply and receptors kept by doomed cells, a shrinking,
    receptor-rich lesion's dose per cycle rose; with the lesion biology that follows the
    tumour it falls (Roth 2022: 6-14 % per cycle)."""
    assert _dose_ratio("tumour.vascular_space=fixed", "tumour.doomed_receptor_fraction=1") > 1.3
    assert _dose_ratio() < 0.8
    # each mechanism lowers the late dose on its own
    assert _dose_ratio("tumour.doomed_receptor_fraction=1") < _dose_ratio(
        "tumour.vascular_space=fixed", "tumour.doomed_receptor_fraction=1")
    assert _dose_ratio("tumour.vascular_space=fixed") < _dose_ratio(
        "tumour.vascular_space=fixed", "tumour.doomed_receptor_fraction=1")


def test_clearance_tied_to_growth_empties_doomed_cells_faster():
    slow = simulator.simulate(simulator.compose(["tumour.volume_growth_percent_per_month=8"]))
    fast = simulator.simulate(simulator.compose(["tumour.volume_growth_percent_per_month=8",
                                                 "tumour.doomed_clearance_per_net_growth=5"]))
    assert float(fast.lesion_volume_ml[0, 0, -1]) < float(slow.lesion_volume_ml[0, 0, -1])


def test_lesion_factors_vary_lesions_and_keep_common_random_numbers():
    spec = {"count": {"dist": "choice", "values": [1, 2, 3]},
            "volume_ml": {"dist": "lognormal", "median": 8, "gsd": 2, "high": 5000},
            "sites": {"values": ["liver"]}, "max_count": 3}
    plain = sample_lesions(spec, 5, 0, 50)
    assert np.all(plain["sstr_density_factor"] == 1.0) and np.all(plain["alpha_factor"] == 1.0)
    assert np.all(plain["growth_offset_percent_per_month"] == 0.0)
    varied = sample_lesions(spec | {"sstr_density_factor": {"dist": "lognormal", "median": 1,
                                                            "gsd": 2}}, 5, 0, 50)
    np.testing.assert_array_equal(varied["volume_ml"], plain["volume_ml"])   # same lesions
    used = np.isfinite(varied["volume_ml"])
    assert np.all(varied["sstr_density_factor"][~used] == 1.0)
    assert np.std(np.log(varied["sstr_density_factor"][used])) > 0.4
    both = sample_lesions(spec | {"sstr_density_factor": {"dist": "lognormal", "median": 1,
                                                          "gsd": 2},
                                  "alpha_factor": {"dist": "lognormal", "median": 1, "gsd": 1.2,
                                                   "high": 3}}, 5, 0, 50)
    np.testing.assert_array_equal(both["sstr_density_factor"], varied["sstr_density_factor"])


@pytest.mark.parametrize(("extra", "field"), [
    ("++cohort.lesions.sstr_density_factor={dist:normal,mean:1,sd:0.5}",
     "cohort.lesions.sstr_density_factor"),
    ("++cohort.lesions.alpha_factor={dist:lognormal,median:1,gsd:100}",
     "cohort.lesions.alpha_factor"),
    ("++cohort.lesions.growth_offset_percent_per_month={dist:normal,mean:0,sd:300}",
     "cohort.lesions.growth_offset_percent_per_month"),
    ("++cohort.lesions.colour=1", "cohort.lesions"),
])
def test_bad_lesion_factors_are_errors_naming_the_field(extra, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        _run(LESIONS, extra)


def test_jitter_must_keep_visits_in_order():
    with pytest.raises(ConfigError, match=r"observation\.visit_jitter_weeks"):
        simulator.simulate(simulator.compose(["observation.visit_jitter_weeks=6"]))


def test_exact_observation_measures_the_truth():
    ds = _run(LESIONS)
    np.testing.assert_array_equal(ds.best_response.values, ds.best_response_true.values)
    np.testing.assert_array_equal(ds.progression_time_months.values,
                                  ds.progression_time_true_months.values)
    np.testing.assert_array_equal(ds.kidney_dose_observed_gy.values, ds.kidney_dose_gy.values)
    assert np.all(ds.new_lesion_time_months.values == np.inf)


def test_trial_observation_is_noisy_reproducible_and_chunk_invariant():
    extra = (LESIONS, "observation=trial", "tumour.new_lesion_rate_per_month=0.05")
    ds = _run(*extra, "solver.chunk_size=12")
    xr.testing.assert_identical(_run(*extra, "solver.chunk_size=5").drop_attrs(),
                                ds.drop_attrs())
    ratio = ds.kidney_dose_observed_gy.values / ds.kidney_dose_gy.values
    assert np.std(np.log(ratio)) == pytest.approx(0.13, rel=0.5)
    assert not np.array_equal(ds.sum_diameters_observed_mm.values[:, 1:],
                              ds.sum_diameters_mm.values[:, ds.is_assessment.values][:, 1:])
    jitter = np.abs(ds.visit_time_months - ds.assessment_nominal_months).values
    assert 0 < jitter.max() <= 7 * 24 / 730.5 + 1e-12
    assert np.all(np.isfinite(ds.new_lesion_time_months.values))


def test_a_high_new_lesion_hazard_makes_every_evaluable_patient_progress_at_once():
    ds = _run(LESIONS, "tumour.new_lesion_rate_per_month=10")
    best = ds.best_response.values
    assert np.all((best == PD) | (best == NOT_EVALUABLE)) and np.any(best == PD)
    first = ds.assessment_nominal_months.values[1]
    assert np.all(ds.progression_time_months.values[best == PD] == first)
    # on PRRT with a hazard ratio of 0 nobody gets a new lesion
    none = _run(LESIONS, "tumour.new_lesion_rate_per_month=10",
                "tumour.new_lesion_rate_ratio_on_prrt=0")
    assert np.all(none.new_lesion_time_months.values == np.inf)
    assert np.any(none.best_response.values != PD)


def test_complete_response_is_reachable_for_a_nodal_target():
    """A 2 mL node (15.6 mm) that shrinks below 10 mm is a RECIST CR (§4.3.1)."""
    ds = simulator.simulate(simulator.compose([
        "lesions.liver_1.volume_ml=2", "lesions.liver_1.site=lymph_node",
        "patient.sstr_density_nmol_per_l=200", "radiobiology.tumour_alpha_per_gy=0.1",
        "tumour.stroma_fraction=0.05", "tumour.doomed_clearance_half_time_d=20",
        "tumour.volume_growth_percent_per_month=0"]))
    assert int(ds.best_response[0]) == CR


def test_cr_limits_counts_killed_targets_that_do_not_vanish():
    """Three evaluable patients, hand-built: (0) one liver target killed and gone (0.02 mL,
    3.4 mm < 5 mm); (1) a killed liver target that keeps 20 % of its volume (not gone) and a
    living one; (2) a nodal target at 0.3 mL (8.3 mm < 10 mm: gone) still alive."""
    from simulator.tail import cr_limits

    vol = np.full((3, 2, 3), np.nan)
    vol[0, 0] = [10.0, 1.0, 0.02]
    vol[1, 0] = [10.0, 4.0, 2.0]
    vol[1, 1] = [5.0, 5.0, 6.0]
    vol[2, 0] = [3.0, 1.0, 0.3]
    viable = np.ones((3, 2, 3))
    viable[0, 0, -1] = viable[1, 0, -1] = 1e-6
    ds = xr.Dataset({
        "lesion_volume_ml": (("patient", "lesion", "time"), vol),
        "lesion_viable_fraction": (("patient", "lesion", "time"), viable),
        "lesion_is_target": (("patient", "lesion"), np.array([[1, 0], [1, 1], [1, 0]], bool)),
        "lesion_site": (("patient", "lesion"), np.array([["liver", "liver"],
                                                         ["liver", "bone"],
                                                         ["lymph_node", "liver"]])),
        "best_response": ("patient", np.zeros(3, int)),
    })
    out = cr_limits(ds)
    assert out["true_cr"] == pytest.approx(2 / 3)
    assert out["all_targets_killed"] == pytest.approx(1 / 3)
    assert out["killed_targets"] == 2
    assert out["killed_targets_vanished"] == pytest.approx(0.5)
    assert out["killed_min_volume_ratio_median"] == pytest.approx((0.002 + 0.2) / 2)
    # limiting targets: patient 0's (killed), 1's living bone lesion, 2's living node
    assert out["limiting_target_killed"] == pytest.approx(1 / 3)
