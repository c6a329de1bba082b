"""docs/model.md names the code that implements each equation: those names must exist.

Every ``simulator/<path>.py::<name>`` reference must name an existing file and an
attribute of that module (``Class.method`` is followed attribute by attribute), so the
links cannot drift when code is renamed or moved.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL_DOC = ROOT / "docs" / "model.md"
REFERENCE = re.compile(r"(simulator/[\w/]+\.py)::([A-Za-z_][\w.]*[\w])")


def _references() -> list[tuple[str, str]]:
    return sorted(set(REFERENCE.findall(MODEL_DOC.read_text(encoding="utf-8"))))


def test_model_doc_cites_code():
    refs = _references()
    assert len(refs) >= 50, f"expected the model page to name its code, found {len(refs)}"
    # one implementing function per numbered section at least
    text = MODEL_DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    numbered = [s for s in sections if re.match(r"\d+\. ", s)]
    assert len(numbered) >= 10
    for section in numbered:
        title = section.splitlines()[0]
        if title.startswith(("1. ", "11. ")):  # conventions, references
            continue
        assert REFERENCE.search(section), f"section '{title}' names no implementing code"


@pytest.mark.parametrize(("path", "name"), _references())
def test_reference_exists(path: str, name: str):
    file = ROOT / path
    assert file.is_file(), f"docs/model.md cites {path}::{name}, but {path} does not exist"
    module = importlib.import_module(path[: -len(".py")].replace("/", "."))
    obj = module
    for part in name.split("."):
        owner = getattr(obj, "__name__", repr(obj))
        assert hasattr(obj, part), (
            f"docs/model.md cites {path}::{name}, but {owner} has no attribute {part!r}")
        obj = getattr(obj, part)


#: folders whose citations must name papers or docs/model.md sections, not the design notes,
#: style guide and literature digest that live outside the repository
CITING = ("simulator", "conf", "docs", "tests", "experiments", "benchmarks")
OUTSIDE = re.compile(r"\bDESIGN\b|literature\.md|STYLE habit")


def test_no_citation_of_files_outside_the_repository():
    hits = []
    for folder in CITING:
        for file in sorted((ROOT / folder).rglob("*")):
            if file.suffix not in (".py", ".md", ".yaml", ".ipynb") \
                    or file == Path(__file__).resolve():
                continue
            if "results" in file.relative_to(ROOT).parts:  # generated experiment reports
                continue
            for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if OUTSIDE.search(line):
                    hits.append(f"{file.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, "cite the paper or docs/model.md §N instead:\n" + "\n".join(hits)
