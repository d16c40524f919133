"""Benchmark a trader's position pass: mark every open position, then ask the exit rules.

Builds 1,000 open two-leg positions (a Polymarket token and a Kalshi side each, 10 to 500
contracts, bought near a fair price), books of 10 bid levels a side and markets with the
venues' real fee models, and the rules min_hold, convergence and hold_to_settlement (on by
default) plus take_profit and stop_loss (``--rules default`` for the defaults alone). Each pass
first swaps in new books for ``--changed`` of the contracts (a new book is a new snapshot
object: its bids are walked again; ~10 % a second is what a live run of 1,000 games sees,
100 % is the worst case; each contract cycles through 4 books, so the venue fee of levels
already walked is remembered more often than live, where a top of book also repeats but
less), then does what ``Trader.tick`` does once a second: for every open position,
``PositionBook.steady`` (its books, markets and fills are the objects its last quiet answer
was made of, and no rule's answer is due to change: only stamped), else
``PositionBook.mark``, ``marked_with`` and ``ExitManager.evaluate`` (and ``quiet`` with the
rules' ``quiet_until``). Wall time and the thread's CPU time are both reported (CPU time is
what the pass costs on a shared machine), for that flow and with every position marked and
asked (none skipped), each after one untimed pass (the first marks are walks of every book).
Then it times single book updates: re-marking and re-asking the
position that holds the contract, as a trader does between its passes.

    python bench/bench_positions.py [--positions 1000] [--passes 300] [--changed 0,0.1,1]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arbkit_kalshi.fees import KalshiFees
from arbkit_polymarket.fees import PolymarketFees

from arbkit.models import Market, OrderBook, Side
from arbkit.plugins import make_plugin_manager
from arbkit.registry import get_exits
from arbkit.trading.exits import ExitManager, build_exit_rules
from arbkit.trading.model import GamePosition, LegPlan, Mode, PlanKind, TradeFill, TradePlan
from arbkit.trading.positions import PositionBook

D = Decimal
NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def make_markets(index: int) -> tuple[Market, Market]:
    pm = Market(
        venue="polymarket",
        market_id=f"pm-{index}",
        event_id=f"pm-{index}",
        title="A vs. B",
        fees=PolymarketFees(rate=D("0.03")),
        size_increment=D("0.01"),
        min_size=D(5),
    )
    kalshi = Market(
        venue="kalshi",
        market_id=f"K{index}",
        event_id=f"K{index}",
        title="A at B",
        fees=KalshiFees("quadratic_with_maker_fees", 1),
    )
    return pm, kalshi


def make_book(rng: random.Random, venue: str, contract_id: str, paid: int) -> OrderBook:
    """Bids around the price the leg was bought at (in cents): mostly a little below, as the
    spread leaves them, now and then above (an exit's chance)."""
    best = D(max(3, min(97, paid + rng.choice([-4, -3, -2, -2, -1, -1, 0, 1])))) / 100
    bids = tuple((best - D(i) / 100, D(rng.randint(10, 2000))) for i in range(10))
    return OrderBook(venue=venue, contract_id=contract_id, bids=bids, timestamp=NOW)


def build(rng: random.Random, count: int):
    book = PositionBook(Mode.PAPER)
    markets: dict[str, Market] = {}
    paid: dict[str, tuple[str, int]] = {}
    for i in range(count):
        pm, kalshi = make_markets(i)
        fair = rng.randint(25, 75)
        legs = ((pm, f"pm-{i}-a", fair), (kalshi, f"K{i}:no", 100 - fair - 3))
        size = D(rng.randint(10, 500))
        plan_legs = tuple(
            LegPlan(
                venue=m.venue,
                market_id=m.market_id,
                contract_id=cid,
                outcome=cid,
                side=Side.BUY,
                size=size,
                limit_price=D(p) / 100,
                expected_price=D(p) / 100,
            )
            for m, cid, p in legs
        )
        plan = TradePlan(
            trade_id=f"t{i}",
            kind=PlanKind.ENTRY,
            mode=Mode.PAPER,
            game_id=f"NBA:{i}",
            league="NBA",
            strategy="cross_venue",
            opportunity_key=f"k{i}",
            legs=plan_legs,
            size=size,
            decided_at=NOW,
            start_time=NOW + timedelta(hours=2),
        )
        for n, (m, cid, p) in enumerate(legs):
            price = D(p) / 100
            markets[cid] = m
            paid[cid] = (m.venue, p)
            fill = TradeFill(
                trade_id=plan.trade_id,
                leg=n,
                venue=m.venue,
                market_id=m.market_id,
                contract_id=cid,
                side=Side.BUY,
                price=price,
                size=size,
                fee=m.fees.fee(price, size),
                at=NOW,
                fill_id=f"{plan.trade_id}-{n}",
            )
            book.apply(plan, fill)
    return book, markets, paid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=300)
    parser.add_argument(
        "--changed", default="0,0.1,1", help="share(s) of books new a pass, comma-separated"
    )
    parser.add_argument("--rules", choices=["default", "all"], default="all")
    args = parser.parse_args()
    rng = random.Random(13)
    positions, markets, paid = build(rng, args.positions)
    books = {cid: make_book(rng, venue, cid, cents) for cid, (venue, cents) in paid.items()}
    config: dict[str, dict[str, str]] = {}  # the default rules
    if args.rules == "all":
        config = {"take_profit": {"percent": "5"}, "stop_loss": {"percent": "20"}}
    manager = ExitManager(build_exit_rules(get_exits(make_plugin_manager()), config))
    contract_ids = list(books)
    # Pre-built replacement books: building them is the feed's work, not the pass's.
    alternatives = {
        cid: [make_book(rng, venue, cid, cents) for _ in range(4)]
        for cid, (venue, cents) in paid.items()
    }
    book, market = books.get, markets.get

    def mark_and_exit(position: GamePosition, now: datetime) -> bool:
        """What ``Trader._mark_and_exit`` does before it plans an exit."""
        positions.mark(position, book, market, now)
        held_books, held_markets = positions.marked_with(position)
        reason = manager.evaluate(position, held_books, held_markets, now)
        positions.quiet(position, None if reason else manager.quiet_until(position, now))
        return reason is not None

    def tick(position: GamePosition, now: datetime) -> bool:
        """What ``Trader.tick`` does for each open position."""
        if positions.steady(position, book, market, now):
            return False
        return mark_and_exit(position, now)

    def mark_and_exit_always(position: GamePosition, now: datetime) -> bool:
        """Every position marked and asked, none skipped (the pass before ``steady``)."""
        positions.mark(position, book, market, now)
        held_books, held_markets = positions.marked_with(position)
        return manager.evaluate(position, held_books, held_markets, now) is not None

    gc.freeze()  # as the engine does once its state is built (arbkit.engine.heap)
    print(f"{args.positions} open positions, {len(manager.rules)} exit rules, {args.passes} passes")
    second = 20
    flows = (("as Trader.tick does", tick), ("none skipped", mark_and_exit_always))
    for share in (float(s) for s in args.changed.split(",")):
        changed = max(0, min(len(contract_ids), round(share * len(contract_ids))))
        for label, flow in flows:
            wall: list[float] = []
            cpu: list[float] = []
            exits = 0
            second += 1  # untimed: the flow's first pass marks what the other flow left
            for position in positions.open_positions():
                flow(position, NOW + timedelta(seconds=second))
            for n in range(args.passes):
                rng.shuffle(contract_ids)
                for cid in contract_ids[:changed]:
                    new = alternatives[cid][n % 4]  # copied: a new snapshot, as a feed makes
                    books[cid] = OrderBook(venue=new.venue, contract_id=cid, bids=new.bids)
                second += 1
                now = NOW + timedelta(seconds=second)
                started, started_cpu = time.perf_counter(), time.thread_time()
                for position in positions.open_positions():
                    exits += flow(position, now)
                cpu.append((time.thread_time() - started_cpu) * 1000)
                wall.append((time.perf_counter() - started) * 1000)
            (p50, p99), (c50, c99) = percentiles(wall), percentiles(cpu)
            print(
                f"  {changed:>4} of {len(contract_ids)} books new a pass, {label}: "
                f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (CPU p50 {c50:.2f}, p99 {c99:.2f}, "
                f"min {min(cpu):.2f} ms; {exits} exits)"
            )
    # On a book update the trader re-marks and re-asks only the position holding it.
    updates: list[float] = []
    for n in range(20_000):
        cid = contract_ids[n % len(contract_ids)]
        new = alternatives[cid][n % 4]
        books[cid] = OrderBook(venue=new.venue, contract_id=cid, bids=new.bids)
        now = NOW + timedelta(seconds=second + n // 1000)
        started = time.perf_counter()
        for position in positions.holding(cid):
            mark_and_exit(position, now)
        updates.append((time.perf_counter() - started) * 1e6)
    p50, p99 = percentiles(updates)
    print(f"one book update (its position re-marked and asked): p50 {p50:.1f} µs, p99 {p99:.1f} µs")


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


if __name__ == "__main__":
    main()
