"""Shared fixtures: the real Polymarket sample payloads, and a fake Polymarket on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(name="load")
def load_fixture() -> Any:
    """``load(name)``: a sample payload, freshly parsed (tests may mutate it)."""
    return load


@pytest.fixture
def sample_event() -> dict[str, Any]:
    return load("polymarket_gamma_event_nfl_game.json")[0]


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    from arbkit.testing.fake_polymarket import FakePolymarket

    with FakePolymarket() as server:
        yield server


@pytest.fixture
def server(fake: Any) -> Any:
    """The module's fake, reset to its default state for each test."""
    fake.reset()
    return fake
