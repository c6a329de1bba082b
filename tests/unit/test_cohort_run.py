"""Cohort runs: reproducible whatever the thread count and chunk size; cure draws; summaries."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import xarray as xr

import simulator

COHORT = ["cohort=example", "cohort.n_patients=12", "response.follow_up_months=6",
          "therapy.n_cycles=2"]


def _run(*extra):
    return simulator.simulate(simulator.compose([*COHORT, *extra]))


@pytest.fixture(scope="module")
def reference():
    return _run("solver.chunk_size=12")


def test_chunk_size_does_not_change_results(reference):
    xr.testing.assert_identical(_run("solver.chunk_size=5").drop_attrs(),
                                reference.drop_attrs())


def test_thread_count_does_not_change_results(reference):
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run("solver.chunk_size=12")
    finally:
        numba.set_num_threads(before)
    xr.testing.assert_identical(one.drop_attrs(), reference.drop_attrs())


def test_patients_differ_and_parameters_are_recorded(reference):
    values = reference.parameter_value.sel(parameter="patient.sstr_density_nmol_per_l")
    assert np.unique(values).size == 12
    assert reference.parameter_units.sel(parameter="patient.sstr_density_nmol_per_l") == "nmol/L"
    assert np.unique(reference.lesion_dose_gy.isel(cycle=0)).size == 12


def test_cure_is_a_bernoulli_draw_from_tcp(reference):
    from simulator.cohort import cure_uniforms

    # alpha 1 /Gy for every patient (the example cohort samples alpha: fix it) -> TCP ~ 1
    certain = _run("radiobiology.tumour_alpha_per_gy=1.0", "cohort.sampled_override=fix",
                   "solver.chunk_size=12")
    assert np.all(certain.parameter_value.sel(parameter="radiobiology.tumour_alpha_per_gy")
                  == 1.0)
    for ds in (certain, reference):
        tcp, cured = ds.tcp.values, ds.cured.values
        assert np.all(cured[tcp > 1 - 1e-12]) and not np.any(cured[tcp < 1e-12])
        np.testing.assert_array_equal(cured, cure_uniforms(ds.attrs["seed"], 0, 12) < tcp)
    assert np.any(certain.tcp.values > 1 - 1e-12) and np.any(reference.tcp.values < 1e-12)


def test_generated_lesions_per_patient():
    ds = simulator.simulate(simulator.compose([
        "cohort.n_patients=6", "response.follow_up_months=6", "therapy.n_cycles=1",
        "+cohort.lesions={count:{dist:choice,values:[1,2,3]},"
        "volume_ml:{dist:lognormal,median:8,gsd:2,high:5000},sites:{values:[liver,bone]},max_count:3}"]))
    counts = np.isfinite(ds.lesion_dose_gy.isel(cycle=0)).sum("lesion").values
    assert ds.sizes["lesion"] == 3 and set(counts) <= {1, 2, 3} and counts.min() >= 1
    assert np.all((ds.lesion_site.values == "") == ~np.isfinite(ds.lesion_dose_gy.isel(cycle=0)))
    assert np.all(np.isfinite(ds.kidney_dose_gy))


def test_summarize_cohort(reference):
    summary = simulator.summarize(reference)
    assert summary.attrs["n_patients"] == 12
    np.testing.assert_allclose(float(summary.response_proportion.sum()), 1.0)
    assert float(summary.pfs.isel(month=0)) == 1.0


def test_summary_only_mode_keeps_what_summarize_needs(reference):
    """output.per_patient=false drops per-patient arrays chunk by chunk, same summary."""
    small = _run("solver.chunk_size=5", "output.per_patient=false")
    assert "lesion_volume_ml" in reference and "lesion_volume_ml" not in small
    assert set(small.data_vars) < set(reference.data_vars)
    xr.testing.assert_identical(simulator.summarize(small), simulator.summarize(reference))


@pytest.mark.parametrize("override", ["output.plots=true", "output.save_timeseries=true"])
def test_summary_only_mode_refuses_per_patient_outputs(override):
    with pytest.raises(simulator.ConfigError, match=override.split("=")[0]):
        simulator.compose(["output.per_patient=false", override])


def test_sampled_value_out_of_bounds_is_a_config_error():
    cfg = simulator.compose([
        "cohort.n_patients=50", "+cohort.parameters={patient.hematocrit:"
        "{dist:normal,mean:0.45,sd:0.2}}"])
    with pytest.raises(simulator.ConfigError, match="cohort.parameters.patient.hematocrit"):
        simulator.simulate(cfg)


def test_output_time_a_rounding_error_before_an_injection():
    """Assessment at 2016 h and injection at 3 x 5.999999999999998 weeks: no step underflow."""
    ds = simulator.simulate(simulator.compose([
        "therapy.n_cycles=3", "therapy.interval_weeks=5.999999999999998",
        "response.follow_up_months=6"]))
    assert np.all(np.isfinite(ds.kidney_dose_gy))
