"""How recorded payloads sit in ``recorded_chunks``: zlib-compressed JSON lines, many per row.

A chunk is one flush of one venue's payloads of one kind. Each line is
``[received_at_ms, key, payload]``: ``key`` names what a REST snapshot piece is about (a token,
a ticker, an event) when the venue said so, so a later piece of the same key replaces it in an
export. Compressing many similar messages together is what makes zlib worthwhile: a single
300-byte stream message barely shrinks, a chunk of them shrinks several times.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from attrs import frozen

#: The kinds of payload, named after the replay file they go to (``stream`` is stream.jsonl).
STREAM = "stream"
#: REST snapshot kinds whose file is a JSON array (pieces are items or lists of items).
LIST_KINDS = frozenset({"events", "markets", "books", "series", "resolved", "settled"})
#: REST snapshot kinds whose file is a JSON object (pieces are merged key by key).
DICT_KINDS = frozenset({"orderbooks"})
#: Book snapshots: an export starts from the ones in effect at its start, not the latest.
BOOK_KINDS = frozenset({"books", "orderbooks"})
KINDS = frozenset({STREAM}) | LIST_KINDS | DICT_KINDS

#: zlib level: 6 is zlib's default balance; higher levels cost much more CPU for ~2 % less.
LEVEL = 6


@frozen
class Piece:
    """One recorded payload: when it was received, what it is about, and the payload."""

    venue: str
    kind: str
    received_at_ms: int
    key: str | None
    payload: Any


def encode(items: Sequence[tuple[int, str | None, Any]]) -> tuple[bytes, int]:
    """Compress ``(received_at_ms, key, payload)`` items; returns the blob and its raw size."""
    raw = "\n".join(
        json.dumps(item, separators=(",", ":"), ensure_ascii=False) for item in items
    ).encode()
    return zlib.compress(raw, LEVEL), len(raw)


def decode(venue: str, kind: str, blob: bytes) -> Iterator[Piece]:
    """The pieces of one chunk, in the order they were received."""
    for line in zlib.decompress(blob).decode().split("\n"):
        ts, key, payload = json.loads(line)
        yield Piece(venue, kind, ts, key, payload)


def group_by_chunk(
    items: Iterable[tuple[str, str, int, Any, str | None]],
) -> dict[tuple[str, str], list[tuple[int, str | None, Any]]]:
    """Tap calls ``(venue, kind, ms, payload, key)`` grouped into one future chunk per
    venue and kind, keeping their order."""
    groups: dict[tuple[str, str], list[tuple[int, str | None, Any]]] = {}
    for venue, kind, ms, payload, key in items:
        groups.setdefault((venue, kind), []).append((ms, key, payload))
    return groups
