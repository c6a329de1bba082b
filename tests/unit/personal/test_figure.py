"""The one-page figure of a personal prediction (simulator/personal/figure.py)."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import xarray as xr

matplotlib.use("Agg")


def test_parameter_panel_draws_signed_parameters_without_a_log_of_negatives():
    """Net growth can be negative: its prior 5 % quantile below zero must not become a NaN
    (ln of a negative ratio) in the panel; positive parameters stay on ln(value / median)."""
    import matplotlib.pyplot as plt

    from simulator.personal.figure import _parameter_panel

    q = [0.05, 0.5, 0.95]
    names = ["pk.kidney_reabsorbed_fraction", "tumour.volume_growth_percent_per_month"]
    prior = np.array([[0.01, 0.02, 0.04], [-2.0, 6.0, 12.0]])
    post = np.array([[0.015, 0.02, 0.025], [4.0, 6.0, 8.0]])
    ds = xr.Dataset({"prior_quantile": (("parameter", "quantile"), prior),
                     "posterior_quantile": (("parameter", "quantile"), post)},
                    coords={"parameter": names, "quantile": q})
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _parameter_panel(ax, ds)
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    xs = np.array([[s[0][0], s[1][0]] for s in segments])
    assert np.isfinite(xs).all() and len(xs) == 4
    # the signed parameter in units of its prior's 90 % half-width (7 %/month)
    assert np.allclose(xs[1], [-8 / 7, 6 / 7])
    assert np.allclose(xs[0], np.log([0.5, 2.0]))
    assert np.allclose(xs[3], [-2 / 7, 2 / 7])
    plt.close(fig)
