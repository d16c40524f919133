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


#: The well-known first Hardhat/Anvil development key: public, never funded.
TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@pytest.fixture
def make_venue(server: Any) -> Any:
    """Build a PolymarketVenue pointed at the fake, with short timeouts and back-offs."""
    from arbkit_polymarket.venue import PolymarketVenue

    from arbkit import Secret, VenueSettings
    from arbkit.testing import fake_polymarket as fp

    def build(*, derive: bool = False, clock: Any = None, **options: Any) -> PolymarketVenue:
        credentials = {"private_key": Secret(TEST_KEY)}
        if not derive:
            credentials.update(
                api_key=Secret(fp.API_KEY),
                api_secret=Secret(fp.API_SECRET),
                api_passphrase=Secret(fp.API_PASSPHRASE),
            )
        settings = VenueSettings(
            base_urls={
                "gamma": server.http_url,
                "clob": server.http_url,
                "data": server.http_url,
                "ws": server.ws_url,
            },
            timeout=float(options.pop("timeout", 2.0)),
            credentials=credentials,
            options={
                "retry_backoff": 0.01,
                "reconnect_backoff": 0.01,
                "reconnect_backoff_cap": 0.05,
                "ping_interval": 0.1,
                "stale_after": 0.5,
                **options,
            },
        )
        return PolymarketVenue(settings, clock=clock)

    return build
