"""The trader's records that are not the order journal: verdicts, settlements, positions.

Each write is its own committed transaction (a trade is rare next to book updates, and a
position must survive a SIGKILL the moment after its fill). The order and trade journal is
:mod:`arbkit.trading.journal`; the runs table (one row per ``arbkit trade``) is the engine's
store sink's, and records here carry that run's id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from arbkit.models import Settlement
from arbkit.store import Store
from arbkit.store.writes import writes_for
from arbkit.trading.model import Decision, GamePosition, Mode
from arbkit.trading.positions import position_from_row, position_row


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class TradeStore:
    """Writes and reads one trading book's records (prepared SQL: these sit on the path from
    a decision to its fill, where a generic upsert's schema lookups would cost more than
    the write)."""

    def __init__(self, store: Store, *, run_id: str, book_id: str) -> None:
        self.db = store.db
        self.writes = writes_for(store)
        self.run_id = run_id
        self.book_id = book_id

    def _put(self, table: str, row: dict[str, Any], *, key: tuple[str, ...] = ()) -> None:
        """Insert ``row`` (or, with ``key``, replace the row with that key) and commit."""
        columns = tuple(row)
        sql = _SQL.get((table, columns, key))
        if sql is None:
            names = ", ".join(columns)
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            if key:
                updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
                sql += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
            _SQL[(table, columns, key)] = sql
        with self.writes.commit() as conn:
            conn.execute(sql, list(row.values()))

    def decision(self, decision: Decision, mode: Mode) -> None:
        self._put(
            "decisions",
            {
                "run_id": self.run_id,
                "book": self.book_id,
                "mode": mode.value,
                "at": _iso(decision.at),
                "key": decision.key,
                "game_id": decision.game_id,
                "strategy": decision.strategy,
                "accepted": int(decision.accepted),
                "reason": decision.reason.value if decision.reason is not None else None,
                "detail": decision.detail,
                "size": str(decision.size),
            },
        )

    def settlement(self, settlement: Settlement, run_id: str | None = None) -> None:
        self._put(
            "settlements",
            {
                "venue": settlement.venue,
                "market_id": settlement.market_id,
                "payouts": json.dumps({k: str(v) for k, v in settlement.payouts.items()}),
                "void": int(settlement.void),
                "settled_at": _iso(settlement.settled_at),
                "seen_at": _iso(settlement.settled_at),
            },
            key=("venue", "market_id"),
        )

    def settlements(self) -> list[Settlement]:
        """Every stored settlement (they are venue facts, shared by all books)."""
        return [
            Settlement(
                venue=row["venue"],
                market_id=row["market_id"],
                payouts={k: Decimal(v) for k, v in json.loads(row["payouts"]).items()},
                settled_at=_time(row["settled_at"]),
                void=bool(row["void"]),
            )
            for row in self.db.query("select * from settlements order by settled_at")
        ]

    def position(self, position: GamePosition, run_id: str | None = None) -> None:
        row = position_row(position, run_id or self.run_id)
        row["book"] = self.book_id
        self._put("game_positions", row, key=("book", "game_id"))

    def risk_event(self, *, at: datetime, state: str, reason: str, source: str, mode: Mode) -> None:
        self._put(
            "risk_events",
            {
                "book": self.book_id,
                "mode": mode.value,
                "at": _iso(at),
                "state": state,
                "reason": reason,
                "source": source,
            },
        )


#: prepared statements by (table, columns, conflict key)
_SQL: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


def stored_positions(store: Store, book_id: str) -> list[GamePosition]:
    """The positions of one book, as last stored, in the order they were opened."""
    rows = store.db.query(
        "select * from game_positions where book = ? order by opened_at, game_id", [book_id]
    )
    return [position_from_row(row) for row in rows]


def trade_runs(store: Store) -> Iterator[dict[str, Any]]:
    """``arbkit trade`` runs, newest first, with their book and source."""
    if not store.db["runs"].exists():
        return
    rows = store.db.query(
        "select * from runs where command = 'trade' order by started_at desc, run_id desc"
    )
    for row in rows:
        options = json.loads(row.get("options") or "{}")
        yield {**row, "book": options.get("book"), "mode": options.get("mode", "paper")}


def latest_book(store: Store, mode: str | None = None) -> str | None:
    """The book of the newest ``arbkit trade`` run (of ``mode``), for the reading commands."""
    for run in trade_runs(store):
        if run["book"] and (mode is None or run["mode"] == mode):
            return str(run["book"])
    return None


def broken_games(store: Store, book_id: str) -> set[str]:
    """Games of the book whose trade ended BROKEN (one-legged: the seed check counts them).

    Trade ids are ``BOOK/N``: the book's ids are the exact range ``BOOK/`` ≤ id < ``BOOK0``
    (``/`` sorts just before ``0``), never ``LIKE``, whose ``_`` is a wildcard and which ignores
    case (``paper:a_b#1`` would count ``paper:AXB#1``'s broken trades)."""
    rows = store.db.execute(
        "select distinct game_id from trades"
        " where state = 'broken' and trade_id >= ? and trade_id < ?",
        [book_id + "/", book_id + "0"],
    )
    return {row[0] for row in rows}
