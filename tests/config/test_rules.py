"""Cross-field rules hold for every sampled patient, not only for the config's values
(issue 18, item 2): the same named rule of ``simulator/config/rules.py`` checks the config
at compose time and each virtual patient's sampled values before any computation."""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.config import rules
from simulator.config.validation import config_getter


def _cohort(*overrides: str) -> dict:
    return simulator.validate(simulator.compose(["cohort=example", "cohort.n_patients=20",
                                                 *overrides]))


@pytest.mark.parametrize("sampled, field", [
    ("therapy.peptide_nmol:{dist:uniform,low:1,high:30}", "therapy.peptide_nmol"),
    ("pk.tumour.vascular_fraction:{dist:uniform,low:0.05,high:0.9}",
     "pk.tumour.vascular_fraction + pk.tumour.interstitial_fraction"),
    ("tumour.potential_doubling_time_d:{dist:uniform,low:0.5,high:3000}",
     "tumour.potential_doubling_time_d"),
])
def test_a_sampled_patient_that_breaks_a_rule_is_an_error_naming_the_patient(sampled, field):
    overrides = [f"+cohort.parameters={{{sampled}}}"]
    if field.startswith("tumour."):
        overrides.append("tumour.volume_growth_percent_per_month=20")
    cfg = _cohort(*overrides)              # the config's own values obey the rule
    with pytest.raises(simulator.ConfigError) as err:
        simulator.simulate(cfg)
    message = str(err.value)
    assert message.startswith(f"Invalid configuration: {field} = ")
    assert "patient " in message and "breaks the rule" in message


def test_the_same_rules_check_the_config_and_the_patients():
    cfg = simulator.validate(simulator.compose([]))
    low = {**cfg, "therapy": {**cfg["therapy"], "peptide_nmol": 1.0}}
    with pytest.raises(simulator.ConfigError, match="therapy.peptide_nmol = 1.0; must be at "
                                                    "least the amount of 177Lu-labelled"):
        rules.check_patients(config_getter(low), 1)
    get = config_getter(cfg)
    peptide = np.array([cfg["therapy"]["peptide_nmol"], 1.0, 2.0])

    def patients(path):
        return peptide if path == "therapy.peptide_nmol" else np.repeat(get(path), 3)
    with pytest.raises(simulator.ConfigError, match="patient 11 "):
        rules.check_patients(patients, 3, first_patient=10)


def test_a_sampled_value_out_of_its_bounds_names_the_patient():
    cfg = _cohort("+cohort.parameters={patient.gfr_ml_per_min:{dist:normal,mean:10,sd:10}}")
    with pytest.raises(simulator.ConfigError, match=r"cohort.parameters.patient.gfr_ml_per_min"
                                                    r" = .*patient \d+ drew a value outside"):
        simulator.simulate(cfg)


def test_rules_are_named_functions():
    names = [rule.__name__ for rule in rules.PATIENT_RULES]
    assert "peptide_covers_labelled_amount" in names
    assert "tumour_fractions_below_one" in names and len(set(names)) == len(names)


def test_no_resolver_can_smuggle_an_environment_variable(monkeypatch):
    """Adversarial review: ``oc.decode`` built an ``oc.env`` call that the text check missed."""
    from omegaconf import OmegaConf

    monkeypatch.setenv("PRRT_TEST_SECRET", "s3cr3t")
    base = simulator.compose([])
    for value in ("${oc.decode:\"${oc.decode:'$'}{oc.env:PRRT_TEST_SECRET}\"}.nc",
                  "${oc.env:PRRT_TEST_SECRET}.nc", "${ oc.env : PRRT_TEST_SECRET}.nc"):
        cfg = base.copy()
        OmegaConf.update(cfg, "output.filename", value)
        with pytest.raises(simulator.ConfigError, match="resolvers") as err:
            simulator.validate(cfg)
        assert "s3cr3t" not in str(err.value)
    cfg = base.copy()                              # a plain interpolation stays allowed
    OmegaConf.update(cfg, "output.summary_filename", "${output.filename}x.nc")
    assert simulator.validate(cfg)["output"]["summary_filename"] == "results.ncx.nc"


def test_an_output_name_too_long_for_its_temporary_file_is_refused_up_front():
    """Adversarial review: a 248-character name passed, then the write failed after compute."""
    ok = "a" * (rules.MAX_FILE_NAME_BYTES - 3) + ".nc"
    rules.check_file_name("output.filename", ok)
    with pytest.raises(simulator.ConfigError, match="at most 200 bytes"):
        simulator.compose([f"output.filename=a{ok}"])


def test_a_rule_on_a_sampled_field_is_checked_on_the_patients_not_the_unused_config_value():
    """Adversarial review: a config peptide of 1 nmol was refused although every patient
    drew 100-200 nmol; the config's own value of a sampled field is never used."""
    from simulator.config.dotted import with_values
    from simulator.precheck import precheck

    cfg = simulator.validate(simulator.compose([
        "cohort=example", "cohort.n_patients=5", "therapy.n_cycles=1",
        "response.follow_up_months=3",
        "+cohort.parameters={therapy.peptide_nmol:{dist:uniform,low:100,high:200}}"]))
    cfg = simulator.validate(with_values(cfg, {"therapy.peptide_nmol": 1.0}))  # e.g. a group file
    precheck(cfg)                                          # every patient obeys the rule
    with pytest.raises(simulator.ConfigError, match="therapy.peptide_nmol = 1"):
        simulator.compose(["therapy.peptide_nmol=1"])      # unsampled: the config value counts
