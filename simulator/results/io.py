"""Write results atomically: a failed or interrupted write never leaves a partial file.

Each file is written to a hidden temporary file beside its target, flushed to disk
(``fsync``) and renamed over the target, and the folder is synced so that the rename
itself survives a crash.  Files get the mode the umask gives (``0666 & ~umask``, e.g.
0644), so colleagues can read shared results; a temporary file from ``mkstemp`` would be
0600.  A temporary file left by a killed process (SIGKILL) is named ``.<name>.<random>.tmp``
and removed by :func:`remove_stale_temporaries` on the next run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import xarray as xr

#: mode of a new file before the umask, as for ``open(path, "w")``
FILE_MODE = 0o666


def temporary_pattern(name: str) -> str:
    """Glob pattern of the temporary files of target ``name``."""
    return f".{name}.*.tmp"


def _new_temporary(path: Path) -> Path:
    """Create an empty hidden file beside ``path`` with the umask's mode (not 0600)."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        except FileExistsError:
            continue
        return tmp


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file, fsync it and rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temporary(path)
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        _fsync(path.parent, directory=True)
    except OSError:     # not every file system syncs a folder; the data are synced
        pass
    return path


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` (h5netcdf) via a temporary file and an atomic rename."""
    return write_atomic(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf",
                                                       invalid_netcdf=False))


def write_bytes(data: bytes, path: str | os.PathLike) -> Path:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def remove_stale_temporaries(folder: str | os.PathLike, names: Iterable[str]) -> list[Path]:
    """Remove the temporary files of targets ``names`` in ``folder``; the paths removed.

    Call only where no other process writes the same targets (a job's own folder).
    """
    removed = []
    for name in names:
        for tmp in Path(folder).glob(temporary_pattern(name)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def open_results(path: str | os.PathLike) -> xr.Dataset:
    """Open a results file written by :func:`write_netcdf`."""
    return xr.open_dataset(path, engine="h5netcdf")
