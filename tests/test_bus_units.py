"""The bus's parts, in process, against a real redis-server: the codec, the commit fence, stalls.

The codec must carry the sample's matched games (markets with both venues' fee models) and the
opportunities found on them exactly, and must refuse to build anything outside arbkit and its
venue plugins. The commit script is the fence that makes a take-over exactly-once: a worker
that was paused (not dead) and wakes up after its game was taken over must not report that
game's changes a second time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bus_helpers import MatcherProcess
from redis_helpers import RedisServer, redis_server  # noqa: F401

from arbkit.bus import streams
from arbkit.bus.codec import Codec, book_from_wire, book_to_wire, plugin_packages
from arbkit.bus.orchestrator import BusLink, RemoteShard, attach_bus
from arbkit.bus.wire import BusError, connect, decode, encode
from arbkit.bus.worker import Worker
from arbkit.engine import Engine, EngineSettings, build_engine
from arbkit.models import OrderBook
from arbkit.plugins import make_plugin_manager
from arbkit.scan.shard import Change, ChangeKind


@pytest.fixture(scope="module")
def pm() -> Any:
    return make_plugin_manager()


@pytest.fixture
async def sample(pm: Any) -> AsyncIterator[Engine]:
    """The sample evening, discovered, matched and with its first books: no run, no bus."""
    engine = build_engine(pm, EngineSettings(sample=True))
    await engine.start()
    try:
        yield engine
    finally:
        await engine.session.aclose()


async def test_the_codec_carries_games_and_opportunities_exactly(sample: Engine, pm: Any) -> None:
    codec = Codec(plugin_packages(pm))
    fee_models = {type(m.fees).__name__ for r in sample.matches for m in r.markets}
    assert {"PolymarketFees", "KalshiFees"} <= fee_models  # plugins' classes, not only arbkit's
    for match in sample.matches:
        sent = json.loads(json.dumps(codec.dump(match)))
        assert codec.load(sent) == match
    opportunities = [o for s in sample.shards.values() for o in s.evaluate(sample.now())]
    assert opportunities
    for change in opportunities:
        assert codec.load(json.loads(json.dumps(codec.dump(change)))) == change
    for book in sample.books():
        assert book_from_wire(json.loads(json.dumps(book_to_wire(book)))) == book


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("os:system", "outside arbkit"),
        ("arbkit.models:NoSuchThing", "not installed"),
        ("arbkit.bus.worker:Worker", "not a domain value"),
    ],
)
def test_the_codec_builds_only_domain_values(path: str, says: str) -> None:
    with pytest.raises(BusError, match=says):
        Codec().load({"$": "a", "c": path, "f": {}})


def test_a_message_of_another_schema_version_is_refused() -> None:
    fields = encode("book", {"x": 1})
    assert decode(fields) == ("book", {"x": 1})
    with pytest.raises(BusError, match="schema version '2'"):
        decode({**fields, "v": "2"})


async def test_a_paused_worker_cannot_report_a_taken_over_game_twice(
    redis_server: RedisServer,  # noqa: F811
    sample: Engine,
    pm: Any,
) -> None:
    link = BusLink(connect(redis_server.url), redis_server.url, Codec(plugin_packages(pm)))
    seen: list[Change] = []
    link.dispatch = seen.append
    await link.open(sample.scanner.strategies)
    first = Worker(connect(redis_server.url), pm, name="first", reclaim_after=0.05)
    second = Worker(connect(redis_server.url), pm, name="second", reclaim_after=0.05)
    await first._ensure_group()
    # a game with an opportunity in its first books
    local = next(s for s in sample.shards.values() if s.evaluate(sample.now()))
    (opportunity,) = local.current.values()
    game = RemoteShard(local.state.match, link)
    for book in local.state.books.values():
        game.set_book(book)
    game.evaluate(sample.now())
    await link.flush()
    await first.step()  # adopts the game, reports the opportunity
    await _until(lambda: link.done.get(game.game_id) == 1)
    leg = opportunity.legs[0]
    gone = OrderBook(venue=leg.venue, contract_id=leg.contract_id, bids=(), asks=())
    game.on_book(gone, sample.now())  # the edge vanishes ...
    await link.flush()
    await asyncio.sleep(0.1)  # ... while the first worker is paused: its claim goes idle
    await second.heartbeat()  # the second takes the game over
    assert second.taken_over == 1
    await second.process()
    await _until(lambda: link.done.get(game.game_id) == 2)
    await first.process()  # the first wakes up, applies the same message, tries to commit
    assert first.games == {}  # the fence refused it: the game is not its own any more
    await asyncio.sleep(0.3)
    assert [(c.kind, c.opportunity) for c in seen] == [
        (ChangeKind.APPEARED, opportunity),
        (ChangeKind.VANISHED, opportunity),
    ]
    (holder,) = (await second.client.xpending(streams.ASSIGN, streams.GROUP))["consumers"]
    assert holder["name"] == b"second"
    await link.close()
    for worker in (first, second):
        await worker.client.aclose()


async def test_without_workers_the_run_fails_with_one_line(
    redis_server: RedisServer,  # noqa: F811
    pm: Any,
    tmp_path: Path,
) -> None:
    engine = build_engine(pm, EngineSettings(sample=True))
    link = await attach_bus(engine, redis_server.url, pm, stall_seconds=0.3)
    matcher = MatcherProcess(redis_server.url, tmp_path / "matcher.db")
    try:
        with pytest.raises(BusError, match=r"no worker committed .* is `arbkit worker --bus"):
            await engine.run(watch=True)
    finally:
        matcher.stop()
    assert link.failure is None  # it was the run's own wait, not a lost bus
    assert engine.end is not None and engine.end.status.value == "failed"


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")
