"""P&L over positions: realized, unrealized and fees, broken down, and the seed checks.

``realized`` is after fees (:func:`~arbkit.trading.positions.realized_pnl`); ``fees`` says how
much of it went to the venues. ``unrealized`` is each open position's last mark. The seed
checks are the three things the system arbkit replaces checked after two hours of paper
trading: no exit within 15 s of entry, no entry above 0.85, and (here) no one-legged position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import define, field, frozen

from arbkit.models import Side
from arbkit.money import format_decimal
from arbkit.trading.model import ZERO, GamePosition, PositionStatus
from arbkit.trading.positions import (
    SETTLEMENT,
    UNWOUND,
    is_one_legged,
    leg_realized,
    realized_pnl,
)

MAX_ENTRY_PRICE = Decimal("0.85")
MIN_HOLD = timedelta(seconds=15)


@define
class Breakdown:
    """P&L of one slice (a game, a league, a venue, ...). ``unrealized`` is None for venues:
    a position is marked whole (its legs are sold together), not per leg."""

    realized: Decimal = ZERO
    unrealized: Decimal | None = ZERO
    fees: Decimal = ZERO
    positions: int = 0

    def add(self, realized: Decimal, unrealized: Decimal | None, fees: Decimal) -> None:
        self.realized += realized
        if self.unrealized is not None and unrealized is not None:
            self.unrealized += unrealized
        self.fees += fees
        self.positions += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "realized": format_decimal(self.realized),
            "unrealized": None if self.unrealized is None else format_decimal(self.unrealized),
            "fees": format_decimal(self.fees),
            "positions": self.positions,
        }


@frozen
class PnlReport:
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    by_position: dict[str, Breakdown]  #: by game id (one position per game and mode)
    by_game: dict[str, Breakdown]
    by_league: dict[str, Breakdown]
    by_venue: dict[str, Breakdown]
    by_strategy: dict[str, Breakdown]
    by_day: dict[str, Breakdown]  #: ISO date of the close (open: of the opening)
    checks: dict[str, int] = field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        def rows(table: dict[str, Breakdown]) -> dict[str, Any]:
            return {key: row.to_json() for key, row in table.items()}

        return {
            "realized": format_decimal(self.realized),
            "unrealized": format_decimal(self.unrealized),
            "fees": format_decimal(self.fees),
            "by_position": rows(self.by_position),
            "by_game": rows(self.by_game),
            "by_league": rows(self.by_league),
            "by_venue": rows(self.by_venue),
            "by_strategy": rows(self.by_strategy),
            "by_day": rows(self.by_day),
            "checks": dict(self.checks),
        }


def _utc_day(at: datetime) -> date:
    return at.date()


def closed_by_rule(position: GamePosition) -> bool:
    """Sold back because an exit rule said so (not settled, not a missed leg's unwind)."""
    reason = position.exit_reason or ""
    return position.status is PositionStatus.CLOSED and not reason.startswith(UNWOUND)


def seed_checks(
    positions: Iterable[GamePosition],
    *,
    max_entry_price: Decimal = MAX_ENTRY_PRICE,
    min_hold: timedelta = MIN_HOLD,
    broken: Iterable[str] = (),
) -> dict[str, int]:
    """``exits_within_min_hold``, ``entries_above_max_price`` (BUY fills) and ``one_legged``:
    positions one-legged now, and those of ``broken`` games whatever became of them since."""
    early = above = 0
    lopsided = set(broken)
    for position in positions:
        if (
            closed_by_rule(position)
            and position.closed_at is not None
            and position.closed_at - position.opened_at < min_hold
        ):
            early += 1
        above += sum(
            1
            for leg in position.legs.values()
            for fill in leg.fills
            if fill.side is Side.BUY
            and fill.trade_id != SETTLEMENT
            and fill.price > max_entry_price
        )
        if is_one_legged(position):
            lopsided.add(position.game_id)
    return {
        "exits_within_min_hold": early,
        "entries_above_max_price": above,
        "one_legged": len(lopsided),
    }


def summarize(
    positions: Iterable[GamePosition],
    *,
    day_of: Callable[[datetime], date] | None = None,
    since: datetime | None = None,
    max_entry_price: Decimal = MAX_ENTRY_PRICE,
    min_hold: timedelta = MIN_HOLD,
    broken: Iterable[str] = (),
) -> PnlReport:
    """The P&L of ``positions``: open ones, and closed ones closed at or after ``since``.

    ``broken`` names games whose trade ended BROKEN (one-legged, a person had to look): they
    count as one-legged even once the venues paid the lone leg.

    ``day_of`` turns a time into the day it counts for (default: its UTC date; pass the
    user's time zone for local days).
    """
    day = day_of or _utc_day
    chosen = [
        p
        for p in positions
        if since is None or p.is_open or (p.closed_at is not None and p.closed_at >= since)
    ]
    tables: dict[str, dict[str, Breakdown]] = {
        name: {} for name in ("position", "game", "league", "venue", "strategy", "day")
    }

    def add(table: str, key: str, realized: Decimal, unrealized: Decimal | None, fees: Decimal):
        row = tables[table].get(key)
        if row is None:
            row = tables[table][key] = Breakdown(unrealized=None if table == "venue" else ZERO)
        row.add(realized, unrealized, fees)

    total_realized = total_unrealized = total_fees = ZERO
    for position in chosen:
        realized = realized_pnl(position)
        unrealized = position.unrealized_pnl if position.is_open else ZERO
        fees = position.fees
        total_realized += realized
        total_unrealized += unrealized
        total_fees += fees
        when = position.closed_at if position.closed_at is not None else position.opened_at
        for table, key in (
            ("position", position.game_id),
            ("game", position.game_id),
            ("league", position.league or "?"),
            ("strategy", position.strategy),
            ("day", day(when).isoformat()),
        ):
            add(table, key, realized, unrealized, fees)
        for venue in sorted({leg.venue for leg in position.legs.values()}):
            legs = [leg for leg in position.legs.values() if leg.venue == venue]
            add(
                "venue",
                venue,
                sum((leg_realized(leg) for leg in legs), ZERO),
                None,
                sum((leg.fees for leg in legs), ZERO),
            )
    return PnlReport(
        realized=total_realized,
        unrealized=total_unrealized,
        fees=total_fees,
        by_position=tables["position"],
        by_game=tables["game"],
        by_league=tables["league"],
        by_venue=tables["venue"],
        by_strategy=tables["strategy"],
        by_day=tables["day"],
        checks=seed_checks(
            chosen, max_entry_price=max_entry_price, min_hold=min_hold, broken=broken
        ),
    )
