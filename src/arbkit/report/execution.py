"""Fills against the price the book quoted when the trade was decided, and how trades ended.

Slippage is signed so that positive is worse for us: a buy filled above its quoted price, a
sale below it. The quote is the plan leg's ``expected_price`` (the book walk at decision time),
so slippage is what latency and thin books cost, fees apart.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from attrs import define, frozen

from arbkit.money import format_decimal
from arbkit.report.scope import Book, Window, of_book
from arbkit.store import Store

ZERO = Decimal(0)
#: Slippage is kept to 1e-12 dollars. A quote is a book walk's average price, which can be a
#: repeating decimal (22.189 / 45.8) stored rounded to 28 digits; its rounding residue (1e-27)
#: is not slippage, and a fill that filled exactly at its walk must show 0.
SLIPPAGE_PLACES = Decimal("1e-12")


@frozen
class FillRow:
    trade_id: str
    kind: str  #: entry | exit
    venue: str
    side: str
    size: Decimal
    price: Decimal
    quoted: Decimal | None  #: None: the plan did not say (an older or foreign row)
    fee: Decimal
    at: datetime

    @property
    def slippage(self) -> Decimal:
        """Dollars lost against the quote over the whole fill (positive = worse)."""
        if self.quoted is None:
            return ZERO
        with localcontext() as exact:
            exact.prec = 60  # the product of a 28-digit quote and a size, unrounded
            per_contract = self.price - self.quoted
            if self.side != "buy":
                per_contract = -per_contract
            return (per_contract * self.size).quantize(SLIPPAGE_PLACES, rounding=ROUND_HALF_EVEN)

    def to_json(self) -> dict[str, Any]:
        return {
            "trade": self.trade_id,
            "kind": self.kind,
            "venue": self.venue,
            "side": self.side,
            "size": format_decimal(self.size),
            "price": format_decimal(self.price),
            "quoted": None if self.quoted is None else format_decimal(self.quoted),
            "slippage": format_decimal(self.slippage),
            "fee": format_decimal(self.fee),
            "at": self.at.isoformat(),
        }


@define
class FillTotals:
    fills: int = 0
    contracts: Decimal = ZERO
    notional: Decimal = ZERO  #: dollars traded at the fill prices
    fees: Decimal = ZERO
    slippage: Decimal = ZERO

    def add(self, fill: FillRow) -> None:
        self.fills += 1
        self.contracts += fill.size
        self.notional += fill.price * fill.size
        self.fees += fill.fee
        self.slippage += fill.slippage

    @property
    def slippage_per_contract(self) -> Decimal:
        if not self.contracts:
            return ZERO
        return (self.slippage / self.contracts).quantize(SLIPPAGE_PLACES, rounding=ROUND_HALF_EVEN)

    def to_json(self) -> dict[str, Any]:
        return {
            "fills": self.fills,
            "contracts": format_decimal(self.contracts),
            "notional": format_decimal(self.notional),
            "fees": format_decimal(self.fees),
            "slippage": format_decimal(self.slippage),
            "slippage_per_contract": format_decimal(self.slippage_per_contract),
        }


@frozen
class ExecutionFigures:
    fills: list[FillRow]
    total: FillTotals
    by_venue: dict[str, FillTotals]
    by_kind: dict[str, FillTotals]
    trades_by_state: dict[str, int]  #: "entry hedged", "exit flat", ...

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total.to_json(),
            "by_venue": {k: v.to_json() for k, v in self.by_venue.items()},
            "by_kind": {k: v.to_json() for k, v in self.by_kind.items()},
            "trades_by_state": dict(self.trades_by_state),
            "fills": [fill.to_json() for fill in self.fills],
        }


def gather_execution(store: Store, book: Book, window: Window) -> ExecutionFigures:
    in_book, args = of_book("trade_id", book)
    trades = {
        row["trade_id"]: row
        for row in store.db.query(
            f"select trade_id, kind, state, plan, created_at from trades where {in_book}", args
        )
    }
    fills = []
    for row in store.db.query(
        "select trade_id, leg, venue, side, price, size, fee, filled_at from fills "
        f"where {in_book} order by filled_at, trade_id, leg, fill_id",
        args,
    ):
        at = datetime.fromisoformat(row["filled_at"])
        if at not in window:
            continue
        trade = trades.get(row["trade_id"], {})
        fills.append(
            FillRow(
                trade_id=row["trade_id"],
                kind=trade.get("kind") or "?",
                venue=row["venue"],
                side=row["side"],
                size=Decimal(row["size"]),
                price=Decimal(row["price"]),
                quoted=_quoted(trade.get("plan"), row["leg"]),
                fee=Decimal(row["fee"] or 0),
                at=at,
            )
        )
    total = FillTotals()
    by_venue: dict[str, FillTotals] = {}
    by_kind: dict[str, FillTotals] = {}
    for fill in fills:
        total.add(fill)
        by_venue.setdefault(fill.venue, FillTotals()).add(fill)
        by_kind.setdefault(fill.kind, FillTotals()).add(fill)
    states = Counter(
        f"{row['kind']} {row['state']}"
        for row in trades.values()
        if row["created_at"] and datetime.fromisoformat(row["created_at"]) in window
    )
    return ExecutionFigures(
        fills=fills,
        total=total,
        by_venue=dict(sorted(by_venue.items())),
        by_kind=dict(sorted(by_kind.items())),
        trades_by_state=dict(sorted(states.items())),
    )


def _quoted(plan_text: str | None, leg: int | None) -> Decimal | None:
    """The plan's expected price for ``leg``, None when the plan does not say."""
    if not plan_text or leg is None:
        return None
    try:
        legs = json.loads(plan_text).get("legs") or []
        return Decimal(str(legs[int(leg)]["expected_price"]))
    except (ValueError, LookupError, TypeError, ArithmeticError):
        return None
