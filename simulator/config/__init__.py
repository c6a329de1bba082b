"""Configuration: schema, composition from ``conf/`` and validation."""

from .compose import compose
from .paths import config_dir
from .schema import Config, register_configs
from .validation import validate

__all__ = ["Config", "compose", "config_dir", "register_configs", "validate"]
