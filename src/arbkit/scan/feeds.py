"""Where live book updates come from: venue streams, or REST polling where a venue has none.

A replay supplies its own feed (the replay plugin) with the same ``events`` method, so the
scanner never knows whether it is live.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

from arbkit.errors import NotSupported, OperationFailed
from arbkit.models import Market
from arbkit.streaming import BookUpdate, StreamEvent
from arbkit.venue import Venue

log = logging.getLogger(__name__)


class Feed(Protocol):
    def events(self, markets: Mapping[str, Sequence[Market]]) -> AsyncIterator[StreamEvent]:
        """Book events for ``markets`` (by venue name) until cancelled or exhausted."""
        ...


class LiveFeed:
    """Merges every venue's stream into one queue, polling venues that cannot stream."""

    def __init__(self, venues: Sequence[Venue], *, poll_interval: float = 5.0) -> None:
        self.venues = {venue.name: venue for venue in venues}
        self.poll_interval = poll_interval

    async def events(self, markets: Mapping[str, Sequence[Market]]) -> AsyncIterator[StreamEvent]:
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue(maxsize=10000)
        tasks = [
            asyncio.create_task(self._pump(self.venues[name], list(venue_markets), queue))
            for name, venue_markets in markets.items()
            if name in self.venues and venue_markets
        ]
        try:
            while True:
                yield await queue.get()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pump(
        self, venue: Venue, markets: list[Market], queue: asyncio.Queue[StreamEvent]
    ) -> None:
        try:
            async for event in venue.stream_books(markets):
                await queue.put(event)
            return
        except NotSupported:
            log.info("%s has no stream: polling every %.1fs", venue.name, self.poll_interval)
        while True:
            try:
                books = await venue.fetch_books(markets)
            except OperationFailed as exc:
                log.warning("%s: polling failed: %s", venue.name, exc)
            else:
                for book in books.values():
                    await queue.put(BookUpdate(book))
            await asyncio.sleep(self.poll_interval)
