"""The orchestrator side of ``--bus``: the engine discovers, matches and reads the venue feeds;
the games' shards run on workers.

The engine runs as in one process (:mod:`arbkit.engine`): the same discovery, matching, cut-offs,
rediscovery and feeds. Only its shards are remote: a :class:`RemoteShard` keeps the game's books
(the engine's book look-ups still work) but, instead of evaluating, appends each event to the
game's stream. Workers run the real :class:`~arbkit.scan.shard.GameShard` for the game and commit
its changes; a reader task hands those to the engine's sinks (printers, store, hooks), so a
``--bus`` run reports through exactly the output of a single-process one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from arbkit.bus import streams
from arbkit.bus.codec import Codec, book_to_wire, plugin_packages
from arbkit.bus.settings import BusSettings
from arbkit.bus.wire import BusError, connect, decode, encode, redact_url
from arbkit.engine.sinks import RunStatus, Sink
from arbkit.fees import FeeModel
from arbkit.models import Market, MatchResult, OrderBook
from arbkit.scan.orchestrator import Scanner
from arbkit.scan.shard import Change, ChangeKind, GameShard
from arbkit.strategy import GameState, Strategy
from arbkit.streaming import StreamEvent

if TYPE_CHECKING:
    import redis.asyncio

    from arbkit.engine.core import Engine

log = logging.getLogger(__name__)

#: send the outbox once this many messages wait; otherwise when the feed paused for
#: FLUSH_SECONDS, and at the latest FLUSH_MAX_SECONDS after the oldest message was queued
#: (a busy feed sends big batches, a quiet one at once: Nagle's rule, in short)
FLUSH_BATCH = 1024
FLUSH_SECONDS = 0.002
FLUSH_MAX_SECONDS = 0.005
#: with work outstanding and no worker commit for this long, the run fails (no workers?)
STALL_SECONDS = 30.0


class BusLink:
    """One run's connection to the bus: the outbox, what each game was sent and has done.

    Background failures (the bus lost, a worker's unreadable message) are kept in
    :attr:`failure` and stop the engine; the command then reports them as one line.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        url: str,  #: for messages: without its password
        codec: Codec,
        *,
        run_id: str | None = None,
        stall_seconds: float = STALL_SECONDS,
        measure: bool = False,
        lockstep: bool = False,
    ) -> None:
        self.client = client
        self.url = url
        self.codec = codec
        self.keys = streams.RunKeys(run_id or uuid.uuid4().hex[:16])
        self.stall_seconds = stall_seconds
        self.outbox: list[tuple[str, str, Mapping[str, Any]]] = []  #: (game, kind, body)
        self.assignments: list[dict[str, str]] = []  #: assignment entries not yet sent
        self.sent: dict[str, int] = {}  #: game → messages sent
        self.done: dict[str, int] = {}  #: game → messages its worker committed
        self.active: set[str] = set()  #: assigned games not yet stopped or released
        self.shards: dict[str, RemoteShard] = {}
        self.failure: BaseException | None = None
        self.matcher: Any = None  #: the matching service's client, closed with the run
        self.engine: Engine | None = None
        self.dispatch: Callable[[Change], None] = lambda change: None
        self.latencies: list[float] | None = [] if measure else None  #: seconds, book → commit
        #: changes are handed on only once every message sent is committed, in the order the
        #: games were sent their messages (see :meth:`catch_up`)
        self.lockstep = lockstep
        self._step: dict[str, int] = {}  #: lockstep: game → when it was first sent to this step
        self._held: list[tuple[str, Change]] = []  #: lockstep: committed, not yet handed on
        self._caught_up: asyncio.Event | None = None
        self._sent_at: dict[tuple[str, int], float] = {}
        self._flush_lock = asyncio.Lock()
        self._last_commit = time.monotonic()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._in_flight = 0

    # -- messages ---------------------------------------------------------------------------------

    def send(self, game_id: str, kind: str, body: Mapping[str, Any]) -> None:
        """Queue one message for ``game_id``'s stream (sent by the next flush, in order)."""
        count = self.sent.get(game_id, 0) + 1
        self.sent[game_id] = count
        self._step.setdefault(game_id, len(self._step))
        self._in_flight += 1
        self.outbox.append((game_id, kind, body))
        if self.latencies is not None and kind == "book":
            self._sent_at[(game_id, count)] = time.perf_counter()

    def assign(self, game_id: str) -> None:
        """Queue the game's assignment (a worker that takes it reads the game's stream)."""
        self.active.add(game_id)
        self.assignments.append(encode("assign", {"run": self.keys.run_id, "game": game_id}))

    async def flush(self) -> None:
        """Send the outbox: per game, its queued messages as ONE stream entry (a batch, in
        order), then the new assignments, in one pipeline; one flush at a time."""
        async with self._flush_lock:
            while self.outbox or self.assignments:
                batch, self.outbox = self.outbox[:FLUSH_BATCH], self.outbox[FLUSH_BATCH:]
                assignments, self.assignments = self.assignments, []
                games: dict[str, list[list[Any]]] = {}
                for game_id, kind, body in batch:
                    games.setdefault(game_id, []).append([kind, body])
                pipe = self.client.pipeline(transaction=False)
                for game_id, messages in games.items():
                    fields = encode("batch", {"m": messages})
                    pipe.xadd(self.keys.game(game_id), fields, maxlen=streams.GAME_MAXLEN)  # type: ignore[arg-type]
                for fields in assignments:
                    pipe.xadd(streams.ASSIGN, fields, maxlen=streams.ASSIGN_MAXLEN)  # type: ignore[arg-type]
                await self._call(pipe.execute())

    def in_flight(self) -> int:
        """Messages sent and not yet committed by a worker."""
        return self._in_flight

    async def pump(self) -> None:
        """After each event: send a full outbox; wait while workers are too far behind."""
        self.raise_failure()
        if len(self.outbox) >= FLUSH_BATCH:
            await self.flush()
        while self.in_flight() > streams.IN_FLIGHT:
            await self.flush()
            await self._wait_for_commits()

    async def _wait_for_commits(self) -> None:
        await asyncio.sleep(0.001)
        self.raise_failure()
        if time.monotonic() - self._last_commit > self.stall_seconds:
            raise BusError(
                f"no worker committed anything for {self.stall_seconds:g} s with "
                f"{self.in_flight()} messages waiting: is `arbkit worker --bus {self.url}` running?"
            )

    async def catch_up(self) -> None:
        """Lockstep: send the outbox, wait until the workers committed every message, then
        hand their changes on, game by game in the order the games were sent messages — the
        order one process evaluates them in. A trader then decides on each event's changes
        before the next event is applied, with the books of that moment, as in one process."""
        await self.flush()
        while self.in_flight() > 0:
            waiter = self._caught_up = asyncio.Event()
            try:
                await asyncio.wait_for(waiter.wait(), timeout=0.25)
            except TimeoutError:
                pass
            await self._wait_for_commits()
        self._hand_on()

    def _hand_on(self) -> None:
        held, self._held = self._held, []
        step, self._step = self._step, {}
        held.sort(key=lambda item: step.get(item[0], len(step)))  # stable: a game's in order
        for _game_id, change in held:
            self.dispatch(change)

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    # -- the run ----------------------------------------------------------------------------------

    async def open(self, strategies: Sequence[Strategy]) -> None:
        """Write the run's settings and start the flusher, reader and heartbeat tasks."""
        meta = {"strategies": [[s.name, self.codec.dump(s.settings)] for s in strategies]}
        await self._call(self._open(meta))
        loop = asyncio.get_running_loop()
        for job in (self._reader, self._flusher, self._heartbeat):
            self._tasks.append(loop.create_task(self._guard(job)))

    async def _open(self, meta: dict[str, Any]) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.keys.meta, json.dumps(meta), ex=streams.ALIVE_SECONDS * 4)
        pipe.set(self.keys.alive, "1", ex=streams.ALIVE_SECONDS)
        await pipe.execute()

    async def settle(self) -> None:
        """The run's events are over: release every game and wait until workers committed all."""
        self._release_all()
        await self.flush()
        while self.in_flight() > 0:
            await self._wait_for_commits()
        self._hand_on()

    async def close(self) -> None:
        """Release what still runs (an interrupted run), stop the tasks, remove the run's keys."""
        self._release_all()
        try:
            if self.failure is None:
                await self.flush()
        except BusError as exc:
            log.info("bus: could not release the run's games: %s", exc)
        finally:
            await self._stop_tasks()
            await self._cleanup()

    async def _stop_tasks(self) -> None:
        """The reader stops by itself within one read (a cancelled blocking read can hang in
        the client); the flusher and the heartbeat are cancelled in their sleep."""
        self._closing = True
        reader, *others = self._tasks
        for task in others:
            task.cancel()
        await asyncio.wait(self._tasks, timeout=2)
        reader.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _release_all(self) -> None:
        for game_id in sorted(self.active):
            self.send(game_id, "release", {})
        self.active.clear()

    async def _cleanup(self) -> None:
        if self.matcher is not None:
            self.matcher.close()
        keys = [self.keys.meta, self.keys.alive, self.keys.changes, self.keys.progress]
        keys += [self.keys.snapshots, *(self.keys.game(g) for g in self.sent)]
        try:
            await self.client.delete(*keys)
            await self.client.aclose()
        except Exception as exc:  # noqa: BLE001 - the run is over; a lost bus only leaves keys
            log.info("bus: could not remove the run's keys: %s", exc)

    async def _guard(self, job: Callable[[], Any]) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any background failure stops the run
            self.failure = exc if isinstance(exc, BusError) else BusError(f"bus: {exc}")
            if self.engine is not None and self.engine.end is None:  # not once it is closing:
                self.engine.stop(RunStatus.FAILED)  # a cancel there would skip the sinks' end

    async def _flusher(self) -> None:
        queued = 0
        oldest = time.monotonic()
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            waiting = len(self.outbox) + len(self.assignments)
            if not waiting:
                queued = 0
                continue
            if queued == 0:
                oldest = time.monotonic()
            paused = waiting == queued  # nothing queued since the last tick
            if paused or time.monotonic() - oldest >= FLUSH_MAX_SECONDS:
                await self.flush()
                queued = 0
            else:
                queued = waiting

    async def _heartbeat(self) -> None:
        """Keep the run alive for the workers; notice a Redis that lost the run (a restart)."""
        while True:
            pipe = self.client.pipeline(transaction=True)
            pipe.expire(self.keys.alive, streams.ALIVE_SECONDS)
            pipe.expire(self.keys.meta, streams.ALIVE_SECONDS * 4)
            refreshed, _ = await self._call(pipe.execute())
            if not refreshed:
                raise BusError(
                    f"the bus at {self.url} lost this run (Redis restarted or was flushed); "
                    "the run stopped, its results are incomplete"
                )
            await asyncio.sleep(0.5)

    async def _reader(self) -> None:
        """Hand the workers' committed changes to the engine's sinks, in commit order."""
        last = "0-0"
        while not self._closing:
            reply = await self._call(
                self.client.xread({self.keys.changes: last}, count=500, block=100)
            )
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id
                    self._commit(fields)

    def _commit(self, fields: Mapping[bytes, bytes]) -> None:
        _kind, body = decode(fields)
        now = time.perf_counter()
        self._last_commit = time.monotonic()
        for game_id, count, changes, error in body["games"]:
            if error:
                raise BusError(f"worker {body['worker']} could not run game {game_id}: {error}")
            before = self.done.get(game_id, 0)
            self.done[game_id] = count
            self._in_flight -= count - before
            if self.latencies is not None:
                for n in range(before + 1, count + 1):
                    sent_at = self._sent_at.pop((game_id, n), None)
                    if sent_at is not None:
                        self.latencies.append(now - sent_at)
            shard = self.shards.get(game_id)
            for data in changes:
                change = self.codec.load(data)
                if shard is not None:
                    shard.record(change)
                if self.lockstep:
                    self._held.append((game_id, change))
                else:
                    self.dispatch(change)
        if self._caught_up is not None and self._in_flight <= 0:
            self._caught_up.set()

    async def _call(self, awaitable: Any) -> Any:
        """Await a Redis call; a lost connection is a one-line BusError."""
        import redis.exceptions

        try:
            return await awaitable
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise BusError(f"lost the bus at {self.url}: {exc}") from None
        except redis.exceptions.ResponseError as exc:
            raise BusError(f"the bus at {self.url} refused a command: {exc}") from None


class RemoteShard(GameShard):
    """A game whose strategies run on a worker: books kept here, events sent to its stream.

    Every method that would evaluate sends the event instead and returns no changes; the
    changes arrive later from the worker's commit (:meth:`record` keeps ``current`` in step).
    """

    def __init__(self, match: MatchResult, link: BusLink) -> None:
        super().__init__(match, ())
        self.link = link
        self.assigned = False
        link.shards[self.game_id] = self

    def _send(self, kind: str, body: dict[str, Any]) -> None:
        self.link.send(self.game_id, kind, body)

    def record(self, change: Change) -> None:
        """A change the worker committed: what is open right now, for the engine's views."""
        opportunity = change.opportunity
        if opportunity is None:
            return
        if change.kind in (ChangeKind.APPEARED, ChangeKind.CHANGED):
            self.current[opportunity.key] = opportunity
        elif change.kind is ChangeKind.VANISHED:
            self.current.pop(opportunity.key, None)

    def set_book(self, book: OrderBook) -> None:
        super().set_book(book)
        if self.assigned:
            self._send("set", {"b": book_to_wire(book)})

    def on_book(self, book: OrderBook, now: datetime | None) -> list[Change]:
        GameShard.set_book(self, book)
        self._send("book", {"b": book_to_wire(book), "at": _iso(now)})
        return []

    def on_continuity_lost(
        self, contract_ids: Sequence[str], now: datetime | None, reason: str
    ) -> list[Change]:
        ours = [c for c in contract_ids if c in self.state.contracts]
        if ours:
            self.state.suspect.update(ours)
            self._send("lost", {"ids": ours, "reason": reason, "at": _iso(now)})
        return []

    def on_continuity_restored(
        self, contract_ids: Sequence[str], now: datetime | None
    ) -> list[Change]:
        ours = [c for c in contract_ids if c in self.state.suspect]
        if ours:
            self.state.suspect.difference_update(ours)
            self._send("restored", {"ids": ours, "at": _iso(now)})
        return []

    def rematch(self, match: MatchResult, now: datetime | None) -> list[Change]:
        old = self.state
        self.state = GameState.for_match(match)
        self.state.books = {c: b for c, b in old.books.items() if c in self.state.contracts}
        self.state.suspect = {c for c in old.suspect if c in self.state.contracts}
        self._send("rematch", {"match": self.link.codec.dump(match), "at": _iso(now)})
        return []

    def on_fees_changed(
        self, venue: str, market_ids: Sequence[str], fees: FeeModel, now: datetime | None
    ) -> list[Change]:
        if self.state.replace_fees(venue, market_ids, fees):
            body = {"venue": venue, "ids": list(market_ids), "at": _iso(now)}
            self._send("fees", {**body, "fees": self.link.codec.dump(fees)})
        return []

    def evaluate(self, now: datetime | None) -> list[Change]:
        if self.assigned:
            self._send("eval", {"at": _iso(now)})
            return []
        self.assigned = True
        self._send(
            "start",
            {
                "match": self.link.codec.dump(self.state.match),
                "books": [book_to_wire(b) for b in self.state.books.values()],
                "suspect": sorted(self.state.suspect),
                "at": _iso(now),
            },
        )
        self.link.assign(self.game_id)
        return []

    def stop(self, now: datetime | None, reason: str) -> list[Change]:
        if self.assigned:
            self._send("stop", {"reason": reason, "at": _iso(now)})
            self.link.active.discard(self.game_id)
        return []


class BusScanner(Scanner):
    """The engine's scanner with remote shards: discovery, matching and routing unchanged."""

    def __init__(self, link: BusLink, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = link

    @classmethod
    def replacing(cls, scanner: Scanner, link: BusLink) -> BusScanner:
        return cls(
            link,
            venues=scanner.venues,
            matcher=scanner.matcher,
            strategies=scanner.strategies,
            clock=scanner.clock,
            options=scanner.options,
            progress=scanner.progress,
            on_event=scanner.on_event,
        )

    def build_shards(self) -> list[Change]:
        changes = super().build_shards()
        for game_id, shard in list(self.shards.items()):
            if not isinstance(shard, RemoteShard):
                remote = RemoteShard(shard.state.match, self.link)
                self.shards[game_id] = remote
                for contract_id in remote.contract_ids():
                    self._by_contract[contract_id] = remote
        return changes


class BusSession:
    """The engine's session, with the outbox pumped after every event and the workers waited
    for when the events end, so the engine's run ends only once every change is in.

    ``one_shot``: no events at all, only that wait (a one-shot scan runs the engine's watch on
    this empty stream: the first evaluation, then the workers' answers). With the link in
    lockstep (a trading replay), each event waits until the previous one's changes are in.
    """

    def __init__(self, inner: Any, link: BusLink, *, one_shot: bool = False) -> None:
        self.inner = inner
        self.link = link
        self.one_shot = one_shot
        self.venues = inner.venues
        self.clock = inner.clock
        self.live = inner.live

    async def events(self, markets: Mapping[str, Sequence[Market]]) -> AsyncIterator[StreamEvent]:
        if not self.one_shot:
            stream = self.inner.events(markets).__aiter__()
            try:
                async for event in stream:
                    if self.link.lockstep:  # the last event's changes are in and handed on
                        await self.link.catch_up()
                    yield event  # the engine applies it: its messages are queued
                    await self.link.pump()
            finally:
                await stream.aclose()
        await self.link.settle()

    async def aclose(self) -> None:
        await self.inner.aclose()


class BusSink(Sink):
    """Feeds the workers' changes to the engine's other sinks and settles the run at its end."""

    def __init__(self, link: BusLink) -> None:
        self.link = link

    def started(self, engine: Engine) -> None:
        others = [sink for sink in engine.sinks if sink is not self]

        def dispatch(change: Change) -> None:
            for sink in others:
                sink.change(change)

        self.link.dispatch = dispatch

    async def drain(self) -> None:
        await self.link.close()


async def attach_bus(
    engine: Engine,
    url: str,
    pm: Any,
    *,
    one_shot: bool = False,
    remote_matcher: bool = True,
    matcher_timeout: float | None = None,
    **options: Any,
) -> BusLink:
    """Turn ``engine`` into an orchestrator on the bus at ``url``; returns the run's link.

    Run the engine with ``watch=True`` afterwards, also for a one-shot scan (``one_shot``).
    ``remote_matcher=False``: the caller sets the engine's matcher up itself (a trader's
    :class:`~arbkit.bus.trading.BusTrading` does, with its gate listening to the breaker).
    ``matcher_timeout``: seconds a match request may take (default: ``ARBKIT_MATCHER_TIMEOUT``,
    else 10; see :class:`~arbkit.bus.settings.BusSettings`).
    """
    link = BusLink(connect(url), redact_url(url), Codec(plugin_packages(pm)), **options)
    link.engine = engine
    engine.scanner = BusScanner.replacing(engine.scanner, link)
    if remote_matcher:
        if matcher_timeout is None:
            matcher_timeout = BusSettings.read(os.environ).matcher_timeout
        link.matcher = use_remote_matcher(engine, url, matcher_timeout)
    engine.session = BusSession(engine.session, link, one_shot=one_shot)  # type: ignore[assignment]
    engine.attach(BusSink(link))
    await link.open(engine.scanner.strategies)
    return link


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def use_remote_matcher(engine: Engine, url: str, timeout: float) -> Any:
    """Under ``--bus`` the engine asks the one matching service (``arbkit serve matcher``),
    never a matcher of its own, waiting ``timeout`` seconds for an answer. While the service
    cannot answer (its circuit breaker is open), the games already watched are kept and no new
    game is added."""
    from arbkit.bus.matcher import RemoteMatcher
    from arbkit.bus.trading import KeepWatching

    remote = RemoteMatcher(url, timeout=timeout, min_confidence=engine.options.min_confidence)
    engine.scanner.matcher = KeepWatching(remote, lambda: engine.scanner.matches)
    return remote
