"""The calibration machinery (simulator/calibration): priors, summaries, emulator, likelihood,
posterior.  The emulator and the sampler are checked on a problem whose answer is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from simulator.calibration.emulator import Emulator, cross_validate, is_rate
from simulator.calibration.likelihood import TERM_SPECS, UNUSED, Term, load_terms, log_likelihood
from simulator.calibration.posterior import load_posterior, posterior_draws, sample
from simulator.calibration.space import HYPERPARAMETERS, Hyperparameter, Space
from simulator.calibration.summaries import (
    SWOG_MR_DECREASE,
    SWOG_PR_DECREASE,
    lesion_dose_fall_per_cycle,
)
from simulator.trial import arm_config

TARGETS = Path(__file__).resolve().parents[3] / "experiments" / "targets" / "calibration.yaml"
VALIDATION = TARGETS.with_name("validation.yaml")


def test_unit_cube_round_trip_and_log_scale():
    space = Space()
    u = np.random.default_rng(0).random((5, space.dim))
    assert np.allclose(space.to_unit(space.from_unit(u)), u)
    j = space.names.index("alpha_median_per_gy")
    mid = space.from_unit(np.full(space.dim, 0.5))[j]
    assert mid == pytest.approx(np.sqrt(0.005 * 0.04))       # log-uniform: geometric mid


def test_out_of_range_hyperparameter_is_named():
    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.5))
    theta[space.names.index("low_uptake_weight")] = 0.9
    with pytest.raises(ValueError, match="low_uptake_weight = 0.9 is outside .*0.0, 0.4"):
        space.editor(theta)


def test_editor_sets_every_hyperparameter_in_the_config():
    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.3))
    cfg = arm_config(10, 1, control=False, edit=space.editor(theta))
    v = dict(zip(space.names, theta, strict=True))
    p = cfg["cohort"]["parameters"]
    assert p["radiobiology.tumour_alpha_per_gy"]["median"] == v["alpha_median_per_gy"]
    assert p["radiobiology.tumour_alpha_per_gy"]["gsd"] == v["alpha_gsd"]
    assert p["tumour.stroma_fraction"]["median"] == v["stroma_median"]
    assert p["tumour.doomed_clearance_half_time_d"]["median"] == v["clearance_median_d"]
    assert p["tumour.doomed_receptor_fraction"] == v["doomed_receptor_fraction"]
    assert p["tumour.doomed_clearance_per_net_growth"] == v["clearance_per_net_growth"]
    assert p["tumour.new_lesion_rate_per_month"]["median"] == \
        v["new_lesion_rate_median_per_month"]
    assert p["tumour.new_lesion_rate_ratio_on_prrt"] == v["new_lesion_rate_ratio_on_prrt"]
    growth = p["tumour.volume_growth_percent_per_month"]
    assert growth["weights"] == [1 - v["ssa_responder_weight"], v["ssa_responder_weight"]]
    assert growth["components"]["progressive"]["mean"] == v["growth_mean_percent_per_month"]
    assert growth["components"]["progressive"]["sd"] == v["growth_sd_percent_per_month"]
    assert cfg["cohort"]["lesions"]["sstr_density_factor"]["weights"][1] == \
        v["low_uptake_weight"]


def test_study_and_site_hyperparameters_enter_no_netter1_arm():
    """The fifth calibration's Kwekkeboom share and factor and the pancreatic alpha factor
    leave the NETTER-1 arms' config as it is (they enter only their own statistics); the
    pancreatic editor multiplies the alpha median and sets the 30-d clearance."""
    from simulator.calibration.space import (
        PANCREATIC_ALPHA_FACTOR,
        PANCREATIC_CLEARANCE_D,
    )

    space = Space()
    a = space.from_unit(np.full(space.dim, 0.3))
    b = a.copy()
    for name in ("kwekkeboom_pancreatic_share", "kwekkeboom_new_lesion_factor",
                 PANCREATIC_ALPHA_FACTOR):
        b[space.names.index(name)] = space.from_unit(np.full(space.dim, 0.9))[
            space.names.index(name)]
    assert not np.array_equal(a, b)
    cfg_a = arm_config(10, 1, control=False, edit=space.editor(a))
    cfg_b = arm_config(10, 1, control=False, edit=space.editor(b))
    assert cfg_a == cfg_b
    assert space.cohort_block(a) == space.cohort_block(b)
    assert len(space.population_names) == space.dim - 3
    pan = arm_config(10, 1, control=False, edit=space.pancreatic_editor(b))
    p, q = pan["cohort"]["parameters"], cfg_b["cohort"]["parameters"]
    alpha = "radiobiology.tumour_alpha_per_gy"
    assert p[alpha]["median"] == pytest.approx(
        q[alpha]["median"] * space.value(b, PANCREATIC_ALPHA_FACTOR))
    assert p["tumour.doomed_clearance_half_time_d"]["median"] == PANCREATIC_CLEARANCE_D
    assert p[alpha]["gsd"] == q[alpha]["gsd"]
    assert space.value(b, "nothing", default=2.0) == 2.0
    with pytest.raises(KeyError, match="nothing"):
        space.value(b, "nothing")
    with pytest.raises(KeyError, match=PANCREATIC_ALPHA_FACTOR):
        Space(HYPERPARAMETERS[:16]).pancreatic_editor(a[:16])


def test_every_declared_target_has_a_likelihood_decision():
    terms = load_terms(TARGETS)
    assert {t.name for t in terms} == set(TERM_SPECS)
    assert not set(TERM_SPECS) & set(UNUSED)
    orr = next(t for t in terms if t.name == "netter1_orr_treated")
    assert orr.kind == "binomial" and orr.value == pytest.approx(18 / 101)
    med = next(t for t in terms if t.name == "netter1_median_pfs_control")
    assert (med.statistic, med.value) == ("pfs8p4_control", 0.5)       # PFS(8.4) = 0.5
    assert med.se == pytest.approx(np.sqrt(0.25 / 113))
    pfs = next(t for t in terms if t.name == "netter1_pfs20_treated")
    assert pfs.se == pytest.approx((0.768 - 0.500) / 3.92)


def test_likelihood_terms_and_their_variances():
    normal = Term("x", "a", 1.0, "normal", 0.5, 100, 0.0, "")
    binom = Term("p", "b", 0.2, "binomial", float("nan"), 100, 0.1, "")
    bound = Term("q", "a", 1.0, "lower_bound", 0.1, 100, 0.0, "")
    mean = np.array([[1.0, 0.2], [2.0, 0.2]])
    var = np.zeros_like(mean)
    ll = log_likelihood([normal, binom, bound], ["a", "b"], mean, var, 100, per_term=True)
    # normal: variance = se^2 (published) + se^2 (Monte Carlo at the same n) = 0.5
    assert ll[0, 0] == pytest.approx(-0.5 * np.log(2 * np.pi * 0.5))
    assert ll[1, 0] - ll[0, 0] == pytest.approx(-0.5 * 1.0 / 0.5)
    # binomial at the model's p: 2 p(1-p)/n + discrepancy^2
    v = 2 * 0.16 / 100 + 0.01
    assert ll[0, 1] == pytest.approx(-0.5 * np.log(2 * np.pi * v))
    # one-sided: at the bound log(1/2); far above it ~0
    assert ll[0, 2] == pytest.approx(np.log(0.5), abs=1e-3)
    assert ll[1, 2] == pytest.approx(0.0, abs=1e-6)
    # more Monte Carlo patients -> smaller variance -> a sharper likelihood
    far = np.array([[3.0, 0.2]])
    assert log_likelihood([normal], ["a", "b"], far, np.zeros_like(far), 10_000) < \
        log_likelihood([normal], ["a", "b"], far, np.zeros_like(far), 100)


def _toy_space():
    noop = lambda cfg, v: None  # noqa: E731
    return Space((Hyperparameter("a_gy", 0.0, 10.0, False, noop, "toy"),
                  Hyperparameter("b_per_d", 0.1, 10.0, True, noop, "toy")))


def test_emulator_cross_validates_and_rates_stay_in_range():
    rng = np.random.default_rng(1)
    u = rng.random((60, 2))
    smooth = np.column_stack([np.sin(3 * u[:, 0]) + u[:, 1] ** 2,
                              0.05 + 0.4 * u[:, 0] * u[:, 1]])
    noisy = smooth + rng.normal(0, [0.01, 0.005], smooth.shape)
    stats = ["smooth_gy", "orr_toy"]
    assert is_rate("orr_toy") and not is_rate("smooth_gy")
    cv = cross_validate(u, noisy, stats, k=5, seed=0)
    assert cv["smooth_gy"]["r2"] > 0.99 and cv["orr_toy"]["r2"] > 0.95
    assert 0.5 < cv["smooth_gy"]["z_rms"] < 2.0       # honest predictive variance
    em = Emulator(stats).fit(u, noisy)
    m, v = em.predict(rng.random((200, 2)))
    assert np.all((m[:, 1] >= 0) & (m[:, 1] <= 1)) and np.all(v >= 0)


@pytest.mark.filterwarnings("ignore:emcee chains may be too short")
def test_posterior_recovers_a_known_parameter(tmp_path):
    space = _toy_space()
    rng = np.random.default_rng(2)
    u = rng.random((40, 2))
    values = np.column_stack([u[:, 0], u[:, 1]])           # statistics = the unit coords
    em = Emulator(["s0", "s1"]).fit(u, values + rng.normal(0, 1e-3, values.shape))
    terms = [Term("t0", "s0", 0.3, "normal", 0.02, 100, 0.0, ""),
             Term("t1", "s1", 0.7, "normal", 0.02, 100, 0.0, "")]
    post = sample(space, em, terms, n_simulated=10**6, n_walkers=16, n_steps=600, burn=200,
                  thin=5, seed=3)
    flat_u = space.to_unit(post.flat())
    assert flat_u.mean(axis=0) == pytest.approx([0.3, 0.7], abs=0.01)
    assert flat_u.std(axis=0) == pytest.approx([0.02, 0.02], rel=0.25)
    path = tmp_path / "posterior.nc"
    post.save(path, attrs={"command": "test"})
    saved = load_posterior(path)
    assert set(saved.data_vars) == {"a_gy", "b_per_d"}
    assert saved.a_gy.dims == ("chain", "draw")
    assert xr.load_dataset(path, group="sample_stats").lp.shape == saved.a_gy.shape
    draws = posterior_draws(saved, space, 50, seed=0)
    assert draws.shape == (50, 2) and np.all(draws[:, 1] > 0.1)
    with pytest.raises(ValueError, match="asked"):
        posterior_draws(saved, space, 10**6, seed=0)


def test_dose_fall_per_cycle_is_the_log_slope():
    dose = np.array([[[10.0, 9.0, 8.1, 7.29], [5.0, 5.0, 5.0, 5.0]]])   # -10 %/cycle, flat
    vol = np.array([[[20.0], [1.0]]])                                    # 2nd lesion < 8 mL
    ds = xr.Dataset({"lesion_dose_gy": (("patient", "lesion", "cycle"), dose),
                     "lesion_volume_ml": (("patient", "lesion", "time"), vol)})
    assert lesion_dose_fall_per_cycle(ds) == pytest.approx(0.1)


def test_swog_cuts_are_the_product_cuts_on_one_diameter():
    assert (1 - SWOG_PR_DECREASE) ** 2 == pytest.approx(0.5)
    assert (1 - SWOG_MR_DECREASE) ** 2 == pytest.approx(0.75)


def test_default_hyperparameter_ranges_contain_the_interim_point_fit():
    # the point fit of calibrate_netter1.py (alpha 0.014, clearance 180 d) lies inside
    space = Space(HYPERPARAMETERS)
    theta = space.from_unit(np.full(space.dim, 0.5))
    theta[space.names.index("alpha_median_per_gy")] = 0.014
    theta[space.names.index("clearance_median_d")] = 180.0
    space.check(theta)


def test_variance_calibration_only_inflates():
    rng = np.random.default_rng(4)
    u = rng.random((30, 1))
    em = Emulator(["a_gy", "b_gy"]).fit(u, np.column_stack([u[:, 0], -u[:, 0]]))
    _, v0 = em.predict(u[:5])
    em.calibrate_variance({"a_gy": {"z_rms": 3.0}, "b_gy": {"z_rms": 0.5}})
    _, v1 = em.predict(u[:5])
    assert v1[:, 0] == pytest.approx(9.0 * v0[:, 0])
    assert v1[:, 1] == pytest.approx(v0[:, 1])


def test_cohort_block_merges_to_the_same_config_as_the_editor():
    from omegaconf import OmegaConf

    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.3))
    block = space.cohort_block(theta, digits=17)
    base = arm_config(10, 1, control=False)
    merged = OmegaConf.to_container(OmegaConf.merge(base["cohort"], block))
    edited = arm_config(10, 1, control=False, edit=space.editor(theta))["cohort"]
    for key in ("parameters", "lesions", "correlations"):     # digits=17: exact
        assert yaml.safe_dump(merged[key]) == yaml.safe_dump(edited[key])
    assert merged["correlations"][0]["rho"] == theta[space.names.index("alpha_clearance_rho")]


def test_representative_draw_is_a_draw_near_the_medians():
    from simulator.calibration.posterior import representative_draw

    space = _toy_space()
    rng = np.random.default_rng(5)
    theta = space.from_unit(rng.random((4, 50, 2)) * 0.2 + 0.4)
    post = xr.Dataset({n: (("chain", "draw"), theta[..., j])
                       for j, n in enumerate(space.names)})
    rep = representative_draw(post, space)
    assert any(np.allclose(rep, row) for row in theta.reshape(-1, 2))
    assert space.to_unit(rep) == pytest.approx([0.5, 0.5], abs=0.05)


def _predictive(space, theta, values, stats, n=1000):
    return xr.Dataset(
        {"theta": (("draw", "hyperparameter"), theta),
         "statistic_value": (("draw", "statistic"), values)},
        coords={"hyperparameter": list(space.names), "statistic": stats},
        attrs={"n_patients_per_arm": n})


def test_best_predictive_draw_is_the_simulated_trial_nearest_the_targets():
    """The chosen draw is the one whose *simulated* statistics sit closest to the targets
    (in each term's own units of variance), not the first, nor the median one."""
    from simulator.calibration.posterior import best_predictive_draw

    space = _toy_space()
    terms = [Term("t0", "s0", 0.30, "normal", 0.02, 100, 0.0, ""),
             Term("t1", "s1", 0.10, "binomial", float("nan"), 200, 0.0, "")]
    theta = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    values = np.array([[0.20, 0.10],      # s0 5 se off
                       [0.31, 0.11],      # nearest in both
                       [0.30, 0.25],      # s1 far off (binomial)
                       [0.40, 0.10]])
    i, th, ll = best_predictive_draw(_predictive(space, theta, values, ["s0", "s1"]),
                                     terms, space)
    assert i == 1 and np.array_equal(th, theta[1])
    assert ll.shape == (4,) and ll[1] > ll[[0, 2, 3]].max()
    # a NaN statistic (e.g. a median never reached) cannot win
    values[1, 0] = np.nan
    i, _, _ = best_predictive_draw(_predictive(space, theta, values, ["s0", "s1"]),
                                   terms, space)
    assert i != 1


def test_best_predictive_draw_refuses_another_space_or_missing_statistics():
    from simulator.calibration.posterior import best_predictive_draw

    space = _toy_space()
    terms = [Term("t0", "s0", 0.3, "normal", 0.02, 100, 0.0, "")]
    theta, values = np.ones((2, 2)), np.full((2, 1), 0.3)
    other = Space((space.parameters[0],))
    with pytest.raises(ValueError, match="hyperparameters .* rerun the predictive stage"):
        best_predictive_draw(_predictive(space, theta, values, ["s0"]), terms, other)
    with pytest.raises(ValueError, match=r"lacks the statistics \['s0'\]"):
        best_predictive_draw(_predictive(space, theta, values, ["s9"]), terms, space)


def test_best_predictive_draw_refuses_a_predictive_file_of_another_posterior():
    from simulator.calibration.posterior import best_predictive_draw

    space = _toy_space()
    terms = [Term("t0", "s0", 0.3, "normal", 0.02, 100, 0.0, "")]
    draws = np.array([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]])            # (chain, draw, dim)
    post = xr.Dataset({n: (("chain", "draw"), draws[..., j])
                       for j, n in enumerate(space.names)})
    ok = _predictive(space, draws[0, [2, 0]], np.array([[0.3], [0.2]]), ["s0"])
    assert best_predictive_draw(ok, terms, space, posterior=post)[0] == 0
    stale = _predictive(space, np.array([[3.0, 3.0], [2.5, 2.0]]), np.array([[0.3], [0.2]]),
                        ["s0"])
    with pytest.raises(ValueError, match="predictive draw 1 is not a draw of the posterior"):
        best_predictive_draw(stale, terms, space, posterior=post)


def _arm(best, sums, visits, prog_time, prog_seen):
    from simulator.calibration.summaries import swog_best_response  # noqa: F401

    n = len(best)
    return xr.Dataset({
        "best_response": ("patient", np.asarray(best)),
        "sum_diameters_observed_mm": (("patient", "assessment"), np.asarray(sums, float)),
        "visit_time_months": (("patient", "assessment"), np.asarray(visits, float)),
        "progression_time_months": ("patient", np.asarray(prog_time, float)),
        "progression_observed": ("patient", np.asarray(prog_seen, bool)),
        "new_lesion_time_months": ("patient", np.full(n, np.inf))},
        coords={"patient": np.arange(n)})


def test_swog_categories_ignore_the_progression_visit():
    from simulator.calibration.summaries import swog_best_response
    from simulator.response.recist import CR, PD, PR, SD

    visits = [[0, 3, 6, 9]] * 5
    ds = _arm([PD, PR, SD, SD, CR],
              [[100, 65, 60, 60],     # -35 % at the visit that shows a new lesion: PD
               [100, 68, 90, 130],    # -32 % before progression at 9 months: PR
               [100, 80, 82, 85],     # -20 %: MR
               [100, 95, 98, 99],     # SD
               [100, 40, 0, 0]],      # CR
              visits, [3, 9, 9, 9, 9], [True, True, False, False, False])
    assert list(swog_best_response(ds, None)) == ["PD", "PR", "MR", "SD", "CR"]


def test_rate_back_transform_matches_monte_carlo_near_zero():
    from simulator.calibration.emulator import _backward

    rng = np.random.default_rng(6)
    for z, var in ((0.0, 0.01), (0.05, 0.002), (0.6, 0.003)):
        p = np.sin(rng.normal(z, np.sqrt(var), 400_000)) ** 2
        m, v = _backward("orr_x", np.array([z]), np.array([var]))
        assert m[0] == pytest.approx(p.mean(), rel=0.01)
        assert v[0] == pytest.approx(p.var(), rel=0.02)   # not 0 at z = 0


def test_latent_variance_excludes_the_white_noise():
    rng = np.random.default_rng(7)
    u = rng.random((40, 1))
    y = np.sin(4 * u[:, 0]) + rng.normal(0, 0.1, 40)
    em = Emulator(["y_gy"]).fit(u, y[:, None])
    _, v_noisy = em.predict(u[:5])
    _, v_latent = em.predict(u[:5], noise=False)
    assert np.all(v_latent < v_noisy)
    assert np.all(v_noisy - v_latent == pytest.approx(
        em.models["y_gy"].kernel_.k2.noise_level * np.std(y) ** 2, rel=0.05))


def test_category_after_last_cycle_reads_the_visit_nearest_three_months_after():
    from simulator.calibration.predictive import category_after_last_cycle
    from simulator.response.recist import PD, PR, SD

    month_h = 24.0 * 365.25 / 12.0
    nominal = np.array([0.0, 2.76, 5.52, 8.28, 11.04])       # every 12 weeks
    visits = np.tile(nominal, (3, 1))
    ds = _arm([PR, SD, PD],
              [[100, 80, 72, 68, 90],     # -32 % at 8.28 months (12 weeks after cycle 4): PR
               [100, 90, 80, 75, 60],     # -25 % there (PR only later): SD
               [100, 90, 80, 90, 125]],   # progression at 11.04 months: not yet
              visits, [11.04, 11.04, 11.04], [False, False, True])
    ds = ds.assign_coords(cycle_start_h=("cycle", np.array([0, 8, 16, 24]) * 7 * 24.0),
                          assessment_nominal_months=("assessment", nominal))
    ds = ds.assign(injected_activity_gbq=(("patient", "cycle"), np.full((3, 4), 7.4)))
    out = category_after_last_cycle(ds)
    assert 24 * 7 * 24.0 / month_h == pytest.approx(5.52, abs=0.01)
    assert out["PR"] == pytest.approx(1 / 3) and out["SD"] == pytest.approx(2 / 3)
    assert out["PD"] == 0.0 and out["CR_or_PR"] == out["PR"]
    # a patient who stopped after cycle 2 (week 8) is read 3 months after it, at week 24
    # (-28 %: SD), not 12 weeks after the scheduled last cycle
    stopped = ds.assign(injected_activity_gbq=(("patient", "cycle"), np.array(
        [[7.4, 7.4, 0.0, 0.0]] + [[7.4] * 4] * 2)))
    out = category_after_last_cycle(stopped)
    assert out["PR"] == pytest.approx(0.0) and out["SD"] == pytest.approx(1.0)


def test_design_resumes_and_records_every_wave(tmp_path, monkeypatch):
    from simulator.calibration import design

    space = _toy_space()
    monkeypatch.setattr(design, "simulate_point",
                        lambda sp, theta, n, seed, lanes: {k: float(theta[0]) + lanes for k in
                                                           design.STATISTICS})
    path = tmp_path / "design.nc"
    design.run_design(space, [[1.0, 1.0], [2.0, 1.0]], path, 10, 3, command="a",
                      progress=False)
    ds = design.run_design(space, [[2.0, 1.0], [3.0, 2.0]], path, 10, 3, wave=1,
                           command="b", progress=False)
    assert list(ds.wave.values) == [0, 0, 1]            # the repeated point is not rerun
    assert ds.attrs["command"] == "a ; b"
    assert ds.attrs["solver_lanes"] == 1 and ds.statistic_value.values[-1, 0] == 3.0 + 1
    with pytest.raises(ValueError, match="seed = 3"):
        design.run_design(space, [[4.0, 1.0]], path, 10, 4, progress=False)
    with pytest.raises(ValueError, match="solver.lanes = 1; asked lanes = 64"):
        design.run_design(space, [[4.0, 1.0]], path, 10, 3, progress=False, lanes=64)
    other = design.run_design(space, [[4.0, 1.0]], tmp_path / "lanes.nc", 10, 3,
                              progress=False, lanes=64)
    assert other.attrs["solver_lanes"] == 64 and other.statistic_value.values[0, 0] == 68.0


def test_design_point_simulates_a_pancreatic_arm_on_its_own_patients(monkeypatch):
    """simulate_arms: midgut arms on the root seed, the pancreatic arm (with the pancreatic
    edit) on seed + 1, the same at every design point; none for a space without the
    pancreatic alpha factor."""
    from simulator.calibration import design

    calls = []

    def fake_run_arm(n, seed, control, edit=None, overrides=()):
        cfg = arm_config(n, seed, control, edit)
        calls.append((seed, control, cfg["cohort"]["parameters"]
                      ["tumour.doomed_clearance_half_time_d"]["median"], overrides))
        return seed

    monkeypatch.setattr(design, "run_arm", fake_run_arm)
    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.5))
    assert design.simulate_arms(space, theta, 10, 6, lanes=64) == (6, 6, 7)
    assert [c[:2] for c in calls] == [(6, False), (6, True), (7, False)]
    assert calls[0][2] == pytest.approx(space.value(theta, "clearance_median_d"))
    assert calls[2][2] == 30.0 and calls[2][3] == ("solver.lanes=64",)
    calls.clear()
    fourth = Space(HYPERPARAMETERS[:16])
    assert design.simulate_arms(fourth, theta[:16], 10, 6)[2] is None and len(calls) == 2


def test_predictive_checks_read_their_published_values_from_the_target_file():
    from simulator.calibration.report import check_rows

    rows = check_rows(yaml.safe_load(TARGETS.read_text())["targets"])
    assert rows["kwekkeboom_pr"][0] == pytest.approx(87 / 310)
    assert rows["kwekkeboom_sd"][0] == pytest.approx(109 / 310)
    assert rows["ezziddin_pr"][0] == pytest.approx(41 / 68)
    assert rows["lesion_gy_per_cycle_p99p9"][0] == 77.0
    assert rows["median_pfs_treated_months"][1] == (18.4, None)
    assert rows["lesion_dose_ratio_last_first_median"][1] == pytest.approx((0.86 ** 3, 0.94 ** 3))
    assert rows["hazard_ratio"][:2] == (0.21, (0.13, 0.33))


def _kwekkeboom_arm(sums, new_lesion_months, prog_time, prog_seen, best, activity=None):
    ds = _arm(best, sums, [[0, 2.76, 5.52, 8.28, 11.04]] * len(best), prog_time, prog_seen)
    activity = np.full((len(best), 4), 7.4) if activity is None else np.asarray(activity)
    return ds.assign(new_lesion_time_months=("patient", np.asarray(new_lesion_months, float)),
                     injected_activity_gbq=(("patient", "cycle"), activity)
                     ).assign_coords(
        cycle_start_h=("cycle", np.array([0.0, 8, 16, 24]) * 168.0),
        assessment_nominal_months=("assessment", np.array([0, 2.76, 5.52, 8.28, 11.04])))


def test_first_evaluation_is_the_visit_after_the_last_cycle():
    from simulator.calibration.summaries import first_evaluation_index

    ds = _kwekkeboom_arm([[100] * 5] * 3, [np.inf] * 3, [11.04] * 3, [False] * 3, [2] * 3,
                         activity=[[7.4] * 4, [7.4, 7.4, 7.4, 0.0], [7.4, 7.4, 0.0, 0.0]])
    # last cycle given at week 24 / 16 / 8; + 6 weeks -> the visits of week 36 / 24 / 24
    assert list(first_evaluation_index(ds, 6.0)) == [3, 2, 2]
    assert list(first_evaluation_index(ds, 0.0)) == [2, 2, 1]   # the cycle's own week counts
    with pytest.raises(ValueError, match="no assessment 40.0 weeks after the last cycle"):
        first_evaluation_index(ds, 40.0)
    untreated = ds.assign(injected_activity_gbq=ds.injected_activity_gbq * 0.0)
    with pytest.raises(ValueError, match="needs treated patients: 3 received no activity"):
        first_evaluation_index(untreated, 6.0)


def test_swog_on_kwekkeboom_schedule_judges_from_the_first_evaluation():
    from simulator.calibration.summaries import swog_best_response
    from simulator.response.recist import PD, PR, SD

    ds = _kwekkeboom_arm(
        [[100, 60, 62, 75, 80],      # PR at month 2.8 (not an evaluation): -25 % at 8.3: MR
         [100, 110, 118, 121, 125],  # +21 % at the first evaluation: PD
         [100, 90, 70, 68, 66],      # new lesion at month 7 (before the evaluation): PD
         [100, 90, 70, 68, 66],      # new lesion at month 10: PR at 8.3 counts
         [100, 60, 45, 62, 75],      # RECIST PD at 8.3 (nadir 45), -38 % from baseline: PR
         [100, 104, 108, 112, 118]], # slow growth, +12 % at 8.3: SD
        [np.inf, np.inf, 7.0, 10.0, np.inf, np.inf],
        [11.04, 8.28, 8.28, 11.04, 8.28, 11.04], [False, True, True, True, True, False],
        [PR, PD, PR, PR, PR, SD])
    assert list(swog_best_response(ds)) == ["MR", "PD", "PD", "PR", "PR", "SD"]
    # every visit an evaluation (the former rule): the early PR counts
    assert list(swog_best_response(ds, None))[0] == "PR"
    # any delay up to 12 weeks lands on the same visit (docs/calibration.md §9), 13 on the next
    assert list(swog_best_response(ds, 12.0)) == list(swog_best_response(ds))
    assert list(swog_best_response(ds, 13.0)) != list(swog_best_response(ds))


def _six_kwekkeboom_patients():
    from simulator.response.recist import PD, PR, SD

    ds = _kwekkeboom_arm(
        [[100, 60, 62, 75, 80], [100, 110, 118, 121, 125], [100, 90, 70, 68, 66],
         [100, 90, 70, 68, 66], [100, 60, 45, 62, 75], [100, 104, 108, 112, 118]],
        [np.inf, np.inf, 7.0, 10.0, np.inf, 20.0],
        [11.04, 8.28, 8.28, 11.04, 8.28, 11.04], [False, True, True, True, True, False],
        [PR, PD, PR, PR, PR, SD])
    return ds.assign(targets_gone_time_months=("patient", np.full(6, np.inf)))


def test_kwekkeboom_mixture_is_the_pooled_cohort_of_its_two_parts():
    """(1 - s) x midgut + s x pancreatic equals the categories of one cohort pooling the two
    arms in that proportion (simulator.trial.pool_arms, another code path), at any hazard
    factor; a share outside [0, 1], or without a pancreatic arm, is refused."""
    from simulator.calibration.summaries import kwekkeboom_categories, swog_best_response
    from simulator.trial import pool_arms

    six = _six_kwekkeboom_patients()
    midgut, pancreatic = six.isel(patient=[0, 1, 2, 5]), six.isel(patient=[3, 4])
    for factor in (1.0, 2.0):
        # 4 midgut + 2 pancreatic patients: share 1/3 of the pooled cohort
        mixed = kwekkeboom_categories(midgut, pancreatic, 1.0 / 3.0, factor)
        pooled = swog_best_response(pool_arms([midgut, pancreatic]),
                                    new_lesion_hazard_factor=factor)
        for c, rate in mixed.items():
            assert rate == pytest.approx(np.mean(pooled == c)), (c, factor)
        assert sum(mixed.values()) == pytest.approx(1.0)
    # the factor moves patient 2's new lesion (month 10) before the first evaluation: PD
    assert kwekkeboom_categories(midgut, pancreatic, 1.0, 1.0)["PR"] == 1.0
    assert kwekkeboom_categories(midgut, pancreatic, 1.0, 2.0)["PD"] == 0.5
    assert kwekkeboom_categories(midgut, None, 0.0, 1.0) == \
        kwekkeboom_categories(midgut, pancreatic, 0.0, 1.0)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError,
                           match="kwekkeboom_pancreatic_share = .*allowed 0 <= share <= 1"):
            kwekkeboom_categories(midgut, pancreatic, bad, 1.0)
    with pytest.raises(ValueError, match="needs a pancreatic arm .allowed without one: 0."):
        kwekkeboom_categories(midgut, None, 0.2, 1.0)


def test_new_lesion_hazard_factor_moves_new_lesions_earlier():
    from simulator.calibration.summaries import new_lesion_progression, swog_best_response
    from simulator.response.recist import CR, PR, SD

    ds = _kwekkeboom_arm(
        [[100, 90, 70, 68, 66],      # new lesion at 10 months: PR; x2 -> 5: PD at 5.52
         [100, 90, 80, 65, 60],      # new lesion at 20: PR (-35 % at 8.28); x2 -> 10: still PR
         [100, 90, 80, 75, 65],      # new lesion at 20: -35 % first at 11.04; x2 -> 10: MR
         [100, 104, 108, 112, 118],  # no new lesion: SD whatever the factor
         [100, 40, 0, 0, 0],         # CR at 5.52, new lesion at 30: CR up to x3
         [100, 60, 40, 30, 0]],      # CR at 11.04; new lesion at 20: x2 -> PR, x3 -> PD
        [10.0, 20.0, 20.0, np.inf, 30.0, 20.0],
        [11.04, 11.04, 11.04, 11.04, 11.04, 11.04], [True, False, False, False, False, False],
        [PR, PR, PR, SD, CR, CR])
    ds = ds.assign(targets_gone_time_months=("patient", [np.inf] * 4 + [5.52, 11.04]))
    assert list(swog_best_response(ds)) == ["PR", "PR", "PR", "SD", "CR", "CR"]
    assert list(swog_best_response(ds, new_lesion_hazard_factor=2.0)) == \
        ["PD", "PR", "MR", "SD", "CR", "PR"]
    assert list(swog_best_response(ds, new_lesion_hazard_factor=3.0))[4:] == ["CR", "PD"]
    new, until, seen = new_lesion_progression(ds, 2.0)
    assert np.allclose(new, [5.0, 10.0, 10.0, np.inf, 15.0, 10.0])
    assert np.allclose(until, [5.52, 11.04, 11.04, 11.04, 11.04, 11.04])
    assert list(seen) == [True, True, True, False, False, True]
    for bad in (0.5, np.nan, np.inf):
        with pytest.raises(ValueError, match="new-lesion hazard factor = .*allowed 1 <= factor"):
            swog_best_response(ds, new_lesion_hazard_factor=bad)
    # the CR rule must reproduce the arm's own CRs (it would not for confirmed responses)
    confirmed = ds.assign(best_response=("patient", [PR, PR, PR, SD, CR, PR]))
    with pytest.raises(ValueError, match="not its first visits with every target gone"):
        swog_best_response(confirmed, new_lesion_hazard_factor=2.0)
    with pytest.raises(ValueError, match="needs targets_gone_time_months"):
        swog_best_response(ds.drop_vars("targets_gone_time_months"),
                           new_lesion_hazard_factor=2.0)
    with pytest.raises(ValueError, match="needs Kwekkeboom's schedule"):
        swog_best_response(ds, None, new_lesion_hazard_factor=2.0)


def test_new_lesion_hazard_factor_equals_a_simulation_with_that_hazard():
    """Reading a higher hazard from one arm gives the categories of an arm simulated with
    it (same virtual patients)."""
    from simulator.calibration.summaries import swog_best_response
    from simulator.trial import run_arm

    path = "tumour.new_lesion_rate_per_month"
    factor = 4.0

    def edit(scale):
        def e(cfg):
            p = cfg["cohort"]["parameters"][path]
            p["median"] = 0.01 * scale     # a hazard that gives new lesions in 120 patients
            params = cfg["cohort"]["parameters"]
            params["tumour.new_lesion_rate_ratio_on_prrt"] = 1.0
            # radiosensitive, fast-clearing tumours with little stroma: complete responses that
            # new lesions undo (set here, not taken from the calibrated block, which changes)
            params["tumour.doomed_clearance_half_time_d"]["median"] = 90.0
            params["tumour.doomed_clearance_half_time_d"]["gsd"] = 4.6
            params["radiobiology.tumour_alpha_per_gy"]["median"] = 0.06
            params["tumour.stroma_fraction"]["median"] = 0.004
            p["gsd"] = 2.0                 # no patient near the schema's bound (10 /month)
            p.pop("high", None)            # untruncated: every patient's hazard x scale
        return e

    base = run_arm(120, 12, control=False, edit=edit(1.0))
    high = run_arm(120, 12, control=False, edit=edit(factor))
    assert np.allclose(base.new_lesion_time_months.values / factor,
                       high.new_lesion_time_months.values)
    read, own = swog_best_response(base, new_lesion_hazard_factor=factor), \
        swog_best_response(base)
    assert (read != own).sum() >= 10                         # the factor changes categories,
    # complete responses among them, some undone after the first evaluation (CR -> PR, MR or
    # SD: a new lesion before the targets were gone), not only by a new lesion before it
    assert ((own == "CR") & ~np.isin(read, ["CR", "PD"])).sum() >= 2
    assert ((own == "CR") & (read == "PD")).sum() >= 1
    assert list(read) == list(swog_best_response(high))
    # confirmed responses cannot be read this way: refused, not approximated
    confirmed = base.assign_attrs(config_yaml=base.attrs["config_yaml"].replace(
        "confirmation: false", "confirmation: true"))
    assert confirmed.attrs["config_yaml"] != base.attrs["config_yaml"]
    with pytest.raises(ValueError, match="confirmed responses"):
        swog_best_response(confirmed, new_lesion_hazard_factor=factor)


def test_founding_config_carries_the_draw_into_the_case_and_its_twins(monkeypatch):
    from simulator.calibration.predictive import founding_config
    from simulator.configure import validate

    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.4))
    v = dict(zip(space.names, theta, strict=True))
    cfg = validate(founding_config(space, theta, "founding_case1", 7))
    assert cfg["radiobiology"]["tumour_alpha_per_gy"] == pytest.approx(
        v["alpha_median_per_gy"], rel=1e-5)
    assert cfg["tumour"]["stroma_fraction"] == pytest.approx(v["stroma_median"], rel=1e-5)
    twins = cfg["cohort"]["parameters"]
    assert twins["radiobiology.tumour_alpha_per_gy"]["gsd"] == v["alpha_gsd"]
    assert twins["tumour.doomed_clearance_half_time_d"]["gsd"] == v["clearance_gsd"]
    assert cfg["cohort"]["correlations"] == [{"a": "radiobiology.tumour_alpha_per_gy",
                                              "b": "tumour.doomed_clearance_half_time_d",
                                              "rho": v["alpha_clearance_rho"]}]
    assert twins["tumour.stroma_fraction"]["median"] == pytest.approx(v["stroma_median"],
                                                                      rel=1e-5)
    assert cfg["cohort"]["n_patients"] == 7
    # an existing entry of the pair (either order) is replaced, another pair is kept
    import simulator.configure as configure
    real = configure.compose

    def with_pairs(overrides):
        c = real(overrides)
        c.cohort.correlations = [
            {"a": "tumour.doomed_clearance_half_time_d", "b": "radiobiology.tumour_alpha_per_gy",
             "rho": -0.1},
            {"a": "tumour.stroma_fraction", "b": "patient.gfr_ml_per_min", "rho": 0.2}]
        return c
    monkeypatch.setattr(configure, "compose", with_pairs)
    pairs = founding_config(space, theta, "founding_case1", 7).cohort.correlations
    monkeypatch.undo()
    assert [(c.a, c.b, c.rho) for c in pairs] == [
        ("tumour.stroma_fraction", "patient.gfr_ml_per_min", 0.2),
        ("radiobiology.tumour_alpha_per_gy", "tumour.doomed_clearance_half_time_d",
         v["alpha_clearance_rho"])]
    with pytest.raises(ValueError, match="overwritten by the posterior draw"):
        founding_config(space, theta, "founding_case1", 7, extra=("tumour.stroma_fraction=0.2",))


def test_the_alpha_clearance_correlation_reaches_the_sampled_patients():
    """The v3 hyperparameters (clearance GSD, alpha-clearance rho) act on the cohort the
    trial samples: the rank correlation and the clearance spread follow theta."""
    from scipy.stats import spearmanr

    from simulator.calibration.space import ALPHA, CLEARANCE
    from simulator.cohort.sampling import sample_parameters
    from simulator.trial import arm_config

    space = Space()
    i_rho, i_gsd = space.names.index("alpha_clearance_rho"), space.names.index("clearance_gsd")
    out = {}
    for rho, gsd in ((-0.9, 6.0), (0.0, 1.3)):
        theta = space.from_unit(np.full(space.dim, 0.5))
        theta[i_rho], theta[i_gsd] = rho, gsd
        cfg = arm_config(3000, 11, control=False, edit=space.editor(theta))
        assert [c for c in cfg["cohort"]["correlations"]
                if {c["a"], c["b"]} == {ALPHA, CLEARANCE}] == [
            {"a": ALPHA, "b": CLEARANCE, "rho": rho}]
        table = sample_parameters(cfg["cohort"], 11, 0, 3000)
        r = spearmanr(table[ALPHA], table[CLEARANCE]).statistic
        spread = np.std(np.log(table[CLEARANCE]))
        out[rho] = (r, spread)
    assert out[-0.9][0] < -0.8 and abs(out[0.0][0]) < 0.06
    assert out[-0.9][1] > 3 * out[0.0][1]
    # the editor replaces the pair rather than appending a second, contradictory entry
    cfg = {"cohort": {"correlations": [{"a": CLEARANCE, "b": ALPHA, "rho": -0.1}]}}
    space.parameters[i_rho].set(cfg, -0.5)
    assert cfg["cohort"]["correlations"] == [{"a": ALPHA, "b": CLEARANCE, "rho": -0.5}]


def test_a_design_or_posterior_of_another_space_or_statistics_is_refused(tmp_path):
    from simulator.calibration.design import check_design, design_dataset
    from simulator.calibration.posterior import check_posterior
    from simulator.calibration.summaries import STATISTICS

    space = Space()
    theta = space.from_unit(np.full((2, space.dim), 0.5))
    ds = design_dataset(space, theta, np.zeros((2, len(STATISTICS))), np.zeros(2), 10, 1, "c",
                        "x")
    check_design(ds, space)                                        # the current one passes
    old = ds.copy()
    old.attrs.pop("statistics_version")                            # a first-calibration design
    with pytest.raises(ValueError, match="other statistics .version none"):
        check_design(old, space)
    fewer = Space(HYPERPARAMETERS[:-1])
    with pytest.raises(ValueError, match="simulated over the hyperparameters"):
        check_design(ds, fewer)
    post = xr.Dataset({n: ("draw", [1.0]) for n in fewer.names})
    with pytest.raises(ValueError, match="fit again"):
        check_posterior(post, space)


def test_the_posterior_figure_has_a_panel_per_hyperparameter_and_a_full_targets_row(tmp_path,
                                                                                    monkeypatch):
    """Any number of hyperparameters (16 since the fourth calibration): one panel each, the
    targets on their own row; a negative range reads 'a to b', not 'a--b'."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulator.calibration import report

    space = Space()
    rng = np.random.default_rng(0)
    post = xr.Dataset({p: (("chain", "draw"), v) for p, v in zip(
        space.names, np.moveaxis(space.from_unit(rng.uniform(size=(2, 50, space.dim))), -1, 0),
        strict=True)})
    fit = {"terms": [{"name": "netter1_orr", "statistic": "orr_treated", "value": 0.18}],
           "emulated_predictive": {"orr_treated": [0.1, 0.2, 0.3]}}
    made = []
    monkeypatch.setattr(plt, "close", lambda fig: made.append(fig))
    report._figure(tmp_path / "f.png", post, space, fit, None)
    assert (tmp_path / "f.png").stat().st_size > 0
    axes = made[0].axes
    assert len(axes) == space.dim + 1
    targets = axes[-1].get_position()
    assert targets.width > 0.8 and targets.y0 < min(a.get_position().y0 for a in axes[:-1])
    assert report._span("-0.95", "0") == "-0.95 to 0" and report._span("1", "2") == "1-2"


def test_the_netter2_growth_fit_passes_its_overrides_to_every_arm(monkeypatch):
    """fit_control_growth's control arms get the stage's overrides (e.g. solver.lanes), and
    it finds the growth whose median matches the target (a toy median: 20 - growth)."""
    from simulator.calibration import predictive

    seen = []

    def fake_arm(n, seed, control, edit=None, cohort="netter1", overrides=()):
        seen.append(tuple(overrides))
        return edit

    monkeypatch.setattr(predictive, "run_arm", fake_arm)
    monkeypatch.setattr(predictive, "growth_editor", lambda space, theta, g: g)
    monkeypatch.setattr(predictive, "interpolated_median_months", lambda g: 20.0 - g)
    g = predictive.fit_control_growth(Space(), None, 8.5, 10, 1, cohort="netter2",
                                      overrides=("solver.lanes=64",))
    assert g == pytest.approx(11.5, abs=0.05)
    assert seen and all(o == ("solver.lanes=64",) for o in seen)


def test_median_editor_sets_medians_after_the_edit_and_keeps_the_rest():
    from simulator.calibration.predictive import median_editor

    cfg = arm_config(10, 1, control=False)
    alpha = cfg["cohort"]["parameters"]["radiobiology.tumour_alpha_per_gy"]
    gsd = alpha["gsd"]

    def draw(c):                          # a draw's edit that sets the same median
        c["cohort"]["parameters"]["radiobiology.tumour_alpha_per_gy"]["median"] = 0.01

    median_editor(draw, {"radiobiology.tumour_alpha_per_gy": 0.05,
                         "tumour.doomed_clearance_half_time_d": None})(cfg)
    assert alpha["median"] == 0.05 and alpha["gsd"] == gsd
    before = dict(cfg["cohort"]["parameters"]["tumour.doomed_clearance_half_time_d"])
    median_editor(None, {"tumour.doomed_clearance_half_time_d": None})(cfg)
    assert cfg["cohort"]["parameters"]["tumour.doomed_clearance_half_time_d"] == before


def test_new_lesion_spread_and_its_growth_correlation_reach_every_sampled_patient():
    """The fourth calibration's two hyperparameters (docs/targets.md, dated session 17): the
    hazard GSD and its copula correlation with growth are in the config and in the sampled
    patients, next to the alpha-clearance pair."""
    from scipy import stats

    from simulator.calibration.space import GROWTH, NEW_LESION
    from simulator.cohort.sampling import sample_parameters

    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.5))
    v = dict(zip(space.names, theta, strict=True))
    theta[space.names.index("new_lesion_rate_gsd")] = 4.0
    theta[space.names.index("new_lesion_growth_rho")] = 0.9
    cfg = arm_config(10, 1, control=False, edit=space.editor(theta))
    assert cfg["cohort"]["parameters"][NEW_LESION]["gsd"] == 4.0
    pairs = {frozenset((c["a"], c["b"])): c["rho"] for c in cfg["cohort"]["correlations"]}
    assert pairs[frozenset((NEW_LESION, GROWTH))] == 0.9
    assert pairs[frozenset(("radiobiology.tumour_alpha_per_gy",
                            "tumour.doomed_clearance_half_time_d"))] == v["alpha_clearance_rho"]
    n = 4000
    s = sample_parameters(cfg["cohort"], 3, 0, n)
    rate = s[NEW_LESION]
    inner = rate < 0.2 * 0.999                                  # below the truncation (0.2)
    # lognormal GSD 4: the log-spread of the untruncated bulk is near ln 4
    q25, q75 = np.quantile(np.log(rate[inner]), [0.25, 0.75])
    assert (q75 - q25) / (2 * 0.6745) == pytest.approx(np.log(4.0), rel=0.1)
    rho_s = stats.spearmanr(rate, s[GROWTH]).statistic
    assert rho_s > 0.6                   # copula 0.9: Spearman ~0.89 for continuous marginals
    theta[space.names.index("new_lesion_growth_rho")] = 0.0
    s0 = sample_parameters(arm_config(10, 1, control=False, edit=space.editor(theta))["cohort"],
                           3, 0, n)
    assert abs(stats.spearmanr(s0[NEW_LESION], s0[GROWTH]).statistic) < 4 / np.sqrt(n)


def test_validation_rows_score_netter_r_on_the_pancreatic_arm_and_report_the_midgut_run():
    """NETTER-R's pancreatic targets are scored on the pancreatic arm (fifth calibration,
    docs/targets.md (c)); the declared second run (the midgut population unchanged) is
    reported beside it and not counted; a statistic the predictive lacks is 'not run'."""
    from simulator.calibration.report import validation_rows

    validation = yaml.safe_load(VALIDATION.read_text())["targets"]
    names = ["pancreatic_orr_treated", "orr_treated", "pancreatic_median_pfs_treated_months",
             "median_pfs_treated_months"]
    values = np.array([[0.40, 0.20, 25.0, 30.0], [0.42, 0.22, 24.0, 31.0]])
    pred = xr.Dataset({"statistic_value": (("draw", "statistic"), values)},
                      coords={"statistic": names})
    rows = {r["name"]: r for r in validation_rows(pred, validation)}
    orr = rows["netterr_pnet_orr"]
    assert orr["statistic"] == "pancreatic_orr_treated" and orr["scored"]
    assert orr["mean"] == pytest.approx(0.41) and orr["status"] == "consistent"
    midgut = [r for n, r in rows.items() if n.startswith("netterr_pnet_orr (run (b)")]
    assert len(midgut) == 1 and not midgut[0]["scored"]
    assert midgut[0]["mean"] == pytest.approx(0.21) and midgut[0]["status"] == \
        "miss, not counted"
    pfs = [r for n, r in rows.items() if n.startswith("netterr_pnet_median_pfs (run (b)")]
    assert pfs[0]["status"] == "consistent, not counted"
    assert rows["sundlov2022_pr"]["status"] == "not run"
    scored = [r for r in rows.values() if r["scored"]]
    assert len(scored) == len(validation) - 1        # all but the NETTER-2 control input


def test_trial_summaries_read_kwekkeboom_and_ezziddin_from_the_right_arms():
    """A design point's statistics (12 patients per arm): Kwekkeboom's rates are the mixture
    of the midgut and the pancreatic treated arms at the point's share and factor, Ezziddin's
    the pancreatic arm's response rate, and the pancreatic arm carries alpha x m and the 30-d
    clearance (its config); the predictive adds the pancreatic arm's SD and median PFS."""
    from simulator.calibration.design import simulate_arms
    from simulator.calibration.predictive import predictive_summaries
    from simulator.calibration.summaries import kwekkeboom_categories, trial_summaries
    from simulator.trial import arm_endpoints, interpolated_median_months

    space = Space()
    theta = space.from_unit(np.full(space.dim, 0.5))
    theta[space.names.index("pancreatic_alpha_factor")] = 4.0
    treated, control, pancreatic = simulate_arms(space, theta, 12, 6)
    alpha = yaml.safe_load(pancreatic.attrs["config_yaml"])["cohort"]["parameters"][
        "radiobiology.tumour_alpha_per_gy"]["median"]
    assert alpha == pytest.approx(4.0 * space.value(theta, "alpha_median_per_gy"))
    out = trial_summaries(treated, control, pancreatic, share=0.3, factor=3.0)
    mixed = kwekkeboom_categories(treated, pancreatic, 0.3, 3.0)
    for c in ("CR", "PR", "MR", "PD"):
        assert out[f"kwekkeboom_{c.lower()}"] == mixed[c]
    assert out["ezziddin_pr"] == arm_endpoints(pancreatic).orr
    assert out["ezziddin_pr"] != arm_endpoints(treated).orr     # the arms differ here
    pred = predictive_summaries(treated, control, pancreatic, share=0.3, factor=3.0)
    assert pred["kwekkeboom_sd"] == pytest.approx(mixed["SD"], abs=1e-12)  # 1 - the other four
    assert pred["pancreatic_median_pfs_treated_months"] == \
        pytest.approx(interpolated_median_months(pancreatic), nan_ok=True)


def test_variant_section_compares_each_statistic_of_the_variant_with_the_main_predictive(
        tmp_path):
    """A declared variant's simulated predictive is reported beside the main one: its fitted
    terms' statistics (from fit<suffix>.json) and the CR/PD/Kwekkeboom checks, medians over
    draws, each with the published value and its interval (Wilson for a count)."""
    import json

    from simulator.calibration.report import variant_section

    root = Path(__file__).resolve().parents[3]

    def pred(values, **attrs):
        stats = list(values)
        return xr.Dataset(
            {"statistic_value": (("draw", "statistic"), np.array([values[s] for s in stats]).T)},
            coords={"statistic": stats}, attrs=attrs)

    main = pred({"orr_treated": [0.1, 0.2, 0.3], "recist_cr_treated": [0.0, 0.001, 0.002]})
    variant = pred({"orr_treated": [0.2, 0.3, 0.4], "recist_cr_treated": [0.002, 0.004, 0.006]},
                   command="cmd", posterior="posterior_v.nc", n_patients_per_arm=10,
                   trial_seed=1, validation_arms="skipped", wall_time_s=5.0)
    (tmp_path / "fit_v.json").write_text(json.dumps({"terms": [
        {"statistic": "orr_treated", "value": 18 / 101, "kind": "binomial", "n_trial": 101,
         "se": float("nan")}]}))
    lines = variant_section(main, variant, tmp_path,
                            root / "experiments" / "targets" / "calibration.yaml")
    rows = {ln.split("|")[1].strip(" `"): ln for ln in lines if ln.startswith("| `")}
    assert set(rows) == {"orr_treated", "recist_cr_treated"}
    assert "| 0.178 (0.116-0.264) | 0.2 (0.11-0.29) | 0.3 (0.21-0.39) |" in rows["orr_treated"]
    assert "| 0.001 (0.0001-0.0019) | 0.004 (0.0022-0.0058) |" in rows["recist_cr_treated"]
    assert "Declared variant `_v`" in lines[1]
