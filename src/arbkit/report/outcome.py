"""What the book made: :func:`arbkit.trading.pnl.summarize` over the positions of the window,
the cumulative realized P&L as positions closed, exits by reason and the seed checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import define, frozen

from arbkit.money import format_decimal
from arbkit.report.scope import Book, Window
from arbkit.store import Store
from arbkit.trading.model import GamePosition
from arbkit.trading.pnl import MAX_ENTRY_PRICE, MIN_HOLD, PnlReport, summarize
from arbkit.trading.positions import realized_pnl
from arbkit.trading.tradestore import broken_games, stored_positions

ZERO = Decimal(0)


@frozen
class Point:
    """The cumulative realized P&L just after ``game_id`` closed at ``at``."""

    at: datetime
    game_id: str
    realized: Decimal
    cumulative: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "game": self.game_id,
            "realized": format_decimal(self.realized),
            "cumulative": format_decimal(self.cumulative),
        }


@define
class ExitRow:
    positions: int = 0
    realized: Decimal = ZERO
    fees: Decimal = ZERO

    def to_json(self) -> dict[str, Any]:
        return {
            "positions": self.positions,
            "realized": format_decimal(self.realized),
            "fees": format_decimal(self.fees),
        }


@frozen
class OutcomeFigures:
    pnl: PnlReport
    first_entry: datetime | None  #: the earliest opening in the window: where the P&L starts
    open_positions: int
    closed_positions: int
    cumulative: list[Point]
    exits_by_reason: dict[str, ExitRow]

    def to_json(self) -> dict[str, Any]:
        pnl = self.pnl.to_json()
        pnl.pop("by_position")  # the same rows as by_game
        return {
            **pnl,
            "open_positions": self.open_positions,
            "closed_positions": self.closed_positions,
            "check_limits": {
                "min_hold_seconds": int(MIN_HOLD.total_seconds()),
                "max_entry_price": format_decimal(MAX_ENTRY_PRICE),
            },
            "first_entry": None if self.first_entry is None else self.first_entry.isoformat(),
            "cumulative": [point.to_json() for point in self.cumulative],
            "exits_by_reason": {k: v.to_json() for k, v in self.exits_by_reason.items()},
        }


def in_window(positions: Iterable[GamePosition], window: Window) -> list[GamePosition]:
    """Positions closed in the window, and those open that were opened before its end."""
    return [
        p
        for p in positions
        if (p.closed_at in window)
        or (p.is_open and (window.end is None or p.opened_at < window.end))
    ]


def gather_outcome(store: Store, book: Book, window: Window) -> OutcomeFigures:
    chosen = in_window(stored_positions(store, book.book_id), window)
    report = summarize(chosen, broken=broken_games(store, book.book_id))
    closed = sorted(
        (p for p in chosen if p.closed_at is not None),
        key=lambda p: (p.closed_at, p.game_id),
    )
    points = []
    running = ZERO
    exits: dict[str, ExitRow] = {}
    for position in closed:
        assert position.closed_at is not None
        realized = realized_pnl(position)
        running += realized
        points.append(Point(position.closed_at, position.game_id, realized, running))
        row = exits.setdefault(position.exit_reason or "?", ExitRow())
        row.positions += 1
        row.realized += realized
        row.fees += position.fees
    return OutcomeFigures(
        pnl=report,
        first_entry=min((p.opened_at for p in chosen), default=None),
        open_positions=sum(1 for p in chosen if p.is_open),
        closed_positions=len(closed),
        cumulative=points,
        exits_by_reason=dict(sorted(exits.items(), key=lambda kv: (-kv[1].positions, kv[0]))),
    )
