"""Writing what a scan saw into the store: opportunities always, markets and books with --record."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import wraps
from typing import ParamSpec

from arbkit.errors import StoreError
from arbkit.models import Market, Opportunity, OrderBook
from arbkit.money import format_decimal
from arbkit.scan.report import leg_to_dict
from arbkit.store import Store
from arbkit.store.db import describe_error

log = logging.getLogger(__name__)

P = ParamSpec("P")


def _guarded(write: Callable[P, None]) -> Callable[P, None]:
    """A failed store write is logged once and remembered, so the scan and its output go on."""

    @wraps(write)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        self = args[0]
        assert isinstance(self, ScanRecorder)
        if self.failure is not None:
            return
        try:
            write(*args, **kwargs)
        except sqlite3.Error as exc:
            self.failure = StoreError(describe_error(self.where, exc))
            log.warning("%s; this run's results are printed but no longer stored", self.failure)

    return run


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class ScanRecorder:
    """Appends scan results to the database; one ``run_id`` ties a run's rows together."""

    def __init__(self, store: Store, run_id: str | None = None) -> None:
        self.db = store.db
        self.where = store.path or "in-memory database"
        self.run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        #: the first write failure; later writes are skipped (see :meth:`check`)
        self.failure: StoreError | None = None

    def check(self) -> None:
        """Raise the first write failure, once the run's results have been printed."""
        if self.failure is not None:
            raise self.failure

    @_guarded
    def opportunity(self, opportunity: Opportunity) -> None:
        self.db["opportunities"].insert(
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
            }
        )

    @_guarded
    def markets(self, markets: Iterable[Market], seen_at: datetime) -> None:
        rows = [
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
            }
            for m in markets
        ]
        if rows:
            self.db["markets"].upsert_all(rows, pk=("venue", "market_id"))

    @_guarded
    def book(self, book: OrderBook, observed_at: datetime) -> None:
        self.db["book_snapshots"].insert(
            {
                "venue": book.venue,
                "contract_id": book.contract_id,
                "bids": json.dumps([[format_decimal(p), format_decimal(s)] for p, s in book.bids]),
                "asks": json.dumps([[format_decimal(p), format_decimal(s)] for p, s in book.asks]),
                "sequence": book.sequence,
                "continuous": int(book.continuous),
                "observed_at": observed_at.isoformat(),
            }
        )
