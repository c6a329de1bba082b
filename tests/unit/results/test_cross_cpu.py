"""Cross-CPU reproducibility (docs/reproducibility.md): with numpy's SIMD code paths switched
off by NPY_DISABLE_CPU_FEATURES, as on a CPU without AVX-512 or AVX2, every float output stays
within the stated relative tolerance and every integer, flag and label is unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from cross_cpu_check import (  # noqa: E402
    CROSS_CPU_RTOL,
    compare,
    max_relative_difference,
    run_setting,
)

from simulator.results import open_results  # noqa: E402

N_PATIENTS = 20


def test_max_relative_difference():
    a = np.array([1.0, 0.0, -2.0, np.nan])
    assert max_relative_difference(a, a.copy()) == 0.0
    assert max_relative_difference(a, a * (1 + 1e-12)) == pytest.approx(1e-12, rel=1e-3)
    assert max_relative_difference(a, np.array([1.0, 1e-300, -2.0, np.nan])) == 1.0
    assert max_relative_difference(a, np.array([1.0, 0.0, -2.0, 3.0])) == np.inf
    # equal infinities (e.g. no new lesion: inf months) agree; different ones do not
    c = np.array([np.inf, 1.0, -np.inf])
    assert max_relative_difference(c, c.copy()) == 0.0
    assert max_relative_difference(c, np.array([np.inf, 1.0, 5.0])) == np.inf
    assert max_relative_difference(c, np.array([-np.inf, 1.0, -np.inf])) == np.inf


def test_compare_reports_floats_and_changed_flags():
    ref = xr.Dataset({"dose_gy": ("patient", [1.0, 2.0]), "cured": ("patient", [True, False])})
    other = ref.copy(deep=True)
    other["dose_gy"][1] = 2.0 * (1 + 3e-10)
    other["cured"][0] = False
    diff = compare(ref, other)
    assert diff["dose_gy"][0] == "float" and diff["dose_gy"][1] == pytest.approx(3e-10, rel=1e-3)
    assert diff["cured"] == ("b", 1.0)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    out = tmp_path_factory.mktemp("cross_cpu")
    path, _ = run_setting("plain", out, N_PATIENTS)
    return out, open_results(path).load()


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["avx2", "x86-64-v2"])
def test_numpy_simd_paths_agree_within_stated_tolerance(plain, setting):
    out, ref = plain
    path, simd = run_setting(setting, out, N_PATIENTS)
    assert not {"X86_V4", "AVX512_ICL", "AVX512_SPR"} & set(simd)   # the setting took effect
    diff = compare(ref, open_results(path).load())
    floats = {k: v for k, (kind, v) in diff.items() if kind == "float"}
    assert {"kidney_dose_gy", "lesion_bed_gy", "tcp", "progression_time_months"} <= set(floats)
    assert {k: v for k, v in floats.items() if not v <= CROSS_CPU_RTOL} == {}
    others = {k: v for k, (kind, v) in diff.items() if kind != "float"}
    assert {"best_response", "cured", "kidney_dose_limit_exceeded"} <= set(others)
    assert {k: v for k, v in others.items() if v != 0} == {}
