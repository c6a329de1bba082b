"""Numba's on-disk cache of the engine, kept in step with every source it compiles.

Numba decides whether a cached function is stale from its own file only: a cached kernel
that calls functions of another file (``run_coupled_batch`` -> ``model.rhs`` ->
``pk_rhs``) would keep running the old code after that other file changed.  So the
package fingerprints every source the batch kernel imports, directly or not (SHA-256 of the
files) and, when the
fingerprint differs from the one stored beside the cache, removes the cache indexes of
every cached function before any of them is loaded; numba then recompiles once and
writes a fresh cache.  Removing an index is safe against other processes: a reader that
misses it compiles.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

#: modules whose numba functions are cached (cache=True) or compiled into cached kernels
NUMBA_MODULES = ("simulator.jit", "simulator.engine.", "simulator.pk.", "simulator.dosimetry.")
STAMP = "prrt-simulator-sources.sha256"


def cached_dispatchers() -> dict[str, object]:
    """``module.name`` -> cached numba dispatcher, over the imported engine modules."""
    import numba

    found = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(NUMBA_MODULES):
            continue
        for attr, obj in vars(module).items():
            if isinstance(obj, numba.core.registry.CPUDispatcher) and obj._cache.cache_path:
                try:
                    obj._cache._cache_file._index_path   # noqa: B018 (a NullCache has none)
                except AttributeError:
                    continue
                found[f"{name}.{attr}"] = obj
    return found


def _imported_modules(path: Path, root: Path) -> set[Path]:
    """Files of the package that the module at ``path`` imports (anywhere in the file)."""
    import ast

    package = path.relative_to(root.parent).with_suffix("").parts
    base = list(package[:-1] if package[-1] != "__init__" else package[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            parts = base[: len(base) - (node.level - 1)] if node.level else []
            prefix = parts + (node.module.split(".") if node.module else [])
            names = [prefix + [alias.name] for alias in node.names] + [prefix]
        elif isinstance(node, ast.Import):
            names = [alias.name.split(".") for alias in node.names]
        else:
            continue
        for name in names:
            if not name or name[0] != root.name:
                continue
            rel = Path(*name[1:])
            for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
                if candidate.is_file():
                    found.add(candidate)
    return found


def numba_sources() -> list[Path]:
    """Every file of the package that the cached kernels may compile in: the modules the
    engine's batch kernel imports, directly or through others (constants included, e.g. the
    lesion-table columns of ``tumour/parameters.py``)."""
    root = Path(__file__).resolve().parents[1]
    todo, seen = [root / "engine" / "batch.py", root / "jit.py"], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_imported_modules(path, root) - seen)
    return sorted(seen)


def sources_fingerprint() -> str:
    """SHA-256 over :func:`numba_sources` (relative names and contents, in sorted order)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in numba_sources():
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cold_functions() -> list[str]:
    """The cached functions with no cache index on disk yet (compiled on first use)."""
    return sorted(name for name, obj in cached_dispatchers().items()
                  if not Path(obj._cache._cache_file._index_path).is_file())


def refresh_stale_cache() -> list[str]:
    """Remove the cache indexes of every cached function when the sources changed.

    Returns the names whose index was removed (empty when the cache is current).
    """
    dispatchers = cached_dispatchers()
    fingerprint = sources_fingerprint()
    removed = []
    folders = {Path(obj._cache._cache_path) for obj in dispatchers.values()}
    if all((f / STAMP).is_file() and (f / STAMP).read_text() == fingerprint for f in folders):
        return removed
    for name, obj in dispatchers.items():
        index = Path(obj._cache._cache_file._index_path)
        if index.is_file():
            index.unlink(missing_ok=True)
            removed.append(name)
    for folder in folders:
        _write_atomic(folder / STAMP, fingerprint)
    return removed


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:        # a read-only cache folder: numba falls back likewise
        pass
