"""Engine.rematch: matching the engine's markets again while it runs (a confirmed or rejected
match), the near-misses it keeps, and which new games the running stream delivers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from attrs import evolve
from scan_helpers import START, book, game

from arbkit.clock import ReplayClock
from arbkit.engine import Engine, EngineSettings, RunEnd, RunStatus, Sink, build_engine
from arbkit.matching.report import MatchReport
from arbkit.models import MatchResult
from arbkit.plugins import make_plugin_manager
from arbkit.scan.orchestrator import ScanOptions
from arbkit.scan.shard import ChangeKind
from arbkit.scan.strategies import CrossVenue
from arbkit.streaming import BookUpdate
from arbkit.venue import Venue


class Collect(Sink):
    def __init__(self) -> None:
        self.changes: list[Any] = []

    def change(self, change: Any) -> None:
        self.changes.append(change)


class Without:
    """A matcher that leaves some games out, as if they had been rejected; counts its calls."""

    def __init__(self, inner: Any, hidden: set[str]) -> None:
        self.inner = inner
        self.hidden = hidden
        self.calls = 0

    def match(self, markets: Any) -> MatchReport:
        self.calls += 1
        report = self.inner.match(markets)
        kept = [m for m in report.matches if m.game_id not in self.hidden]
        return MatchReport(matches=kept, near_misses=list(report.near_misses))


def _sample(sinks: Any = ()) -> Engine:
    return build_engine(make_plugin_manager(), EngineSettings(sample=True), sinks=list(sinks))


async def test_the_engine_keeps_the_matchers_near_misses() -> None:
    engine = _sample()
    counting = Without(engine.matcher, set())
    engine.scanner.matcher = counting
    await engine.start()
    assert counting.calls == 1
    again = counting.inner.match(engine.markets).near_misses
    assert engine.near_misses == list(again) and len(again) == 2  # the sample's two EDM@CGY
    assert engine.matcher is counting


async def test_a_rematch_without_a_game_withdraws_its_opportunities_from_every_sink() -> None:
    collect = Collect()
    engine = _sample([collect])
    await engine.start()
    engine.evaluate()
    counts = Counter(o.game_id for o in engine.opportunities())
    gone, _ = counts.most_common(1)[0]
    before = len(collect.changes)

    done = engine.rematch(Without(engine.matcher, {gone}))

    assert done.added == frozenset() and done.unstreamed == frozenset()
    assert list(done.changes) == collect.changes[before:]  # handed to the sinks in the call
    kinds = Counter(c.kind for c in done.changes if c.game_id == gone)
    assert kinds == {ChangeKind.VANISHED: counts[gone], ChangeKind.STOPPED: 1}
    assert gone not in engine.shards
    assert all(o.game_id != gone for o in engine.opportunities())
    assert engine.matches and all(m.game_id != gone for m in engine.matches)


# -- live: the stream is subscribed again with the new game's markets ---------------------------


def _renamed(result: MatchResult, prefix: str) -> MatchResult:
    """The same game under other contract ids (another game of the evening)."""

    def contract(c: Any) -> Any:
        complement = c.complement_id and prefix + c.complement_id
        return evolve(c, contract_id=prefix + c.contract_id, complement_id=complement)

    markets = tuple(
        evolve(m, contracts=tuple(contract(c) for c in m.contracts)) for m in result.markets
    )
    links = tuple(
        evolve(link, left=contract(link.left), right=contract(link.right)) for link in result.links
    )
    return evolve(result, game_id=prefix + result.game_id, markets=markets, links=links)


class Listing:
    def __init__(self, matches: list[MatchResult]) -> None:
        self.matches = matches

    def match(self, markets: Any) -> MatchReport:
        return MatchReport(matches=list(self.matches), near_misses=[])


class Books(Venue):
    name = "polymarket"

    def __init__(self, books: list[Any]) -> None:
        super().__init__()
        self.books = books
        self.discoveries = 0

    async def discover(self, query: Any = None) -> list[Any]:
        self.discoveries += 1
        return []

    async def fetch_books(self, markets: Any) -> dict[str, Any]:
        wanted = {c.contract_id for m in markets for c in m.contracts}
        return {b.contract_id: b for b in self.books if b.contract_id in wanted}


class QueueSession:
    """A live session whose stream the test feeds; remembers every subscription."""

    live = True

    def __init__(self, venues: list[Venue], clock: ReplayClock) -> None:
        self.venues = venues
        self.clock = clock
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.subscriptions: list[set[str]] = []

    async def events(self, markets: Any) -> Any:
        self.subscriptions.append(
            {c.contract_id for group in markets.values() for m in group for c in m.contracts}
        )
        while True:
            yield await self.queue.get()

    async def aclose(self) -> None:
        pass


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_live_rematch_subscribes_the_new_games_markets_at_once() -> None:
    first = game()
    second = _renamed(game(league="NHL"), "nhl-")
    books = [
        book("polymarket", "tok-heat", [("0.60", "100")]),
        book("kalshi", "K-MIA:no", [("0.60", "100")]),
        book("polymarket", "nhl-tok-heat", [("0.40", "100")]),
        book("kalshi", "nhl-K-MIA:no", [("0.50", "100")]),
    ]
    venue, other = Books(books), Books(books)
    other.name = "kalshi"  # type: ignore[misc]
    session = QueueSession([venue, other], ReplayClock(START - timedelta(hours=2)))
    collect = Collect()
    engine = Engine(
        session=session,
        matcher=Listing([first]),
        strategies=[CrossVenue()],
        options=ScanOptions(rediscover_every=timedelta(minutes=10)),
        sinks=[collect],
    )
    watch = asyncio.create_task(engine.run(watch=True))
    try:
        await _until(lambda: len(session.subscriptions) == 1)
        assert "nhl-tok-heat" not in session.subscriptions[0]

        done = engine.rematch(Listing([first, second]))
        assert done.added == {second.game_id} and done.unstreamed == frozenset()
        # no stream event needed: the waiting watch wakes and subscribes again
        await _until(lambda: len(session.subscriptions) == 2)
        assert {"nhl-tok-heat", "nhl-K-MIA:no", "tok-heat"} <= session.subscriptions[1]
        assert engine.unstreamed() == set()
        assert venue.discoveries == 1  # only the subscription changed, no rediscovery

        await engine.start_games(done.added)
        [opened] = [c for c in collect.changes if c.game_id == second.game_id]
        assert opened.kind is ChangeKind.APPEARED  # 0.40 + 0.50 for a sure 1: found at once
        # and the new game's books stream from now on
        cheaper = book("polymarket", "nhl-tok-heat", [("0.38", "100")])
        session.queue.put_nowait(BookUpdate(cheaper))
        await _until(lambda: engine.book("nhl-tok-heat") == cheaper)
        assert collect.changes[-1].game_id == second.game_id
        assert collect.changes[-1].kind is ChangeKind.CHANGED
    finally:
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)


# -- a replay: the recording's stream cannot take markets it was not opened with ---------------


class BookWatch(Sink):
    """Every distinct book object of the watched games' Kalshi contracts, looked at before
    each stream event; ``on_event`` runs first (a rematch in the middle of the replay)."""

    def __init__(self, on_event: Any = None) -> None:
        self.on_event = on_event
        self.engine: Engine | None = None
        self.seen: dict[int, Any] = {}

    def started(self, engine: Engine) -> None:
        self.engine = engine

    def event(self, event: Any, at: Any) -> None:
        engine = self.engine
        assert engine is not None
        if self.on_event is not None:
            self.on_event(engine)
        for shard in engine.shards.values():
            for contract_id, found in shard.state.books.items():
                if contract_id.startswith("KX"):
                    self.seen[id(found)] = found


def _distinct(watch: BookWatch, contracts: set[str]) -> Counter[str]:
    return Counter(b.contract_id for b in watch.seen.values() if b.contract_id in contracts)


async def test_a_game_added_during_a_replay_is_named_unstreamed() -> None:
    """A recording's stream is opened once: Kalshi's decoder reads only the markets it was
    opened with, so a game added later gets no Kalshi updates (Polymarket's reads every book
    in the stream). The engine names such games; the dashboard says so."""
    plain = BookWatch()
    probe = _sample([plain])
    await probe.start()
    owner = {c: g for g, shard in probe.shards.items() for c in shard.contract_ids()}
    async for _change in probe.watch():
        pass
    await probe.close(RunEnd(RunStatus.COMPLETED))
    updated = Counter(owner[c] for c, n in _distinct(plain, set(owner)).items() if n > 1)
    busy, _ = updated.most_common(1)[0]  # the game whose Kalshi books the stream moves most
    kalshi = {c for c, g in owner.items() if g == busy and c.startswith("KX")}

    results: list[Any] = []

    def add_it(engine: Engine) -> None:
        if not results and engine.unstreamed() == set():  # the stream is open, once
            done = engine.rematch(real)
            results.append((done, engine.unstreamed()))

    late = BookWatch(on_event=add_it)
    engine = _sample([late])
    real = engine.matcher
    engine.scanner.matcher = Without(real, {busy})
    await engine.start()
    assert busy not in engine.shards
    started = False
    async for _change in engine.watch():
        if results and not started:  # the watch's consumer fetches the new game's books
            started = True
            await engine.start_games(results[0][0].added)
    await engine.close(RunEnd(RunStatus.COMPLETED))
    [(done, unstreamed)] = results
    assert done.added == {busy} and done.unstreamed == {busy} and unstreamed == {busy}
    assert started and set(_distinct(late, kalshi)) == kalshi  # fetched, then ...
    assert set(_distinct(late, kalshi).values()) == {1}  # ... never updated by the stream
    assert max(_distinct(plain, kalshi).values()) > 1  # watched from the start, it is
    assert engine.unstreamed() == set()  # no stream runs any more
