"""Where an engine's venues, clock and book events come from: live venues, or a recording.

A :class:`Session` is all the engine needs to know about its source. A live session holds the
configured venue clients on the wall clock; a replay session (opened by whichever venue plugin
declares ``plays_recordings``, the built-in replay venue by default) holds one venue per recorded
venue on the recording's clock. The engine never asks which one it got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import pluggy

from arbkit.clock import Clock, WallClock
from arbkit.errors import ConfigError
from arbkit.models import Market
from arbkit.registry import get_venues
from arbkit.scan.feeds import LiveFeed
from arbkit.streaming import StreamEvent
from arbkit.venue import Venue


@runtime_checkable
class Session(Protocol):
    """The venues an engine works with, the clock it runs on, and their book events.

    ``live`` is False for recordings: a replay is never re-discovered (that would restart its
    stream) and ends when its stream does. A replay session may also offer
    ``resubscribe(markets) -> bool``: pass on the events of ``markets`` from now on without
    restarting its stream (the engine calls it when a rematch changes the watched games).
    """

    venues: list[Venue]
    clock: Clock
    live: bool

    def events(self, markets: Mapping[str, Sequence[Market]]) -> AsyncIterator[StreamEvent]:
        """Book events for ``markets`` (by venue name) until cancelled or exhausted."""
        ...

    async def aclose(self) -> None:
        """Release the venues' connections."""
        ...


class LiveSession:
    """Venue clients on the wall clock; streams merged, venues without one polled."""

    live = True

    def __init__(
        self, venues: Sequence[Venue], *, poll_interval: float = 5.0, clock: Clock | None = None
    ) -> None:
        self.venues = list(venues)
        self.clock: Clock = clock or WallClock()
        self._feed = LiveFeed(self.venues, poll_interval=poll_interval)

    def events(self, markets: Mapping[str, Sequence[Market]]) -> AsyncIterator[StreamEvent]:
        return self._feed.events(markets)

    async def aclose(self) -> None:
        await close_venues(self.venues)


async def close_venues(venues: Sequence[Venue]) -> None:
    """Close every venue, even when one of them fails to close."""
    errors = []
    for venue in venues:
        try:
            await venue.aclose()
        except Exception as exc:  # noqa: BLE001 - closing is best effort, the others still close
            errors.append(exc)
    if errors:
        raise errors[0]


def replay_player(pm: pluggy.PluginManager) -> type[Venue]:
    """The venue class that plays recordings (found by capability, not by name)."""
    players = sorted(
        (cls for cls in get_venues(pm).values() if cls.plays_recordings), key=lambda c: c.name
    )
    if not players:
        raise ConfigError("no installed venue plugin plays recordings (the replay venue is off)")
    return players[0]


def open_replay(pm: pluggy.PluginManager, directory: Path, *, speed: float = 0.0) -> Session:
    """Open a replay directory on its recorded clock (``speed`` 0: as fast as possible)."""
    session = replay_player(pm).open_session(pm, Path(directory), speed=speed)
    if not isinstance(session, Session):
        raise ConfigError(f"the replay player returned {type(session).__name__}, not a Session")
    return session


def live_venue_names(pm: pluggy.PluginManager) -> set[str]:
    """Every registered venue that talks to a real venue (not a recording player)."""
    return {name for name, cls in get_venues(pm).items() if not cls.plays_recordings}
