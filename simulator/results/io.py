"""Write results atomically: a failed or interrupted write never leaves a partial file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import xarray as xr


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` (h5netcdf) via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def open_results(path: str | os.PathLike) -> xr.Dataset:
    """Open a results file written by :func:`write_netcdf`."""
    return xr.open_dataset(path, engine="h5netcdf")
