"""Shared fixtures: composed configs of the reference patient."""

from __future__ import annotations

import pytest

import simulator


@pytest.fixture(scope="session")
def reference_cfg() -> dict:
    """Validated plain config of the default (reference) patient."""
    return simulator.validate(simulator.compose())


def plain_cfg(*overrides: str) -> dict:
    """Compose + validate with overrides, as a plain dict."""
    return simulator.validate(simulator.compose(list(overrides)))
