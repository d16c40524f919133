"""WAL checkpoints of a paper book, moved off the path from a decision to its stored fill.

SQLite copies the write-ahead log back into the database file (a checkpoint) inside whichever
commit crosses ``wal_autocheckpoint`` pages: once every few dozen paper trades, that trade's
commit also pays for the copy and its fsync, the tail of the decision → fill time. A paper
trader turns the automatic checkpoint off and runs a passive one from its once-a-second pass,
at most every ``every`` seconds of wall time, so the log stays a few seconds of writes long.
Durability is unchanged: a committed transaction is in the log either way (and the last
connection to close checkpoints what is left).
"""

from __future__ import annotations

import sqlite3
import time


class Checkpoints:
    """Passive checkpoints of one WAL connection at most every ``every`` seconds."""

    def __init__(self, conn: sqlite3.Connection, *, every: float = 5.0) -> None:
        self.conn = conn
        self.every = every
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        self.active = str(mode).lower() == "wal"
        self._last = time.monotonic()
        if self.active:
            conn.execute("PRAGMA wal_autocheckpoint = 0")

    def due(self) -> None:
        """Checkpoint what the log holds if ``every`` seconds passed since the last one;
        never inside a transaction (a passive checkpoint waits for no reader or writer)."""
        if not self.active or self.conn.in_transaction:
            return
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
