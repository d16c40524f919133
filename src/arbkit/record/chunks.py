"""How recorded payloads sit in ``recorded_chunks``: zlib-compressed records, many per row.

A chunk is one flush of one venue's payloads of one kind. Each record is a 16-byte header
(receive time in epoch ms, key length, payload length), the key (UTF-8) and the payload as
JSON text. ``key`` names what a REST snapshot piece is about (a token, a ticker, an event)
when the venue said so, so a later piece of the same key replaces it in an export.

A payload handed over as ``bytes`` is raw JSON text (a stream frame as received, a recorded
file) and is stored as it is: the hot path neither parses nor serialises it, and the queue
holds no objects the garbage collector must walk. Any other payload is serialised by the
writer. Compressing many similar messages together is what makes zlib worthwhile: a single
300-byte stream message barely shrinks, a chunk of them shrinks several times.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from attrs import frozen

from arbkit import safejson

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


_HEADER = struct.Struct("<qII")
_NO_KEY = 0xFFFFFFFF


def encode(items: Sequence[tuple[int, str | None, Any]]) -> tuple[bytes, int]:
    """Compress ``(received_at_ms, key, payload)`` items; returns the blob and its raw size."""
    parts: list[bytes] = []
    pack = _HEADER.pack
    for ms, key, payload in items:
        body = payload if isinstance(payload, bytes) else _dumps(payload)
        if key is None:
            parts += (pack(ms, _NO_KEY, len(body)), body)
        else:
            name = key.encode()
            parts += (pack(ms, len(name), len(body)), name, body)
    raw = b"".join(parts)
    return zlib.compress(raw, LEVEL), len(raw)


class ChunkError(ValueError):
    """A chunk this version cannot read: damaged, truncated, or written in another format."""


def decode(venue: str, kind: str, blob: bytes) -> Iterator[Piece]:
    """The pieces of one chunk, in the order they were received (payloads parsed).

    Raises:
        ChunkError: the chunk is not one this version wrote whole (the reason, one line).
    """
    for ms, key, body in _records(blob):
        try:
            payload = safejson.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ChunkError(f"a payload received at {ms} ms is not JSON ({exc})") from None
        yield Piece(venue, kind, ms, key, payload)


def keys(blob: bytes) -> list[tuple[int, str | None]]:
    """``(received_at_ms, key)`` of each record, without parsing a payload (for retention)."""
    return [(ms, key) for ms, key, _ in _records(blob)]


def _records(blob: bytes) -> Iterator[tuple[int, str | None, bytes]]:
    """Each record's receive time, key and raw payload; every length is checked."""
    try:
        raw = zlib.decompress(blob)
    except (zlib.error, TypeError) as exc:
        raise ChunkError(f"not a zlib-compressed chunk ({exc})") from None
    offset, end, size = 0, len(raw), _HEADER.size
    while offset < end:
        if end - offset < size:
            raise ChunkError(f"a record header is cut off at byte {offset}")
        ms, key_length, body_length = _HEADER.unpack_from(raw, offset)
        offset += size
        key = None
        if key_length != _NO_KEY:
            if offset + key_length > end:
                raise ChunkError(f"a key runs past the end at byte {offset}")
            try:
                key = raw[offset : offset + key_length].decode()
            except UnicodeDecodeError:
                raise ChunkError(f"a key at byte {offset} is not UTF-8") from None
            offset += key_length
        if offset + body_length > end:
            raise ChunkError(f"a payload runs past the end at byte {offset}")
        yield ms, key, raw[offset : offset + body_length]
        offset += body_length


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def group_by_chunk(
    items: Iterable[tuple[str, str, int, Any, str | None]],
) -> dict[tuple[str, str], list[tuple[int, str | None, Any]]]:
    """Tap calls ``(venue, kind, ms, payload, key)`` grouped into one future chunk per
    venue and kind, keeping their order."""
    groups: dict[tuple[str, str], list[tuple[int, str | None, Any]]] = {}
    for venue, kind, ms, payload, key in items:
        groups.setdefault((venue, kind), []).append((ms, key, payload))
    return groups
