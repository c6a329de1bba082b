"""What an override, a sweep value or a grid value of a *sampled* parameter means.

A cohort draws each parameter of ``cohort.parameters`` per patient, so the config's own
value at that path is not used.  Setting that value from the command line, a multirun
sweep or a ``grid:`` (``patient.sstr_density_nmol_per_l=80`` with ``cohort=example``)
therefore needs a stated meaning, chosen by ``cohort.sampled_override``:

``error`` (default)
    a ConfigError naming the override and the distribution, unless the distribution is
    already anchored on the config value (its centre equals the new value, e.g. a median
    written as ``${patient.sstr_density_nmol_per_l}``): then the override moves it.
``fix``
    every patient takes the value (the parameter keeps its place in the per-patient
    variate streams, so every other parameter keeps its draws: common random numbers);
``shift``
    the distribution is moved so that its centre is the value, its spread kept: the
    median of a lognormal (truncation bounds scaled by the same factor), the mean of a
    normal (bounds shifted), the midpoint of a uniform, the geometric midpoint of a
    log-uniform.  A truncation bound at the field's allowed limit (e.g. a clearance
    half-time's 3650 d) stays; every moved bound is clamped to the allowed range, so every
    sampled value stays allowed.  Not defined for ``choice`` and ``mixture`` (an error).

The rewritten ``cohort.parameters`` is part of the resolved config stored with the
results, so what was simulated is recorded.  Documented in docs/cohorts.md.
"""

from __future__ import annotations

import math
from typing import Any

from ..config.dotted import schema_leaf
from ..config.rules import fail

MODES = ("error", "fix", "shift")


def override_keys(overrides) -> list[str]:
    """Dotted keys set by Hydra override strings (``a.b=1``, ``+a.b=1``, ``++a.b=1``)."""
    keys = []
    for text in overrides or ():
        if not isinstance(text, str) or "=" not in text or text.startswith("~"):
            continue
        keys.append(text.split("=", 1)[0].lstrip("+"))
    return keys


def centre(spec: Any) -> float | None:
    """The centre a ``shift`` moves: median, mean or midpoint; None for choice/mixture."""
    if not isinstance(spec, dict):
        return float(spec)
    kind = spec.get("dist")
    if kind == "lognormal":
        return float(spec["median"])
    if kind == "normal":
        return float(spec["mean"])
    if kind == "uniform":
        return 0.5 * (float(spec["low"]) + float(spec["high"]))
    if kind == "loguniform":
        return math.sqrt(float(spec["low"]) * float(spec["high"]))
    return None


def shifted(field: str, spec: Any, value: float, bounds: tuple | None = None) -> Any:
    """``spec`` moved so that its centre is ``value`` (spread kept).

    ``bounds``: the field's allowed range ``(lo, hi, lo_open, hi_open)``.  For a lognormal
    or normal, a truncation bound equal to it is a guard that every sampled value is allowed,
    not part of the model, so it stays where it is; every other truncation bound moves with
    the distribution and is clamped to it.  A uniform's or log-uniform's bounds *are* the
    distribution: both move, and a shift that takes either outside the allowed range is an
    error."""
    if not isinstance(spec, dict):
        return value
    kind = spec["dist"]
    c = centre(spec)
    if c is None:
        fail(field, spec, f"cohort.sampled_override=shift is defined for lognormal, normal, "
                          f"uniform and log-uniform distributions, not {kind}; use fix")
    out = dict(spec)
    if kind in ("lognormal", "loguniform"):
        if value <= 0:
            fail(field, value, f"a {kind} distribution can only be shifted to a value > 0")
        factor = value / c

        def move(x: float) -> float:
            return x * factor
    else:
        delta = value - c

        def move(x: float) -> float:
            return x + delta
    lo, hi = (bounds[0], bounds[1]) if bounds is not None else (-math.inf, math.inf)
    if kind in ("uniform", "loguniform"):
        out["low"], out["high"] = move(float(out["low"])), move(float(out["high"]))
        if out["low"] < lo or out["high"] > hi:
            fail(field, value, f"shifting {spec!r} to centre {value} gives "
                               f"[{out['low']:g}, {out['high']:g}], outside the allowed range "
                               f"[{lo:g}, {hi:g}]; use fix or a narrower distribution")
    else:
        guards = {"low": lo, "high": hi}
        for key in ("low", "high"):
            if key in out and float(out[key]) != guards[key]:
                out[key] = min(max(move(float(out[key])), lo), hi)
    for key in ("median", "mean"):      # the centre itself: exactly the value
        if key in out:
            out[key] = float(value)
    return out


def apply_sampled_overrides(cfg: dict, values: dict[str, float], source: str) -> dict:
    """``cfg`` with ``cohort.parameters`` rewritten for the sampled paths in ``values``.

    Parameters
    ----------
    cfg : dict
        A plain config (its values at the paths already set to ``values``).
    values : dict
        Dotted path -> the value set by an override, a sweep or a grid point.  Paths the
        cohort does not sample are ignored.
    source : str
        Where the values come from (``override``, ``grid``), for the error message.

    Raises
    ------
    ConfigError
        With ``cohort.sampled_override=error``, for a sampled path whose distribution is not
        anchored on the value, naming the override and the distribution.
    """
    params = cfg["cohort"]["parameters"]
    hits = {p: v for p, v in values.items() if isinstance(params, dict) and p in params}
    if not hits:
        return cfg
    mode = cfg["cohort"].get("sampled_override", "error")
    new_params = dict(params)
    for path, value in hits.items():
        spec = params[path]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue   # a wrong type is reported by the schema check of the path itself
        field = f"cohort.parameters.{path}"
        if mode == "fix":
            new_params[path] = value
        elif mode == "shift":
            leaf = schema_leaf(path, cfg)
            bounds = None if isinstance(leaf, str) else leaf[1].get("bounds")
            new_params[path] = shifted(field, spec, float(value), bounds)
        elif centre(spec) is None or not math.isclose(centre(spec), value, rel_tol=1e-12):
            fail(f"{source} {path}", value,
                 f"{path} is sampled per patient by {field} = {spec!r}, so this value alone "
                 "would change nothing; say what it means with cohort.sampled_override=fix "
                 "(every patient takes it) or cohort.sampled_override=shift (the "
                 "distribution is centred on it, spread kept), or change the distribution")
    return {**cfg, "cohort": {**cfg["cohort"], "parameters": new_params}}
