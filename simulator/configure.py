"""Compose and validate a whole run configuration: the config's fields and rules
(:mod:`simulator.config`), then the cohort's distributions, lesions and copula
(:mod:`simulator.cohort`).  Every layer above this one validates through here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from .cohort import validate_cohort
from .cohort.overrides import apply_sampled_overrides, override_keys
from .config import compose_unchecked
from .config import validate as validate_fields
from .config.dotted import get
from .config.validation import to_plain


def validate(cfg: DictConfig | dict) -> dict:
    """Validate a composed config; return it as a plain resolved dict.

    Raises
    ------
    ConfigError
        On the first invalid field, naming it, its value and the allowed range.
    """
    plain = validate_fields(cfg)
    validate_cohort(plain)
    for path, values in plain["grid"].items():     # a gridded sampled parameter has a meaning
        for value in values:
            apply_sampled_overrides(plain, {path: value}, "grid")
    return plain


def _about_the_cohort(text) -> bool:
    """An override that chooses or edits the cohort (or Hydra's search path)."""
    key = str(text).lstrip("+~").split("=", 1)[0].split("@", 1)[0]
    return key == "cohort" or key.startswith(("cohort.", "cohort/", "hydra.searchpath"))


def resolve_overrides(cfg: DictConfig, overrides,
                      compose_base: Callable[[list[str]], DictConfig] | None = None
                      ) -> DictConfig:
    """Give the command line's values of sampled parameters their meaning
    (``cohort.sampled_override``, :mod:`simulator.cohort.overrides`); ``cfg`` is updated in
    place and returned.

    A value counts as set by the command line when an override names the parameter's path,
    and also (with ``compose_base``, which composes the same config from the cohort's own
    overrides alone) when any other choice changed it: a parent node
    (``patient={...}``), a group option (``lesions=founding_case1``) or an experiment file.
    """
    params = cfg.cohort.parameters if "cohort" in cfg else None
    if not params or not overrides:
        return cfg
    plain = validate_fields(cfg)
    sampled = plain["cohort"]["parameters"]
    texts = [o for o in overrides if not _about_the_cohort(o)]
    keys = {key: text for text in texts for key in override_keys([text])}
    # per source, in order: the path itself, a group or parent node above it (``patient=hi``,
    # ``patient={...}``), then any other choice (an experiment file) that changed the value
    found: dict[str, dict[str, float]] = {}
    for path in sampled:
        for key, text in keys.items():
            if path == key or path.startswith(f"{key}."):
                source = "override" if path == key else f"value set by {text} for"
                found.setdefault(source, {})[path] = get(plain, path)
                break
    if compose_base is not None and texts:
        done = {path for values in found.values() for path in values}
        base = to_plain(compose_base([o for o in overrides if _about_the_cohort(o)]))
        changed = {path: get(plain, path) for path in sampled
                   if path not in done and get(plain, path, None) != get(base, path, None)}
        if changed:
            found[f"value set by {' '.join(texts)} for"] = changed
    new = plain
    for source, values in found.items():
        new = apply_sampled_overrides(new, values, source)
    new = new["cohort"]["parameters"]
    if new != sampled:
        OmegaConf.update(cfg, "cohort.parameters", new, merge=False)
    return cfg


def base_composer(config_name: str = "config", config_dirs=(), primary=None):
    """``compose_base`` for :func:`resolve_overrides`: the same config name and search path."""
    def compose_base(overrides: list[str]) -> DictConfig:
        return compose_unchecked(overrides, config_name=config_name, config_dirs=config_dirs,
                                 primary=primary)
    return compose_base


def composer_from_sources(config_name: str, sources) -> Callable[[list[str]], DictConfig]:
    """:func:`base_composer` from Hydra's ``runtime.config_sources`` of a job (its
    ``--config-dir`` / ``--config-path`` / ``hydra.searchpath`` folders)."""
    from .config import config_dir

    def folder(source) -> str:
        return str(source["path"]).removeprefix("file://")

    sources = [dict(s) for s in sources or () if dict(s).get("schema") == "file"]
    extra = [folder(s) for s in sources if s.get("provider") not in ("main", "hydra", "schema")]
    main = [folder(s) for s in sources if s.get("provider") == "main"]
    primary = main[0] if main and Path(main[0]).resolve() != config_dir().resolve() else None
    return base_composer(config_name, extra, primary)


def compose(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose a configuration from ``conf/`` and validate it.

    Parameters
    ----------
    overrides : sequence of str
        Hydra override strings, e.g. ``["therapy.activity_gbq=5.55"]``.
    config_name : str
        Primary config file in ``conf/``.

    Raises
    ------
    ConfigError
        For an unknown key or group, a wrong type or an out-of-range value.
    """
    cfg = resolve_overrides(compose_unchecked(overrides, config_name=config_name), overrides,
                            base_composer(config_name))
    validate(cfg)
    return cfg
