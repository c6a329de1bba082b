"""Short plain-text outcome reports printed by the command line after a run.

A single patient: doses per GBq, cumulative doses and BED, best response, TCP and the
organ-at-risk flags.  A cohort: response rates with Wilson 95 % intervals, median PFS and
the organ-at-risk rates.  Numbers only; the Dataset holds everything.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .summary import summarize

_RESPONSE_NAMES = {-1: "not evaluable", 0: "CR", 1: "PR", 2: "SD", 3: "PD"}


def _flag(ds: xr.Dataset, name: str) -> str:
    return "yes" if name in ds and bool(ds[name].values.ravel()[0]) else "no"


def patient_report(ds: xr.Dataset) -> str:
    """Outcome lines of a single-patient Dataset (``patient`` of size 1)."""
    p = ds.isel(patient=0)
    activity_gbq = float(p["injected_activity_gbq"].sum()) if "injected_activity_gbq" in p \
        else float("nan")
    n_cycles = p.sizes.get("cycle", 0)
    if activity_gbq > 0:           # an adaptive schedule or a plan may give fewer cycles
        n_cycles = int((p["injected_activity_gbq"].values > 0).sum())
    lines = [f"  {n_cycles} cycle(s), {activity_gbq:.2f} GBq in total"]
    per_gbq = {}
    for organ in ("kidney", "marrow", "spleen", "liver"):
        var = f"{organ}_dose_gy"
        if var in p:
            total = float(p[var].sum())
            per_gbq[organ] = total / activity_gbq if activity_gbq > 0 else float("nan")
            lines.append(f"  {organ:<7} {total:8.2f} Gy  ({per_gbq[organ]:.3f} Gy/GBq)")
    if "kidney_bed_cumulative_gy" in p:
        lines.append(f"  kidney BED {float(p['kidney_bed_cumulative_gy']):.2f} Gy, over its limit: "
                     f"{_flag(p, 'kidney_bed_limit_exceeded')}; marrow dose over its limit: "
                     f"{_flag(p, 'marrow_dose_limit_exceeded')}")
    if "lesion_dose_gy" in p:
        dose = p["lesion_dose_gy"].sum("cycle").values
        bed = p["lesion_bed_gy"].sum("cycle").values if "lesion_bed_gy" in p else dose * np.nan
        for name, d, b in zip(p["lesion"].values, dose, bed, strict=True):
            if np.isfinite(d):
                lines.append(f"  lesion {name}: {d:.1f} Gy, BED {b:.1f} Gy")
    if "best_response" in p:
        best = _RESPONSE_NAMES.get(int(p["best_response"]), "?")
        lines.append(f"  best response (RECIST 1.1): {best}; near-complete: "
                     f"{_flag(p, 'near_complete_response')}; complete metabolic: "
                     f"{_flag(p, 'complete_metabolic_response')}")
    if "tcp" in p:
        lines.append(f"  TCP (Zaider-Minerbo) {float(p['tcp']):.3g} "
                     "(a relative index, docs/model.md §7)")
    return "\n".join(lines)


def cohort_report(ds: xr.Dataset) -> str:
    """Outcome lines of a cohort Dataset (rates with Wilson 95 % intervals)."""
    s = summarize(ds)
    lines = []
    for name, label in (("orr", "objective response (CR + PR)"),
                        ("near_complete_response_rate", "near-complete response"),
                        ("complete_metabolic_response_rate", "complete metabolic response"),
                        ("kidney_bed_limit_exceeded_rate", "kidney BED over its limit"),
                        ("marrow_dose_limit_exceeded_rate", "marrow dose over its limit")):
        if name in s:
            lines.append(f"  {label:<30} {100 * float(s[name]):5.1f} % "
                         f"({100 * float(s[name + '_ci_low']):.1f}-"
                         f"{100 * float(s[name + '_ci_high']):.1f})")
    if "median_pfs_months" in s:
        median = float(s["median_pfs_months"])
        lines.append(f"  median PFS {median:.1f} months" if np.isfinite(median) else
                     "  median PFS not reached within the follow-up")
    return "\n".join(lines)


def report(ds: xr.Dataset) -> str:
    """The report that fits ``ds``: one patient, or a cohort."""
    return patient_report(ds) if ds.sizes["patient"] == 1 else cohort_report(ds)


def plan_report(plan: xr.Dataset) -> str:
    """Lines of a plan (:func:`simulator.planning.plan`): the chosen schedule(s), the
    objective against the configured schedule, the re-simulated limits."""
    units = plan.attrs.get("objective_units", "")
    scale, unit = (100.0, " %") if units == "1" else (1.0, f" {units}")
    found = plan.plan_found.values
    a = plan.attrs
    lines = [f"  plan: maximise {a['objective_long_name']} with at most "
             f"{100 * a['max_exceedance_probability']:.0f} % over a limit "
             f"({a['enforced_limits']}); {int(plan.sizes['candidate'])} candidates, "
             f"{a['courses_simulated']} courses in {a['search_wall_time_s']:.1f} s"]
    if plan.attrs["scope"] == "cohort":
        if found[0]:
            lines.append(f"  chosen: {int(plan.plan_n_cycles[0])} x "
                         f"{float(plan.plan_activity_gbq[0]):.2f} GBq every "
                         f"{float(plan.plan_interval_weeks[0]):g} weeks, "
                         f"{float(plan.plan_peptide_nmol[0]):g} nmol peptide")
        chosen = scale * float(plan.resimulated_objective[0])
        lines.append(f"  objective: chosen {chosen:.3g}{unit}, "
                     f"configured {scale * float(plan.configured_objective[0]):.3g}{unit}")
    else:
        n_cyc = plan.plan_n_cycles.values[found]
        activity = plan.plan_activity_gbq.values[found]
        lines.append(f"  {int(found.sum())} of {found.size} patients planned; cycles "
                     f"{n_cyc.min() if n_cyc.size else '-'}-{n_cyc.max() if n_cyc.size else '-'}, "
                     f"activity per cycle {np.nanmin(activity) if activity.size else np.nan:.2f}-"
                     f"{np.nanmax(activity) if activity.size else np.nan:.2f} GBq (plan.nc)")
    lines.append(f"  gain over the configured schedule {scale * a['gain_over_configured']:.3g}"
                 f"{unit} (95 % CI {scale * a['gain_ci_low']:.3g} to "
                 f"{scale * a['gain_ci_high']:.3g})")
    met = plan.resimulated_constraints_met.values[found]
    lines.append(f"  re-simulated: {100 * a['resimulated_over_limit']:.1f} % of patients "
                 f"over an enforced limit; constraints met by {int(met.sum())} of {met.size} "
                 "plan(s)")
    return "\n".join(lines)
