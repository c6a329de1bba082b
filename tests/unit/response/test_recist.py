"""Unit tests for simulator.response.recist.

Expected values are worked by hand from RECIST 1.1: Eisenhauer EA et al., "New
response evaluation criteria in solid tumours: revised RECIST guideline (version
1.1)", Eur J Cancer 2009;45:228-247, doi:10.1016/j.ejca.2008.10.026 (sections 3.1,
4.2-4.4, Tables 1 and 3) and docs/model.md §8.2 (near-complete response is our definition).
"""

import numpy as np
import pytest

from simulator.response import (
    CR,
    NOT_EVALUABLE,
    PD,
    PR,
    SD,
    assess,
    best_overall_response,
    equivalent_diameter_mm,
    near_complete_response,
    progression,
    select_targets,
    sum_of_diameters_mm,
    targets_disappeared,
)


def _codes(*sums):
    s = np.array([sums], dtype=float)
    return assess(s, s <= 0.0)[0].tolist()


def test_equivalent_diameter():
    # sphere of diameter 20 mm: V = π/6 · 8000 mm³ = 4.18879 mL
    np.testing.assert_allclose(equivalent_diameter_mm(np.pi / 6 * 8.0), 20.0)
    np.testing.assert_allclose(equivalent_diameter_mm([0.0, 1.0]), [0.0, 12.407], atol=1e-3)
    with pytest.raises(ValueError):
        equivalent_diameter_mm(-1.0)


def test_pd_needs_both_relative_and_absolute_increase():
    assert _codes(20.0, 24.0) == [SD]  # +20 % but only +4 mm (section 4.3.1)
    assert _codes(50.0, 61.0) == [PD]  # +22 %, +11 mm
    assert _codes(50.0, 60.0) == [PD]  # exactly +20 % and +10 mm: "at least"
    assert _codes(50.0, 59.9) == [SD]
    assert _codes(100.0, 105.0) == [SD]  # +5 mm but only +5 %


def test_nadir_includes_baseline_and_later_smaller_sums():
    # PR at 35 mm (−30 %, boundary included), then 43 mm: +22.9 %, +8 mm over nadir 35
    assert _codes(50.0, 35.0, 43.0) == [PR, PD]
    # still −14 % from baseline, yet PD: progression is judged against the nadir
    assert _codes(50.0, 34.0, 42.0, 30.0) == [PR, PD, PR]  # later columns still computed
    assert _codes(50.0, 35.1) == [SD]


def test_disappeared_lesion_counts_zero_and_cr():
    d = np.array([[[30.0, 20.0, 2.0], [20.0, 4.0, 1.0]]])  # (1 patient, 2 lesions, 3 times)
    targets = np.array([[True, True]])
    s = sum_of_diameters_mm(d, targets, detectability_mm=5.0)
    np.testing.assert_allclose(s, [[50.0, 20.0, 0.0]])
    gone = targets_disappeared(d, targets, 5.0)
    np.testing.assert_array_equal(gone, [[False, False, True]])
    assert assess(s, gone).tolist() == [[PR, CR]]
    # non-target lesions do not count
    s2 = sum_of_diameters_mm(d, np.array([[True, False]]), 5.0)
    np.testing.assert_allclose(s2, [[30.0, 20.0, 0.0]])


def test_no_targets_not_evaluable():
    d = np.full((1, 2, 3), 8.0)
    targets = select_targets(d[:, :, 0], ["liver", "liver"])
    assert not targets.any()
    s = sum_of_diameters_mm(d, targets, 5.0)
    codes = assess(s, targets_disappeared(d, targets, 5.0))
    assert codes.tolist() == [[NOT_EVALUABLE, NOT_EVALUABLE]]
    assert best_overall_response(codes, [12.0, 24.0]).tolist() == [NOT_EVALUABLE]


def test_select_targets_rules():
    sites = ["liver", "liver", "liver", "lung", "lung", "bone", "lymph_node", "lymph_node",
             "adrenal"]  # fmt: skip
    d = np.array([[30.0, 40.0, 20.0, 12.0, 10.0, 50.0, 14.9, 15.0, 9.9]])
    t = select_targets(d, sites)
    # candidates: liver 40, 30 (20 is the third in the organ); lung 12, 10; bone 50;
    # lymph node 15 (14.9 < 15 mm); adrenal 9.9 < 10 mm is not measurable.
    # 6 candidates, 5 in total -> the smallest (10) is dropped
    want = [True, True, False, True, False, True, False, True, False]
    np.testing.assert_array_equal(t[0], want)
    t9 = select_targets(d, sites, max_targets=9)
    assert t9[0, 4] and t9.sum() == 6
    # at most 2 per organ even with many large lesions
    assert select_targets(np.full((1, 6), 30.0), ["liver"] * 6).sum() == 2
    assert select_targets(np.array([[np.nan, 12.0]]), ["a", "a"]).tolist() == [[False, True]]


def test_best_overall_response_sequences():
    t = [12.0, 24.0, 36.0, 48.0]
    codes = np.array([[SD, PR, PR, PD], [PD, PR, CR, CR], [SD, SD, PD, CR], [SD, CR, PD, SD]])
    assert best_overall_response(codes, t).tolist() == [PR, PD, SD, CR]


def test_best_overall_response_confirmation():
    t = [12.0, 16.0]
    assert best_overall_response([[PR, SD]], t, confirm=True).tolist() == [SD]
    assert best_overall_response([[PR, SD]], t, confirm=False).tolist() == [PR]
    assert best_overall_response([[PR, PR]], t, confirm=True).tolist() == [PR]
    assert best_overall_response([[PR, CR]], t, confirm=True).tolist() == [PR]
    assert best_overall_response([[CR, CR]], t, confirm=True).tolist() == [CR]
    assert best_overall_response([[CR, PR]], t, confirm=True).tolist() == [PR]  # Table 3
    assert best_overall_response([[PR, PD]], t, confirm=True).tolist() == [SD]
    # the confirming scan must be >= 4 weeks later; an earlier one does not suffice
    assert best_overall_response([[PR, PR]], [12.0, 15.0], confirm=True).tolist() == [SD]
    assert best_overall_response([[PR, PR, SD]], [12.0, 14.0, 16.0], confirm=True)[0] == SD
    assert best_overall_response([[SD, PR]], t, confirm=True).tolist() == [SD]  # last: unconfirmed


def test_best_overall_response_sd_minimum_duration():
    t = [4.0, 8.0]
    assert best_overall_response([[SD, PD]], t, sd_min_weeks=6.0).tolist() == [PD]
    assert best_overall_response([[SD, PD]], t, sd_min_weeks=0.0).tolist() == [SD]
    assert best_overall_response([[SD, SD]], t, sd_min_weeks=6.0).tolist() == [SD]
    # too-early SD and no later assessment: not evaluable (section 4.4.1)
    assert best_overall_response([[SD]], [4.0], sd_min_weeks=6.0).tolist() == [NOT_EVALUABLE]


def test_progression_time_and_censoring():
    codes = np.array([[SD, PR, PD, SD], [SD, SD, SD, SD], [PD, PD, PD, PD]])
    time, observed = progression(codes, [3.0, 6.0, 9.0, 12.0])
    np.testing.assert_allclose(time, [9.0, 12.0, 3.0])
    np.testing.assert_array_equal(observed, [True, False, True])


def test_near_complete_response():
    s = np.array([[100.0, 15.0, 20.0], [100.0, 40.0, 40.0], [100.0, 0.0, 0.0]])
    codes = assess(s, s <= 0.0)
    best = best_overall_response(codes, [12.0, 24.0])
    assert best.tolist() == [PR, PR, CR]
    np.testing.assert_array_equal(near_complete_response(s, best), [True, False, False])
    np.testing.assert_array_equal(near_complete_response(s, best, threshold=0.5),
                                  [True, True, False])  # fmt: skip
    # a deeper decrease after the first PD does not count
    s2 = np.array([[100.0, 50.0, 70.0, 10.0]])
    c2 = assess(s2, s2 <= 0.0)
    assert c2.tolist() == [[PR, PD, PR]]
    b2 = best_overall_response(c2, [12.0, 24.0, 36.0])
    assert not near_complete_response(s2, b2, codes=c2)[0]


def test_batch_equals_each_patient_alone():
    rng = np.random.default_rng(7)
    n_p, n_l, n_t = 40, 7, 6
    sites = ["liver", "liver", "liver", "lung", "bone", "lymph_node", "lymph_node"]
    base = rng.uniform(5.0, 60.0, (n_p, n_l))
    base[0] = 8.0  # no measurable lesion
    drift = rng.uniform(-0.8, 0.2, (n_p, 1, 1))
    d = base[..., None] * np.exp(np.cumsum(drift + rng.normal(0.0, 0.3, (n_p, n_l, n_t)), 2))
    d[..., 0] = base
    weeks = 12.0 * np.arange(1, n_t)

    def pipeline(dd):
        t = select_targets(dd[..., 0], sites)
        s = sum_of_diameters_mm(dd, t, 5.0)
        c = assess(s, targets_disappeared(dd, t, 5.0))
        b = best_overall_response(c, weeks, confirm=True, sd_min_weeks=8.0)
        return t, s, c, b, *progression(c, weeks / 4.345), near_complete_response(s, b)

    batch = pipeline(d)
    # the batch exercises every category, near-complete responses and censoring
    assert set(np.unique(batch[3])) == {NOT_EVALUABLE, CR, PR, SD, PD}
    assert 0 < batch[6].sum() < n_p and 0 < batch[5].sum() < n_p
    for i in range(n_p):
        for got, want in zip(pipeline(d[i : i + 1]), batch, strict=True):
            np.testing.assert_array_equal(got[0], want[i])
