"""The population hyperparameters that the calibration infers, with their prior ranges.

Each :class:`Hyperparameter` is a scalar of the virtual NETTER-1 population
(``conf/cohort/netter1.yaml`` and its generated ``fitted/netter1.yaml``), how it is written into
a plain config, and a prior: uniform on ``[low, high]``, or on ``[ln low, ln high]`` for a
``log`` one.  The emulator and the sampler work on the unit cube (:meth:`Space.to_unit`).  The
ranges are ours (docs/calibration.md): wide around the literature and the earlier point fits,
and inside the schema bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..cohort.copula import with_correlation

ALPHA = "radiobiology.tumour_alpha_per_gy"
CLEARANCE = "tumour.doomed_clearance_half_time_d"
GROWTH = "tumour.volume_growth_percent_per_month"
NEW_LESION = "tumour.new_lesion_rate_per_month"
STROMA = "tumour.stroma_fraction"
#: hyperparameters of the fifth calibration that are not the NETTER-1 population's
KWEKKEBOOM_SHARE = "kwekkeboom_pancreatic_share"
KWEKKEBOOM_FACTOR = "kwekkeboom_new_lesion_factor"
PANCREATIC_ALPHA_FACTOR = "pancreatic_alpha_factor"
#: the pancreatic population's doomed-cell clearance median [d]: the lower end of the 28-72 d
#: half-times of cell disintegration after stereotactic radiotherapy of lung tumours (Chvetsov
#: 2008, doi:10.1088/0031-9155/53/9/013), as ``experiments/site_clearance.py --fit alpha``
PANCREATIC_CLEARANCE_D = 30.0


def _set_param(path: str, key: str | None = None) -> Callable[[dict, float], None]:
    """Setter of a cohort parameter: its ``key`` (``median``, ...) or the scalar itself."""
    def setter(cfg: dict, value: float) -> None:
        params = cfg["cohort"]["parameters"]
        if key is None:
            params[path] = float(value)
        else:
            params[path][key] = float(value)
    return setter


def _set_growth(key: str) -> Callable[[dict, float], None]:
    def setter(cfg: dict, value: float) -> None:
        mix = cfg["cohort"]["parameters"][GROWTH]
        if key == "weight":
            mix["weights"] = [1.0 - float(value), float(value)]
        else:
            mix["components"]["progressive"][key] = float(value)
    return setter


def _set_correlation(a: str, b: str) -> Callable[[dict, float], None]:
    """Setter of the Gaussian-copula correlation of cohort parameters ``a`` and ``b``
    (``cohort.correlations``), replacing any earlier entry of that pair."""
    def setter(cfg: dict, value: float) -> None:
        cohort = cfg["cohort"]
        cohort["correlations"] = with_correlation(cohort.get("correlations"), a, b, value)
    return setter


def _set_low_uptake(cfg: dict, value: float) -> None:
    cfg["cohort"]["lesions"]["sstr_density_factor"]["weights"] = [1.0 - float(value),
                                                                  float(value)]


@dataclass(frozen=True)
class Hyperparameter:
    """One calibrated hyperparameter: ``name`` (with its unit), prior range, setter."""

    name: str
    low: float
    high: float
    log: bool
    #: writes the value into a cohort config; ``None``: not a parameter of the NETTER-1
    #: population (a study or site parameter that enters only some statistics, below)
    set: Callable[[dict, float], None] | None
    description: str

    def __post_init__(self):
        if not self.low < self.high or (self.log and self.low <= 0):
            raise ValueError(f"hyperparameter {self.name}: bad range [{self.low}, {self.high}]")


#: the calibrated hyperparameters (order = the columns of a design and of the posterior)
HYPERPARAMETERS = (
    Hyperparameter("alpha_median_per_gy", 0.005, 0.04, True, _set_param(ALPHA, "median"),
                   "median tumour LQ alpha (lognormal)"),
    Hyperparameter("alpha_gsd", 1.1, 2.5, True, _set_param(ALPHA, "gsd"),
                   "geometric standard deviation of the patients' tumour LQ alpha"),
    Hyperparameter("clearance_median_d", 30.0, 3650.0, True, _set_param(CLEARANCE, "median"),
                   "median of the (untruncated) lognormal half-time of doomed-cell clearance; "
                   "truncated at the schema bound 3650 d"),
    Hyperparameter("clearance_gsd", 1.2, 8.0, True, _set_param(CLEARANCE, "gsd"),
                   "geometric standard deviation of the patients' doomed-cell clearance "
                   "half-time"),
    Hyperparameter("alpha_clearance_rho", -0.95, 0.0, False, _set_correlation(ALPHA, CLEARANCE),
                   "Gaussian-copula correlation of tumour alpha and clearance half-time "
                   "(negative: radiosensitive tumours clear their doomed cells faster)"),
    Hyperparameter("doomed_receptor_fraction", 0.0, 1.0, False,
                   _set_param("tumour.doomed_receptor_fraction"),
                   "SSTR2 kept by a doomed cell relative to a viable one"),
    Hyperparameter("clearance_per_net_growth", 0.0, 6.0, False,
                   _set_param("tumour.doomed_clearance_per_net_growth"),
                   "extra doomed-cell clearance per unit of net growth rate (mitotic "
                   "catastrophe)"),
    Hyperparameter("new_lesion_rate_median_per_month", 0.001, 0.05, True,
                   _set_param(NEW_LESION, "median"),
                   "median hazard of a first new lesion (lognormal)"),
    Hyperparameter("new_lesion_rate_ratio_on_prrt", 0.05, 1.0, False,
                   _set_param("tumour.new_lesion_rate_ratio_on_prrt"),
                   "new-lesion hazard ratio on 177Lu-DOTATATE"),
    Hyperparameter("stroma_median", 0.003, 0.2, True, _set_param(STROMA, "median"),
                   "median non-clearing stroma fraction of a lesion (lognormal, GSD 3)"),
    Hyperparameter("low_uptake_weight", 0.0, 0.4, False, _set_low_uptake,
                   "fraction of lesions with low SSTR2 uptake (density factor ~0.25)"),
    Hyperparameter("growth_mean_percent_per_month", 3.0, 12.0, False, _set_growth("mean"),
                   "mean net volume growth of the progressive majority"),
    Hyperparameter("growth_sd_percent_per_month", 1.0, 6.0, False, _set_growth("sd"),
                   "sd of the net volume growth of the progressive majority"),
    Hyperparameter("ssa_responder_weight", 0.0, 0.15, False, _set_growth("weight"),
                   "fraction of patients whose tumours regress on the somatostatin analogue"),
    # fourth calibration (docs/targets.md, dated 2026-12-01 session 17; fixed GSD 2, rho 0 before)
    Hyperparameter("new_lesion_rate_gsd", 1.2, 10.0, True, _set_param(NEW_LESION, "gsd"),
                   "geometric standard deviation of the patients' new-lesion hazard (wide: a "
                   "fast-progressing subgroup)"),
    Hyperparameter("new_lesion_growth_rho", 0.0, 0.95, False,
                   _set_correlation(NEW_LESION, GROWTH),
                   "Gaussian-copula correlation of the new-lesion hazard and the net growth "
                   "rate (positive: faster-growing disease seeds new lesions sooner)"),
    # fifth calibration (docs/targets.md, dated 2026-12-02 session 20): Kwekkeboom 2008's
    # population and a pancreatic site; they enter no NETTER-1 arm (``set`` None)
    Hyperparameter(KWEKKEBOOM_SHARE, 0.0, 0.5, False, None,
                   "share of pancreatic NETs among Kwekkeboom 2008's patients (his terms only)"),
    Hyperparameter(KWEKKEBOOM_FACTOR, 1.0, 16.0, True, None,
                   "study-level factor on every patient's new-lesion hazard in Kwekkeboom "
                   "2008's population (his terms only)"),
    Hyperparameter(PANCREATIC_ALPHA_FACTOR, 0.5, 4.0, True, None,
                   "pancreatic NETs' tumour alpha median / the population's (their clearance "
                   "median held at PANCREATIC_CLEARANCE_D)"),
)


@dataclass(frozen=True)
class Space:
    """The prior box of a tuple of :class:`Hyperparameter`."""

    parameters: tuple[Hyperparameter, ...] = HYPERPARAMETERS

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def population_names(self) -> list[str]:
        """The hyperparameters that are the NETTER-1 population's (written into its config)."""
        return [p.name for p in self.parameters if p.set is not None]

    def value(self, theta, name: str, default: float | None = None) -> float:
        """The value of hyperparameter ``name`` in ``theta``; ``default`` if the space has no
        such hyperparameter (KeyError if ``default`` is None)."""
        if name not in self.names:
            if default is None:
                raise KeyError(f"the space has no hyperparameter {name!r} (it has "
                               f"{', '.join(self.names)})")
            return float(default)
        return float(np.asarray(theta, dtype=float)[self.names.index(name)])

    @property
    def dim(self) -> int:
        return len(self.parameters)

    def _bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        log = np.array([p.log for p in self.parameters])
        lo = np.array([np.log(p.low) if p.log else p.low for p in self.parameters])
        hi = np.array([np.log(p.high) if p.log else p.high for p in self.parameters])
        return log, lo, hi

    def to_unit(self, theta) -> np.ndarray:
        """Values (..., dim) in their units -> the unit cube."""
        log, lo, hi = self._bounds()
        theta = np.asarray(theta, dtype=float)
        x = np.where(log, np.log(np.where(log, theta, 1.0)), theta)
        return (x - lo) / (hi - lo)

    def from_unit(self, u) -> np.ndarray:
        """The unit cube (..., dim) -> values in their units."""
        log, lo, hi = self._bounds()
        x = lo + np.asarray(u, dtype=float) * (hi - lo)
        return np.where(log, np.exp(x), x)

    def check(self, theta) -> None:
        """Raise ValueError naming the hyperparameter if a value is outside its prior range."""
        theta = np.atleast_2d(theta)
        if theta.shape[-1] != self.dim:
            raise ValueError(f"expected {self.dim} hyperparameters ({', '.join(self.names)}), "
                             f"got {theta.shape[-1]}")
        for j, p in enumerate(self.parameters):
            bad = (theta[:, j] < p.low) | (theta[:, j] > p.high) | ~np.isfinite(theta[:, j])
            if bad.any():
                value = float(theta[bad, j][0])
                raise ValueError(f"hyperparameter {p.name} = {value!r} is outside its prior "
                                 f"range [{p.low}, {p.high}]")

    def cohort_block(self, theta, digits: int = 4) -> dict:
        """The cohort-config mapping that sets ``theta`` (rounded to ``digits`` significant
        digits), as the generated ``conf/cohort/fitted/netter1.yaml`` merges it over the
        hand-written ``conf/cohort/netter1.yaml``."""
        theta = np.asarray([float(f"{v:.{digits}g}") for v in np.asarray(theta, float)])
        self.check(theta)
        cfg = {"cohort": {"parameters": {ALPHA: {}, CLEARANCE: {}, NEW_LESION: {}, STROMA: {},
                                         GROWTH: {"components": {"progressive": {}}}},
                          "lesions": {"sstr_density_factor": {}}}}
        self.editor(theta)(cfg)
        block = cfg["cohort"]
        mix = block["parameters"][GROWTH]
        mix["weights"] = [round(w, digits) for w in mix["weights"]]
        dens = block["lesions"]["sstr_density_factor"]
        dens["weights"] = [round(w, digits) for w in dens["weights"]]
        return block

    def editor(self, theta) -> Callable[[dict], None]:
        """A config edit (for :func:`simulator.trial.run_arm`) setting ``theta``."""
        theta = np.asarray(theta, dtype=float)
        self.check(theta)

        def edit(cfg: dict) -> None:
            for p, v in zip(self.parameters, theta, strict=True):
                if p.set is not None:
                    p.set(cfg, v)
        return edit

    def pancreatic_editor(self, theta, base: Callable[[dict], None] | None = None
                          ) -> Callable[[dict], None]:
        """A config edit setting ``theta``'s pancreatic population: the population's (or
        what the edit ``base`` sets, e.g. a refitted growth), with the tumour alpha median
        multiplied by ``pancreatic_alpha_factor`` and the doomed-cell clearance median at
        :data:`PANCREATIC_CLEARANCE_D` (docs/targets.md, fifth calibration).  KeyError for a
        space without that factor."""
        self.check(theta)
        edit = self.editor(theta) if base is None else base
        factor = self.value(theta, PANCREATIC_ALPHA_FACTOR)

        def pancreatic(cfg: dict) -> None:
            edit(cfg)
            params = cfg["cohort"]["parameters"]
            params[ALPHA]["median"] = float(params[ALPHA]["median"]) * factor
            params[CLEARANCE]["median"] = PANCREATIC_CLEARANCE_D
        return pancreatic
