"""Configuration, the bottom layer: schema, dotted paths, rules, composition, validation."""

from .compose import compose_unchecked
from .paths import config_dir
from .schema import Config, register_configs
from .validation import validate

__all__ = ["Config", "compose_unchecked", "config_dir", "register_configs", "validate"]
