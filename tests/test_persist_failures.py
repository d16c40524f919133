"""Issue 10, item 6: a store write failing mid-scan never loses the run's results or crashes it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import arbkit
from arbkit.models import OrderBook
from arbkit.scan.persist import ScanRecorder
from arbkit.store import open_store

NOW = datetime(2026, 12, 2, tzinfo=UTC)
BOOK = OrderBook(venue="kalshi", contract_id="K-1", bids=((Decimal("0.4"), Decimal("10")),))


def test_failed_write_is_logged_once_then_skipped_then_raised_on_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "arbkit.db"
    store = open_store(path)
    recorder = ScanRecorder(store)
    recorder.book(BOOK, NOW)
    store.db.conn.execute("PRAGMA query_only = ON")  # every later write now fails
    with caplog.at_level(logging.WARNING, logger="arbkit.scan.persist"):
        recorder.book(BOOK, NOW)
        recorder.book(BOOK, NOW)
        recorder.markets([], NOW)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "read-only" in warnings[0] and str(path) in warnings[0]
    assert "\n" not in warnings[0]
    with pytest.raises(arbkit.StoreError, match="read-only") as info:
        recorder.check()
    assert "\n" not in str(info.value)
    store.db.conn.execute("PRAGMA query_only = OFF")
    assert store.db["book_snapshots"].count == 1  # what was written before the failure is kept


def test_check_is_silent_when_every_write_worked(tmp_path: Path) -> None:
    recorder = ScanRecorder(open_store(tmp_path / "arbkit.db"))
    recorder.book(BOOK, NOW)
    recorder.check()
    assert recorder.failure is None
