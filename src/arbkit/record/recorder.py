"""The recording tap: an append on the hot path, compression and SQLite writes in a thread.

Streams, venues and the replay session call a :class:`Recorder` with every raw payload they
receive. The call only appends a tuple to a queue (``collections.deque``: appends and pops are
thread-safe), so the scanner's hot path pays an append per message. A writer thread wakes every
``flush_seconds`` (or as soon as ``flush_every`` payloads wait), groups what is queued by venue
and kind, compresses each group into one chunk and inserts all chunks in one transaction:
a commit per flush, never per message. zlib and SQLite release the GIL while they work.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from attrs import define

from arbkit.errors import ConfigError, StoreError
from arbkit.record.chunks import KINDS, encode, group_by_chunk
from arbkit.record.retention import Retention
from arbkit.store.db import db_timeout, describe_error

#: Retention is checked at most this often (seconds); a DELETE per flush would be waste.
RETENTION_EVERY = 60.0


@define
class RecorderStats:
    """What a recorder wrote so far."""

    messages: int = 0  #: payloads stored
    chunks: int = 0  #: rows inserted
    commits: int = 0  #: transactions (one per flush that had something to write)
    raw_bytes: int = 0  #: JSON bytes before compression
    stored_bytes: int = 0  #: compressed bytes
    pruned: int = 0  #: chunks deleted by retention
    writer_cpu: float = 0.0  #: CPU seconds the writer thread used (serialising, zlib, SQLite)
    first_ms: int | None = None
    last_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        ratio = self.raw_bytes / self.stored_bytes if self.stored_bytes else None
        return {
            "messages": self.messages,
            "chunks": self.chunks,
            "commits": self.commits,
            "raw_bytes": self.raw_bytes,
            "stored_bytes": self.stored_bytes,
            "compression": round(ratio, 2) if ratio else None,
            "pruned_chunks": self.pruned,
        }


class Recorder:
    """Call it as ``recorder(venue, kind, received_at_ms, payload, key=None)``.

    ``kind`` is ``stream`` or the replay file the payload belongs in (``events``, ``books``,
    ``orderbooks``, ...); ``key`` names what a snapshot piece is about, so a later piece with
    the same key replaces it in an export. Payloads must not be changed after the call.
    """

    def __init__(
        self,
        path: Path,
        *,
        flush_every: int = 5000,
        flush_seconds: float = 1.0,
        retention: Retention | None = None,
    ) -> None:
        if path is None or str(path) == ":memory:":
            raise ConfigError("recording needs a database file, not an in-memory database")
        self.path = Path(path)
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.retention = retention or Retention()
        self.stats = RecorderStats()
        self._queue: deque[tuple[str, str, int, Any, str | None]] = deque()
        self._wake = threading.Event()
        self._stop = False
        self._error: BaseException | None = None
        self._last_retention = 0.0
        self._thread: threading.Thread | None = None

    # -- the tap (hot path) --------------------------------------------------------------------

    def __call__(
        self, venue: str, kind: str, received_at_ms: int, payload: Any, key: str | None = None
    ) -> None:
        queue = self._queue
        queue.append((venue, kind, received_at_ms, payload, key))
        if len(queue) >= self.flush_every:
            self._wake.set()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Recorder:
        """Open the writer's own connection (checked here: a bad file fails before recording),
        apply retention once, and start the writer thread."""
        conn = self._connect()
        self._prune(conn, force=True)
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="arbkit-recorder", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> RecorderStats:
        """Write everything queued, apply retention, stop the thread; raise what it hit."""
        if self._thread is not None:
            self._stop = True
            self._wake.set()
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            if isinstance(error, sqlite3.Error):
                raise StoreError(describe_error(self.path, error)) from error
            raise error
        return self.stats

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the writer thread ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), timeout=db_timeout(), check_same_thread=False)
            conn.execute("SELECT count(*) FROM recorded_chunks").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(describe_error(self.path, exc)) from exc
        return conn

    def _run(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                self._wake.wait(self.flush_seconds)
                self._wake.clear()
                stopping = self._stop
                self.flush(conn)
                self._prune(conn, force=stopping)
                if stopping:
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to close(), which raises it
            self._error = exc
            self._queue.clear()
        finally:
            conn.close()
            self.stats.writer_cpu = time.thread_time()

    def flush(self, conn: sqlite3.Connection) -> int:
        """Write what is queued now as one transaction; returns the payloads written."""
        queue = self._queue
        items = [queue.popleft() for _ in range(len(queue))]
        if not items:
            return 0
        rows = []
        stats = self.stats
        for (venue, kind), group in group_by_chunk(items).items():
            if kind not in KINDS:
                continue  # a file arbkit does not replay (e.g. a note next to the data)
            blob, raw = encode(group)
            first = min(ms for ms, _, _ in group)
            last = max(ms for ms, _, _ in group)
            rows.append((venue, kind, first, last, len(group), raw, len(blob), blob))
            stats.messages += len(group)
            stats.raw_bytes += raw
            stats.stored_bytes += len(blob)
            stats.first_ms = first if stats.first_ms is None else min(stats.first_ms, first)
            stats.last_ms = last if stats.last_ms is None else max(stats.last_ms, last)
        with conn:
            conn.executemany(
                "INSERT INTO recorded_chunks (venue, kind, first_ms, last_ms, count, raw_bytes, "
                "size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        stats.chunks += len(rows)
        stats.commits += 1
        return len(items)

    def _prune(self, conn: sqlite3.Connection, *, force: bool = False) -> None:
        if self.retention.keep is None and self.retention.max_bytes is None:
            return
        now = time.monotonic()
        if not force and now - self._last_retention < RETENTION_EVERY:
            return
        self._last_retention = now
        with conn:
            self.stats.pruned += self.retention.apply(conn)
