"""Radiobiology formulas: LQ BED with incomplete repair (closed forms and any
sampled dose-rate curve), EQD2, and Poisson / Zaider–Minerbo TCP.

Pure numpy; see docs/model.md §5 and §7.
"""

from simulator.radiobiology.closed_forms import (
    bed_mono_exponential,
    bed_sum_of_exponentials,
    eqd2,
    lea_catcheside_g_mono_exponential,
    repair_rate_per_h,
)
from simulator.radiobiology.numeric import bed_from_dose_rate, dose_and_repair_integral
from simulator.radiobiology.tcp import (
    poisson_tcp,
    zaider_minerbo_tcp,
    zaider_minerbo_tcp_from_curve,
)

__all__ = [
    "bed_from_dose_rate",
    "bed_mono_exponential",
    "bed_sum_of_exponentials",
    "dose_and_repair_integral",
    "eqd2",
    "lea_catcheside_g_mono_exponential",
    "poisson_tcp",
    "repair_rate_per_h",
    "zaider_minerbo_tcp",
    "zaider_minerbo_tcp_from_curve",
]
