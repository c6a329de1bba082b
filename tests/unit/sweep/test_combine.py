"""combine(): a dim per swept key, sorted coordinates with units, NaN where a point is absent."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simulator.sweep.combine import combine, dim_names


def _point_ds(value: float, n: int = 3) -> xr.Dataset:
    return xr.Dataset({"tcp": ("patient", np.full(n, value), {"units": "1"}),
                       "flag": ("patient", np.arange(n) < value)},
                      coords={"patient": np.arange(n)}, attrs={"seed": 1, "wall_time_s": value})


@pytest.fixture
def cfg(reference_cfg):
    return reference_cfg


def test_dim_names_use_the_last_component_unless_two_keys_share_it():
    assert dim_names(["therapy.activity_gbq", "patient.sstr_density_nmol_per_l"]) == {
        "therapy.activity_gbq": "activity_gbq",
        "patient.sstr_density_nmol_per_l": "sstr_density_nmol_per_l"}
    names = dim_names(["patient.sstr_density_nmol_per_l", "lesions.a.sstr_density_nmol_per_l"])
    assert names["lesions.a.sstr_density_nmol_per_l"] == "lesions__a__sstr_density_nmol_per_l"
    assert names["patient.sstr_density_nmol_per_l"] == "patient__sstr_density_nmol_per_l"


def test_points_in_any_order_become_sorted_dims_with_units(cfg):
    keys = ("therapy.activity_gbq", "therapy.n_cycles")
    points = [dict(zip(keys, p, strict=True)) for p in [(7.4, 4), (3.7, 4), (7.4, 2), (3.7, 2)]]
    datasets = [_point_ds(a * c) for a, c in (tuple(p.values()) for p in points)]
    ds = combine(points, datasets, cfg)
    assert ds["tcp"].dims == ("activity_gbq", "n_cycles", "patient")
    assert ds["activity_gbq"].values.tolist() == [3.7, 7.4]
    assert ds["n_cycles"].values.tolist() == [2, 4]
    assert ds["activity_gbq"].attrs["units"] == "GBq"
    assert ds["n_cycles"].attrs["units"] == "1"
    assert ds["n_cycles"].attrs["config_path"] == "therapy.n_cycles"
    for point, part in zip(points, datasets, strict=True):
        sel = ds.sel(activity_gbq=point[keys[0]], n_cycles=point[keys[1]])
        np.testing.assert_array_equal(sel["tcp"].values, part["tcp"].values)
        np.testing.assert_array_equal(sel["flag"].values, part["flag"].values)
    assert ds["flag"].dtype == bool                     # a full grid keeps dtypes
    assert "wall_time_s" not in ds.attrs and ds.attrs["seed"] == 1
    assert ds.attrs["sweep_keys"] == "therapy.activity_gbq therapy.n_cycles"


def test_absent_points_are_nan_and_keep_their_status(cfg):
    points = [{"therapy.activity_gbq": a} for a in (3.7, 5.55, 7.4)]
    ds = combine(points, [_point_ds(1.0), None, _point_ds(2.0)], cfg,
                 per_point={"job_status": ["ok", "missing", "ok"]})
    assert ds["job_status"].values.tolist() == ["ok", "missing", "ok"]
    assert np.isnan(ds["tcp"].sel(activity_gbq=5.55)).all()
    assert (ds["tcp"].sel(activity_gbq=7.4) == 2.0).all()


def test_a_config_group_is_a_string_dimension_without_units(cfg):
    points = [{"cohort": "single"}, {"cohort": "example"}]
    ds = combine(points, [_point_ds(1.0), _point_ds(2.0)], cfg)
    assert ds["cohort"].values.tolist() == ["example", "single"]
    assert "units" not in ds["cohort"].attrs


def test_a_swept_group_named_like_a_results_dimension_gets_its_own_name():
    """``prrt-sim -m patient=a,b`` used to collide with the ``patient`` dimension, and the
    gather failed (as a Hydra warning, exit 0)."""
    assert dim_names(["patient", "therapy.activity_gbq"]) == {
        "patient": "patient_choice", "therapy.activity_gbq": "activity_gbq"}
