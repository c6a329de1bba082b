"""Tumour response: RECIST 1.1 anatomic response and SSTR-PET metabolic response.

RECIST 1.1: Eisenhauer EA et al., Eur J Cancer 2009;45:228-247,
doi:10.1016/j.ejca.2008.10.026. Pure numpy, vectorised over a leading patient axis.
"""

from simulator.response.metabolic import (
    complete_metabolic_response,
    metabolic_response_time_index,
    pet_visible,
)
from simulator.response.recist import (
    CR,
    FLAG_MEANINGS,
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

__all__ = [
    "CR",
    "FLAG_MEANINGS",
    "NOT_EVALUABLE",
    "PD",
    "PR",
    "SD",
    "assess",
    "best_overall_response",
    "complete_metabolic_response",
    "equivalent_diameter_mm",
    "metabolic_response_time_index",
    "near_complete_response",
    "pet_visible",
    "progression",
    "select_targets",
    "sum_of_diameters_mm",
    "targets_disappeared",
]
