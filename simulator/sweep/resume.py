"""Whether a job's results file is complete, valid and from the job's own config.

:func:`simulator.results.write_netcdf` writes through a temporary file and an atomic
rename, so a ``results.nc`` that exists was written in full; a job killed mid-write
leaves only a hidden ``.results.nc.*.tmp``.  A file is kept when it opens and its
stored config equals the job's resolved config (any change of a value, seed or cohort
reruns the job).  The code version is not compared: after changing the model, use a
new sweep folder.
"""

from __future__ import annotations

from pathlib import Path

from ..results import open_results
from ..results.dataset import config_yaml


def is_complete(path: Path, cfg: dict) -> bool:
    """True when ``path`` holds the results of the validated config ``cfg``."""
    if not Path(path).is_file():
        return False
    try:
        with open_results(path) as ds:
            return (ds.attrs.get("config_yaml") == config_yaml(cfg)
                    and ds.sizes.get("patient") == int(cfg["cohort"]["n_patients"]))
    except (OSError, ValueError, KeyError):
        return False
