"""Shared fixtures: composed configs of the reference patient; the CLI run in-process."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import simulator

ROOT = Path(__file__).resolve().parents[1]


def checkout_env(**extra: str) -> dict[str, str]:
    """Environment of a fresh ``python -m simulator``: imports this checkout's ``simulator``.

    A child started in a temporary folder would otherwise import whichever ``simulator`` the
    interpreter has installed (another checkout's, with an editable install).
    """
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


@pytest.fixture(scope="session")
def reference_cfg() -> dict:
    """Validated plain config of the default (reference) patient."""
    return simulator.validate(simulator.compose())


def plain_cfg(*overrides: str) -> dict:
    """Compose + validate with overrides, as a plain dict."""
    return simulator.validate(simulator.compose(list(overrides)))


@pytest.fixture
def cli_in_process(monkeypatch, capsys):
    """Run ``prrt-sim ARGS`` through :func:`simulator.cli.main` in this process.

    ``run(folder, *args)`` works in ``folder`` (run folder ``folder/run``; pass
    ``hydra.sweep.dir=...`` with ``-m``) and returns returncode, stdout and stderr like
    ``subprocess.run``; no fresh Python, so the engine is compiled at most once per session.
    """
    from simulator import cli

    root = logging.getLogger()
    saved = (root.level, list(root.handlers))

    def run(tmp_path, *args):
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "argv", ["prrt-sim", *args,
                                          f"hydra.run.dir={tmp_path / 'run'}"])
        capsys.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    yield run
    for handler in root.handlers:   # Hydra's job logging (console, file in the run folder)
        if handler not in saved[1]:
            handler.close()
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
