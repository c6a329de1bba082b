"""The results Dataset: self-describing variables, provenance, consistent time series."""

from __future__ import annotations

import platform

import numba
import numpy as np
import pytest
import scipy
import xarray as xr

import simulator
from simulator.results import open_results, write_netcdf


@pytest.fixture(scope="module")
def ds():
    return simulator.simulate(simulator.compose(["output.save_timeseries=true",
                                                 "therapy.n_cycles=2"]))


def test_required_variables_and_dims(ds):
    for name in ("kidney_dose_gy", "spleen_dose_gy", "liver_dose_gy", "marrow_dose_gy"):
        assert ds[name].dims == ("patient", "cycle")
    assert ds.lesion_dose_gy.dims == ("patient", "lesion", "cycle")
    assert ds.sizes["patient"] == 1 and ds.sizes["cycle"] == 2
    assert ds.activity_mbq.dims == ("patient", "region", "time")
    assert ds.dose_rate_gy_per_h.dims == ("patient", "target", "time")


def test_every_variable_and_coordinate_has_units_or_is_a_label(ds):
    for name, var in ds.data_vars.items():
        assert var.attrs.get("units"), name
        assert var.attrs.get("long_name"), name
    for name in ("time", "cycle_start_h", "lesion_volume_ml"):
        assert ds[name].attrs["units"]


def test_provenance_attrs(ds):
    assert ds.attrs["seed"] == 12345
    assert "activity_gbq: 7.4" in ds.attrs["config_yaml"]
    assert ds.attrs["source"].startswith("prrt-simulator")
    assert ds.attrs["git_revision"]


def test_library_versions_recorded(ds):
    expected = {"python_version": platform.python_version(), "numpy_version": np.__version__,
                "scipy_version": scipy.__version__, "numba_version": numba.__version__,
                "xarray_version": xr.__version__}
    for name, value in expected.items():
        assert ds.attrs[name] == value, name
    assert ds.attrs["python_version"].startswith("3.")


def test_dose_equals_integral_of_dose_rate(ds):
    """Two outputs computed differently (accumulator states vs sampled curve) agree."""
    t = ds.time.values
    first = t < ds.cycle_start_h.values[1]
    rate = ds.dose_rate_gy_per_h.isel(patient=0).sel(target="kidneys").values
    trapz = np.trapezoid(rate[first], t[first])
    np.testing.assert_allclose(trapz, float(ds.kidney_dose_gy[0, 0]), rtol=5e-3)


def test_timeseries_off_by_default_keeps_only_assessment_times():
    plain = simulator.simulate(simulator.compose(["therapy.n_cycles=1"]))
    assert "activity_mbq" not in plain and "dose_rate_gy_per_h" not in plain
    assert bool(plain.is_assessment.all())
    np.testing.assert_allclose(np.diff(plain.time), 12 * 168.0)


def test_netcdf_round_trip(ds, tmp_path):
    path = write_netcdf(ds, tmp_path / "results.nc")
    back = open_results(path)
    xr.testing.assert_identical(back.load(), ds)


def test_failed_write_keeps_the_previous_file(ds, tmp_path, monkeypatch):
    path = write_netcdf(ds.isel(time=slice(0, 3)), tmp_path / "results.nc")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(OSError, match="disk full"):
        write_netcdf(ds, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results.nc"]
