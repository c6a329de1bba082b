"""Figures: written as PNG files by the API and by the CLI flag output.plots=true."""

from __future__ import annotations

import pytest

import simulator
from simulator.plots import plot_dose_rates, save_figures

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def ds():
    return simulator.simulate(simulator.compose(["output.plots=true", "therapy.n_cycles=2",
                                                 "response.follow_up_months=6"]))


def test_plots_imply_timeseries(ds):
    assert "dose_rate_gy_per_h" in ds


def test_save_figures_writes_pngs(ds, tmp_path):
    paths = save_figures(ds, tmp_path)
    assert [p.name for p in paths] == ["lesion_volumes.png", "dose_rates.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dose_rate_plot_needs_timeseries():
    plain = simulator.simulate(simulator.compose(["therapy.n_cycles=1"]))
    with pytest.raises(ValueError, match="save_timeseries"):
        plot_dose_rates(plain)
