"""Benchmark the paper executor: decision → fills reported, per plan (no store, no engine).

Each plan is a two-leg entry on books of ``--levels`` levels a side, filled at latency 0 inside
``submit`` (walk both books, consumed liquidity, fees by the venues' own fee models). Books are
refreshed after every plan, so consumed liquidity never runs a book dry. Reports p50 / p99 / max
in microseconds over ``--plans`` plans. Writing the fills to SQLite is the trader's part and is not
timed here.

    python bench/bench_paper.py [--plans 20000 --levels 10]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arbkit_kalshi.fees import KalshiFees
from arbkit_polymarket.fees import PolymarketFees

from arbkit.models import Market, OrderBook, Side
from arbkit.streaming import BookUpdate
from arbkit.trading.model import LegPlan, Mode, PlanKind, TradeFill, TradePlan, TradeState
from arbkit.trading.paper import PaperExecutor

T0 = datetime(2026, 12, 3, tzinfo=UTC)


class Quiet:
    fills = 0

    def filled(self, plan: TradePlan, fill: TradeFill) -> None:
        self.fills += 1

    def trade_state(
        self, plan: TradePlan, state: TradeState, detail: str, at: datetime | None = None
    ) -> None:
        pass


def make_book(venue: str, contract: str, start: str, levels: int, n: int) -> OrderBook:
    tick = Decimal("0.01")
    base = Decimal(start)
    size = Decimal(5 + n % 3)  # a different size each refresh: the book "moved"
    asks = tuple((base + tick * i, size) for i in range(levels))
    bids = tuple((base - tick * (i + 1), size) for i in range(levels))
    return OrderBook(venue=venue, contract_id=contract, asks=asks, bids=bids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=20000)
    parser.add_argument("--levels", type=int, default=10)
    args = parser.parse_args()

    markets = {
        "pm": Market(
            venue="polymarket",
            market_id="pm",
            event_id="e",
            title="t",
            fees=PolymarketFees(rate=Decimal("0.03")),
            size_increment=Decimal("0.01"),
        ),
        "kx": Market(venue="kalshi", market_id="kx", event_id="e", title="t", fees=KalshiFees()),
    }
    books = {
        "pm": make_book("polymarket", "pm", "0.40", args.levels, 0),
        "kx": make_book("kalshi", "kx", "0.55", args.levels, 0),
    }
    listener = Quiet()
    executor = PaperExecutor(listener, books.get, markets.get)

    def leg(contract: str, limit: str) -> LegPlan:
        venue = markets[contract].venue
        return LegPlan(
            venue=venue,
            market_id=contract,
            contract_id=contract,
            outcome=contract,
            side=Side.BUY,
            size=Decimal(20),
            limit_price=Decimal(limit),
            expected_price=Decimal(limit),
        )

    legs = (leg("pm", "0.45"), leg("kx", "0.60"))
    timings: list[float] = []
    for n in range(args.plans):
        at = T0 + timedelta(milliseconds=n)
        plan = TradePlan(
            trade_id=f"t{n}",
            kind=PlanKind.ENTRY,
            mode=Mode.PAPER,
            game_id=f"g{n}",
            league="NBA",
            strategy="bench",
            opportunity_key="k",
            legs=legs,
            size=Decimal(20),
            decided_at=at,
        )
        start = time.perf_counter_ns()
        executor.submit(plan)
        timings.append((time.perf_counter_ns() - start) / 1000)
        for contract, venue, price in (("pm", "polymarket", "0.40"), ("kx", "kalshi", "0.55")):
            fresh = make_book(venue, contract, price, args.levels, n + 1)
            executor.on_event(BookUpdate(fresh), at)
            books[contract] = fresh

    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"paper submit → fills, {args.plans} plans, {args.levels} levels a side, "
        f"{listener.fills} fills: p50 {statistics.median(timings):.1f} µs, "
        f"p99 {p99:.1f} µs, max {timings[-1]:.1f} µs"
    )


if __name__ == "__main__":
    main()
