"""Retention: ``--keep 7d`` (an age) and ``--max-size 500MB`` (a cap), applied to whole chunks.

Age is measured from the newest recorded payload, not the wall clock, so a replayed evening
of last month is not deleted the moment it is recorded. The cap counts the stored (compressed)
bytes of the recording and drops the oldest chunks first.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from decimal import Decimal

from attrs import frozen

from arbkit.errors import ConfigError
from arbkit.record.chunks import KINDS, STREAM, ChunkError, keys

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(i)?)?b?\s*$", re.IGNORECASE)
_POWERS = {None: 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_age(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d``, ``2w`` as a duration (more than zero)."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{text!r} is not an age like 12h, 7d or 2w")
    try:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])
    except OverflowError:  # beyond timedelta's 999,999,999 days
        raise ConfigError(f"{text!r} is longer than any recording: give an age like 7d") from None


def parse_size(text: str) -> int:
    """``500MB``, ``2GB``, ``1.5GiB``, ``800k`` as bytes (decimal units; ``iB``: binary)."""
    match = _SIZE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{text!r} is not a size like 500MB or 2GB")
    prefix = match.group(2).lower() if match.group(2) else None
    base = 1024 if match.group(3) else 1000
    size = int(Decimal(match.group(1)) * base ** _POWERS[prefix])  # 2.01kB: 2010, not 2009
    if size < 1:  # a cap of 0 bytes would delete the whole recording
        raise ConfigError(f"{text!r} is less than a byte: give a size like 500MB or 2GB")
    return size


@frozen
class Retention:
    """What to keep: chunks younger than ``keep``, at most ``max_bytes`` stored bytes.

    An export starts from REST snapshots (events, markets, books) and plays the streams from
    there, and a live session takes its snapshots once, at the start. So a snapshot chunk is
    spared while it holds the newest piece of some key among the chunks that would go: the
    streams that remain can still be exported. Only ``max_bytes`` overrides that, when the
    cap cannot be met otherwise (oldest first, as if nothing were spared).
    """

    keep: timedelta | None = None
    max_bytes: int | None = None

    def apply(self, conn: sqlite3.Connection) -> int:
        """Delete what falls outside; returns the chunks deleted (the caller commits)."""
        doomed: set[int] = set()
        if self.keep is not None:
            newest = conn.execute("SELECT max(last_ms) FROM recorded_chunks").fetchone()[0]
            if newest is not None:
                cutoff = newest - int(self.keep.total_seconds() * 1000)
                old = conn.execute("SELECT id FROM recorded_chunks WHERE last_ms < ?", [cutoff])
                ids = {row[0] for row in old}
                doomed = ids - _needed(conn, ids, cutoff)
        if self.max_bytes is not None:
            doomed |= self._over_cap(conn, doomed)
        conn.executemany("DELETE FROM recorded_chunks WHERE id = ?", [(i,) for i in doomed])
        return len(doomed)

    def _over_cap(self, conn: sqlite3.Connection, doomed: set[int]) -> set[int]:
        """The oldest chunks to drop (besides ``doomed``) to fit ``max_bytes``."""
        rows = [
            (chunk, size, last)
            for chunk, size, last in conn.execute(
                "SELECT id, size, last_ms FROM recorded_chunks ORDER BY last_ms, id"
            )
            if chunk not in doomed
        ]
        excess = sum(size for _, size, _ in rows) - int(self.max_bytes or 0)
        if excess <= 0:
            return set()
        sizes = {chunk: size for chunk, size, _ in rows}
        taken: set[int] = set()
        total = spared = 0
        for chunk, size, last in rows:
            taken.add(chunk)
            total += size
            if total - spared < excess:
                continue  # not enough yet even if what was spared last time still is
            free = taken - _needed(conn, taken, last + 1)
            freed = sum(sizes[c] for c in free)
            if freed >= excess:
                return free
            spared = total - freed
        # Even dropping every stream leaves too much: the cap wins, oldest first.
        total, plain = 0, set()
        for chunk, size, _ in rows:
            if total >= excess:
                break
            plain.add(chunk)
            total += size
        return plain


def _needed(conn: sqlite3.Connection, ids: set[int], before_ms: int) -> set[int]:
    """The snapshot chunks among ``ids`` (all ending before ``before_ms``) that hold the newest
    piece of some (venue, kind, key) of those chunks: deleting them would leave the later
    streams without their snapshot."""
    if not ids:
        return set()
    newest: dict[tuple[str, str, str | None], tuple[int, int]] = {}
    rows = conn.execute(
        "SELECT id, venue, kind, data FROM recorded_chunks WHERE kind != ? AND last_ms < ? "
        "ORDER BY id",
        [STREAM, before_ms],
    )
    for chunk, venue, kind, data in rows:
        if chunk not in ids or kind not in KINDS:
            continue
        try:
            pieces = keys(data)
        except ChunkError:
            continue  # unreadable: no export can use it
        for ms, key in pieces:
            name = (venue, kind, key)
            if name not in newest or (ms, chunk) >= newest[name]:
                newest[name] = (ms, chunk)
    return {chunk for _, chunk in newest.values()}
