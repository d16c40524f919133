"""A paper book's WAL checkpoints run from the trader's pass, never inside a commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from arbkit.trading.checkpoints import Checkpoints


def wal_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE rows (n INTEGER, pad TEXT)")
    return conn


def write(conn: sqlite3.Connection, count: int) -> None:
    for n in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO rows VALUES (?, ?)", [n, "x" * 3000])
        conn.execute("COMMIT")


def test_commits_no_longer_checkpoint_and_the_pass_does(tmp_path: Path) -> None:
    conn = wal_connection(tmp_path / "book.db")
    checkpoints = Checkpoints(conn, every=0.0)
    assert checkpoints.active
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    write(conn, 1500)  # ~1,500 pages: past SQLite's default 1,000-page automatic checkpoint
    wal = tmp_path / "book.db-wal"
    grown = wal.stat().st_size
    assert grown > 1000 * 4096  # nothing copied it back while committing
    # another connection sees every committed row before any checkpoint
    reader = sqlite3.connect(tmp_path / "book.db")
    assert reader.execute("SELECT count(*) FROM rows").fetchone()[0] == 1500
    reader.close()
    checkpoints.due()
    busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log == done  # the pass copied the whole log back
    write(conn, 10)
    assert wal.stat().st_size == grown  # the log is reused from its start, not grown


def test_at_most_every_so_often_and_never_inside_a_transaction(tmp_path: Path) -> None:
    conn = wal_connection(tmp_path / "book.db")
    main = tmp_path / "book.db"
    checkpoints = Checkpoints(conn, every=3600.0)
    write(conn, 50)
    empty = main.stat().st_size  # the rows are only in the log so far
    checkpoints.due()  # too soon
    assert main.stat().st_size == empty
    checkpoints.every = 0.0
    conn.execute("BEGIN IMMEDIATE")
    checkpoints.due()  # inside a transaction: left for later
    conn.execute("COMMIT")
    assert main.stat().st_size == empty
    checkpoints.due()
    assert main.stat().st_size > empty + 50 * 3000  # copied into the database file


def test_a_database_not_in_wal_mode_is_left_alone(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "plain.db", isolation_level=None)
    checkpoints = Checkpoints(conn, every=0.0)
    assert not checkpoints.active
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    checkpoints.due()
