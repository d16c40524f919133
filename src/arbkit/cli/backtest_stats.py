"""A backtest's figures in one row: trades, P&L, fees, hit rate, max drawdown, the seed checks.

Computed from the run's report (the JSON ``arbkit trade --json`` prints), never from the
trader's internals, so a row means the same whether the run happened in this process or in a
sweep's worker, and anyone can recompute it from the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

from arbkit.money import format_decimal

ZERO = Decimal(0)


@frozen(kw_only=True)
class BacktestRow:
    """One backtest summed up (money exact; the hit rate a Decimal fraction, None with no
    closed position)."""

    trades: int  #: entries taken
    positions: int
    closed: int
    pnl: Decimal  #: realized + unrealized (what is still open is marked)
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    hit_rate: Decimal | None  #: closed positions with a profit / closed positions
    max_drawdown: Decimal  #: the deepest fall of cumulative realized P&L from its peak
    checks: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "trades": self.trades,
            "positions": self.positions,
            "closed": self.closed,
            "pnl": format_decimal(self.pnl),
            "realized": format_decimal(self.realized),
            "unrealized": format_decimal(self.unrealized),
            "fees": format_decimal(self.fees),
            "hit_rate": None if self.hit_rate is None else format_decimal(self.hit_rate),
            "max_drawdown": format_decimal(self.max_drawdown),
            "checks": dict(self.checks),
        }


def summarize_report(report: Mapping[str, Any]) -> BacktestRow:
    """The row of one report (see :func:`arbkit.cli.tradeview.final_report`)."""
    pnl = report["pnl"]
    realized, unrealized = Decimal(pnl["realized"]), Decimal(pnl["unrealized"])
    closed = [p for p in report["positions"] if p.get("closed_at")]
    wins = sum(1 for p in closed if Decimal(p["realized_pnl"]) > 0)
    hit_rate = None
    if closed:
        hit_rate = (Decimal(wins) / Decimal(len(closed))).quantize(Decimal("0.0001"))
    return BacktestRow(
        trades=int(report["opportunities"]["taken"]),
        positions=len(report["positions"]),
        closed=len(closed),
        pnl=realized + unrealized,
        realized=realized,
        unrealized=unrealized,
        fees=Decimal(pnl["fees"]),
        hit_rate=hit_rate,
        max_drawdown=max_drawdown(closed),
        checks={str(k): int(v) for k, v in report["checks"].items()},
    )


def max_drawdown(closed: list[Mapping[str, Any]]) -> Decimal:
    """The largest drop of cumulative realized P&L from its running peak (which starts at 0),
    the positions taken in the order they closed (equal times by game, so it is stable)."""
    ordered = sorted(closed, key=lambda p: (datetime.fromisoformat(p["closed_at"]), p["game"]))
    total = peak = worst = ZERO
    for position in ordered:
        total += Decimal(position["realized_pnl"])
        peak = max(peak, total)
        worst = max(worst, peak - total)
    return worst
