"""A book's rows are its own, whatever its name: books are named after their source
(``paper:<replay dir>#N``), and as an SQL ``LIKE`` pattern ``paper:a_b#1/%`` also matches
``paper:AXB#1/...`` (``_`` is any character, case is ignored)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from backtest_helpers import arbkit
from trade_helpers import SAMPLE, rows, run_trade

from arbkit.store import open_store
from arbkit.trading.tradestore import broken_games


@pytest.fixture(scope="module")
def two_books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A database with the books of the same sample replayed from ``AXB`` and from ``a_b``,
    so both hold the same games; the database, then the books ``a_b`` and ``AXB``."""
    root = tmp_path_factory.mktemp("books")
    db = root / "arbkit.db"
    for name in ("AXB", "a_b"):
        shutil.copytree(SAMPLE, root / name)
        run_trade(db, "--replay", str(root / name))
    return db, f"paper:{root / 'a_b'}#1", f"paper:{root / 'AXB'}#1"


def _trades_of(db: Path, book: str) -> list[dict[str, object]]:
    return [
        t for t in rows(db, "select * from trades") if str(t["trade_id"]).startswith(book + "/")
    ]


def test_orders_of_a_book_are_only_its_own(two_books) -> None:
    db, book, other = two_books
    every = rows(db, "select client_order_id, trade_id from orders")
    own = {o["client_order_id"] for o in every if o["trade_id"].startswith(book + "/")}
    theirs = {o["client_order_id"] for o in every if o["trade_id"].startswith(other + "/")}
    assert own and theirs  # both books traded: the other's orders are there to be wrongly taken
    listed = json.loads(arbkit(db, "orders", "--book", book, "--json"))
    assert listed["book"] == book
    assert {o["client_order_id"] for o in listed["orders"]} == own
    assert all(o["trade_id"].startswith(book + "/") for o in listed["orders"])


def test_orders_of_one_trade_of_a_book(two_books) -> None:
    db, book, _ = two_books
    trade = _trades_of(db, book)[0]["trade_id"]
    listed = json.loads(arbkit(db, "orders", "--book", book, "--trade", str(trade), "--json"))
    assert listed["orders"] and {o["trade_id"] for o in listed["orders"]} == {trade}


def test_a_broken_trade_of_another_book_is_not_counted(two_books, tmp_path: Path) -> None:
    db, book, other = two_books
    copy = tmp_path / "arbkit.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # a copy, so the other tests see the books as they traded
    assert not [t for t in _trades_of(copy, book) if t["state"] == "broken"]
    theirs = _trades_of(copy, other)[0]
    with sqlite3.connect(copy) as conn:  # the other book's trade went one-legged
        conn.execute("update trades set state = 'broken' where trade_id = ?", [theirs["trade_id"]])
    store = open_store(copy)
    try:
        assert broken_games(store, other) == {theirs["game_id"]}
        assert broken_games(store, book) == set()
    finally:
        store.close()
    pnl = json.loads(arbkit(copy, "pnl", "--book", book, "--json"))
    assert pnl["checks"]["one_legged"] == 0
