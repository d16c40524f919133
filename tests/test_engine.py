"""The engine without click: sessions, sinks, rediscovery on the engine's clock, long runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from scan_helpers import START, book, game

from arbkit import hookimpl
from arbkit.clock import ReplayClock
from arbkit.engine import (
    Engine,
    EngineSettings,
    HookSink,
    RunStatus,
    Sink,
    StoreSink,
    build_engine,
)
from arbkit.errors import ConfigError, VenueUnavailable
from arbkit.plugins import make_plugin_manager
from arbkit.scan.orchestrator import ScanOptions
from arbkit.scan.shard import ChangeKind
from arbkit.scan.strategies import CrossVenue
from arbkit.store import open_store
from arbkit.venue import Venue

GOOD_PM = book("polymarket", "tok-heat", [("0.40", "100")])
GOOD_K = book("kalshi", "K-MIA:no", [("0.50", "100")])


class Collect(Sink):
    """Remembers everything the engine hands its sinks, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.changes = []
        self.ends = []

    def started(self, engine: Engine) -> None:
        self.calls.append("started")

    def change(self, change) -> None:
        self.calls.append("change")
        self.changes.append(change)

    def finished(self, engine: Engine, end) -> None:
        self.calls.append("finished")
        self.ends.append(end)


# -- the sample, through the engine ------------------------------------------------------------


async def test_the_sample_plays_through_the_engine_into_every_sink(tmp_path):
    pm = make_plugin_manager()
    store = open_store(tmp_path / "arbkit.db")
    collect = Collect()
    found = []

    class Plugin:
        @hookimpl
        def opportunity_found(self, opportunity):
            found.append(opportunity.key)

    pm.register(Plugin(), name="test-notify")
    stored = StoreSink(store, command="scan", source="sample")
    engine = build_engine(
        pm, EngineSettings(sample=True), sinks=[collect, HookSink(pm), stored], overrides=store.db
    )
    end = await engine.run(watch=True)

    assert end.status is RunStatus.COMPLETED and end.reason == "stream ended"
    assert collect.calls[0] == "started" and collect.calls[-1] == "finished"
    kinds = {change.kind for change in collect.changes}
    assert {ChangeKind.APPEARED, ChangeKind.VANISHED, ChangeKind.SUSPENDED} <= kinds
    reported = [
        c.opportunity.key
        for c in collect.changes
        if c.kind in (ChangeKind.APPEARED, ChangeKind.CHANGED)
    ]
    assert found == reported  # the hook saw exactly what was reported, in order

    db = store.db
    [run] = list(db["runs"].rows)
    assert run["run_id"] == stored.run_id and run["status"] == "completed"
    assert run["command"] == "scan" and run["source"] == "sample"
    assert run["changes"] == len(collect.changes) and run["games"] == len(engine.matches)
    rows = list(db["opportunity_changes"].rows_where("run_id = ?", [stored.run_id], order_by="id"))
    assert [r["kind"] for r in rows] == [c.kind.value for c in collect.changes]
    vanished = [r for r in rows if r["kind"] == "vanished"]
    assert vanished and all(r["at"] and r["key"] for r in vanished)  # how long each one lived
    assert db["opportunities"].count == len(reported)


async def test_a_replay_is_never_rediscovered_and_runs_on_its_recorded_clock():
    import json

    from arbkit.recordings import sample_dir

    pm = make_plugin_manager()
    settings = EngineSettings(sample=True, rediscover_minutes=0.001)
    engine = build_engine(pm, settings, sinks=[Collect()])
    assert not engine.session.live

    async def refresh():
        raise AssertionError("a replay was re-discovered")

    engine.scanner.refresh = refresh  # type: ignore[method-assign]
    end = await engine.run(watch=True)
    assert end.reason == "stream ended"
    last = max(
        json.loads(line)["ts"]
        for path in sample_dir().glob("*/stream.jsonl")
        for line in path.read_text().splitlines()
    )
    assert engine.now().timestamp() * 1000 == last  # the clock is the recording's, at its end


def test_unknown_names_are_refused_before_anything_runs():
    pm = make_plugin_manager()
    with pytest.raises(ConfigError, match="unknown venue"):
        build_engine(pm, EngineSettings(sample=True, venues=("nope",)))
    with pytest.raises(ConfigError, match="unknown strategy 'nope'"):
        build_engine(pm, EngineSettings(sample=True, strategies=("nope",)))
    with pytest.raises(ConfigError, match="either --sample or --replay"):
        build_engine(pm, EngineSettings(sample=True, replay_dir=Path(".")))


def test_the_one_confidence_threshold_reaches_the_matcher():
    engine = build_engine(make_plugin_manager(), EngineSettings(sample=True, min_confidence=0.5))
    assert engine.scanner.matcher.min_confidence == 0.5  # not floored by a matcher default
    assert engine.options.min_confidence == 0.5


# -- live sessions on a controlled clock --------------------------------------------------------


class FakeSession:
    """A live session whose venues and stream the test controls."""

    live = True

    def __init__(self, venues, clock, stream=None):
        self.venues = venues
        self.clock = clock
        self.stream = stream
        self.closed = False

    async def events(self, markets):
        if self.stream is None:
            await asyncio.sleep(3600)
            return
        async for event in self.stream(markets):
            yield event

    async def aclose(self):
        self.closed = True


class Listing:
    """A matcher that returns the next listing on every call."""

    def __init__(self, listings):
        self.listings = listings
        self.calls = 0

    def match(self, markets):
        result = self.listings[min(self.calls, len(self.listings) - 1)]
        self.calls += 1
        return type("Report", (), {"matches": result})()


class Books(Venue):
    name = "polymarket"

    def __init__(self, books=(GOOD_PM,), fail_on=()):
        super().__init__()
        self.books = list(books)
        self.fail_on = set(fail_on)
        self.discoveries = 0

    async def discover(self, query=None):
        self.discoveries += 1
        if self.discoveries in self.fail_on:
            raise VenueUnavailable("HTTP 503", venue=self.name)
        return []

    async def fetch_books(self, markets):
        return {b.contract_id: b for b in self.books}


async def test_live_watch_rediscovers_on_the_engine_clock_adds_new_games_and_stops_gone_ones():
    first, second = game(league="NBA"), game(league="NHL")
    matcher = Listing([[first], [first, second], [second]])
    clock = ReplayClock(START - timedelta(hours=2))

    async def ticking(markets):  # each event moves the engine's clock on by a minute
        while True:
            await asyncio.sleep(0)
            clock.advance(timedelta(minutes=1))
            yield object()

    session = FakeSession([Books()], clock, ticking)
    engine = Engine(
        session=session,
        matcher=matcher,
        strategies=[CrossVenue()],
        options=ScanOptions(rediscover_every=timedelta(minutes=5)),
    )
    await engine.start()
    assert list(engine.shards) == [first.game_id]
    seen = []
    async for change in engine.watch():
        seen.append((change.kind, change.game_id, change.at))
        if matcher.calls >= 3:
            break
    assert list(engine.shards) == [second.game_id]  # NHL added, then NBA no longer listed
    [(_, _, stopped_at)] = [s for s in seen if s[0] is ChangeKind.STOPPED]
    assert stopped_at == START - timedelta(hours=2) + timedelta(minutes=10)  # 2 × 5 clock minutes


async def test_two_partial_outages_far_apart_do_not_end_a_watch():
    """Each venue fails once, at different rediscoveries: neither outage is total."""
    match = game()
    clock = ReplayClock(START - timedelta(hours=3))
    pm_venue, k_venue = Books(fail_on={2}), Books(fail_on={3})
    k_venue.name = "kalshi"  # type: ignore[misc]

    ticks = 0

    async def four_ticks(markets):  # half an hour of engine clock per event, four in all
        nonlocal ticks
        while ticks < 4:
            ticks += 1
            await asyncio.sleep(0)
            clock.advance(timedelta(minutes=30))
            yield object()

    engine = Engine(
        session=FakeSession([pm_venue, k_venue], clock, four_ticks),
        matcher=Listing([[match]]),
        strategies=[CrossVenue()],
        options=ScanOptions(rediscover_every=timedelta(minutes=30)),
    )
    await engine.start()
    async for _change in engine.watch():
        pass
    assert pm_venue.discoveries == k_venue.discoveries == 5  # start + four rediscoveries
    assert engine.failures == {}  # both recovered; nothing remembered against them
    assert list(engine.shards) == [match.game_id]


async def test_rediscovery_refreshes_a_watched_games_fee_models():
    expensive = game(pm_rate="0.5")
    cheap = game(pm_rate="0")
    clock = ReplayClock(START - timedelta(hours=2))

    async def ticking(markets):
        while True:
            await asyncio.sleep(0)
            clock.advance(timedelta(minutes=1))
            yield object()

    matcher = Listing([[expensive], [cheap]])
    engine = Engine(
        session=FakeSession([Books([GOOD_PM, GOOD_K])], clock, ticking),
        matcher=matcher,
        strategies=[CrossVenue()],
        options=ScanOptions(rediscover_every=timedelta(minutes=2)),
    )
    await engine.start()
    assert engine.evaluate() == []  # a 50 % fee rate eats the 0.10 gross edge
    async for change in engine.watch():
        if change.kind is ChangeKind.APPEARED:
            break
    [opp] = engine.opportunities()
    pm_leg = next(leg for leg in opp.legs if leg.venue == "polymarket")
    assert pm_leg.fee == 0  # priced on the rediscovered (fee-free) market
    assert engine.shards[cheap.game_id].state.books  # the books were kept


async def test_stop_ends_a_watch_with_its_status_and_every_sink_hears_it(tmp_path):
    store = open_store(tmp_path / "arbkit.db")
    collect = Collect()
    stored = StoreSink(store, command="scan", source="live")
    session = FakeSession([Books()], ReplayClock(START - timedelta(hours=2)))
    engine = Engine(
        session=session,
        matcher=Listing([[game()]]),
        strategies=[CrossVenue()],
        sinks=[collect, stored],
    )
    task = asyncio.create_task(engine.run(watch=True))
    while "started" not in collect.calls:
        await asyncio.sleep(0.01)
    engine.stop(RunStatus.TERMINATED)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert collect.ends[-1].status is RunStatus.TERMINATED
    assert session.closed
    assert store.db["runs"].get(stored.run_id)["status"] == "terminated"


async def test_a_run_that_fails_is_marked_failed_and_closes_its_venues(tmp_path):
    store = open_store(tmp_path / "arbkit.db")
    stored = StoreSink(store, command="scan", source="live")

    class Boom:
        def match(self, markets):
            raise RuntimeError("matcher exploded")

    session = FakeSession([Books()], ReplayClock(START))
    engine = Engine(session=session, matcher=Boom(), strategies=[], sinks=[stored])
    with pytest.raises(RuntimeError):
        await engine.run()
    assert engine.end is not None and engine.end.status is RunStatus.FAILED
    assert session.closed
    assert store.db["runs"].count == 0  # it failed before it wrote anything


async def test_only_sinks_that_use_stream_events_are_called_per_message(tmp_path):
    """The hot path pays for a per-message hand-off only when a sink records books."""
    store = open_store(tmp_path / "arbkit.db")
    pm = make_plugin_manager()
    quiet = build_engine(
        pm,
        EngineSettings(sample=True),
        sinks=[StoreSink(store, command="scan", source="sample"), Collect()],
    )
    await quiet.start()
    assert quiet.scanner.on_event is None
    recording = StoreSink(store, command="scan", source="sample", record_books=True)
    loud = build_engine(pm, EngineSettings(sample=True), sinks=[recording])
    await loud.run(watch=True)
    stored = store.db["book_snapshots"].count
    assert stored > len(loud.books())  # the opening books, then every book the stream delivered
    await quiet.close(loud.end)
