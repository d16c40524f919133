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


@frozen
class Closed:
    """One position closed in the window, with its full exit reason."""

    game_id: str
    status: str
    reason: str
    opened_at: datetime
    closed_at: datetime
    realized: Decimal

    def to_json(self) -> dict[str, Any]:
        held = self.closed_at - self.opened_at
        return {
            "game": self.game_id,
            "status": self.status,
            "reason": self.reason,
            "opened_at": self.opened_at.isoformat(),
            "closed_at": self.closed_at.isoformat(),
            "held_seconds": format_decimal(Decimal(str(held.total_seconds()))),
            "realized": format_decimal(self.realized),
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
    exits_by_reason: dict[str, ExitRow]  #: by exit rule
    closed: list[Closed]

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
            "closed": [c.to_json() for c in self.closed],
        }


def exit_rule(reason: str | None) -> str:
    """The rule part of an exit reason: ``convergence: selling now makes 3.09`` → ``convergence``
    (the figures differ per position; the rule is what a person counts by)."""
    return (reason or "?").split(":", 1)[0].strip() or "?"


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
    report = summarize(chosen, day_of=window.day_of, broken=broken_games(store, book.book_id))
    closed = sorted(
        (p for p in chosen if p.closed_at is not None),
        key=lambda p: (p.closed_at, p.game_id),
    )
    points = []
    done = []
    running = ZERO
    exits: dict[str, ExitRow] = {}
    for position in closed:
        assert position.closed_at is not None
        realized = realized_pnl(position)
        running += realized
        points.append(Point(position.closed_at, position.game_id, realized, running))
        done.append(
            Closed(
                position.game_id,
                position.status.value,
                position.exit_reason or "",
                position.opened_at,
                position.closed_at,
                realized,
            )
        )
        row = exits.setdefault(exit_rule(position.exit_reason), ExitRow())
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
        closed=done,
    )
