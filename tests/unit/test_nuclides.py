"""Unit tests for simulator.nuclides (177Lu ICRP-107 data, doi:10.1016/j.icrp.2008.10.004)."""

import dataclasses
import math

import pytest

from simulator.nuclides import Nuclide, activity_mbq_per_nmol, lu177, nmol_per_gbq


def test_half_life_is_icrp107_6_647_d():
    assert lu177().half_life_h / 24.0 == pytest.approx(6.647, rel=1e-6)


def test_half_life_equals_radioactivedecay_icrp107_dataset():
    """Two independently packaged copies of ICRP-107 agree (radioactivedecay, dev extra)."""
    radioactivedecay = pytest.importorskip("radioactivedecay")
    expected_h = float(radioactivedecay.Nuclide("Lu-177").half_life("h"))
    assert lu177().half_life_h == pytest.approx(expected_h, rel=1e-12)


def test_decay_constant_matches_half_life():
    n = lu177()
    assert n.decay_constant_per_h == pytest.approx(4.345e-3, rel=2e-4)  # ln 2 / 6.647 d
    assert n.decay_constant_per_h * n.half_life_h == pytest.approx(math.log(2.0), rel=1e-12)


@pytest.mark.parametrize(
    ("field", "expected_mev"),
    [
        ("electron_energy_mev", 0.14792),  # Δe, ICRP-107
        ("photon_energy_mev", 0.03510),  # Δph
        ("beta_mean_energy_mev", 0.13327),
    ],
)
def test_mean_energies_per_decay(field, expected_mev):
    assert getattr(lu177(), field) == pytest.approx(expected_mev, rel=1e-4)


def test_electron_energy_exceeds_beta_by_ic_and_auger():
    n = lu177()
    # IC 0.013522 + Auger 0.001132 MeV per decay (ICRP-107)
    assert n.electron_energy_mev - n.beta_mean_energy_mev == pytest.approx(0.014654, rel=1e-3)


def test_specific_activity_about_727_mbq_per_nmol():
    assert activity_mbq_per_nmol(lu177()) == pytest.approx(727.0, rel=5e-3)


def test_nmol_per_gbq_is_inverse():
    n = lu177()
    assert nmol_per_gbq(n) == pytest.approx(1.3758, rel=1e-3)
    assert nmol_per_gbq(n) * activity_mbq_per_nmol(n) == pytest.approx(1000.0, rel=1e-12)


def test_specific_activity_scales_with_decay_constant():
    n = lu177()
    slower = dataclasses.replace(n, half_life_h=2 * n.half_life_h,
                                 decay_constant_per_h=n.decay_constant_per_h / 2)  # fmt: skip
    assert activity_mbq_per_nmol(slower) == pytest.approx(activity_mbq_per_nmol(n) / 2)


def test_nuclide_is_frozen_and_cached():
    n = lu177()
    assert isinstance(n, Nuclide)
    assert n.name == "Lu-177"
    assert lu177() is n
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.half_life_h = 1.0
