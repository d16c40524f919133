"""What venue streams emit, and the reconnecting websocket plumbing every venue shares.

A venue plugin supplies a :class:`StreamDecoder` (its wire format → book updates) and the
subscribe messages; :class:`WebSocketFeed` owns the socket: it pings, notices a socket that is
open but silent, reconnects with back-off, resubscribes, and reports continuity. While continuity
is in doubt for a contract, strategies and executors must not act on its book.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Protocol

from attrs import define, field, frozen

from arbkit import safejson
from arbkit.errors import BadResponse
from arbkit.fees import FeeModel
from arbkit.models import OrderBook, Settlement
from arbkit.secrets import redact

log = logging.getLogger(__name__)


@frozen
class BookUpdate:
    """A new snapshot of one contract's book."""

    book: OrderBook


@frozen
class ContinuityLost:
    """The stream can no longer vouch for these contracts' books (gap, drop, silence)."""

    venue: str
    contract_ids: tuple[str, ...]
    reason: str


@frozen
class ContinuityRestored:
    """Fresh snapshots arrived: these contracts' books can be trusted again."""

    venue: str
    contract_ids: tuple[str, ...]


@frozen
class TradePrint:
    """A trade on the venue (informational)."""

    venue: str
    contract_id: str
    price: Any
    size: Any


@frozen
class FeesChanged:
    """The venue changed these markets' fees (an event-level override or waiver, say).

    The scanner swaps the markets' fee models and re-prices their games at once, so a waiver
    announced mid-stream is used from the next evaluation on, and an increase never priced late.
    """

    venue: str
    market_ids: tuple[str, ...]
    fees: FeeModel
    reason: str = ""


@frozen
class MarketSettled:
    """The venue resolved a market (Polymarket ``market_resolved``, Kalshi lifecycle
    ``settled``, or a recorded settlement file in a replay): positions in it become cash."""

    settlement: Settlement


StreamEvent = (
    BookUpdate | ContinuityLost | ContinuityRestored | TradePrint | FeesChanged | MarketSettled
)


class StreamDecoder(Protocol):
    """Turns one venue's stream messages into :data:`StreamEvent` objects, keeping local books.

    ``outbox`` collects messages the decoder wants sent (e.g. a re-snapshot request after a
    sequence gap); the feed drains it after every :meth:`feed`.
    """

    outbox: list[Mapping[str, Any]]

    def seed(self, books: Sequence[OrderBook]) -> None:
        """Start from REST snapshots (a replay's recorded books, or a fetch before subscribing)."""
        ...

    def feed(self, message: Mapping[str, Any]) -> list[StreamEvent]: ...

    def reset(self) -> list[StreamEvent]:
        """Forget all books (the socket dropped); return the ContinuityLost events to emit."""
        ...


@define
class Backoff:
    """Exponential back-off with full jitter, capped."""

    base: float = 0.5
    cap: float = 30.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * (2**self.attempt))
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


class Connector(Protocol):
    def __call__(self) -> Any:
        """Return an async context manager yielding a websocket-like connection."""
        ...


@define
class WebSocketFeed:
    """A websocket subscription that survives drops and silence.

    Args:
        venue: venue name, for events and logs.
        url: the websocket URL.
        decoder: the venue's decoder (kept across reconnects, reset on each drop).
        subscribe: builds the messages to send after each (re)connect.
        ping: builds the keep-alive message the venue documents (``None``: protocol pings only).
        ping_interval: seconds between keep-alive messages.
        stale_after: seconds of silence after which an open socket counts as dead.
        headers: builds the connect headers (called per connect, so auth is fresh).
        max_reconnects: stop after this many reconnects in a row without a message (None: never).
        tap: a recording tap (``arbkit record``), handed every frame that holds messages, raw
            (bytes), with its receive time in epoch ms (None: off, one check per frame).
    """

    venue: str
    url: str
    decoder: StreamDecoder
    subscribe: Callable[[], Sequence[Mapping[str, Any] | str]]
    ping: Callable[[], Mapping[str, Any] | str] | None = None
    ping_interval: float = 10.0
    stale_after: float = 30.0
    headers: Callable[[], Mapping[str, str]] | None = None
    backoff: Backoff = field(factory=Backoff)
    max_reconnects: int | None = None
    tap: Callable[[str, str, int, Any], None] | None = None
    reconnects: int = 0
    _stopped: bool = False

    def stop(self) -> None:
        self._stopped = True

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Yield stream events until :meth:`stop`, reconnecting as needed."""
        import websockets

        failures = 0
        while not self._stopped:
            try:
                headers = dict(self.headers()) if self.headers else None
                async with websockets.connect(
                    self.url, additional_headers=headers, open_timeout=10, max_size=2**24
                ) as socket:
                    for message in self.subscribe():
                        await socket.send(_encode(message))
                    async for event in self._read(socket):
                        failures = 0
                        self.backoff.reset()
                        yield event
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any socket failure means: reconnect
                log.warning("%s stream dropped: %s", self.venue, redact(str(exc)) or type(exc))
            for event in self.decoder.reset():
                yield event
            if self._stopped:
                break
            failures += 1
            self.reconnects += 1
            if self.max_reconnects is not None and failures > self.max_reconnects:
                raise BadResponse(f"{self.venue} stream: gave up after {failures} reconnects")
            await asyncio.sleep(self.backoff.next_delay())

    async def _read(self, socket: Any) -> AsyncIterator[StreamEvent]:
        pinger = asyncio.create_task(self._ping_forever(socket)) if self.ping else None
        try:
            while not self._stopped:
                try:
                    raw = await asyncio.wait_for(socket.recv(), timeout=self.stale_after)
                except TimeoutError:
                    log.warning(
                        "%s stream silent for %.1fs: reconnecting", self.venue, self.stale_after
                    )
                    return
                messages = _decode(raw)
                if self.tap is not None and messages:  # the frame as received: no copy parsed
                    frame = raw.encode() if isinstance(raw, str) else bytes(raw)
                    self.tap(self.venue, "stream", time.time_ns() // 1_000_000, frame)
                for message in messages:
                    for event in self.decoder.feed(message):
                        yield event
                    while self.decoder.outbox:
                        await socket.send(_encode(self.decoder.outbox.pop(0)))
        finally:
            if pinger:
                pinger.cancel()

    async def _ping_forever(self, socket: Any) -> None:
        assert self.ping is not None
        while True:
            await asyncio.sleep(self.ping_interval)
            await socket.send(_encode(self.ping()))


def _encode(message: Mapping[str, Any] | str) -> str:
    return message if isinstance(message, str) else json.dumps(message)


def _decode(raw: str | bytes) -> list[Mapping[str, Any]]:
    """Parse a frame; venues send one object, an array of objects, or a bare ``PONG``.

    Anything else is no venue message: it is logged and dropped, never raised, so one bad frame
    cannot end the feed (the decoder decides whether a book lost continuity).
    """
    if raw in ("PONG", "pong", "", b"PONG", b"pong", b""):
        return []
    try:
        value = safejson.loads(raw)
    except RecursionError:
        log.warning("dropping a stream frame nested too deeply (%d bytes)", len(raw))
        return []
    except ValueError:  # not JSON, or bytes that are not UTF-8
        log.warning("dropping a malformed stream frame (%d bytes)", len(raw))
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        log.warning("dropping a stream frame that is not a JSON object: %.40r", value)
        return []
    messages = [item for item in value if isinstance(item, dict)]
    if len(messages) < len(value):
        log.warning(
            "dropping %d of %d items of a stream frame: not JSON objects",
            len(value) - len(messages),
            len(value),
        )
    return messages
