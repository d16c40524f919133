"""Writing what a scan saw into the store: opportunities always, markets and books with --record."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from arbkit.models import Market, Opportunity, OrderBook
from arbkit.money import format_decimal
from arbkit.scan.report import leg_to_dict
from arbkit.store import Store


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class ScanRecorder:
    """Appends scan results to the database; one ``run_id`` ties a run's rows together."""

    def __init__(self, store: Store, run_id: str | None = None) -> None:
        self.db = store.db
        self.run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")

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
