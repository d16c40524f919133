"""The recording tap on live venues: both fake venues on loopback serve the sample slate, and
what the venues' live clients hand the tap (Gamma events, CLOB books, Kalshi series, events
and order books, stream messages) exports to a replay that scans like the sample itself."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from arbkit_kalshi.venue import KalshiVenue
from arbkit_polymarket.venue import PolymarketVenue
from cryptography.hazmat.primitives.asymmetric import rsa

from arbkit.clock import ReplayClock, parse_timestamp
from arbkit.record.export import export_replay
from arbkit.record.recorder import Recorder
from arbkit.store import open_store
from arbkit.testing.fake_kalshi import FakeKalshi
from arbkit.testing.fake_polymarket import FakePolymarket
from arbkit.venue import DiscoveryQuery, VenueSettings
from tests.record_helpers import SAMPLE, ok

CAPTURED = parse_timestamp(json.loads((SAMPLE / "manifest.json").read_text())["captured_at"])


def load(*parts: str):
    return json.loads(SAMPLE.joinpath(*parts).read_text())


@pytest.fixture(scope="module")
def fakes():
    polymarket = FakePolymarket(events=0)
    polymarket.events = load("polymarket", "events.json")
    polymarket.sports = [
        {"sport": "nba", "tags": "1,745,100639", "primaryTagId": 745, "ordering": "away"},
        {"sport": "nhl", "tags": "1,899,100639", "primaryTagId": 899, "ordering": "away"},
        {"sport": "cbb", "tags": "1,101178,100639", "primaryTagId": 101178, "ordering": "away"},
    ]
    polymarket.books = {book["asset_id"]: book for book in load("polymarket", "books.json")}
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kalshi = FakeKalshi(key.public_key(), "unused-key-id", page_size=5)
    for series in load("kalshi", "series.json"):
        kalshi.add_series(series)
    for event in load("kalshi", "events.json"):
        kalshi.add_event(event)
    for ticker, body in load("kalshi", "orderbooks.json").items():
        book = body["orderbook_fp"]
        kalshi.set_book(ticker, book.get("yes_dollars") or [], book.get("no_dollars") or [])
    with polymarket, kalshi:
        yield polymarket, kalshi


def venues(fakes, tap) -> tuple[PolymarketVenue, KalshiVenue]:
    polymarket, kalshi = fakes
    clock = ReplayClock(CAPTURED)  # the slate is in the past: the venues' clock says when
    poly = PolymarketVenue(
        VenueSettings(
            base_urls={
                "gamma": polymarket.http_url,
                "clob": polymarket.http_url,
                "ws": polymarket.ws_url,
            }
        ),
        clock=clock,
    )
    ks = KalshiVenue(
        VenueSettings(base_urls={"api": kalshi.base_url, "ws": kalshi.websocket_url}), clock=clock
    )
    poly.tap = ks.tap = tap
    return poly, ks


async def snapshot(fakes, tap) -> dict:
    """What a live session fetches before streaming: discovery, then the books."""
    found = {}
    for venue in venues(fakes, tap):
        try:
            markets = await venue.discover(DiscoveryQuery())
            await venue.fetch_books(markets)
            found[venue.name] = markets
        finally:
            await venue.aclose()
    return found


async def test_the_live_clients_hand_the_tap_every_raw_answer(fakes):
    taps: list[tuple] = []
    await snapshot(fakes, lambda *call: taps.append(call))
    by_kind: dict[tuple[str, str], list[tuple]] = {}
    for venue, kind, ms, payload, key in taps:
        assert ms == int(CAPTURED.timestamp() * 1000)
        by_kind.setdefault((venue, kind), []).append((key, payload))
    assert set(by_kind) == {
        ("polymarket", "events"),
        ("polymarket", "books"),
        ("kalshi", "series"),
        ("kalshi", "events"),
        ("kalshi", "orderbooks"),
    }
    events = by_kind["polymarket", "events"]
    assert sorted(key for key, _ in events) == sorted(
        e["slug"] for e in load("polymarket", "events.json")
    )
    books = {key: payload for key, payload in by_kind["polymarket", "books"]}
    assert books == {b["asset_id"]: b for b in load("polymarket", "books.json")}
    assert sorted(k for k, _ in by_kind["kalshi", "series"]) == sorted(
        s["ticker"] for s in load("kalshi", "series.json")
    )
    tickers = {k for k, _ in by_kind["kalshi", "orderbooks"]}
    assert tickers == set(load("kalshi", "orderbooks.json"))


def test_a_live_recording_exports_a_replay_that_scans_like_the_sample(fakes, tmp_path):
    db = tmp_path / "rec.db"
    open_store(db).close()
    recorder = Recorder(db).start()
    asyncio.run(snapshot(fakes, recorder))
    recorder.close()
    target = tmp_path / "live"
    summary = export_replay(open_store(db), target)
    assert summary.venues == ("kalshi", "polymarket")
    played = json.loads(ok(tmp_path / "a.db", "scan", "--replay", str(target), "--json"))
    sample = json.loads(ok(tmp_path / "b.db", "scan", "--sample", "--json"))
    assert played["games_matched"] == sample["games_matched"] > 0
    assert played["opportunities"] == sample["opportunities"] != []


async def test_the_stream_tap_sees_each_frame_raw_with_its_receive_time(fakes):
    taps: list[tuple] = []
    poly, _ = venues(fakes, lambda *call: taps.append(call[:5] + (None,) * (5 - len(call))))
    markets = await poly.discover(DiscoveryQuery())
    taps.clear()
    wanted = {c.contract_id for m in markets for c in m.contracts}
    before = time.time_ns() // 1_000_000
    seen: set[str] = set()

    async def run() -> None:
        async for event in poly.stream_books(markets):
            seen.add(getattr(getattr(event, "book", None), "contract_id", ""))
            if wanted <= seen:
                break

    try:
        await asyncio.wait_for(run(), timeout=20)
    finally:
        await poly.aclose()
    after = time.time_ns() // 1_000_000
    frames = [payload for venue, kind, ms, payload, _ in taps if kind == "stream"]
    assert all(isinstance(frame, bytes) for frame in frames)  # raw, as received
    books = [m for frame in frames for m in json.loads(frame)]
    assert {b["asset_id"] for b in books} >= wanted  # the first dump: one message per book
    assert all(venue == "polymarket" and before <= ms <= after for venue, _, ms, _, _ in taps)
    assert all(book["event_type"] == "book" for book in books)


def test_recording_off_taps_nothing(fakes):
    poly, ks = venues(fakes, None)
    assert poly.tap is None and ks.tap is None  # the default: a None check, no call
