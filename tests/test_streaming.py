"""WebSocketFeed against a loopback venue: reconnects after drops and silence, resubscribes.

The fake decoder is the smallest thing a venue plugin would write: one message type becomes a
book update, and a reset reports every known contract as no longer trustworthy.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest

import arbkit
from arbkit import Backoff, BookUpdate, ContinuityLost, OrderBook, StreamEvent, WebSocketFeed
from arbkit.testing import LoopbackServer


class TinyDecoder:
    """``{"type": "book", "contract": id, "bid": price, "seq": n}`` → one BookUpdate."""

    def __init__(self) -> None:
        self.outbox: list[Mapping[str, Any]] = []
        self.books: dict[str, OrderBook] = {}

    def seed(self, books: Sequence[OrderBook]) -> None:
        self.books.update((book.contract_id, book) for book in books)

    def feed(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        if message.get("type") != "book":
            return []
        book = OrderBook(
            venue="fake",
            contract_id=message["contract"],
            bids=((Decimal(message["bid"]), Decimal(1)),),
            sequence=message["seq"],
        )
        self.books[book.contract_id] = book
        return [BookUpdate(book)]

    def reset(self) -> list[StreamEvent]:
        lost = tuple(sorted(self.books))
        self.books.clear()
        return [ContinuityLost("fake", lost, "socket reset")] if lost else []


class FakeStreamServer(LoopbackServer):
    """Answers each subscribe with one snapshot per contract, numbered by connection."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Mapping[str, Any]] = []

    async def on_websocket(self, socket: Any) -> None:
        connection = self.ws_connections
        async for raw in socket:
            message = json.loads(raw)
            self.received.append(message)
            if message.get("op") == "subscribe":
                for contract in message["contracts"]:
                    snapshot = {"type": "book", "contract": contract, "bid": "0.40"}
                    await self.send(socket, {**snapshot, "seq": connection})


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeStreamServer]:
    with FakeStreamServer() as fake:
        yield fake


@pytest.fixture
def server(shared_server: FakeStreamServer) -> FakeStreamServer:
    shared_server.received.clear()
    shared_server.silent = False
    return shared_server


def _feed(url: str, **kwargs: Any) -> WebSocketFeed:
    return WebSocketFeed(
        venue="fake",
        url=url,
        decoder=TinyDecoder(),
        subscribe=lambda: [{"op": "subscribe", "contracts": ["c1", "c2"]}],
        backoff=Backoff(base=0.001, cap=0.01),
        **kwargs,
    )


async def _collect(
    feed: WebSocketFeed, on_event: Callable[[StreamEvent, list[StreamEvent]], bool]
) -> list[StreamEvent]:
    """Run the feed until ``on_event`` returns True; a generous hang guard, not a timing check."""
    seen: list[StreamEvent] = []

    async def run() -> None:
        events: AsyncIterator[StreamEvent] = feed.events()
        async for event in events:
            seen.append(event)
            if on_event(event, seen):
                feed.stop()
                break

    await asyncio.wait_for(run(), timeout=20)
    return seen


def _sequences(events: list[StreamEvent]) -> list[int | None]:
    return [e.book.sequence for e in events if isinstance(e, BookUpdate)]


async def test_reconnects_and_resubscribes_after_drop(server: FakeStreamServer) -> None:
    start = server.ws_connections
    feed = _feed(server.ws_url)
    dropped = False

    def on_event(event: StreamEvent, seen: list[StreamEvent]) -> bool:
        nonlocal dropped
        books = [e for e in seen if isinstance(e, BookUpdate)]
        if len(books) == 2 and not dropped:
            dropped = True
            server.drop_websockets()
        return len(books) == 4

    events = await _collect(feed, on_event)
    lost = [e for e in events if isinstance(e, ContinuityLost)]
    assert lost == [ContinuityLost("fake", ("c1", "c2"), "socket reset")]
    # Lost continuity comes before any book of the new connection.
    assert isinstance(events[2], ContinuityLost)
    assert _sequences(events) == [start + 1, start + 1, start + 2, start + 2]
    subscribes = [m for m in server.received if m.get("op") == "subscribe"]
    assert len(subscribes) == 2
    assert feed.reconnects == 1


async def test_reconnects_after_silence(server: FakeStreamServer) -> None:
    start = server.ws_connections
    feed = _feed(server.ws_url, stale_after=0.2)

    def on_event(event: StreamEvent, seen: list[StreamEvent]) -> bool:
        if isinstance(event, BookUpdate) and len(seen) == 2:
            server.silent = True  # the socket stays open, but nothing arrives any more
        if isinstance(event, ContinuityLost):
            server.silent = False
        return len(_sequences(seen)) == 4

    events = await _collect(feed, on_event)
    assert [type(e) for e in events] == [
        BookUpdate,
        BookUpdate,
        ContinuityLost,
        BookUpdate,
        BookUpdate,
    ]
    assert _sequences(events) == [start + 1, start + 1, start + 2, start + 2]
    assert len([m for m in server.received if m.get("op") == "subscribe"]) == 2


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}"


async def test_gives_up_after_max_reconnects() -> None:
    feed = _feed(_closed_port_url(), max_reconnects=2)
    with pytest.raises(arbkit.BadResponse, match="gave up after 3 reconnects"):
        await asyncio.wait_for(_collect(feed, lambda event, seen: False), timeout=20)
    assert feed.reconnects == 3
