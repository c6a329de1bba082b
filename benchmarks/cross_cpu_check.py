"""Cross-CPU check: one small cohort with numpy's SIMD code paths switched off, compared.

    python benchmarks/cross_cpu_check.py                    # cohort=example, 50 patients
    python benchmarks/cross_cpu_check.py --n-patients 200 --out /tmp/cross_cpu
    python benchmarks/cross_cpu_check.py --numba-generic      # also NUMBA_CPU_NAME=generic

numpy chooses at run time, by CPU, which SIMD code (AVX-512, AVX2/FMA3, SSE4.2) evaluates
``exp``, ``log``, ``power`` ...; those paths may differ in the last bits.
``NPY_DISABLE_CPU_FEATURES`` switches paths off, so one machine imitates another CPU.  Each
setting runs the same cohort in its own process (the variable is read when numpy is
imported) and writes ``<setting>.nc``; every variable and coordinate is then compared with
the plain run: floats by their largest relative difference ``|a - b| / max(|a|, |b|)``
(0 where both are 0; NaN in the same places), integers, booleans and labels by the number
of entries that differ.  Not a test (see tests/unit/results/test_cross_cpu.py); results
are recorded by hand in docs/reproducibility.md.

On numpy 2.x ``X86_V4`` alone leaves ``AVX512_ICL``/``AVX512_SPR`` listed as found and
``X86_V3`` alone leaves ``X86_V4`` listed (``numpy.show_runtime()``), though either already takes
``exp``/``log`` off their AVX-512 code; the settings named ``avx2`` and ``x86-64-v2`` switch off
every level above, so that ``show_runtime`` reports what a CPU without them would.
The numba engine is compiled by LLVM for the host CPU and is not affected by these settings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

#: relative tolerance promised across CPUs (docs/reproducibility.md); largest difference
#: measured 7.5e-11 (1000 patients, tia_mbq_h)
CROSS_CPU_RTOL = 1e-8

ROOT = Path(__file__).resolve().parents[1]   # the package beside this script is the one run

#: label -> environment of the run (NPY_DISABLE_CPU_FEATURES; NUMBA_CPU_NAME)
SETTINGS = {
    "plain": {},
    "X86_V4": {"NPY_DISABLE_CPU_FEATURES": "X86_V4"},
    "X86_V3": {"NPY_DISABLE_CPU_FEATURES": "X86_V3"},
    # an AVX2/FMA3 CPU without AVX-512
    "avx2": {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"},
    # SSE4.2 only: numpy's baseline
    "x86-64-v2": {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
}
#: not run by default (--numba-generic): the numba engine compiled for a generic x86-64 CPU
NUMBA_GENERIC = {"numba-generic": {"NUMBA_CPU_NAME": "generic"}}
_ENV_VARS = ("NPY_DISABLE_CPU_FEATURES", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")


def simd_paths() -> list[str]:
    """numpy's dispatch targets enabled in this process (``numpy.show_runtime()``'s found)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]


def _worker(path: str, n_patients: int) -> None:
    import simulator
    from simulator.results import write_netcdf

    ds = simulator.simulate(simulator.compose(
        ["cohort=example", f"cohort.n_patients={n_patients}", "output.progress=false"]))
    write_netcdf(ds, path)
    print(json.dumps({"simd": simd_paths()}))


def run_setting(label: str, out_dir: Path, n_patients: int) -> tuple[Path, list[str]]:
    """Run the cohort in a fresh process under setting ``label``; its file and SIMD paths."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update({**SETTINGS, **NUMBA_GENERIC}[label])
    path = out_dir / f"{label}.nc"
    proc = subprocess.run([sys.executable, __file__, "--worker", str(path),
                           "--n-patients", str(n_patients)],
                          env=env, capture_output=True, text=True, check=True)
    return path, json.loads(proc.stdout.strip().splitlines()[-1])["simd"]


def max_relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b| / max(|a|, |b|)`` (0 where both are 0, or both the same infinity);
    inf if NaNs or infinities differ in place."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    if not np.array_equal(nan_a, nan_b) or not np.array_equal(inf_a, inf_b) \
            or not np.array_equal(a[inf_a], b[inf_b]):
        return float("inf")
    finite = ~nan_a & ~inf_a
    a, b = a[finite], b[finite]
    scale = np.maximum(np.abs(a), np.abs(b))
    diff = np.abs(a - b)
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    return float(rel.max(initial=0.0))


def compare(ref, other) -> dict[str, tuple[str, float]]:
    """Per variable and coordinate: ``("float", max relative difference)`` or
    ``(dtype kind, number of differing entries)``."""
    out = {}
    for name in sorted({*ref.variables} | {*other.variables}):
        if name not in ref.variables or name not in other.variables:
            out[name] = ("missing", float("inf"))
            continue
        a, b = ref[name].values, other[name].values
        if a.shape != b.shape:
            out[name] = ("shape", float("inf"))
        elif a.dtype.kind == "f":
            out[name] = ("float", max_relative_difference(a, b))
        else:
            out[name] = (a.dtype.kind, float(np.count_nonzero(a != b)))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-patients", type=int, default=50)
    ap.add_argument("--out", type=Path, default=Path("/tmp/cross_cpu_check"))
    ap.add_argument("--numba-generic", action="store_true",
                    help="also compile the engine for a generic x86-64 CPU (NUMBA_CPU_NAME)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.n_patients)
        return

    from simulator.results import open_results

    args.out.mkdir(parents=True, exist_ok=True)
    settings = {**SETTINGS, **(NUMBA_GENERIC if args.numba_generic else {})}
    runs = {}
    for label, env in settings.items():
        path, simd = run_setting(label, args.out, args.n_patients)
        runs[label] = open_results(path).load()
        env_text = " ".join(f"{k}='{v}'" for k, v in env.items()) or "(nothing set)"
        print(f"{label:13s} {env_text:56s} numpy SIMD found: {' '.join(simd) or '(baseline)'}")
    others = [k for k in settings if k != "plain"]
    table = {k: compare(runs["plain"], runs[k]) for k in others}
    names = list(table[others[0]])
    print(f"\ncohort=example, {args.n_patients} patients; each setting vs plain\n")
    print(f"| variable | kind | {' | '.join(others)} |")
    print(f"|---|---|{'---|' * len(others)}")
    for name in names:
        kind = table[others[0]][name][0]
        cells = [f"{table[k][name][1]:.1e}" if kind == "float" else f"{table[k][name][1]:.0f}"
                 for k in others]
        print(f"| {name} | {'max rel diff' if kind == 'float' else 'n differ'} | "
              f"{' | '.join(cells)} |")
    print("\nlargest float relative difference per setting: "
          + ", ".join(f"{k} {max(v for t, v in table[k].values() if t == 'float'):.1e}"
                      for k in others))
    print("non-float entries differing per setting: "
          + ", ".join(f"{k} {sum(v for t, v in table[k].values() if t != 'float'):.0f}"
                      for k in others))


if __name__ == "__main__":
    main()
