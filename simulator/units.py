"""Time-unit constants and rate conversions shared by the model and its validation.

Our convention (docs/model.md §1): the kernels work in hours; a month is 365.25 / 12 days.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 168.0
HOURS_PER_MONTH = 365.25 * 24.0 / 12.0


def growth_rate_per_h(volume_growth_percent_per_month):
    """Net exponential growth rate (1/h) from a clinical volume growth rate (TGR, %/month)."""
    return np.log1p(np.asarray(volume_growth_percent_per_month) / 100.0) / HOURS_PER_MONTH


def birth_rate_per_h(potential_doubling_time_d):
    """Clonogen birth rate b = ln 2 / T_pot (1/h, Zaider-Minerbo TCP); 0 for ``None``."""
    if potential_doubling_time_d is None:
        return 0.0
    return np.log(2.0) / (np.asarray(potential_doubling_time_d) * HOURS_PER_DAY)
