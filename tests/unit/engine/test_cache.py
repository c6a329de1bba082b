"""The engine's numba kernels are cached on disk (compiled once per machine, not per
process) and a cache compiled from other sources is dropped before it is loaded."""

from __future__ import annotations

from types import SimpleNamespace

import simulator
from simulator.engine import cache


def test_the_coupled_batch_kernel_is_cached_after_a_run():
    simulator.simulate(simulator.compose(["therapy.n_cycles=1", "response.follow_up_months=3"]))
    names = cache.cached_dispatchers()
    assert "simulator.engine.batch.run_coupled_batch" in names
    assert "simulator.engine.model.rhs" in names and "simulator.pk.model.pk_rhs" in names
    assert "simulator.engine.batch.run_coupled_batch" not in cache.cold_functions()


def _fake(tmp_path, name):
    index = tmp_path / f"{name}.nbi"
    index.write_text("index")
    return SimpleNamespace(_cache=SimpleNamespace(
        _cache_path=str(tmp_path), _cache_file=SimpleNamespace(_index_path=str(index)))), index


def test_changed_sources_drop_every_cache_index(tmp_path, monkeypatch):
    a, index_a = _fake(tmp_path, "a")
    b, index_b = _fake(tmp_path, "b")
    monkeypatch.setattr(cache, "cached_dispatchers", lambda: {"m.a": a, "m.b": b})
    monkeypatch.setattr(cache, "sources_fingerprint", lambda: "v1")
    assert cache.refresh_stale_cache() == ["m.a", "m.b"]    # no stamp yet: not trusted
    assert not index_a.exists() and (tmp_path / cache.STAMP).read_text() == "v1"
    index_a.write_text("index")
    assert cache.refresh_stale_cache() == []                 # same sources: kept
    assert index_a.exists()
    monkeypatch.setattr(cache, "sources_fingerprint", lambda: "v2")
    assert cache.refresh_stale_cache() == ["m.a"]            # changed: dropped, restamped
    assert not index_a.exists() and (tmp_path / cache.STAMP).read_text() == "v2"


def test_the_fingerprint_follows_the_sources():
    first = cache.sources_fingerprint()
    assert first == cache.sources_fingerprint() and len(first) == 64


def test_the_fingerprint_covers_every_source_the_kernels_compile_in():
    """Adversarial review: the lesion-table columns of tumour/parameters.py are constants in
    the cached kernels; editing them left a stale cache that ran silently."""
    names = {p.relative_to(p.parents[1]).as_posix() for p in cache.numba_sources()}
    assert {"tumour/parameters.py", "pk/layout.py", "pk/parameters.py", "pk/model.py",
            "dosimetry/spheres.py", "engine/model.py", "engine/rodas.py"} <= names
    assert "cli.py" not in names and "outcomes.py" not in names   # nothing downstream
