"""Where the Hydra configs live: ``conf/`` in a checkout, ``simulator/conf`` in a wheel."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """Absolute path of the config folder (installed copy first, then the checkout)."""
    for candidate in (_PACKAGE / "conf", _PACKAGE.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"no conf/config.yaml beside {_PACKAGE}")
