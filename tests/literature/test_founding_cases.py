"""Founding case report: Adnan A, Basu S, J Nucl Med Technol 2020;48(1):36-39,
doi:10.2967/jnmt.119.227058 (issue 7; experiments/founding_cases.py, docs/founding_cases.md).

The case configs compose and validate; before its outcome each case takes the silent
parameters from one population block and its twins centre on it; the inferred case is a
generated config holding the posterior medians of the committed twins and reaches the
reported outcome (not a CR); bad input is a ConfigError; the old experiment names still
compose to the same configs; the notebook redraws the committed response map and (slow) a map
from a tiny run of the experiment's response map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.config import config_dir
from simulator.config.generated import is_generated
from simulator.inference import posterior_medians

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "experiments" / "notebooks" / "founding_cases.ipynb"
RESULTS = ROOT / "experiments" / "results" / "founding_cases"
COMMITTED_MAP = RESULTS / "response_map.nc"
CASES = {"founding_case1": "retroperitoneum", "founding_case2": "pelvis"}
#: fewer accepted twins than this and experiments/founding_cases.py --write refuses
MIN_ACCEPTED = 20
#: relative tolerance of a float compared with a committed number (twins.nc): numpy picks its
#: SIMD exp/log code path by CPU (AVX-512 or AVX2; ``NPY_DISABLE_CPU_FEATURES=X86_V4`` imitates
#: the other), which moves a lognormal draw by 1 ulp (4.4e-16) and a simulated outcome by
#: ~1e-12; 1e-9 holds across CPUs and is far below anything the model resolves
RTOL = 1e-9
#: an accept flag is compared only where the decisive quantity (best decrease of the sum of
#: diameters) is farther than this from its threshold (near-complete, 80 %)
DECISION_MARGIN = 1e-9
POPULATION = ("radiobiology.tumour_alpha_per_gy", "tumour.stroma_fraction",
              "tumour.doomed_clearance_half_time_d", "tumour.clonogenic_fraction",
              "tumour.doomed_receptor_fraction", "tumour.doomed_clearance_per_net_growth")


def _get(cfg: dict, path: str):
    for key in path.split("."):
        cfg = cfg[key]
    return cfg


def _compose(experiment: str, *overrides: str) -> dict:
    return simulator.validate(simulator.compose([f"experiment={experiment}",
                                                 "output.progress=false", *overrides]))


def _deterministic(experiment: str):
    return simulator.simulate(_compose(experiment)).isel(patient=0)


@pytest.mark.parametrize("case, primary_site", CASES.items())
@pytest.mark.parametrize("stage", ["inferred", "assumed"])
def test_case_is_a_single_patient_with_primary_and_metastases(case, primary_site, stage):
    cfg = _compose(f"{case}/{stage}")
    sites = [lesion["site"] for lesion in cfg["lesions"].values()]
    assert sites[0] == primary_site and len(sites) >= 3
    assert (cfg["therapy"]["activity_gbq"], cfg["therapy"]["n_cycles"],
            cfg["therapy"]["interval_weeks"]) == (7.4, 4, 8.0)
    assert cfg["cohort"]["n_patients"] == 1 and not cfg["cohort"]["parameters"]
    assert cfg["patient"]["sstr_density_nmol_per_l"] > 50.0   # high avidity vs the reference


def test_both_cases_take_the_silent_parameters_from_one_block():
    population = simulator.validate(simulator.compose(["founding_population=netter1"]))
    for case in CASES:
        cfg = _compose(f"{case}/assumed")
        for path in POPULATION:
            assert _get(cfg, path) == _get(population, path), (case, path)


def test_population_block_and_twin_spreads_are_the_calibrated_netter1_population():
    """conf/founding_population/netter1.yaml and conf/cohort/founding_twins.yaml take the
    calibrated NETTER-1 population (conf/cohort/fitted/netter1.yaml): its medians and
    population-wide values in the block, its spreads and alpha-clearance correlation in the
    twins. A recalibration that regenerates the fitted file without the block fails here
    (then: update both and rerun experiments/founding_cases.py --write)."""
    netter1 = simulator.validate(simulator.compose(["cohort=netter1"]))["cohort"]
    population = simulator.validate(simulator.compose(["founding_population=netter1"]))
    twins = _compose("founding_case1/twins")["cohort"]
    for path in ("radiobiology.tumour_alpha_per_gy", "tumour.doomed_clearance_half_time_d",
                 "tumour.stroma_fraction"):
        dist = netter1["parameters"][path]
        assert _get(population, path) == dist["median"], path
        assert twins["parameters"][path]["gsd"] == dist["gsd"], path
    for path in ("tumour.doomed_receptor_fraction", "tumour.doomed_clearance_per_net_growth"):
        assert _get(population, path) == netter1["parameters"][path], path
    # every correlation of the population between parameters the twins sample (the twins
    # take no new-lesion hazard, so not its correlation with growth: the block's header)
    sampled = set(twins["parameters"])
    pairs = {(c["a"], c["b"]): c["rho"] for c in netter1["correlations"]
             if {c["a"], c["b"]} <= sampled}
    assert pairs   # the alpha-clearance pair at least
    assert {(c["a"], c["b"]): c["rho"] for c in twins["correlations"]} == pairs


#: the founding stage's twins of every posterior draw, pooled (calibrate_posterior.py founding)
POOLED_TWINS = ROOT / "experiments" / "results" / "calibration" / "founding_twins.nc"


def _inferred_from(case: str) -> Path:
    """The twins file that ``founding_caseN/inferred.yaml`` says it was conditioned on (its
    header: "Checked against PATH by ..."): the committed run's twins.nc, or the founding
    stage's pooled posterior twins when the default draw gives too few accepted twins
    (docs/founding_cases.md)."""
    import re

    text = (config_dir() / "experiment" / case / "inferred.yaml").read_text()
    found = re.search(r"# Checked against (\S+) by", text)
    assert found, f"{case}/inferred.yaml does not name the twins it was conditioned on"
    path = ROOT / found.group(1)
    # only the current run's twins or the founding stage's pooled posterior twins
    assert path in (RESULTS / "twins.nc", POOLED_TWINS), path
    return path


@pytest.mark.parametrize("case", CASES)
def test_inferred_case_holds_the_posterior_medians_of_the_committed_twins(case):
    """founding_caseN/inferred.yaml (generated) = founding_caseN/assumed.yaml + the medians of
    the accepted twins of the committed run its header names (since the fifth calibration the
    founding stage's twins of ten posterior draws, experiments/results/calibration/
    founding_twins.nc: the fifth's default draw gives none), to the 4 significant digits
    written. The medians are order
    statistics of committed numbers (no exp/log on this side), so a relative 5e-4 is the
    rounding of the written digits."""
    import xarray as xr

    assert is_generated(config_dir() / "experiment" / case / "inferred.yaml")
    with xr.open_dataset(_inferred_from(case)) as twins:
        tw = twins.sel(case=case).load()
    tw = tw.isel(parameter=np.flatnonzero(tw.parameter_value.notnull().all("patient").values))
    assert int(tw.accepted.sum()) >= MIN_ACCEPTED
    post = posterior_medians(tw, digits=None)
    assert set(post) == {"patient.sstr_density_nmol_per_l", "patient.gfr_ml_per_min",
                         "radiobiology.tumour_alpha_per_gy", "tumour.stroma_fraction",
                         "tumour.doomed_clearance_half_time_d",
                         "tumour.volume_growth_percent_per_month"}
    inferred, prior = _compose(f"{case}/inferred"), _compose(f"{case}/assumed")
    for path, value in post.items():
        assert _get(inferred, path) == pytest.approx(value, rel=5e-4), path
        _get(prior, path.rsplit(".", 1)[0])[path.rsplit(".", 1)[1]] = _get(inferred, path)
    assert inferred == prior   # nothing else differs


@pytest.mark.parametrize("case", CASES)
def test_committed_twins_are_the_current_prior(case):
    """twins.nc was sampled from today's prior (the twin config), draw for draw, and its
    ``accepted`` flag is the reported outcome: else the posterior is stale (rerun
    experiments/founding_cases.py --write). Draws are compared to RTOL (lognormal draws go
    through numpy's CPU-dependent exp)."""
    import xarray as xr

    from simulator.cohort.sampling import sample_parameters

    with xr.open_dataset(RESULTS / "twins.nc") as twins:
        tw = twins.sel(case=case).load()
    n = tw.sizes["patient"]
    cfg = _compose(f"{case}/twins", f"cohort.n_patients={n}")
    drawn = sample_parameters(cfg["cohort"], cfg["seed"], 0, n)
    assert drawn and len(drawn) == int(tw.parameter_value.notnull().all("patient").sum())
    for path, values in drawn.items():
        np.testing.assert_allclose(tw.parameter_value.sel(parameter=path).values, values,
                                   rtol=RTOL, atol=0.0, err_msg=path)
    reached = tw.complete_metabolic_response & tw.near_complete_response
    assert (tw.accepted == reached).all()
    # at the fifth calibration's default draw fewer twins reach it than --write needs to
    # condition on (0 of 8000: its stroma median caps a lesion's decrease near 68 %, below the
    # near-complete 80 %; docs/founding_cases.md); 13.2-14.7 % at the fourth's default draw,
    # 2.6-2.7 % at the third's. Over the posterior: the next test
    assert int(tw.accepted.sum()) < MIN_ACCEPTED


def test_the_outcome_is_rare_over_the_posterior_and_the_default_draw_is_stated_below_it():
    """experiments/results/calibration/founding.nc (each posterior draw's population put into
    the case, before conditioning on the outcome): its draws are draws of the committed
    posterior; pooled over them the reported outcome is rare (below 10 %) in both cases and
    reached in most draws (8 of 10 under the fifth calibration). Docs in sync: the default
    draw's twins (twins.nc) reach it no more often than any posterior draw, as
    docs/founding_cases.md and docs/validation.md state (under the fourth calibration it lay
    above every draw; a future default draw inside the band fails here, and those sentences
    must change with it)."""
    import xarray as xr

    from simulator.calibration.posterior import check_draws_of_posterior, load_posterior
    from simulator.calibration.space import Space

    calibration = ROOT / "experiments" / "results" / "calibration"
    space = Space()
    post = load_posterior(calibration / "posterior.nc")
    with xr.open_dataset(calibration / "founding.nc") as ds, \
            xr.open_dataset(RESULTS / "twins.nc") as twins:
        assert [str(h) for h in ds.hyperparameter.values] == list(space.names)
        check_draws_of_posterior(ds.theta.values, post, space, "founding")
        n = int(ds.attrs["n_twins_per_draw"])
        for case in CASES:
            k = ds.n_accepted.sel(case=case).values
            assert (k == 0).sum() == 2, case          # docs: 2 of the 10 draws give none
            assert 0 < k.sum() / (n * len(k)) < 0.10, case
            default = float(twins.sel(case=case).accepted.mean())
            assert default <= ds.p_cmr_and_near_complete.sel(case=case).values.min(), case


@pytest.mark.parametrize("case", CASES)
def test_pooled_posterior_twins_are_the_founding_stage_and_the_current_model(case):
    """founding_twins.nc (what the inferred patients are conditioned on): per draw, its
    accepted twins are founding.nc's counts; four twins around the first accepted one of the
    draw with the most, simulated again from that draw's config (predictive.founding_config),
    give the stored best decrease (float32: rtol 1e-6) and the same accept flags."""
    import xarray as xr

    from simulator.calibration.predictive import founding_config
    from simulator.calibration.space import Space
    from simulator.simulation import simulate_chunk

    with xr.open_dataset(POOLED_TWINS) as pooled, \
            xr.open_dataset(ROOT / "experiments" / "results" / "calibration" /
                            "founding.nc") as stage:
        tw, st = pooled.sel(case=case).load(), stage.load()
    counts = np.bincount(tw.draw.values[tw.accepted.values], minlength=st.sizes["draw"])
    np.testing.assert_array_equal(counts, st.n_accepted.sel(case=case).values)
    n = int(st.attrs["n_twins_per_draw"])
    draw = int(np.argmax(counts))
    own = tw.isel(patient=np.flatnonzero(tw.draw.values == draw))
    start = max(int(np.argmax(own.accepted.values)) - 1, 0)
    cfg = simulator.validate(founding_config(
        Space(), st.theta.values[draw], case, n,
        extra=(f"solver.lanes={int(st.attrs['solver_lanes'])}",)))
    ds = simulate_chunk(cfg, start, start + 4)
    picked = own.isel(patient=slice(start, start + 4))
    np.testing.assert_allclose(ds.best_decrease.values, picked.best_decrease.values, rtol=1e-6)
    threshold = cfg["response"]["near_complete_threshold"]
    decided = np.abs(picked.best_decrease.values - threshold) > 1e-6
    accepted = (ds.complete_metabolic_response & ds.near_complete_response).values
    assert bool(picked.accepted.values[decided].any())
    np.testing.assert_array_equal(accepted[decided], picked.accepted.values[decided])


@pytest.mark.parametrize("case", CASES)
def test_committed_twin_outcomes_are_the_current_model(case):
    """Eight committed twins around the one nearest the outcome (the largest best decrease of
    the sum of diameters; an accepted twin where one exists), simulated again: the same best
    decrease (to RTOL) and the same accept flag, compared only where the decision is not a
    last-bit matter: a twin whose best decrease lies within ``DECISION_MARGIN`` of the
    near-complete threshold is left out (and must be rare)."""
    import xarray as xr

    from simulator.simulation import simulate_chunk

    with xr.open_dataset(RESULTS / "twins.nc") as twins:
        tw = twins.sel(case=case).load()
    nearest = int(np.argmax(tw.accepted.values)) if bool(tw.accepted.any()) else \
        int(np.argmax(tw.best_decrease.values))
    start = max(nearest - 2, 0)
    picked = tw.isel(patient=slice(start, start + 8))
    cfg = _compose(f"{case}/twins", f"cohort.n_patients={tw.sizes['patient']}")
    ds = simulate_chunk(cfg, start, start + 8)
    np.testing.assert_allclose(ds.best_decrease.values, picked.best_decrease.values, rtol=RTOL,
                               atol=0.0)
    threshold = cfg["response"]["near_complete_threshold"]
    decided = np.abs(picked.best_decrease.values - threshold) > DECISION_MARGIN
    assert decided.sum() >= 7   # at most one twin of eight sits on the threshold
    accepted = (ds.complete_metabolic_response & ds.near_complete_response).values
    # the check sees an accepted twin whenever the committed run has one
    assert bool(picked.accepted.values[decided].any()) == bool(tw.accepted.any())
    np.testing.assert_array_equal(accepted[decided], picked.accepted.values[decided])


@pytest.mark.parametrize("case", CASES)
def test_inferred_case_reaches_the_reported_outcome_and_the_prior_case_does_not(case):
    """The must-show of issue 7, met by the patient conditioned on the outcome: CMR +
    near-complete anatomic response, not a CR. Before the outcome (NETTER-1 medians) the same
    patient has a PR short of near-complete (docs/founding_cases.md). Each decision is far
    from its threshold (more than DECISION_MARGIN), so no last bit decides it."""
    ds = _deterministic(f"{case}/inferred")
    assert bool(ds.complete_metabolic_response) and bool(ds.near_complete_response)
    assert int(ds.best_response) == 1   # PR: near-complete, not complete
    assert 0.8 + DECISION_MARGIN <= float(ds.best_decrease) < 1.0 - DECISION_MARGIN
    before = _deterministic(f"{case}/assumed")
    assert not bool(before.near_complete_response)
    assert float(before.best_decrease) < 0.8 - DECISION_MARGIN


def test_inferred_config_is_generated_whole_from_posterior_medians(tmp_path):
    """The writer of experiments/founding_cases.py: a whole file with the command in its
    header, composing like the committed one when given the committed medians."""
    import yaml

    from simulator.config.generated import render
    from simulator.inference import nested

    committed = config_dir() / "experiment" / "founding_case1" / "inferred.yaml"
    body = yaml.safe_load(committed.read_text())
    text = render("python experiments/founding_cases.py --write",
                  {k: v for k, v in body.items() if k != "defaults"}, package="_global_",
                  defaults=body["defaults"])
    lines = text.splitlines()
    assert lines[0] == "# @package _global_"   # Hydra reads it only at the very top
    assert lines[1] == ("# GENERATED by python experiments/founding_cases.py --write — "
                        "do not edit")
    assert yaml.safe_load(text) == body
    assert nested({"patient.gfr_ml_per_min": 88.32, "tumour.stroma_fraction": 0.01}) == {
        "patient": {"gfr_ml_per_min": 88.32}, "tumour": {"stroma_fraction": 0.01}}


@pytest.mark.parametrize("old, new", [("seed_case1", "founding_case1/inferred"),
                                      ("seed_case1_prior", "founding_case1/assumed"),
                                      ("seed_case2_twins", "founding_case2/twins")])
def test_deprecated_experiment_names_compose_the_same_config(old, new):
    assert _compose(old) == _compose(new)


def test_twins_centre_on_the_prior_case_and_follow_overrides():
    cfg = _compose("founding_case1/twins", "patient.sstr_density_nmol_per_l=80")
    params = cfg["cohort"]["parameters"]
    assert params["patient.sstr_density_nmol_per_l"]["median"] == 80.0
    assert params["lesions.retroperitoneum_1.volume_ml"]["median"] == 20.0
    population = simulator.validate(simulator.compose(["founding_population=netter1"]))
    assert params["radiobiology.tumour_alpha_per_gy"]["median"] == \
        cfg["radiobiology"]["tumour_alpha_per_gy"] == \
        population["radiobiology"]["tumour_alpha_per_gy"]


@pytest.mark.parametrize("override, field", [
    ("lesions.retroperitoneum_1.volume_ml=-1", "lesions.retroperitoneum_1.volume_ml"),
    ("lesions.liver_1.site=brain", "lesions.liver_1.site"),
    ("patient.sstr_density_nmol_per_l=-3", "patient.sstr_density_nmol_per_l"),
])
def test_bad_case_input_is_a_config_error(override, field):
    with pytest.raises(simulator.ConfigError, match=field.replace(".", r"\.")):
        simulator.compose(["experiment=founding_case1/inferred", override])


def _run_notebook(monkeypatch, map_path: Path | None) -> int:
    """Execute the notebook (on ``map_path``, else the committed map); count its images."""
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("matplotlib")
    if map_path is None:
        monkeypatch.delenv("FOUNDING_CASES_MAP", raising=False)
    else:
        monkeypatch.setenv("FOUNDING_CASES_MAP", str(map_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return sum("image/png" in out.get("data", {}) for cell in nb.cells
               if cell.cell_type == "code" for out in cell.outputs)


def test_notebook_redraws_the_committed_map(monkeypatch):
    assert COMMITTED_MAP.is_file()
    assert _run_notebook(monkeypatch, None) == len(CASES)


@pytest.mark.slow   # a small simulation (8 patients) plus a kernel: ~30 s on 2 busy cores
def test_notebook_redraws_a_small_response_map(tmp_path, monkeypatch):
    """A tiny response map from the experiment script (run as a script: scripts are not a
    package) and the notebook drawing it."""
    import runpy

    pytest.importorskip("matplotlib")
    script = runpy.run_path(str(ROOT / "experiments" / "founding_cases.py"))
    tiny = script["RunSize"](n_twins=1, map_twins=1, activities_gbq=(3.7, 7.4),
                             densities_nmol_per_l=(20.0, 150.0), sensitivity=False)
    rmap = script["response_maps"](["founding_case1"], tiny)   # 2 x 2 grid, 1 twin
    for name in ("p_complete_metabolic", "p_near_complete", "p_cmr_and_near_complete"):
        assert ((rmap[name] >= 0) & (rmap[name] <= 1)).all()
    bed = rmap.kidney_bed_median_gy.isel(case=0)
    assert np.all(bed.isel(activity_gbq=1) > 1.5 * bed.isel(activity_gbq=0))  # 7.4 vs 3.7 GBq
    path = tmp_path / "response_map.nc"
    rmap.to_netcdf(path)
    assert _run_notebook(monkeypatch, path) == 1


@pytest.mark.parametrize("option", ["--n-twins", "--map-twins"])
def test_a_twin_count_below_one_is_refused_before_any_compute(option, capsys):
    """The experiment's command line refuses 0 twins (per case, per map point) naming the
    option, before anything is simulated or written."""
    import runpy

    script = runpy.run_path(str(ROOT / "experiments" / "founding_cases.py"))
    with pytest.raises(SystemExit) as exit_info:
        script["main"]([option, "0", "--out", "/nonexistent/never_written"])
    assert exit_info.value.code == 2
    assert f"{option} 0: must be >= 1" in capsys.readouterr().err
