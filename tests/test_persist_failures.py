"""Issue 10, item 6: a store write failing mid-scan never loses the run's results or crashes it."""

from __future__ import annotations

import json
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
    recorder.flush()
    store.db.conn.execute("PRAGMA query_only = ON")  # every later write now fails
    with caplog.at_level(logging.WARNING, logger="arbkit.scan.persist"):
        recorder.book(BOOK, NOW)
        recorder.flush()
        recorder.book(BOOK, NOW)
        recorder.markets([], NOW)
        recorder.flush()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "read-only" in warnings[0] and str(path) in warnings[0]
    assert "\n" not in warnings[0]
    with pytest.raises(arbkit.StoreError, match="read-only") as info:
        recorder.check()
    assert "\n" not in str(info.value)
    store.db.conn.execute("PRAGMA query_only = OFF")
    assert store.db["book_snapshots"].count == 1  # what was written before the failure is kept


def test_rows_wait_for_a_batch_then_go_in_one_transaction(tmp_path: Path) -> None:
    store = open_store(tmp_path / "arbkit.db")
    recorder = ScanRecorder(store, batch_size=3, flush_every=3600)
    recorder.book(BOOK, NOW)
    recorder.book(BOOK, NOW)
    other = open_store(tmp_path / "arbkit.db")  # what another reader (or a crash) would see
    assert other.db["book_snapshots"].count == 0
    recorder.book(BOOK, NOW)  # the third row fills the batch
    assert other.db["book_snapshots"].count == 3
    recorder.book(BOOK, NOW)
    recorder.check()  # the end of a run writes the rest
    assert other.db["book_snapshots"].count == 4
    assert {row["run_id"] for row in other.db["book_snapshots"].rows} == {recorder.run_id}


def test_check_is_silent_when_every_write_worked(tmp_path: Path) -> None:
    recorder = ScanRecorder(open_store(tmp_path / "arbkit.db"))
    recorder.book(BOOK, NOW)
    recorder.check()
    assert recorder.failure is None


def test_scan_prints_its_results_then_fails_on_a_store_write_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from arbkit.cli import main

    db = tmp_path / "arbkit.db"

    def scan() -> tuple[int, str, str]:
        try:
            main(["-q", "--db", str(db), "scan", "--sample", "--json"])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert scan()[0] == 0
    with sqlite3.connect(db) as connection:  # the disk "fills up" for this table
        connection.execute(
            "CREATE TRIGGER full BEFORE INSERT ON opportunities "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    code, out, err = scan()
    assert code == 1
    assert json.loads(out)["opportunities"]  # the results came first
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "disk is full" in errors[0]
