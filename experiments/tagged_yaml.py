"""Rewrite the numbers that an experiment script owns in a config YAML, and nothing else.

A number owned by a script carries a tag comment: ``key: value  # [KIND:name] ...``, e.g.
``[FIT:alpha_median]`` (written by ``calibrate_netter1.py --write``) or
``[POST:radiobiology.tumour_alpha_per_gy]`` (written by ``seed_cases.py --write``). The
script rewrites the value of each tagged line; comments and every other line are kept.
"""

from __future__ import annotations

import math
import re
from pathlib import Path


def tag_pattern(kind: str) -> re.Pattern:
    """``key: value  # [KIND:name] ...``; groups: key part, value, comment, name."""
    return re.compile(rf"^(\s*[-\w.]+:\s*)(\S.*?)(\s+#\s*\[{kind}:([\w.]+)\].*)$")


def yaml_number(value: float) -> str:
    """4 significant digits, always with a decimal point (a YAML float, never an int)."""
    if not math.isfinite(value):
        raise ValueError(f"refusing to write {value!r} into a config")
    text = f"{value:.4g}"
    return text if any(c in text for c in ".en") else f"{text}.0"


def read_tagged(path: Path, kind: str) -> dict[str, str]:
    """The tag names of ``kind`` in ``path`` and the value text of their lines."""
    pattern = tag_pattern(kind)
    return {m.group(4): m.group(2) for m in map(pattern.match, path.read_text().splitlines())
            if m}


def write_tagged(path: Path, kind: str, values: dict) -> None:
    """Rewrite the values of the lines tagged ``# [KIND:name]`` in ``path``.

    ``values`` maps a tag name to its new value (a number or a list of numbers). A name in
    ``values`` that has no tagged line in the file is an error (nothing is written then).
    """
    pattern, seen = tag_pattern(kind), set()
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        m = pattern.match(line)
        if m and m.group(4) in values:
            value = values[m.group(4)]
            text = (f"[{', '.join(yaml_number(v) for v in value)}]" if isinstance(value, list)
                    else yaml_number(value))
            lines[i] = f"{m.group(1)}{text}{m.group(3)}"
            seen.add(m.group(4))
    missing = sorted(set(values) - seen)
    if missing:
        raise ValueError(f"no '# [{kind}:name]' line for {missing} in {path}")
    path.write_text("\n".join(lines) + "\n")
