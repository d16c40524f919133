"""Retention: ``--keep 7d`` (an age) and ``--max-size 500MB`` (a cap), applied to whole chunks.

Age is measured from the newest recorded payload, not the wall clock, so a replayed evening
of last month is not deleted the moment it is recorded. The cap counts the stored (compressed)
bytes of the recording and drops the oldest chunks first.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta

from attrs import frozen

from arbkit.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(i)?)?b?\s*$", re.IGNORECASE)
_POWERS = {None: 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_age(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d``, ``2w`` as a duration (more than zero)."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{text!r} is not an age like 12h, 7d or 2w")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_size(text: str) -> int:
    """``500MB``, ``2GB``, ``1.5GiB``, ``800k`` as bytes (decimal units; ``iB``: binary)."""
    match = _SIZE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{text!r} is not a size like 500MB or 2GB")
    prefix = match.group(2).lower() if match.group(2) else None
    base = 1024 if match.group(3) else 1000
    return int(float(match.group(1)) * base ** _POWERS[prefix])


@frozen
class Retention:
    """What to keep: chunks younger than ``keep``, at most ``max_bytes`` stored bytes."""

    keep: timedelta | None = None
    max_bytes: int | None = None

    def apply(self, conn: sqlite3.Connection) -> int:
        """Delete what falls outside; returns the chunks deleted (the caller commits)."""
        deleted = 0
        if self.keep is not None:
            newest = conn.execute("SELECT max(last_ms) FROM recorded_chunks").fetchone()[0]
            if newest is not None:
                cutoff = newest - int(self.keep.total_seconds() * 1000)
                cursor = conn.execute("DELETE FROM recorded_chunks WHERE last_ms < ?", [cutoff])
                deleted += cursor.rowcount
        if self.max_bytes is not None:
            total = conn.execute("SELECT coalesce(sum(size), 0) FROM recorded_chunks").fetchone()[0]
            excess, doomed = total - self.max_bytes, []
            if excess > 0:
                rows = conn.execute("SELECT id, size FROM recorded_chunks ORDER BY last_ms, id")
                for chunk_id, size in rows:
                    doomed.append((chunk_id,))
                    excess -= size
                    if excess <= 0:
                        break
                conn.executemany("DELETE FROM recorded_chunks WHERE id = ?", doomed)
            deleted += len(doomed)
        return deleted
