"""Writing what a run saw into the store, in batches: one transaction per batch, never per row.

Rows wait in memory until ``batch_size`` of them are pending or ``flush_every`` seconds passed
since the last write, then go in one transaction. A crash therefore loses at most the last
batch (docs/architecture.md says so). Every row carries the run's ``run_id``, and the ``runs``
table holds one marker row per run with how it ended.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import wraps
from typing import Any, ParamSpec

from arbkit.errors import StoreError
from arbkit.models import Market, Opportunity, OrderBook
from arbkit.money import format_decimal
from arbkit.scan.report import leg_to_dict
from arbkit.scan.shard import Change
from arbkit.store import Store
from arbkit.store.db import db_timeout, describe_error

log = logging.getLogger(__name__)

P = ParamSpec("P")

#: tables whose rows replace older ones with the same key (the rest only ever grow)
_UPSERT_KEYS = {"markets": ("venue", "market_id"), "runs": ("run_id",)}


def _guarded(write: Callable[P, None]) -> Callable[P, None]:
    """A failed store write is logged once and remembered, so the run and its output go on."""

    @wraps(write)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        self = args[0]
        assert isinstance(self, ScanRecorder)
        if self.failure is not None:
            return
        try:
            write(*args, **kwargs)
        except sqlite3.Error as exc:
            self.failure = StoreError(describe_error(self.where, exc, db_timeout()))
            self._pending.clear()
            log.warning("%s; this run's results are printed but no longer stored", self.failure)

    return run


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


class ScanRecorder:
    """Appends a run's rows to the database in batches; one ``run_id`` ties them together."""

    def __init__(
        self,
        store: Store,
        run_id: str | None = None,
        *,
        batch_size: int = 500,
        flush_every: float = 1.0,
    ) -> None:
        self.db = store.db
        self.where = store.path or "in-memory database"
        self.run_id = run_id or new_run_id()
        self.batch_size = batch_size
        self.flush_every = flush_every
        #: the first write failure; later writes are skipped (see :meth:`check`)
        self.failure: StoreError | None = None
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._count = 0
        self._last_flush = time.monotonic()

    def check(self) -> None:
        """Write what is pending, then raise the first failure (after the results were printed)."""
        self.flush()
        if self.failure is not None:
            raise self.failure

    # -- rows -------------------------------------------------------------------------------------

    def run_started(
        self, *, command: str, source: str, options: Mapping[str, Any], clock_now: datetime
    ) -> None:
        self._add(
            "runs",
            {
                "run_id": self.run_id,
                "command": command,
                "source": source,
                "options": json.dumps(dict(options), default=str, sort_keys=True),
                "started_at": datetime.now(UTC).isoformat(),
                "clock_started_at": clock_now.isoformat(),
                "ended_at": None,
                "status": "running",
                "reason": None,
                "games": None,
                "changes": None,
            },
        )
        self.flush()  # the marker is on disk before anything else the run writes

    def run_ended(self, *, status: str, reason: str, games: int, changes: int) -> None:
        self._pending.setdefault("run_end", []).append(
            {
                "run_id": self.run_id,
                "ended_at": datetime.now(UTC).isoformat(),
                "status": status,
                "reason": reason or None,
                "games": games,
                "changes": changes,
            }
        )
        self.flush()

    def change(self, change: Change) -> None:
        opportunity = change.opportunity
        self._add(
            "opportunity_changes",
            {
                "run_id": self.run_id,
                "at": _iso(change.at),
                "kind": change.kind.value,
                "game_id": change.game_id,
                "key": opportunity.key if opportunity else None,
                "strategy": opportunity.strategy if opportunity else None,
                "net_edge": str(opportunity.net_edge) if opportunity else None,
                "size": format_decimal(opportunity.size) if opportunity else None,
                "expected_profit": (
                    format_decimal(opportunity.expected_profit) if opportunity else None
                ),
                "reason": change.reason or None,
            },
        )

    def opportunity(self, opportunity: Opportunity) -> None:
        self._add(
            "opportunities",
            {
                "key": opportunity.key,
                "strategy": opportunity.strategy,
                "game_id": opportunity.game_id,
                "title": opportunity.title,
                "league": opportunity.league,
                "start_time": _iso(opportunity.start_time),
                "legs": json.dumps([leg_to_dict(leg) for leg in opportunity.legs]),
                "cost": format_decimal(opportunity.cost),
                "payout": format_decimal(opportunity.payout),
                "gross_edge": str(opportunity.gross_edge),
                "net_edge": str(opportunity.net_edge),
                "size": format_decimal(opportunity.size),
                "expected_profit": format_decimal(opportunity.expected_profit),
                "confidence": opportunity.confidence,
                "reasons": json.dumps(list(opportunity.reasons)),
                "detected_at": _iso(opportunity.detected_at),
                "run_id": self.run_id,
            },
        )

    def markets(self, markets: Iterable[Market], seen_at: datetime) -> None:
        for m in markets:
            self._add(
                "markets",
                {
                    "venue": m.venue,
                    "market_id": m.market_id,
                    "event_id": m.event_id,
                    "title": m.title,
                    "market_type": m.market_type.value,
                    "league": m.league,
                    "start_time": _iso(m.start_time),
                    "game_date": m.game_date.isoformat() if m.game_date else None,
                    "home": m.home,
                    "away": m.away,
                    "line": None if m.line is None else format_decimal(m.line),
                    "tick_size": format_decimal(m.tick_size),
                    "min_size": format_decimal(m.min_size),
                    "contracts": json.dumps(
                        [
                            {
                                "contract_id": c.contract_id,
                                "outcome": c.outcome,
                                "subject": c.subject,
                                "negated": c.negated,
                            }
                            for c in m.contracts
                        ]
                    ),
                    "active": int(m.active),
                    "seen_at": seen_at.isoformat(),
                    "run_id": self.run_id,
                },
            )

    def book(self, book: OrderBook, observed_at: datetime) -> None:
        self._add(
            "book_snapshots",
            {
                "venue": book.venue,
                "contract_id": book.contract_id,
                "bids": json.dumps([[format_decimal(p), format_decimal(s)] for p, s in book.bids]),
                "asks": json.dumps([[format_decimal(p), format_decimal(s)] for p, s in book.asks]),
                "sequence": book.sequence,
                "continuous": int(book.continuous),
                "observed_at": observed_at.isoformat(),
                "run_id": self.run_id,
            },
        )

    # -- batching ---------------------------------------------------------------------------------

    def _add(self, table: str, row: dict[str, Any]) -> None:
        if self.failure is not None:
            return
        self._pending.setdefault(table, []).append(row)
        self._count += 1
        if self._count >= self.batch_size or (
            time.monotonic() - self._last_flush >= self.flush_every
        ):
            self.flush()

    @_guarded
    def flush(self) -> None:
        """Write every pending row in one transaction."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        pending, self._pending, self._count = self._pending, {}, 0
        conn = self.db.conn
        with conn:
            for table, rows in pending.items():
                if table == "run_end":
                    conn.executemany(
                        "UPDATE runs SET ended_at = :ended_at, status = :status, "
                        "reason = :reason, games = :games, changes = :changes "
                        "WHERE run_id = :run_id",
                        rows,
                    )
                    continue
                columns = list(rows[0])
                verb = "INSERT OR REPLACE" if table in _UPSERT_KEYS else "INSERT"
                conn.executemany(
                    f"{verb} INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})",
                    rows,
                )
