"""The recording tap on live venues: both fake venues on loopback serve the sample slate, and
what the venues' live clients hand the tap (Gamma events, CLOB books, Kalshi series, events
and order books, stream messages) exports to a replay that scans like the sample itself."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sample_fakes import CAPTURED, live_venues, load, serving_the_sample

from arbkit.clock import ReplayClock
from arbkit.record.export import export_replay
from arbkit.record.recorder import Recorder
from arbkit.store import open_store
from arbkit.venue import DiscoveryQuery
from tests.record_helpers import ok


@pytest.fixture(scope="module")
def fakes(rsa_key):
    with serving_the_sample(rsa_key) as pair:
        yield pair


def venues(fakes, tap):
    # the slate is in the past: the venues' clock says when
    poly, ks = live_venues(*fakes, clock=ReplayClock(CAPTURED))
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
