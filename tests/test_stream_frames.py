"""A stream frame that is no venue message is logged and dropped; it never ends the feed.

Issue 10 item 2 (the shared frame decoder's part): deeply nested JSON, bytes that are not UTF-8,
a bare number, arrays holding non-objects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest

from arbkit import Backoff, BookUpdate, ContinuityLost, OrderBook, StreamEvent, WebSocketFeed
from arbkit.streaming import _decode
from arbkit.testing import LoopbackServer

DEEP = "[" * 100_000
BOOK = {"type": "book", "contract": "c1", "bid": "0.40", "seq": 7}


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (DEEP, "nested too deeply"),
        ('{"a":' * 5_000 + "1" + "}" * 5_000, "nested too deeply"),
        (DEEP.encode(), "nested too deeply"),
        (b'{"type": "\xff\xfe"}', "malformed"),
        ('{"type": "bo', "malformed"),
        ("42", "not a JSON object"),
        ('"book"', "not a JSON object"),
        ("null", "not a JSON object"),
    ],
)
def test_a_frame_that_is_no_message_is_warned_and_dropped(caplog, frame, fragment):
    with caplog.at_level(logging.WARNING, logger="arbkit.streaming"):
        assert _decode(frame) == []
    assert fragment in caplog.text


def test_non_objects_inside_an_array_are_dropped_with_a_warning(caplog):
    frame = json.dumps([1, BOOK, None, [BOOK], "x", {"type": "ticker"}])
    with caplog.at_level(logging.WARNING, logger="arbkit.streaming"):
        assert _decode(frame) == [BOOK, {"type": "ticker"}]
    assert "dropping 4 of 6 items" in caplog.text


@pytest.mark.parametrize("frame", [json.dumps(BOOK), json.dumps(BOOK).encode(), json.dumps([BOOK])])
def test_good_frames_decode_without_warnings(caplog, frame):
    with caplog.at_level(logging.WARNING, logger="arbkit.streaming"):
        assert _decode(frame) == [BOOK]
    assert caplog.records == []


@pytest.mark.parametrize("frame", ["PONG", "pong", "", b"PONG", b""])
def test_keepalive_answers_are_not_messages(caplog, frame):
    with caplog.at_level(logging.WARNING, logger="arbkit.streaming"):
        assert _decode(frame) == []
    assert caplog.records == []


# -- through a real socket: the feed neither dies nor reconnects --------------------------------


class OneBook:
    """Decodes ``BOOK``-shaped messages; counts every message it was given."""

    def __init__(self) -> None:
        self.outbox: list[Mapping[str, Any]] = []
        self.fed: list[Mapping[str, Any]] = []

    def seed(self, books: Sequence[OrderBook]) -> None:
        pass

    def feed(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        self.fed.append(message)
        bid = ((Decimal(message["bid"]), Decimal(1)),)
        return [BookUpdate(OrderBook(venue="fake", contract_id=message["contract"], bids=bid))]

    def reset(self) -> list[StreamEvent]:
        return [ContinuityLost("fake", ("c1",), "socket reset")]


class GarbageServer(LoopbackServer):
    """Answers a subscribe with every bad frame, then one good book."""

    async def on_websocket(self, socket: Any) -> None:
        async for _ in socket:
            for frame in (DEEP, b"\xff\xfe\x00", "42", json.dumps([1, "x"]), '{"type": "bo'):
                await socket.send(frame)
            await self.send(socket, BOOK)


@pytest.fixture(scope="module")
def server() -> Iterator[GarbageServer]:
    with GarbageServer() as fake:
        yield fake


async def test_bad_frames_do_not_end_or_reset_the_feed(server: GarbageServer) -> None:
    decoder = OneBook()
    feed = WebSocketFeed(
        venue="fake",
        url=server.ws_url,
        decoder=decoder,
        subscribe=lambda: [{"op": "subscribe"}],
        backoff=Backoff(base=0.001, cap=0.01),
        max_reconnects=0,
    )

    async def first() -> StreamEvent:
        async for event in feed.events():
            feed.stop()
            return event
        raise AssertionError("the feed ended without an event")

    event = await asyncio.wait_for(first(), timeout=20)
    assert isinstance(event, BookUpdate) and event.book.contract_id == "c1"
    assert decoder.fed == [BOOK] and feed.reconnects == 0
