"""The replay venue and session: discovery, books and a timed stream from a recording.

A :class:`ReplaySession` reads every venue's part of a replay directory with that venue's own
``read_recording``, sets a :class:`~arbkit.ReplayClock` to the recording's "now" (the manifest's
``captured_at``, else the first recorded timestamp), and offers one :class:`ReplayVenue` per
recorded venue plus a feed that plays all streams merged in timestamp order.

With a recording tap (``arbkit record --replay``, :meth:`ReplaySession.record_to`) the
session hands the tap what it plays, raw: each venue's recorded JSON files as REST snapshots
received at the replay's "now", and each stream message at its ``ts`` as it is applied.

The stream is decoded for the markets the engine subscribed to, and
:meth:`ReplaySession.resubscribe` changes them while it plays: a game matched in the middle of a
replay gets a decoder that first catches up with the messages played so far, so it gets its
updates from then on, and its first books (:meth:`ReplayVenue.fetch_books`) are the played ones,
not the recording's first snapshot (:mod:`arbkit_replay.played`).

Recorded settlements (``Recording.settlements``) play on the same timeline as
:class:`~arbkit.streaming.MarketSettled` events at their ``settled_at``, after any stream message
with the same millisecond, whether or not their venue recorded a stream; one without
``settled_at`` plays after everything else, without moving the clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pluggy

from arbkit import (
    ConfigError,
    DiscoveryQuery,
    Market,
    MarketSettled,
    NotSupported,
    OrderBook,
    Recording,
    ReplayClock,
    Settlement,
    StreamEvent,
    Venue,
    from_epoch_ms,
    get_venue_classes,
    load_recordings,
    recorded_now,
)
from arbkit_replay.played import PlayedBooks, Subscription

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
#: The feed lets the loop's other tasks run (signals, timers, a status or TUI) after this many
#: messages, or sooner once this many seconds of wall time went by: a turn of the loop after
#: every message cost ~14 % of a backtest's CPU.
YIELD_EVERY = 256
YIELD_AFTER_S = 0.02
#: Order of items with the same timestamp: stream messages first, then settlements.
_MESSAGE, _SETTLEMENT = 0, 1


class ReplayVenue(Venue):
    """One recorded venue. Instances take the recorded venue's name, so legs show the real venue."""

    name = "replay"
    title = "Replay of recorded venue data"
    plays_recordings = True

    def __init__(
        self,
        inner: type[Venue] | None = None,
        recording: Recording | None = None,
        *,
        clock: ReplayClock | None = None,
        played: PlayedBooks | None = None,
    ) -> None:
        if inner is None or recording is None:
            raise ConfigError("the replay venue needs a recording: use --replay DIR or --sample")
        super().__init__(clock=clock)
        self.inner = inner
        self.recording = recording
        self.name = inner.name  # type: ignore[misc]
        self.played = played or PlayedBooks()

    @classmethod
    def open_session(
        cls, pm: pluggy.PluginManager, directory: Path, *, speed: float = 0.0
    ) -> ReplaySession:
        """Open a replay directory: the session the engine runs a replay on."""
        return ReplaySession(pm, directory, speed=speed)

    async def discover(self, query: DiscoveryQuery | None = None) -> list[Market]:
        leagues = query.leagues if query else frozenset()
        return [m for m in self.recording.markets if not leagues or m.league in leagues]

    async def fetch_books(self, markets: Sequence[Market]) -> dict[str, OrderBook]:
        """The books at this moment of the recording: its snapshots as the stream moved them."""
        wanted = {c.contract_id for m in markets for c in m.contracts}
        now = self.played.now
        return {b.contract_id: now(b) for b in self.recording.books if b.contract_id in wanted}

    def stream_books(self, markets: Sequence[Market]) -> AsyncIterator[StreamEvent]:
        raise NotSupported(
            "a lone replay venue does not stream; use the session feed", venue=self.name
        )


class ReplaySession:
    """Everything recorded in one directory, on the recording's clock (an engine Session)."""

    live = False
    #: play the recorded settlements (trading front ends); a scan ends with the stream instead
    play_settlements = False
    #: the recording tap: called with (venue, kind, received_at_ms, raw payload) (None: off)
    tap: Any = None

    def __init__(self, pm: pluggy.PluginManager, directory: Path, *, speed: float = 0.0) -> None:
        self.directory = directory
        self.speed = speed
        self.recordings = load_recordings(pm, directory)
        self.clock = ReplayClock(recorded_now(directory, self.recordings))
        self.played = PlayedBooks()
        self.subscription = Subscription()
        #: venue → its stream decoders, each with the markets it follows (see resubscribe)
        self._decoders: dict[str, tuple[tuple[Any, list[Market]], ...]] = {}
        self._fed: dict[str, int] = {}  #: venue → its stream messages played so far
        classes = get_venue_classes(pm)
        self.venues = [
            ReplayVenue(classes[name], recording, clock=self.clock, played=self.played)
            for name, recording in self.recordings.items()
        ]

    async def aclose(self) -> None:
        for venue in self.venues:
            await venue.aclose()

    def record_to(self, tap: Any) -> None:
        """Record this replay: its venues' JSON files now, as snapshots received at the
        replay's "now" (``kind`` is the file's name: ``events``, ``books``, ...), and each
        stream message as it plays."""
        self.tap = tap
        now = self.clock.now()
        at = (now - _EPOCH) // _MS
        for venue in self.venues:
            for path in sorted((self.directory / venue.name).glob("*.json")):
                tap(venue.name, path.stem, at, path.read_bytes())  # raw: read_recording checked it

    def events(self, markets: Mapping[str, Sequence[Market]]) -> AsyncIterator[StreamEvent]:
        """The feed: every venue's recorded stream, merged by timestamp, advancing the clock;
        the events of ``markets`` (until :meth:`resubscribe` names others)."""
        self._decoders = {}
        self.resubscribe(markets)
        return self._play()

    def resubscribe(self, markets: Mapping[str, Sequence[Market]]) -> bool:
        """Pass on the events of ``markets`` from now on, without restarting the stream (on the
        recorded clock: what played before is not played again). True: the session can.

        A market no decoder follows yet gets one, fed the venue's messages played so far first
        (their events are not passed on, only kept for :meth:`ReplayVenue.fetch_books`)."""
        self.subscription.update(
            c.contract_id for group in markets.values() for m in group for c in m.contracts
        )
        for venue in self.venues:
            if not venue.recording.stream:
                continue
            followed = {m.market_id for d in self._decoders.get(venue.name, ()) for m in d[1]}
            new = [m for m in markets.get(venue.name, ()) if m.market_id not in followed]
            if new or venue.name not in self._decoders:
                caught_up = (self._caught_up(venue, new),) if new else ()
                self._decoders[venue.name] = (*self._decoders.get(venue.name, ()), *caught_up)
        return True

    def _caught_up(self, venue: ReplayVenue, markets: list[Market]) -> tuple[Any, list[Market]]:
        """A decoder of ``markets`` seeded with the recorded books and fed what has played."""
        decoder = venue.inner.stream_decoder(markets)
        # its markets' books only: a decoder also decodes any seeded book, and the other
        # markets' decoders already pass those on (seeding them all repeated their updates)
        mine = {c.contract_id for m in markets for c in m.contracts}
        decoder.seed([b for b in venue.recording.books if b.contract_id in mine])
        note = self.played.note
        played = self._fed.get(venue.name, 0)
        for _ts, message in itertools.islice(venue.recording.stream, played) if played else ():
            for event in decoder.feed(message):
                note(event)
        decoder.outbox.clear()
        return decoder, markets

    async def _play(self) -> AsyncIterator[StreamEvent]:
        decoders = self._decoders  # venue → (decoder, its markets), one more per resubscription
        fed = self._fed
        note, keep = self.played.note, self.subscription.keep
        timed, undated = self._settlement_timeline() if self.play_settlements else ([], [])
        tap = self.tap
        previous: int | None = None
        unyielded, turn_due = 0, time.monotonic() + YIELD_AFTER_S
        merged = heapq.merge(*self._timelines(), timed, key=lambda item: item[:2])
        for ts, rank, name, item in merged:
            # Settlements come hours after the stream: the clock jumps there, nobody waits.
            if self.speed > 0 and previous is not None and ts > previous and rank != _SETTLEMENT:
                await asyncio.sleep((ts - previous) / 1000 / self.speed)
                unyielded, turn_due = 0, time.monotonic() + YIELD_AFTER_S
            previous = ts
            self.clock.advance_to(from_epoch_ms(ts))
            if rank == _SETTLEMENT:
                yield MarketSettled(item)
            else:
                if tap is not None:
                    tap(name, "stream", ts, item)
                fed[name] += 1  # before its events: a resubscription there catches up with it
                for decoder, _markets in decoders[name]:
                    for event in decoder.feed(item):
                        note(event)
                        kept = keep(event)
                        if kept is not None:
                            yield kept
                    decoder.outbox.clear()  # a recording cannot answer re-snapshot requests
            unyielded += 1
            if unyielded >= YIELD_EVERY or time.monotonic() >= turn_due:
                await asyncio.sleep(0)
                unyielded, turn_due = 0, time.monotonic() + YIELD_AFTER_S
        for settlement in undated:
            yield MarketSettled(settlement)

    def _timelines(self) -> list[Iterator[tuple[int, int, str, Any]]]:
        """One timeline per streaming venue, each already in time order (read as it plays),
        also of a venue none of whose markets is subscribed yet."""
        self._fed.clear()
        self._fed.update({name: 0 for name in self._decoders})
        return [
            _timeline(v.name, v.recording.stream) for v in self.venues if v.name in self._decoders
        ]

    def _settlement_timeline(
        self,
    ) -> tuple[list[tuple[int, int, str, Settlement]], list[Settlement]]:
        """Every venue's recorded settlements: those with a time in time order (stable: equal
        times keep venue and file order), and those without one, in venue and file order."""
        timed: list[tuple[int, int, str, Settlement]] = []
        undated: list[Settlement] = []
        for venue in self.venues:
            for settlement in venue.recording.settlements:
                if settlement.settled_at is None:
                    undated.append(settlement)
                else:
                    ms = (settlement.settled_at - _EPOCH) // _MS
                    timed.append((ms, _SETTLEMENT, venue.name, settlement))
        timed.sort(key=lambda item: item[0])
        return timed, undated


def _timeline(name: str, stream: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, int, str, Any]]:
    for ts, message in stream:
        yield ts, _MESSAGE, name, message
