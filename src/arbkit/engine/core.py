"""The engine: one running pipeline that every front end (scan, trade, backtest, TUI) reuses.

It owns the session (live venues or a recording, and with it the clock), discovery and
rediscovery, matching, the shards and their strategies, and hands every change to its sinks.
A front end builds an engine (see :func:`arbkit.engine.build_engine`), attaches its sinks — a
printer, the store, later the risk gate — and runs it.

Rediscovery is scheduled on the engine's clock. A recording is never re-discovered: that would
restart its stream, so a replay runs until its stream ends.

:meth:`Engine.rematch` matches the markets the engine has again (after a match was confirmed or
rejected, say): a live stream is subscribed again at once with the new games' markets. A
recording's stream is opened once; a session that can change what it passes on while it plays
(``resubscribe``, the built-in replay's) gets the new markets, and the game its updates from
that moment of the recording on. A replay player without it may not update such a game
(:meth:`Engine.unstreamed` names them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from arbkit.engine.heap import HeapSettler
from arbkit.engine.session import Session
from arbkit.engine.sinks import RunEnd, RunStatus, Sink
from arbkit.models import Market, MatchResult, Opportunity, OrderBook
from arbkit.scan.orchestrator import Matcher, Scanner, ScanOptions
from arbkit.scan.shard import Change, GameShard
from arbkit.strategy import Strategy

log = logging.getLogger(__name__)


@frozen
class Rematch:
    """What :meth:`Engine.rematch` did."""

    changes: tuple[Change, ...]  #: handed to the sinks: stopped games, their vanished rows
    added: frozenset[str]  #: games newly watched (their books: :meth:`Engine.start_games`)
    #: added games whose markets the running stream was not opened with (a replay's)
    unstreamed: frozenset[str] = frozenset()


class Engine:
    """Discover → match → shards → strategies → changes, handed to sinks.

    Args:
        session: the venues, their clock and book events (:mod:`arbkit.engine.session`).
        matcher: the matching service (built with the options' ``min_confidence``).
        strategies: strategy instances, evaluated on every book update of a game.
        options: what to scan and when a game stops being watched.
        sinks: consumers of the run; more can be attached with :meth:`attach`.
        progress: a callable for one-line progress messages (stderr in the CLI).
    """

    def __init__(
        self,
        *,
        session: Session,
        matcher: Matcher,
        strategies: Sequence[Strategy],
        options: ScanOptions | None = None,
        sinks: Iterable[Sink] = (),
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.clock = session.clock
        self.options = options or ScanOptions()
        self.sinks: list[Sink] = list(sinks)
        self.scanner = Scanner(
            venues=session.venues,
            matcher=matcher,
            strategies=strategies,
            clock=self.clock,
            options=self.options,
            progress=progress,
        )
        self.end: RunEnd | None = None
        self._listeners: list[Sink] = []  #: sinks that see every stream event
        self._task: asyncio.Task[object] | None = None
        self._stop_status = RunStatus.INTERRUPTED
        self._subscribed: set[str] | None = None  #: contracts the running stream delivers
        self._subscribe_again = False  #: a rematch added games to a live stream
        self._wake: asyncio.Future[None] | None = None  #: wakes a live watch waiting for events

    def attach(self, sink: Sink) -> Sink:
        self.sinks.append(sink)
        return sink

    # -- what the engine knows (for printers and reports) ---------------------------------------

    @property
    def venues(self) -> list[str]:
        return [venue.name for venue in self.session.venues]

    @property
    def markets(self) -> list[Market]:
        return self.scanner.markets

    @property
    def matches(self) -> list[MatchResult]:
        return self.scanner.matches

    @property
    def shards(self) -> dict[str, GameShard]:
        return self.scanner.shards

    @property
    def matcher(self) -> Matcher:
        return self.scanner.matcher

    @property
    def near_misses(self) -> list[Any]:
        """The last match's near-misses (the matcher's report), for reviewing matches."""
        return self.scanner.near_misses

    def unstreamed(self) -> set[str]:
        """Watched games with a contract the running stream was not opened with, so it may not
        deliver its updates: added by a rematch during a replay (or, live, until the stream is
        subscribed again). Empty while no stream runs."""
        subscribed = self._subscribed
        if subscribed is None:
            return set()
        return {
            game_id
            for game_id, shard in self.scanner.shards.items()
            if any(c not in subscribed for c in shard.contract_ids())
        }

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """(game, reason) pairs the engine does not watch."""
        return self.scanner.skipped

    @property
    def failures(self) -> dict[str, str]:
        """Venue → why it is not being heard from right now."""
        return self.scanner.failures

    def opportunities(self) -> list[Opportunity]:
        """Every opportunity open right now, most profitable first."""
        return self.scanner.opportunities()

    def book(self, contract_id: str) -> OrderBook | None:
        """The current book of one contract of a watched game (the trader's book lookup)."""
        shard = self.scanner.shard_for(contract_id)
        return None if shard is None else shard.state.books.get(contract_id)

    def market(self, contract_id: str) -> Market | None:
        """The market (with its current fee model) of one contract of a watched game."""
        shard = self.scanner.shard_for(contract_id)
        return None if shard is None else shard.state.markets.get(contract_id)

    def books(self) -> list[OrderBook]:
        return [book for shard in self.shards.values() for book in shard.state.books.values()]

    def now(self) -> datetime:
        return self.clock.now()

    # -- matching again ----------------------------------------------------------------------

    def rematch(self, matcher: Matcher | None = None) -> Rematch:
        """Match the markets the engine has again (with ``matcher`` from now on) and hand the
        changes to every sink at once: a game no longer matched stops, so its opportunities
        vanish for every sink (a trader included) in this call.

        Newly matched games are watched from now on: fetch their books with :meth:`start_games`.
        A live stream is subscribed again with their markets (the watch wakes for it). A
        replay's stream is not restarted (it would play from the start again): the session's
        ``resubscribe`` passes their events on from now; a session without one leaves them in
        ``unstreamed``. Call it on the engine's loop (a sink or a task of it), like everything
        that touches the engine.
        """
        changes, added = self.scanner.rematch(matcher)
        self._emit(changes)
        unstreamed: set[str] = set()
        if self.session.live:
            if added:
                self._subscribe_again = True
                wake = self._wake
                if wake is not None and not wake.done():
                    wake.set_result(None)
        elif self._subscribed is not None:
            self._resubscribe_replay()
            unstreamed = added & self.unstreamed()
        return Rematch(tuple(changes), frozenset(added), frozenset(unstreamed))

    def _resubscribe_replay(self) -> None:
        """Tell a running replay which markets the engine watches now, if it can be told."""
        resubscribe = getattr(self.session, "resubscribe", None)
        markets = self.scanner.markets_by_venue()
        if resubscribe is not None and resubscribe(markets):
            self._subscribed = _contracts(markets)

    async def start_games(self, games: Iterable[str]) -> list[Change]:
        """Fetch the current books of newly watched ``games``, evaluate them once and hand the
        changes to the sinks (after :meth:`rematch`)."""
        changes = await self.scanner.start_games(set(games))
        self._emit(changes)
        return changes

    # -- running ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Discover, match, start the shards and load their first books."""
        self._listeners = [sink for sink in self.sinks if sink.wants_events]
        if self._listeners:
            self.scanner.on_event = self._event  # only pay per message when a sink listens
        await self.scanner.prepare()
        for sink in self.sinks:
            sink.started(self)

    def evaluate(self) -> list[Change]:
        """Evaluate every game once (a one-shot scan), handing the changes to the sinks."""
        changes = self.scanner.evaluate_all()
        self._emit(changes)
        return changes

    async def watch(self) -> AsyncIterator[Change]:
        """Every change from now on: the first evaluation, then each stream event's effect.

        Live sessions are re-discovered every ``options.rediscover_every`` on the engine's
        clock; the watch ends when the session's stream does (a replay) or when cancelled.
        While it runs, the state built so far is kept out of the garbage collector's full
        collections (:mod:`arbkit.engine.heap`), so a message costs the same at any game count.
        """
        heap = HeapSettler()
        try:
            for change in self.evaluate():
                yield change
            every = self.options.rediscover_every if self.session.live else None
            live = self.session.live
            scanner = self.scanner
            due = None if every is None else self.clock.now() + every
            while True:
                heap.settle()  # markets, shards and first books are built: long-lived
                markets = scanner.markets_by_venue()
                self._subscribe_again = False
                self._subscribed = _contracts(markets)
                events = self.session.events(markets).__aiter__()
                seeded = False  # the feed seeds its decoders with every book on its first event
                rediscover = False
                try:
                    while True:
                        try:
                            if not live:  # a replay: no timer per event
                                event = await anext(events)
                            else:
                                event = await self._next_live(events, due)
                                if event is None:  # a rematch added games: subscribe again
                                    break
                        except StopAsyncIteration:
                            return
                        except TimeoutError:
                            rediscover = True
                            break
                        if not seeded:
                            heap.settle()  # the decoders' seeded books are long-lived too
                            seeded = True
                        changes = scanner.apply(event)
                        if changes:
                            self._emit(changes)
                            for change in changes:
                                yield change
                        if due is not None and self.clock.now() >= due:
                            rediscover = True
                            break
                        if self._subscribe_again:
                            break
                finally:
                    await events.aclose()  # type: ignore[attr-defined]
                if not rediscover:
                    continue  # only the subscription changes: rediscovery stays on schedule
                changes = await scanner.refresh()
                heap.renew()  # one full collection a rediscovery period, then frozen again
                self._emit(changes)
                for change in changes:
                    yield change
                due = None if every is None else self.clock.now() + every
        finally:
            self._subscribed = None
            heap.release()

    async def _next_live(
        self, events: AsyncIterator[object], due: datetime | None
    ) -> object | None:
        """The next event of a live stream; None as soon as a rematch asks for the stream to
        be subscribed again. Raises TimeoutError at ``due`` (the next rediscovery), or
        StopAsyncIteration when the stream ends."""
        if self._subscribe_again:
            return None
        wake = self._wake
        if wake is None or wake.done():
            wake = self._wake = asyncio.get_running_loop().create_future()
        timeout = None if due is None else max(0.0, (due - self.clock.now()).total_seconds())
        step = asyncio.ensure_future(anext(events))
        try:
            done, _ = await asyncio.wait(
                (step, wake), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not step.done():  # woken, timed out or cancelled: the stream's wait ends too
                step.cancel()
                await asyncio.gather(step, return_exceptions=True)
        if step in done:
            return step.result()
        if wake in done:
            return None
        raise TimeoutError

    async def run(self, *, watch: bool = False) -> RunEnd:
        """Start, evaluate once or watch, then close; every sink hears how the run ended.

        Cancelling the task (or :meth:`stop`) ends a watch cleanly: the sinks are told, the
        venues closed, and the run ends with status INTERRUPTED (or the status given to stop).
        """
        self._task = asyncio.current_task()
        end = RunEnd(RunStatus.FAILED, "ended by an error")
        try:
            await self.start()
            if watch:
                async for _change in self.watch():
                    pass
                end = RunEnd(RunStatus.COMPLETED, "stream ended")
            else:
                self.evaluate()
                end = RunEnd(RunStatus.COMPLETED)
        except asyncio.CancelledError:
            end = RunEnd(self._stop_status, "stopped")
            raise
        except Exception as exc:
            end = RunEnd(RunStatus.FAILED, str(exc))
            raise
        finally:
            await self.close(end)
        return end

    def stop(self, status: RunStatus = RunStatus.INTERRUPTED) -> None:
        """End a running :meth:`run` (from a signal handler, say) with ``status``."""
        self._stop_status = status
        if self._task is not None:
            self._task.cancel()

    async def close(self, end: RunEnd) -> None:
        """Let the sinks finish what is in flight (a live trade's second leg), tell every sink
        how the run ended, then close the venues."""
        self.end = end
        try:
            for sink in self.sinks:
                await sink.drain()
            for sink in self.sinks:
                sink.finished(self, end)
        finally:
            await self.session.aclose()

    # -- plumbing ---------------------------------------------------------------------------------

    def _emit(self, changes: Sequence[Change]) -> None:
        for change in changes:
            for sink in self.sinks:
                sink.change(change)

    def _event(self, event: object) -> None:
        at = self.clock.now()
        for sink in self._listeners:
            sink.event(event, at)  # type: ignore[arg-type]


def _contracts(markets: Mapping[str, Sequence[Market]]) -> set[str]:
    return {c.contract_id for group in markets.values() for m in group for c in m.contracts}
