"""Discovery, books, auth, rate limits and faults against the fake Kalshi (real sockets)."""

from __future__ import annotations

import base64
from decimal import Decimal as D

import pytest
from arbkit_kalshi.auth import KalshiSigner
from arbkit_kalshi.client import DEMO, PRODUCTION, KalshiClient, buckets_for
from arbkit_kalshi.venue import KalshiVenue
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from arbkit import (
    AuthenticationError,
    BadResponse,
    DiscoveryQuery,
    RateLimited,
    Secret,
    VenueUnavailable,
)
from arbkit.testing.fake_kalshi import FakeKalshi

from .conftest import NBA_EVENT, NBA_SAS, make_settings

PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def test_signature_covers_timestamp_method_and_path_without_query(rsa_key, pem, key_id) -> None:
    signer = KalshiSigner(Secret(key_id), Secret(pem), now_ms=lambda: 1700000000123)
    headers = signer.headers("get", "/trade-api/v2/portfolio/orders?limit=5")
    assert headers["KALSHI-ACCESS-KEY"] == key_id
    assert headers["KALSHI-ACCESS-TIMESTAMP"] == "1700000000123"
    message = b"1700000000123GET/trade-api/v2/portfolio/orders"
    signature = base64.b64decode(headers["KALSHI-ACCESS-SIGNATURE"])
    rsa_key.public_key().verify(signature, message, PSS, hashes.SHA256())  # raises if wrong


def test_key_from_a_pem_file(tmp_path, pem, key_id) -> None:
    path = tmp_path / "kalshi.pem"
    path.write_text(pem)
    signer = KalshiSigner(Secret(key_id), Secret(str(path)))
    assert signer.headers("GET", "/x")["KALSHI-ACCESS-KEY"] == key_id


def test_environments_and_tiers() -> None:
    from arbkit import VenueSettings

    assert KalshiClient(VenueSettings()).base_url == PRODUCTION
    assert KalshiClient(VenueSettings(sandbox=True)).base_url == DEMO
    assert "demo" in KalshiClient(VenueSettings(sandbox=True)).ws_url
    buckets = buckets_for(VenueSettings(options={"tier": "advanced"}))
    assert (buckets["read"].rate, buckets["write"].rate, buckets["write"].capacity) == (
        300,
        300,
        600,
    )
    assert buckets_for(VenueSettings(options={"read_rate": 50}))["read"].rate == 50


async def test_discovery_pages_through_every_event(venue: KalshiVenue, fake: FakeKalshi) -> None:
    markets = await venue.discover(DiscoveryQuery(leagues=frozenset({"NBA"})))
    assert len(markets) == 8  # 4 events × 2 team markets, 2 events per page
    pages = [r for r in fake.requests if r.path.endswith("/events")]
    assert [r.arg("cursor") for r in pages] == [None, "c2"]
    assert all(r.arg("series_ticker") == "KXNBAGAME" for r in pages)
    assert {m.league for m in markets} == {"NBA"}
    sas = next(m for m in markets if m.market_id == NBA_SAS)
    assert (sas.away, sas.home, sas.active) == ("New York", "San Antonio", True)


async def test_discovery_reads_fees_from_each_series(venue: KalshiVenue) -> None:
    markets = await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
    (nfl,) = markets
    assert nfl.fees.fee_type == "quadratic_with_maker_fees"
    assert (nfl.away, nfl.home) == ("Philadelphia", "Tennessee")


async def test_books_invert_no_bids_into_yes_asks(venue: KalshiVenue) -> None:
    nba = await venue.discover(DiscoveryQuery(leagues=frozenset({"NBA"})))
    (market,) = [m for m in nba if m.market_id == NBA_SAS]
    books = await venue.fetch_books([market])
    yes, no = books[f"{NBA_SAS}:yes"], books[f"{NBA_SAS}:no"]
    assert yes.best_bid == (D("0.7000"), D("359.00"))
    assert yes.best_ask == (D("0.7100"), D("80390.47"))
    assert no.best_ask == (D("0.3000"), D("359.00"))
    assert yes.timestamp is not None


async def test_wrongly_signed_request_is_rejected(fake: FakeKalshi, pem: str) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    from cryptography.hazmat.primitives import serialization

    wrong_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    venue = KalshiVenue(make_settings(fake, wrong_pem, fake.key_id))
    try:
        with pytest.raises(AuthenticationError, match="invalid signature"):
            await venue.balance()
        with pytest.raises(AuthenticationError):  # signed public reads are checked too
            await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
    finally:
        await venue.aclose()
    assert fake.auth_failures == 2


async def test_private_call_without_credentials_fails_locally(fake: FakeKalshi) -> None:
    from arbkit import VenueSettings

    venue = KalshiVenue(VenueSettings(base_urls={"api": fake.base_url}))
    try:
        with pytest.raises(AuthenticationError, match="needs credentials"):
            await venue.positions()
        assert len(await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))) == 1
    finally:
        await venue.aclose()
    assert not any(r.path.endswith("/portfolio/positions") for r in fake.requests)


async def test_429_without_retry_after_backs_off_then_succeeds(venue, fake) -> None:
    fake.inject(
        status=429, body={"error": "too many requests"}, times=2, path="/trade-api/v2/markets"
    )
    nba = await venue.discover(DiscoveryQuery(leagues=frozenset({"NBA"})))
    (market,) = [m for m in nba if m.market_id == NBA_SAS]
    books = await venue.fetch_books([market])
    assert f"{NBA_SAS}:yes" in books
    hits = [r for r in fake.requests if r.path.endswith("/orderbook")]
    assert len(hits) == 3  # two 429s, then the answer


async def test_persistent_429_surfaces_as_rate_limited(fake, pem, key_id) -> None:
    venue = KalshiVenue(make_settings(fake, pem, key_id, max_retries=1))
    fake.inject(status=429, body={"error": "too many requests"}, times=5)
    try:
        with pytest.raises(RateLimited):
            await venue.balance()
    finally:
        await venue.aclose()


async def test_5xx_then_malformed_json(fake, pem, key_id) -> None:
    venue = KalshiVenue(make_settings(fake, pem, key_id, max_retries=0))
    try:
        fake.inject(status=503)
        with pytest.raises(VenueUnavailable):
            await venue.balance()
        fake.inject(malformed=True)
        with pytest.raises(BadResponse, match="malformed JSON"):
            await venue.balance()
        assert await venue.balance() == D("1000.0000")
    finally:
        await venue.aclose()


async def test_bad_market_data_is_a_bad_response(venue, fake) -> None:
    fake.markets[NBA_SAS]["yes_sub_title"] = ""
    fake.markets[NBA_SAS]["ticker"] = "ODD"
    fake.markets[NBA_SAS]["title"] = "?"
    with pytest.raises(BadResponse, match="which outcome YES is"):
        await venue.discover(DiscoveryQuery(leagues=frozenset({"NBA"})))


async def test_discovery_applies_event_fee_overrides_in_force(venue, fake) -> None:
    from arbkit_kalshi.fees import KalshiFees

    fake.event_fee_changes = [
        {"event_ticker": NBA_EVENT, "fee_type_override": None, "fee_multiplier_override": "0"},
        {
            "event_ticker": "KXNBAGAME-26JUN14BOSLAL",
            "fee_type_override": "quadratic_with_maker_fees",
            "fee_multiplier_override": "2",
            "scheduled_ts": "2099-01-01T00:00:00Z",  # pending: not in force yet
        },
    ]
    markets = {m.market_id: m for m in await venue.discover()}
    waived = [m for m in markets.values() if m.event_id == NBA_EVENT]
    assert waived and all(m.fees == KalshiFees("quadratic", 0) for m in waived)
    pending = [m for m in markets.values() if m.event_id == "KXNBAGAME-26JUN14BOSLAL"]
    assert pending and all(m.fees == KalshiFees("quadratic", 1) for m in pending)
