"""The SQLite store: migrations on open, plugin-owned sets, and clear errors for bad paths."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils.migrations import Migrations

import arbkit
from arbkit.cli import main
from arbkit.store import default_db_path, open_store

CORE_TABLES = {
    "events",
    "markets",
    "matches",
    "match_overrides",
    "book_snapshots",
    "opportunities",
    "orders",
    "fills",
    "positions",
    "pnl",
}


def test_default_path_follows_env(isolated_user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_db_path() == isolated_user_dir / "arbkit.db"
    monkeypatch.delenv("ARBKIT_DB")
    assert default_db_path() == isolated_user_dir / "arbkit.db"


def test_blank_db_gets_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "new" / "arbkit.db"
    store = open_store(path)
    assert CORE_TABLES <= set(store.db.table_names())
    assert store.db["orders"].pks == ["client_order_id"]
    assert store.db["markets"].columns_dict["tick_size"] is str  # decimals are stored as text
    store.close()
    # Plain sqlite3 reads it: no sqlite-utils needed to look at your data.
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("select name from sqlite_master")}
    assert CORE_TABLES <= names


def test_second_open_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "arbkit.db"
    first = open_store(path)
    first.db["events"].insert({"venue": "v", "event_id": "e", "title": "kept"})
    before = first.status()
    first.close()
    second = open_store(path)
    assert second.status() == before
    assert all(row["applied_at"] for row in before)
    assert second.db["events"].get(("v", "e"))["title"] == "kept"


def test_plugin_migrations_apply_beside_core(tmp_path: Path) -> None:
    plugin_set = Migrations("arbkit-toy")

    @plugin_set()
    def m001_notes(db: Any) -> None:
        db["toy_notes"].create({"id": int, "text": str}, pk="id")

    store = open_store(tmp_path / "arbkit.db", extra=[plugin_set])
    assert "toy_notes" in store.db.table_names()
    sets = {row["set"] for row in store.status()}
    assert sets == {"arbkit", "arbkit-toy"}
    assert {"set": "arbkit-toy", "name": "m001_notes"} in [
        {"set": row["set"], "name": row["name"]} for row in store.status()
    ]


def test_memory_store() -> None:
    store = open_store(":memory:")
    assert store.path is None and CORE_TABLES <= set(store.db.table_names())


def test_corrupt_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "arbkit.db"
    path.write_bytes(b"this is not a sqlite database at all, just text" * 100)
    with pytest.raises(arbkit.StoreError, match=str(path)):
        open_store(path)


def test_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(arbkit.StoreError, match="is a directory"):
        open_store(tmp_path)


@pytest.mark.parametrize("kind", ["corrupt", "directory"])
def test_cli_bad_db_is_a_one_line_error(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if kind == "corrupt":
        path = tmp_path / "arbkit.db"
        path.write_bytes(b"garbage" * 1000)
    else:
        path = tmp_path / "dir.db"
        path.mkdir()
    with pytest.raises(SystemExit) as info:
        main(["--db", str(path), "db", "status"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and str(path) in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_db_status_refuses_a_missing_database(tmp_path: Path, invoke: Any) -> None:
    path = tmp_path / "typo.db"
    result = invoke(["--db", str(path), "db", "status"])
    assert result.exit_code == 1
    assert str(result.exception) == f"no database at {path}: `arbkit db migrate` creates it"
    assert not path.exists()


def test_db_status_command(tmp_path: Path, invoke: Any) -> None:
    path = tmp_path / "status.db"
    assert invoke(["--db", str(path), "db", "migrate"]).exit_code == 0
    result = invoke(["--db", str(path), "db", "status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["path"] == str(path)
    assert CORE_TABLES <= set(status["tables"])
    assert status["tables"]["orders"] == 0
    assert {"set": "arbkit", "name": "m001_initial"}.items() <= status["migrations"][0].items()
