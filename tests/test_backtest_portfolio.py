"""``arbkit positions`` / ``orders`` / ``pnl`` know a backtest's book as they know a session's.

The backtest's own report (its ``--json``) is the reference: the reading commands, which read
only the database, must show the same positions, P&L and checks for its book.
"""

from __future__ import annotations

import json
from decimal import Decimal

from backtest_helpers import arbkit


def test_a_backtest_book_is_listed_and_read_like_a_trade_book(tmp_path):
    db = tmp_path / "arbkit.db"
    traded = json.loads(arbkit(db, "trade", "--sample", "--json", "--no-status"))
    tested = json.loads(arbkit(db, "backtest", "--sample", "--json", "--kelly", "0.1"))
    assert tested["positions"], "the sample evening takes at least one trade"

    books = json.loads(arbkit(db, "positions", "--books", "--json"))
    assert [(b["book"], b["command"]) for b in books] == [
        ("backtest:sample#1", "backtest"),
        ("paper:sample#1", "trade"),
    ]
    assert all(b["runs"] == 1 and b["last_status"] == "completed" for b in books)
    assert "backtest:sample#1" in arbkit(db, "positions", "--books")

    # The newest book is the backtest's, as for `arbkit report`; --book picks either.
    shown = json.loads(arbkit(db, "positions", "--json"))
    assert shown == json.loads(arbkit(db, "positions", "--book", "backtest:sample#1", "--json"))
    assert shown["book"] == "backtest:sample#1"
    assert shown["positions"] == tested["positions"]
    paper = json.loads(arbkit(db, "positions", "--book", "paper:sample#1", "--json"))
    assert paper["positions"] == traded["positions"]

    pnl = json.loads(arbkit(db, "pnl", "--book", "backtest:sample#1", "--json"))
    assert pnl["checks"] == tested["checks"]
    for key in ("realized", "unrealized", "fees"):
        assert Decimal(pnl[key]) == Decimal(tested["pnl"][key])

    orders = json.loads(arbkit(db, "orders", "--book", "backtest:sample#1", "--json"))["orders"]
    fills = [f for p in tested["positions"] for leg in p["legs"] for f in leg["fills"]]
    assert orders and len(orders) <= len(fills)
    assert all(o["trade_id"].startswith("backtest:sample#1/") for o in orders)
    assert "book backtest:sample#1" in arbkit(db, "orders", "--book", "backtest:sample#1")
