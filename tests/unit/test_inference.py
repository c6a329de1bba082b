"""Inference from a reported outcome (simulator.inference): accepted twins, posterior
medians and their summary, outcome categories, on small hand-made twin Datasets."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simulator.inference import (
    OUTCOMES,
    inferred_parameters,
    nested,
    outcome_category,
    posterior_medians,
    posterior_summary,
    reported_outcome,
    with_accepted,
)
from simulator.response.recist import CR, PR, SD

PARAMS = ["patient.sstr_density_nmol_per_l", "tumour.stroma_fraction",
          "lesions.liver_1.volume_ml"]


def _twins(cmr, near, best, values) -> xr.Dataset:
    p = ("patient",)
    return xr.Dataset({
        "complete_metabolic_response": (p, np.asarray(cmr, bool)),
        "near_complete_response": (p, np.asarray(near, bool)),
        "best_response": (p, np.asarray(best)),
        "parameter_value": (("patient", "parameter"), np.asarray(values, float))},
        coords={"parameter": PARAMS})


TWINS = _twins(cmr=[1, 1, 0, 1, 1], near=[1, 0, 1, 1, 1], best=[PR, PR, PR, PR, CR],
               values=[[100.0, 0.01, 1.0], [50.0, 0.2, 2.0], [80.0, 0.05, 3.0],
                       [300.0, 0.03, 4.0], [400.0, 0.001, 5.0]])


def test_accepted_twins_are_those_with_cmr_and_near_complete_response():
    tw = with_accepted(TWINS)
    assert tw.accepted.values.tolist() == [True, False, False, True, True]
    assert tw.accepted.attrs["units"] == "1" and "accepted" not in TWINS
    cmr, both = reported_outcome(TWINS)
    assert cmr.values.tolist() == [True, True, False, True, True]
    assert (both == tw.accepted).all()


def test_posterior_medians_are_medians_over_the_accepted_twins_without_lesion_sizes():
    tw = with_accepted(TWINS)
    assert inferred_parameters(tw) == PARAMS[:2]
    post = posterior_medians(tw, digits=None)
    assert post == {PARAMS[0]: 300.0, PARAMS[1]: 0.01}   # medians of twins 0, 3, 4
    tw = with_accepted(TWINS.copy(deep=True))
    tw["parameter_value"][0, 0] = 123.456789
    assert posterior_medians(tw)[PARAMS[0]] == 300.0
    assert posterior_medians(tw.isel(patient=[0, 3]))[PARAMS[0]] == 211.7   # 4 digits
    assert posterior_medians(with_accepted(TWINS.isel(patient=[1, 2]))) == {}


def test_posterior_summary_has_prior_and_posterior_percentiles_and_mc_error():
    s = posterior_summary(with_accepted(TWINS), n_boot=200)
    assert s.n_twins == 5 and s.n_accepted == 3
    assert s.prior.sel(parameter=PARAMS[0], quantile=0.5) == 100.0
    assert s.posterior.sel(parameter=PARAMS[0], quantile=0.5) == 300.0
    assert np.all(s.median_mc_error >= 0) and s.median_mc_error.attrs["units"] == "1"
    padded = with_accepted(TWINS.copy(deep=True))
    padded["parameter_value"][:, 2] = np.nan   # another case's lesion: left out
    assert list(posterior_summary(padded).parameter.values) == PARAMS[:2]


def test_outcome_categories():
    code = outcome_category(TWINS)
    assert [OUTCOMES[c] for c in code.values] == [
        "CMR_and_near_complete", "CMR_only", "near_complete_without_CMR",
        "CMR_and_near_complete", "complete_anatomic_CR"]
    assert code.attrs["flag_meanings"].split() == list(OUTCOMES)
    none = _twins([0], [0], [SD], [[1.0, 1.0, 1.0]])
    assert OUTCOMES[int(outcome_category(none)[0])] == "no_CMR"


def test_nested_turns_config_paths_into_a_mapping():
    assert nested({"a.b": 1.0, "a.c": 2.0, "d": 3.0}) == {"a": {"b": 1.0, "c": 2.0}, "d": 3.0}


@pytest.mark.parametrize("digits, expected", [(4, 0.01235), (2, 0.012)])
def test_rounding_of_posterior_medians(digits, expected):
    tw = with_accepted(TWINS.isel(patient=[0]).copy(deep=True))
    tw["parameter_value"][0, 1] = 0.0123456
    assert posterior_medians(tw, digits=digits)[PARAMS[1]] == expected
