"""The published NETTER-1 endpoints (Strosberg 2017, NEJM 376:125, doi:10.1056/NEJMoa1607427).

What the virtual NETTER-1 trial (``cohort=netter1``; experiments/netter1.py) is compared
with, and what experiments/calibrate_netter1.py fits to. Rates in [0, 1], times in months,
kidney dose in Gy/GBq, lesion dose in Gy per cycle.
"""

from __future__ import annotations

SOURCE = "Strosberg 2017, NEJM 376:125, doi:10.1056/NEJMoa1607427"

#: Published NETTER-1 endpoints: (value, 95 % interval or None, source/tag)
PUBLISHED = {
    "orr_treated": (0.18, (0.116, 0.264), "18 % [ABS]; interval [DERIVED]: Wilson on 18/101 "
                                          "(denominator [INFER], evaluable patients)"),
    "orr_control": (0.03, (0.010, 0.085), "3 % [ABS]; interval [DERIVED]: Wilson on 3/100 "
                                          "(denominator [INFER])"),
    "pfs20_treated": (0.652, (0.500, 0.768), "65.2 % (50.0-76.8) [ABS]"),
    "pfs20_control": (0.108, (0.035, 0.230), "10.8 % (3.5-23.0) [ABS]"),
    "median_pfs_control": (8.4, (6.3, 10.5), "8.4 months [ABS]; interval = +/- 25 % "
                                             "(issue 6 acceptance, not a CI)"),
    "hazard_ratio": (0.21, (0.13, 0.33), "0.21 (0.13-0.33) [ABS]"),
    "kidney_gy_per_gbq": (0.47, (0.38, 0.57), "median 0.47 (Staanum 2021, doi:10.1186/"
                                              "s40658-021-00422-2); range 0.38-0.57 [ABS]"),
    "cr_treated": (0.02, (0.01, 0.02), "about 1-2 %: 2 % of 310 GEP-NET patients (Kwekkeboom "
                                       "2008, J Clin Oncol 26:2124, via a review table); "
                                       "NETTER-1 1/101 (not retrieved) [ABS]/[INFER]"),
    "lesion_gy_per_cycle": (None, (2.0, 77.0), "2-77 Gy per cycle, 182 lesions (JNM, "
                                               "PMC8978188) [ABS]"),
}

#: the cohort parameters that experiments/calibrate_netter1.py fits (config paths)
GROWTH = "tumour.volume_growth_percent_per_month"
ALPHA = "radiobiology.tumour_alpha_per_gy"
CLEARANCE = "tumour.doomed_clearance_half_time_d"


def fitted_block(fitted: dict) -> dict:
    """The fitted values as the cohort-config mapping that the generated
    ``conf/cohort/fitted/netter1.yaml`` merges over the hand-written ``conf/cohort/netter1.yaml``.

    ``fitted``: ``growth_mean``, ``growth_sd`` [%/month] and ``growth_weights`` [1] (majority,
    responders) of the growth mixture, ``alpha_median`` [1/Gy], ``clearance_median`` [d].
    """
    return {"parameters": {
        ALPHA: {"median": fitted["alpha_median"]},
        GROWTH: {"weights": list(fitted["growth_weights"]),
                 "components": {"progressive": {"mean": fitted["growth_mean"],
                                                "sd": fitted["growth_sd"]}}},
        CLEARANCE: {"median": fitted["clearance_median"]}}}
