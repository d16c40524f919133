"""Issue 10, item 6: a bad database is one clear line (exit 1), never a traceback or lost data."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_helpers import one_line_error, run_main

import arbkit
from arbkit.cli import main
from arbkit.store import open_store


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the real CLI and return its stderr, asserting it is one ``Error:`` line, exit 1."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _fresh(path: Path) -> Path:
    open_store(path).close()
    return path


# -- read-only file or folder -----------------------------------------------------------------


def _deny_write(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make ``denied`` look unwritable, as it would to a non-root user after chmod."""
    real = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)) == denied and mode & os.W_OK:
            return False
        return real(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)


def test_read_only_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _fresh(tmp_path / "arbkit.db")
    _deny_write(monkeypatch, path)
    err = _one_line_error(["--db", str(path), "db", "status"], capsys)
    assert f"database {path} is read-only" in err


def test_read_only_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    _deny_write(monkeypatch, folder)
    err = _one_line_error(["--db", str(folder / "arbkit.db"), "db", "migrate"], capsys)
    assert f"folder {folder} is read-only" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores chmod")
def test_read_only_file_for_real(tmp_path: Path) -> None:
    path = _fresh(tmp_path / "arbkit.db")
    path.chmod(0o444)
    with pytest.raises(arbkit.StoreError, match="read-only"):
        open_store(path)


def test_sqlite_readonly_error_is_one_line(tmp_path: Path) -> None:
    """Even past the permission check, SQLite's own read-only error becomes a StoreError."""
    path = _fresh(tmp_path / "arbkit.db")
    store = open_store(path)
    store.db.conn.execute("PRAGMA query_only = ON")
    from arbkit.store import store_errors

    with pytest.raises(arbkit.StoreError, match="read-only"), store_errors(path):
        store.db["events"].insert({"venue": "v", "event_id": "e"})


# -- a write lock held by another process ----------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_lock_held_by_another_process_waits_then_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _fresh(tmp_path / "arbkit.db")
    monkeypatch.setenv("ARBKIT_DB_TIMEOUT", "0.5")
    proc = _hold_lock(path, 10)
    try:
        started = time.monotonic()
        result = run_main(capsys, ["--db", str(path), "scan", "--sample", "--json"])
        waited = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
    one_line_error(result, f"database {path} is locked by another process (waited 0.5 s)")
    printed = result.output[: result.output.index("Error:")]
    assert '"opportunities": [' in printed and '"net_edge"' in printed  # the results came first
    assert 0.4 <= waited < 5


def test_a_reader_is_not_blocked_by_a_writer(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """The store is in WAL mode: `db status` (or a report) reads while a run writes."""
    path = _fresh(tmp_path / "arbkit.db")
    proc = _hold_lock(path, 10)
    try:
        started = time.monotonic()
        result = run_main(capsys, ["--db", str(path), "db", "status"])
        waited = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
    assert result.exit_code == 0 and "m002_runs_and_changes" in result.output
    assert waited < 3


def test_lock_released_within_timeout_just_waits(tmp_path: Path, invoke: object) -> None:
    path = _fresh(tmp_path / "arbkit.db")
    proc = _hold_lock(path, 0.5)
    try:
        store = open_store(path)  # default 5 s timeout outlasts the 0.5 s lock
        assert store.table_counts()["events"] == 0
    finally:
        proc.wait()


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_bad_timeout_setting(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARBKIT_DB_TIMEOUT", value)
    err = _one_line_error(["--db", str(tmp_path / "a.db"), "db", "migrate"], capsys)
    assert "ARBKIT_DB_TIMEOUT" in err


# -- a database written by a newer arbkit -----------------------------------------------------


def test_newer_arbkit_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _fresh(tmp_path / "arbkit.db")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) values (?, ?, ?)",
            ("arbkit", "m099_from_the_future", "2030-01-01 00:00:00+00:00"),
        )
    before = path.read_bytes()
    err = _one_line_error(["--db", str(path), "db", "status"], capsys)
    assert "created by a newer arbkit" in err and "m099_from_the_future" in err
    assert path.read_bytes() == before  # refused before touching anything


# -- corrupted pages ---------------------------------------------------------------------------


def _truncated(path: Path) -> Path:
    store = open_store(path)
    store.db["events"].insert_all(
        {"venue": "v", "event_id": str(i), "title": "x" * 200} for i in range(2000)
    )
    store.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def _random_pages(path: Path) -> Path:
    _fresh(path)
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # keep page 1 (the header), scramble the rest
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("damage", [_truncated, _random_pages])
def test_corrupted_pages_are_one_line_in_db_status(
    damage: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = damage(tmp_path / "arbkit.db")  # type: ignore[operator]
    err = _one_line_error(["--db", str(path), "db", "status"], capsys)
    assert str(path) in err
    assert "corrupted" in err or "cannot use database" in err


def test_random_bytes_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "arbkit.db"
    path.write_bytes(os.urandom(8192))
    err = _one_line_error(["--db", str(path), "db", "status"], capsys)
    assert f"database {path} is corrupted" in err


# -- first open by two processes at once -------------------------------------------------------

OPEN_STORE = """
import sys, time
from arbkit.store import open_store
start = float(sys.argv[2])
while time.time() < start:
    pass
open_store(sys.argv[1]).close()
"""


def test_two_processes_open_a_fresh_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    start = time.time() + 1.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_STORE, str(path), str(start)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(proc.wait(timeout=60), proc.stderr.read() if proc.stderr else "") for proc in procs]
    assert all(rc == 0 for rc, _ in results), results
    names = [row["name"] for row in open_store(path).status() if row["set"] == "arbkit"]
    assert names == [
        "m001_initial",
        "m002_runs_and_changes",
        "m003_trading",
        "m004_trading_books",
        "m005_recordings",
    ]  # each once


def test_threads_open_a_fresh_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def opener() -> None:
        barrier.wait()
        try:
            open_store(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
