"""Unit tests for simulator.response.metabolic.

The SSTR-PET visibility rule is the simulator's own operational definition (docs/model.md
§8.3): visible while the lesion receptor concentration exceeds the liver background
AND the receptor-bearing volume exceeds the PET detectability volume; CMR = none
visible (analogue of RECIST 1.1 CR, Eisenhauer EA et al., Eur J Cancer
2009;45:228-247, doi:10.1016/j.ejca.2008.10.026). Expected values are by hand.
"""

import numpy as np
import pytest

from simulator.response import (
    complete_metabolic_response,
    metabolic_response_time_index,
    pet_visible,
)


def test_pet_visible_thresholds_at_the_boundary():
    conc = np.array([[[2.0, 2.0, 2.0 + 1e-9, 3.0, 1.0]]])
    vol = np.array([[[1.0, 0.5, 1.0, 0.5 + 1e-9, 5.0]]])
    vis = pet_visible(conc, vol, background_nmol_per_l=2.0, detectability_ml=0.5)
    # equal to background or to the detectability volume -> not visible ("exceeds")
    np.testing.assert_array_equal(vis, [[[False, False, True, True, False]]])
    assert not pet_visible(np.nan, 1.0, 0.0, 0.0)


def test_pet_visible_per_patient_broadcast():
    conc = np.full((2, 1, 3), 3.0)
    vol = np.full((2, 1, 3), 1.0)
    background = np.array([2.0, 4.0]).reshape(2, 1, 1)
    detect = np.array([0.5, 0.5]).reshape(2, 1, 1)
    vis = pet_visible(conc, vol, background, detect)
    assert vis.shape == (2, 1, 3)
    np.testing.assert_array_equal(vis[:, 0, 0], [True, False])


def test_complete_metabolic_response():
    # (5 patients, 2 lesions, 4 times); time 0 is the baseline, times 1..3 PET assessments
    vis = np.ones((5, 2, 4), dtype=bool)
    vis[0, :, 2:] = False  # patient 0: none visible from time 2
    vis[1, 0, 1:] = False  # patient 1: lesion 1 stays visible
    vis[2, :, 0] = False  # patient 2: none visible only at baseline (not an assessment)
    vis[3] = False  # patient 3: never PET-visible -> not evaluable, no CMR
    vis[4, 0, :] = False  # patient 4: only lesion 1 visible at baseline, gone from time 3
    vis[4, 1, 3:] = False
    assessment = np.array([False, True, True, True])
    np.testing.assert_array_equal(complete_metabolic_response(vis, assessment),
                                  [True, False, False, False, True])  # fmt: skip
    np.testing.assert_array_equal(metabolic_response_time_index(vis, assessment),
                                  [2, -1, -1, -1, 3])  # fmt: skip
    # a none-visible time that is not an assessment does not count
    only_3 = np.array([False, True, False, False])
    assert not complete_metabolic_response(vis, only_3)[0]
    with pytest.raises(ValueError):
        complete_metabolic_response(vis, assessment[:3])


def test_batch_equals_each_patient_alone():
    rng = np.random.default_rng(3)
    conc = rng.uniform(0.0, 4.0, (25, 4, 5))
    vol = rng.uniform(0.0, 2.0, (25, 4, 5))
    bg = rng.uniform(0.5, 2.5, (25, 1, 1))
    assessment = np.array([False, True, True, True, True])
    vis = pet_visible(conc, vol, bg, 0.3)
    cmr = complete_metabolic_response(vis, assessment)
    assert 0 < cmr.sum() < 25
    for i in range(25):
        vi = pet_visible(conc[i : i + 1], vol[i : i + 1], bg[i : i + 1], 0.3)
        np.testing.assert_array_equal(vi, vis[i : i + 1])
        assert complete_metabolic_response(vi, assessment)[0] == cmr[i]
