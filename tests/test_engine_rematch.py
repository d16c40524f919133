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


# -- a replay: the recorded stream carries every market, passed on once subscribed ----------------


class KalshiUpdates(Sink):
    """The book updates the engine is handed (``updates``: Kalshi's), at the recorded time;
    ``on_event`` runs before each stream event is applied (a rematch in the replay)."""

    def __init__(self, on_event: Any = None) -> None:
        self.on_event = on_event
        self.engine: Engine | None = None
        self.updates: list[tuple[Any, Any]] = []
        self.every: list[tuple[Any, Any]] = []

    def started(self, engine: Engine) -> None:
        self.engine = engine

    def event(self, event: Any, at: Any) -> None:
        if self.on_event is not None:
            self.on_event(self.engine, at)
        if isinstance(event, BookUpdate):
            self.every.append((at, event.book))
            if event.book.venue == "kalshi":
                self.updates.append((at, event.book))


def _of(updates: list[tuple[Any, Any]], contracts: set[str]) -> list[tuple[Any, Any]]:
    return [(at, b) for at, b in updates if b.contract_id in contracts]


async def played_through() -> tuple[KalshiUpdates, dict[str, str], dict[str, Any]]:
    """The sample played to its end with every game watched: what a listener heard, each
    contract's game, and each contract's opening book."""
    plain = KalshiUpdates()
    probe = _sample([plain])
    await probe.start()
    owner = {c: g for g, shard in probe.shards.items() for c in shard.contract_ids()}
    opening = {c: probe.book(c) for c in owner}
    async for _change in probe.watch():
        pass
    await probe.close(RunEnd(RunStatus.COMPLETED))
    return plain, owner, opening


async def test_a_game_added_during_a_replay_gets_its_updates_from_then_on() -> None:
    """A game rejected before the replay and confirmed halfway through its Kalshi updates:
    from the rematch on it gets exactly the updates a run watching it all along got, and its
    first books are the recording's at that moment, not its opening snapshot."""
    plain, owner, opening = await played_through()
    busy, _ = Counter(owner[b.contract_id] for _, b in plain.updates).most_common(1)[0]
    kalshi = {c for c, g in owner.items() if g == busy and c.startswith("KX")}
    theirs = _of(plain.updates, kalshi)
    halfway = theirs[len(theirs) // 2][0]
    # the last update of another game before then: the late run sees it too (not the game's)
    others = {c for c, g in owner.items() if g != busy}
    trigger = max(at for at, b in plain.every if b.contract_id in others and at < halfway)

    results: list[Any] = []

    def add_it(engine: Engine, at: Any) -> None:
        if not results and at >= trigger:
            results.append((engine.rematch(real), at, engine.unstreamed()))

    late = KalshiUpdates(on_event=add_it)
    engine = _sample([late])
    real = engine.matcher
    engine.scanner.matcher = Without(real, {busy})
    await engine.start()
    assert busy not in engine.shards
    fetched: dict[str, Any] = {}
    async for _change in engine.watch():
        if results and not fetched:  # the watch's consumer fetches the new game's books
            await engine.start_games(results[0][0].added)
            fetched = {c: engine.book(c) for c in kalshi}
            fetched_at = engine.now()
    await engine.close(RunEnd(RunStatus.COMPLETED))

    [(done, added_at, unstreamed)] = results
    assert done.added == {busy} and done.unstreamed == frozenset() and unstreamed == set()
    got = _of(late.updates, kalshi)
    assert got and all(at >= added_at for at, _ in got)  # nothing of it before the rematch
    after = [(at, b) for at, b in theirs if at > added_at]
    assert after and [u for u in got if u[0] > added_at] == after  # then all of them
    assert added_at == trigger and len(after) >= len(theirs) // 2
    for contract, first in fetched.items():  # the books as the stream had moved them
        before = [b for at, b in _of(plain.updates, {contract}) if at < fetched_at]
        same_ms = [b for at, b in _of(plain.updates, {contract}) if at == fetched_at]
        assert first in [before[-1] if before else opening[contract], *same_ms]
    assert any(fetched[c] != opening[c] for c in kalshi)  # moved since the opening snapshot
    assert engine.unstreamed() == set()  # no stream runs any more


async def test_a_game_dropped_during_a_replay_is_silent_from_then_on() -> None:
    """Rejected in the middle of the replay: its updates are no longer passed on (the listeners,
    a recorder say, hear only the watched games), the others' go on as before."""
    plain, owner, _ = await played_through()
    busy, _ = Counter(owner[b.contract_id] for _, b in plain.updates).most_common(1)[0]
    theirs = [at for at, b in plain.updates if owner[b.contract_id] == busy]
    halfway = theirs[len(theirs) // 2]
    dropped: list[Any] = []

    def drop_it(engine: Engine, at: Any) -> None:
        if not dropped and at >= halfway:
            dropped.append((engine.rematch(Without(engine.matcher, {busy})), at))

    late = KalshiUpdates(on_event=drop_it)
    engine = _sample([late])
    await engine.start()
    async for _change in engine.watch():
        pass
    await engine.close(RunEnd(RunStatus.COMPLETED))
    [(done, at_drop)] = dropped
    assert busy not in engine.shards and not done.added
    mine = [at for at, b in late.updates if owner.get(b.contract_id) == busy]
    assert mine and max(mine) <= at_drop < max(theirs)  # heard until the rejection, then not
    others = [(at, b) for at, b in plain.updates if owner[b.contract_id] != busy]
    assert [(at, b) for at, b in late.updates if owner.get(b.contract_id) != busy] == others
