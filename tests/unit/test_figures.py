"""The founding-case map's probability colour scale (simulator.figures)."""

import numpy as np
import pytest

from simulator.figures import probability_scale_top


@pytest.mark.parametrize("largest, top", [(0.0, 0.02), (0.02, 0.02), (0.03, 0.05),
                                          (0.12, 0.2), (0.5, 0.5), (0.51, 1.0), (1.0, 1.0)])
def test_scale_top_is_the_smallest_that_holds_the_largest_probability(largest, top):
    values = [np.array([[0.0, largest / 2]]), np.array([largest, np.nan])]
    assert probability_scale_top(values) == top
