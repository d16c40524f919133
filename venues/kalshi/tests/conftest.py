"""Fixtures: a throw-away RSA key, the real sample payloads and a running FakeKalshi."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arbkit_kalshi.fees import KalshiFees
from arbkit_kalshi.venue import KalshiVenue
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from arbkit import Secret, VenueSettings
from arbkit.testing.fake_kalshi import FakeKalshi

#: Recorded Kalshi payloads, copied into the repository (sources: fixtures/SOURCES.md).
SAMPLES = Path(__file__).resolve().parent / "fixtures"
NBA_EVENT = "KXNBAGAME-26JUN13NYKSAS"
NBA_SAS = "KXNBAGAME-26JUN13NYKSAS-SAS"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def key_id() -> str:
    return str(uuid.uuid4())


def active_nba_event() -> dict[str, Any]:
    """The real NBA event sample, re-opened (it was captured settled)."""
    body = sample("kalshi_event_nba_game.json")
    event = dict(body["event"])
    markets = []
    for market in body["markets"]:
        market = copy.deepcopy(market)
        market["status"] = "active"
        markets.append(market)
    event["markets"] = markets
    return event


def extra_nba_event(day: int) -> dict[str, Any]:
    """More games (same shape as the sample) so discovery needs several pages."""
    event = active_nba_event()
    old = NBA_EVENT
    new = f"KXNBAGAME-26JUN{day:02d}BOSLAL"
    event.update(event_ticker=new, title="Boston at Los Angeles L", sub_title="BOS at LAL")
    for market, (code, name) in zip(
        event["markets"], (("LAL", "Los Angeles L"), ("BOS", "Boston")), strict=True
    ):
        market.update(
            ticker=f"{new}-{code}",
            event_ticker=new,
            yes_sub_title=name,
            no_sub_title=name,
        )
    assert old not in json.dumps(event)
    return event


@pytest.fixture
def fake(rsa_key: rsa.RSAPrivateKey, key_id: str) -> Iterator[FakeKalshi]:
    server = FakeKalshi(rsa_key.public_key(), key_id, page_size=2, fees=KalshiFees().order_fee)
    server.add_series(sample("kalshi_series_nfl_game.json")["series"])
    server.add_series(
        {"ticker": "KXNBAGAME", "fee_type": "quadratic", "fee_multiplier": 1, "title": "NBA"}
    )
    server.add_event(active_nba_event())
    for day in (14, 15, 16):
        server.add_event(extra_nba_event(day))
    nfl = sample("kalshi_market_nfl_game.json")["market"]
    server.add_event(
        {
            "event_ticker": nfl["event_ticker"],
            "series_ticker": "KXNFLGAME",
            "title": "Philadelphia at Tennessee",
            "sub_title": "PHI at TEN (Sep 20)",
            "markets": [nfl],
        }
    )
    book = sample("kalshi_orderbook_fp.json")["orderbook_fp"]
    server.set_book(NBA_SAS, yes=book["yes_dollars"], no=book["no_dollars"])
    with server:
        yield server


def make_settings(fake: FakeKalshi, pem: str, key_id: str, **options: Any) -> VenueSettings:
    defaults = {
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "ws_stale_after": 1.0,
        "ws_backoff_base": 0.01,
        "ws_backoff_cap": 0.05,
    }
    timeout = options.pop("timeout", 5.0)
    return VenueSettings(
        base_urls={"api": fake.base_url, "ws": fake.websocket_url},
        timeout=timeout,
        credentials={"api_key_id": Secret(key_id), "private_key": Secret(pem)},
        options={**defaults, **options},
    )


@pytest.fixture
async def venue(fake: FakeKalshi, pem: str, key_id: str) -> Any:
    kalshi = KalshiVenue(make_settings(fake, pem, key_id))
    yield kalshi
    await kalshi.aclose()
