"""The paper executor: fills on the due-time books, the two-leg policy, fees, sizes, liquidity.

Every book is written by hand and every expected figure is worked out in the test (the
arithmetic is in the comments), with the venues' real fee models: Polymarket
``fee = C × rate × p(1−p)`` rounded up to $0.00001 per level, Kalshi ``0.07 × C × p(1−p)`` per
fill rounded up to $0.0001, the order's total rounded up to the cent.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import attrs
import pytest
from arbkit_kalshi.fees import KalshiFees
from arbkit_polymarket.fees import PolymarketFees

from arbkit.models import Contract, Market, OrderBook, Settlement, Side
from arbkit.streaming import (
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    MarketSettled,
    StreamEvent,
)
from arbkit.trading import paper as paper_module
from arbkit.trading import paper_book
from arbkit.trading.executor import Executor
from arbkit.trading.model import (
    LegPlan,
    Mode,
    PlanKind,
    TradeFill,
    TradePlan,
    TradeState,
)
from arbkit.trading.paper import PaperExecutor, hedge_price

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
PM = "PM-LAL"  # a Polymarket token: Lakers win
KX = "KXNBAGAME-26DEC03LALBOS-BOS:no"  # Kalshi: Boston does not win
GAME = "NBA:2026-12-03:LAL@BOS"

PM_MARKET = Market(
    venue="polymarket",
    market_id="nba-lal-bos-2026-12-03",
    event_id="nba-lal-bos-2026-12-03",
    title="Lakers vs. Celtics",
    contracts=(Contract(venue="polymarket", contract_id=PM, market_id="pm", outcome="Lakers"),),
    fees=PolymarketFees(rate=D("0.03")),
    min_size=D(1),
    size_increment=D("0.01"),
)
KX_MARKET = Market(
    venue="kalshi",
    market_id="KXNBAGAME-26DEC03LALBOS-BOS",
    event_id="KXNBAGAME-26DEC03LALBOS",
    title="Los Angeles L at Boston",
    contracts=(Contract(venue="kalshi", contract_id=KX, market_id="kx", outcome="not Boston"),),
    fees=KalshiFees(),
    min_size=D(1),
    size_increment=D(1),
)


def book(contract: str, asks=(), bids=(), *, continuous: bool = True) -> OrderBook:
    venue = "polymarket" if contract == PM else "kalshi"
    return OrderBook(
        venue=venue,
        contract_id=contract,
        asks=tuple((D(p), D(s)) for p, s in asks),
        bids=tuple((D(p), D(s)) for p, s in bids),
        continuous=continuous,
    )


def leg(contract: str, size: str, limit: str, side: Side = Side.BUY) -> LegPlan:
    market = PM_MARKET if contract == PM else KX_MARKET
    return LegPlan(
        venue=market.venue,
        market_id=market.market_id,
        contract_id=contract,
        outcome=market.contracts[0].outcome,
        side=side,
        size=D(size),
        limit_price=D(limit),
        expected_price=D(limit),
    )


def entry(trade_id: str, size: str, pm_limit: str, kx_limit: str, at: datetime = T0) -> TradePlan:
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.ENTRY,
        mode=Mode.PAPER,
        game_id=GAME,
        league="NBA",
        strategy="cross_venue",
        opportunity_key=f"cross_venue|{KX}|{PM}",
        legs=(leg(PM, size, pm_limit), leg(KX, size, kx_limit)),
        size=D(size),
        decided_at=at,
    )


def exit_plan(trade_id: str, pm: tuple[str, str], kx: tuple[str, str]) -> TradePlan:
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.EXIT,
        mode=Mode.PAPER,
        game_id=GAME,
        league="NBA",
        strategy="cross_venue",
        opportunity_key=f"cross_venue|{KX}|{PM}",
        legs=(leg(PM, *pm, side=Side.SELL), leg(KX, *kx, side=Side.SELL)),
        size=D(pm[0]),
        decided_at=T0,
        reason="convergence",
    )


@attrs.define
class World:
    """The engine's books and markets, and a listener that writes everything down."""

    books: dict[str, OrderBook] = attrs.field(factory=dict)
    markets: dict[str, Market] = attrs.field(factory=lambda: {PM: PM_MARKET, KX: KX_MARKET})
    states: list[tuple[str, TradeState, str]] = attrs.field(factory=list)
    fills: list[TradeFill] = attrs.field(factory=list)

    def filled(self, plan: TradePlan, fill: TradeFill) -> None:
        assert fill.trade_id == plan.trade_id
        self.fills.append(fill)

    def trade_state(
        self, plan: TradePlan, state: TradeState, detail: str, at: datetime | None = None
    ) -> None:
        self.states.append((plan.trade_id, state, detail))

    def executor(self, **options) -> PaperExecutor:
        return PaperExecutor(self, self.books.get, self.markets.get, **options)

    def play(self, executor: PaperExecutor, event: StreamEvent, at: datetime) -> None:
        """What the engine does: the executor hears the event first, then the book changes."""
        executor.on_event(event, at)
        if isinstance(event, BookUpdate):
            self.books[event.book.contract_id] = event.book

    def path(self, trade_id: str) -> list[TradeState]:
        return [state for tid, state, _ in self.states if tid == trade_id]

    def taken(self, trade_id: str) -> list[tuple[int, Side, D, D]]:
        return [(f.leg, f.side, f.price, f.size) for f in self.fills if f.trade_id == trade_id]


HEDGED_PATH = [
    TradeState.PLANNED,
    TradeState.LEG1_SENT,
    TradeState.LEG1_FILLED,
    TradeState.LEG2_SENT,
    TradeState.HEDGED,
]


def test_a_clean_two_leg_fill_walks_both_books_with_each_venues_fee() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 6), ("0.41", 10), ("0.42", 50)])
    world.books[KX] = book(KX, asks=[("0.55", 20)])
    executor = world.executor()
    assert executor.mode is Mode.PAPER
    executor.submit(entry("t1", "10", pm_limit="0.41", kx_limit="0.55"))

    assert world.path("t1") == HEDGED_PATH
    # depth within the limits: Polymarket 6 + 10 = 16, Kalshi 20 -> Polymarket goes first
    assert world.taken("t1") == [
        (0, Side.BUY, D("0.40"), D(6)),
        (0, Side.BUY, D("0.41"), D(4)),  # 6 + 4 = 10
        (1, Side.BUY, D("0.55"), D(10)),
    ]
    fees = [f.fee for f in world.fills]
    # Polymarket: 6 × 0.03 × 0.40 × 0.60 = 0.0432; 4 × 0.03 × 0.41 × 0.59 = 0.029028 -> 0.02903
    # Kalshi: 0.07 × 10 × 0.55 × 0.45 = 0.17325 -> 0.1733 -> 0.18
    assert fees == [D("0.04320"), D("0.02903"), D("0.18")]
    pm_levels = [(D("0.40"), D(6)), (D("0.41"), D(4))]
    assert fees[0] + fees[1] == PM_MARKET.fees.order_fee(pm_levels)
    assert [(f.client_order_id, f.order_id, f.fill_id) for f in world.fills] == [
        ("t1-0-1", "paper-1", "t1-0-1:1"),
        ("t1-0-1", "paper-1", "t1-0-1:2"),
        ("t1-1-1", "paper-2", "t1-1-1:1"),
    ]
    assert {f.at for f in world.fills} == {T0}
    assert [(f.venue, f.market_id) for f in world.fills][::2] == [
        ("polymarket", PM_MARKET.market_id),
        ("kalshi", KX_MARKET.market_id),
    ]
    assert not executor.busy(GAME)


def test_is_an_executor() -> None:
    world = World()
    executor: Executor = world.executor()
    assert executor.mode is Mode.PAPER


@pytest.mark.parametrize(
    ("pm_depth", "kx_depth", "first"),
    [("30", "12", 1), ("15", "15", 0), ("11", "40", 0)],
)
def test_the_leg_with_less_depth_goes_first_as_fill_or_kill(pm_depth, kx_depth, first) -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", pm_depth)])
    world.books[KX] = book(KX, asks=[("0.55", kx_depth)])
    world.executor().submit(entry("t", "10", "0.40", "0.55"))
    assert world.path("t") == HEDGED_PATH
    assert [f.leg for f in world.fills] == [first, 1 - first]
    assert world.fills[0].client_order_id == f"t-{first}-1"


def test_a_kalshi_order_over_several_levels_pays_the_order_fee_not_one_per_level() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.85", 100)])
    world.books[KX] = book(KX, asks=[("0.10", 2), ("0.11", 2)])
    world.executor().submit(entry("t", "4", "0.85", "0.11"))
    assert world.path("t") == HEDGED_PATH
    kx = [f for f in world.fills if f.leg == 1]
    assert [(f.price, f.size) for f in kx] == [(D("0.10"), D(2)), (D("0.11"), D(2))]
    # 0.07 × 2 × 0.10 × 0.90 = 0.0126; 0.07 × 2 × 0.11 × 0.89 = 0.013706 -> 0.0138
    # order: 0.0126 + 0.0138 = 0.0264 -> 0.03 (two separate orders would pay 0.02 + 0.02)
    assert sum(f.fee for f in kx) == D("0.03")
    assert sum(f.fee for f in kx) == KX_MARKET.fees.order_fee([(f.price, f.size) for f in kx])
    assert [f.fee for f in kx] == [D("0.02"), D("0.01")]  # what each fill added to the order
    # Kalshi (depth 4) went first; Polymarket 4 × 0.03 × 0.85 × 0.15 = 0.0153
    assert world.fills[0].leg == 1
    assert [f.fee for f in world.fills if f.leg == 0] == [D("0.01530")]


def test_fills_use_the_book_at_the_due_time_not_the_decision_book() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 20)])
    world.books[KX] = book(KX, asks=[("0.55", 20)])
    executor = world.executor(latency=timedelta(seconds=2))
    executor.submit(entry("t", "10", "0.45", "0.55"))
    assert world.path("t") == [TradeState.PLANNED] and not world.fills
    assert executor.busy(GAME) and not executor.busy("NBA:other")

    world.play(executor, BookUpdate(book(PM, asks=[("0.44", 20)])), T0 + timedelta(seconds=1))
    assert not world.fills  # 1 s < 2 s: not due yet
    # the first event at or after T0 + 2 s fills on the book standing then (0.44), before the
    # event's own book (0.42) applies
    world.play(executor, BookUpdate(book(PM, asks=[("0.42", 20)])), T0 + timedelta(seconds=3))
    assert world.path("t") == HEDGED_PATH
    assert world.taken("t") == [
        (0, Side.BUY, D("0.44"), D(10)),
        (1, Side.BUY, D("0.55"), D(10)),
    ]
    assert {f.at for f in world.fills} == {T0 + timedelta(seconds=2)}
    assert not executor.busy(GAME)


async def test_drain_fills_what_is_pending_on_the_last_books() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 20)])
    world.books[KX] = book(KX, asks=[("0.55", 20)])
    executor = world.executor(latency=timedelta(seconds=5))
    executor.submit(entry("t", "10", "0.45", "0.55"))
    world.play(executor, BookUpdate(book(KX, asks=[("0.54", 20)])), T0 + timedelta(seconds=1))
    assert not world.fills
    await executor.drain()
    assert world.taken("t") == [
        (0, Side.BUY, D("0.40"), D(10)),
        (1, Side.BUY, D("0.54"), D(10)),
    ]
    assert {f.at for f in world.fills} == {T0 + timedelta(seconds=5)}
    assert not executor.busy(GAME)


def test_consumed_liquidity_is_not_reused_until_the_level_changes() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 16)], bids=[("0.38", 5)])
    world.books[KX] = book(KX, asks=[("0.55", 100)])
    executor = world.executor()
    at = T0

    def plan(trade_id: str) -> list[tuple[int, Side, D, D]]:
        executor.submit(entry(trade_id, "10", "0.40", "0.55", at))
        return world.taken(trade_id)

    assert plan("a") == [(0, Side.BUY, D("0.40"), D(10)), (1, Side.BUY, D("0.55"), D(10))]
    # 16 − 10 = 6 left at 0.40 < 10: Polymarket (depth 6) goes first and is killed
    assert plan("b") == [] and world.path("b")[-1] is TradeState.MISSED
    # a new book with the same 16 at 0.40 (only the bids moved): still 6
    at += timedelta(seconds=1)
    world.play(executor, BookUpdate(book(PM, asks=[("0.40", 16)], bids=[("0.39", 5)])), at)
    assert plan("c") == [] and world.path("c")[-1] is TradeState.MISSED
    # the level now shows 15: the book says the shares are back, 15 available
    world.play(executor, BookUpdate(book(PM, asks=[("0.40", 15)])), at)
    assert plan("d") == [(0, Side.BUY, D("0.40"), D(10)), (1, Side.BUY, D("0.55"), D(10))]
    assert plan("e") == []  # 15 − 10 = 5 < 10
    # the Kalshi book never changed: 10 (a) + 10 (d) taken of its 100
    assert executor.consumed.taken(KX, Side.BUY, D("0.55")) == D(20)
    # the level vanishes and comes back with the very same 15: it counts as new
    world.play(executor, BookUpdate(book(PM, asks=[("0.41", 15)])), at)
    world.play(executor, BookUpdate(book(PM, asks=[("0.40", 15)])), at)
    assert executor.consumed.taken(PM, Side.BUY, D("0.40")) == 0
    assert plan("f") == [(0, Side.BUY, D("0.40"), D(10)), (1, Side.BUY, D("0.55"), D(10))]


def test_a_fill_or_kill_first_leg_that_cannot_fill_whole_is_missed() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 5), ("0.45", 10)])
    world.books[KX] = book(KX, asks=[("0.55", 20)])
    executor = world.executor()
    executor.submit(entry("t", "10", "0.40", "0.55"))
    # within 0.40 only 5 of 10: the FOK fills nothing, the second leg is never sent
    assert world.path("t") == [TradeState.PLANNED, TradeState.LEG1_SENT, TradeState.MISSED]
    assert world.fills == []
    assert executor.consumed.taken(PM, Side.BUY, D("0.40")) == 0
    assert not executor.busy(GAME)


def short_second_leg(world: World, pm_bids, kx_asks_later) -> PaperExecutor:
    """Polymarket fills first; Kalshi's book moves before leg 2 arrives 1 s later."""
    world.books[PM] = book(PM, asks=[("0.40", 10)], bids=pm_bids)
    world.books[KX] = book(KX, asks=[("0.55", 30)])
    executor = world.executor(leg_gap=timedelta(seconds=1))
    executor.submit(entry("t", "10", "0.40", "0.55"))
    assert world.path("t") == HEDGED_PATH[:-1]  # leg 2 sent, not yet arrived
    assert executor.busy(GAME)
    later = T0 + timedelta(milliseconds=500)
    world.play(executor, BookUpdate(book(KX, asks=kx_asks_later)), later)
    world.play(executor, BookUpdate(book(KX, asks=[("0.50", 99)])), T0 + timedelta(seconds=2))
    assert not executor.busy(GAME)
    return executor


def test_a_missed_second_leg_is_retried_then_unwound_to_flat() -> None:
    world = World()
    short_second_leg(world, pm_bids=[("0.38", 4), ("0.37", 20)], kx_asks_later=[("0.60", 30)])
    # IOC ≤ 0.55: nothing; hedge retry ≤ 0.55 + 0.02 = 0.57: nothing (0.60); unwind: sell 10
    assert world.path("t") == [
        TradeState.PLANNED,
        TradeState.LEG1_SENT,
        TradeState.LEG1_FILLED,
        TradeState.LEG2_SENT,
        TradeState.LEG2_SENT,
        TradeState.UNWINDING,
        TradeState.FLAT,
    ]
    assert "@ 0.57" in world.states[4][2]
    assert world.taken("t") == [
        (0, Side.BUY, D("0.40"), D(10)),
        (0, Side.SELL, D("0.38"), D(4)),
        (0, Side.SELL, D("0.37"), D(6)),  # 4 + 6 = 10 sold back
    ]
    unwind = world.fills[1:]
    # 4 × 0.03 × 0.38 × 0.62 = 0.028272 -> 0.02828; 6 × 0.03 × 0.37 × 0.63 = 0.041958 -> 0.04196
    assert [f.fee for f in unwind] == [D("0.02828"), D("0.04196")]
    # orders: paper-1 leg 1, paper-2 leg 2 IOC, paper-3 hedge retry, paper-4 the unwind
    assert {(f.client_order_id, f.order_id) for f in unwind} == {("t-0-2", "paper-4")}
    assert {f.at for f in unwind} == {T0 + timedelta(seconds=1)}


def test_a_short_second_leg_topped_up_by_the_hedge_then_the_excess_unwound() -> None:
    world = World()
    short_second_leg(
        world,
        pm_bids=[("0.38", 4)],
        kx_asks_later=[("0.55", 4), ("0.57", 3), ("0.58", 20)],
    )
    assert world.path("t")[-2:] == [TradeState.UNWINDING, TradeState.HEDGED]
    assert world.taken("t") == [
        (0, Side.BUY, D("0.40"), D(10)),
        (1, Side.BUY, D("0.55"), D(4)),  # IOC ≤ 0.55
        (1, Side.BUY, D("0.57"), D(3)),  # hedge ≤ 0.57: 4 + 3 = 7 of 10
        (0, Side.SELL, D("0.38"), D(3)),  # 10 − 7 = 3 sold back: 7 on each leg
    ]
    kx = [f for f in world.fills if f.leg == 1]
    # IOC: 0.07 × 4 × 0.55 × 0.45 = 0.0693 -> 0.07; hedge: 0.07 × 3 × 0.57 × 0.43 = 0.051471
    # -> 0.0515 -> 0.06 (a separate order, its own fee)
    assert [(f.client_order_id, f.fee) for f in kx] == [("t-1-1", D("0.07")), ("t-1-2", D("0.06"))]


def test_an_unwind_without_bids_is_broken() -> None:
    world = World()
    short_second_leg(world, pm_bids=[], kx_asks_later=[("0.60", 30)])
    assert world.path("t")[-2:] == [TradeState.UNWINDING, TradeState.BROKEN]
    assert world.taken("t") == [(0, Side.BUY, D("0.40"), D(10))]
    assert "one-legged by 10" in world.states[-1][2]


def test_a_second_leg_whose_book_lost_continuity_fills_nothing() -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 10)], bids=[("0.38", 10)])
    world.books[KX] = book(KX, asks=[("0.55", 30)])
    executor = world.executor(leg_gap=timedelta(seconds=1))
    executor.submit(entry("t", "10", "0.40", "0.55"))
    executor.on_event(ContinuityLost("kalshi", (KX,), "gap"), T0 + timedelta(milliseconds=1))
    executor.on_event(ContinuityLost("kalshi", ("other",), "gap"), T0 + timedelta(seconds=5))
    assert world.path("t")[-3:] == [TradeState.LEG2_SENT, TradeState.UNWINDING, TradeState.FLAT]
    assert world.taken("t") == [(0, Side.BUY, D("0.40"), D(10)), (0, Side.SELL, D("0.38"), D(10))]


@pytest.mark.parametrize("case", ["missing", "not_continuous", "lost", "no_market", "settled"])
def test_nothing_is_filled_on_a_doubtful_book(case) -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 20)], continuous=case != "not_continuous")
    world.books[KX] = book(KX, asks=[("0.55", 20)])
    if case == "missing":
        del world.books[PM]
    if case == "no_market":
        del world.markets[PM]
    executor = world.executor()
    if case == "lost":
        executor.on_event(ContinuityLost("polymarket", (PM,), "silent socket"), T0)
    if case == "settled":
        settled = Settlement(venue="polymarket", market_id="pm", payouts={PM: D(1)})
        executor.on_event(MarketSettled(settled), T0)
    executor.submit(entry("t", "10", "0.40", "0.55"))
    assert world.path("t") == [TradeState.PLANNED, TradeState.LEG1_SENT, TradeState.MISSED]
    assert world.fills == []


@pytest.mark.parametrize(
    "restore",
    [
        ContinuityRestored("polymarket", (PM,)),
        BookUpdate(book(PM, asks=[("0.40", 20)])),
    ],
)
def test_a_book_is_traded_again_once_continuity_is_restored(restore) -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 20)])
    world.books[KX] = book(KX, asks=[("0.55", 20)])
    executor = world.executor()
    executor.on_event(ContinuityLost("polymarket", (PM,), "gap"), T0)
    executor.submit(entry("lost", "10", "0.40", "0.55"))
    world.play(executor, restore, T0)
    executor.submit(entry("back", "10", "0.40", "0.55"))
    assert world.path("lost")[-1] is TradeState.MISSED
    assert world.path("back") == HEDGED_PATH


def test_a_remainder_under_the_minimum_size_is_not_filled() -> None:
    world = World()
    # Polymarket: orders of at least 5 shares in steps of 0.01; Kalshi: steps of 0.01
    world.markets[PM] = attrs.evolve(PM_MARKET, min_size=D(5))
    world.markets[KX] = attrs.evolve(KX_MARKET, min_size=D("0.01"), size_increment=D("0.01"))
    world.books[PM] = book(PM, asks=[("0.40", 50)])
    world.books[KX] = book(KX, asks=[("0.55", 10)], bids=[("0.52", 10)])
    executor = world.executor(leg_gap=timedelta(seconds=1))
    executor.submit(entry("t", "10", "0.40", "0.55"))  # Kalshi (depth 10 < 50) goes first
    moved = book(PM, asks=[("0.40", "7.5"), ("0.41", 50)])
    world.play(executor, BookUpdate(moved), T0 + timedelta(milliseconds=500))
    world.play(executor, BookUpdate(moved), T0 + timedelta(seconds=1))
    # IOC ≤ 0.40 fills 7.5; the 10 − 7.5 = 2.5 left is under 5: the hedge retry fills nothing
    # though 0.41 ≤ 0.42 has plenty; the unwind sells Kalshi's 2.5 excess back
    assert world.taken("t") == [
        (1, Side.BUY, D("0.55"), D(10)),
        (0, Side.BUY, D("0.40"), D("7.5")),
        (1, Side.SELL, D("0.52"), D("2.5")),
    ]
    assert world.path("t")[-1] is TradeState.HEDGED
    # 7.5 × 0.03 × 0.40 × 0.60 = 0.054
    assert world.fills[1].fee == D("0.05400")


def test_a_first_leg_below_the_minimum_size_is_missed() -> None:
    world = World()
    world.markets[PM] = attrs.evolve(PM_MARKET, min_size=D(5))
    world.books[PM] = book(PM, asks=[("0.40", 4)])
    world.books[KX] = book(KX, asks=[("0.55", 40)])
    world.executor().submit(entry("t", "4", "0.40", "0.55"))  # 4 < 5 shares on Polymarket
    assert world.path("t")[-1] is TradeState.MISSED and world.fills == []


def test_an_exit_sells_what_the_bids_take_and_reports_the_rest() -> None:
    world = World()
    world.books[PM] = book(PM, bids=[("0.52", 4), ("0.50", 3), ("0.49", 100)])
    world.books[KX] = book(KX, bids=[("0.45", "20")])
    executor = world.executor()
    executor.submit(exit_plan("x", pm=("10", "0.50"), kx=("10", "0.40")))
    assert world.path("x") == [
        TradeState.PLANNED,
        TradeState.LEG1_SENT,
        TradeState.LEG1_PARTIAL,
        TradeState.LEG2_SENT,
        TradeState.BROKEN,
    ]
    assert world.taken("x") == [
        (0, Side.SELL, D("0.52"), D(4)),
        (0, Side.SELL, D("0.50"), D(3)),  # 0.49 is under the 0.50 limit: 4 + 3 = 7 of 10
        (1, Side.SELL, D("0.45"), D(10)),
    ]
    assert "leg 0: 3 left" in world.states[-1][2]
    # 4 × 0.03 × 0.52 × 0.48 = 0.029952 -> 0.02996; 3 × 0.03 × 0.50 × 0.50 = 0.0225
    # Kalshi 0.07 × 10 × 0.45 × 0.55 = 0.17325 -> 0.1733 -> 0.18
    assert [f.fee for f in world.fills] == [D("0.02996"), D("0.02250"), D("0.18")]
    assert executor.consumed.taken(PM, Side.SELL, D("0.52")) == D(4)


def test_an_exit_that_sells_everything_is_flat_and_respects_the_size_step() -> None:
    world = World()
    world.books[PM] = book(PM, bids=[("0.52", 20)])
    world.books[KX] = book(KX, bids=[("0.45", "4.5")])  # Kalshi here trades whole contracts
    world.executor().submit(exit_plan("x", pm=("10", "0.50"), kx=("4", "0.40")))
    assert world.path("x")[-1] is TradeState.FLAT
    world.states.clear()
    world.executor().submit(exit_plan("y", pm=("10", "0.50"), kx=("6", "0.40")))
    # 4.5 on the bid: a whole-contract order sells 4 of 6
    assert [(f.leg, f.size) for f in world.fills if f.trade_id == "y"] == [(0, D(10)), (1, D(4))]
    assert "leg 1: 2 left" in world.states[-1][2]


@pytest.mark.parametrize("gone", [PM, KX])
def test_an_exit_with_a_leg_that_has_no_book_sells_nothing(gone: str) -> None:
    """Selling one leg of two would leave the position one-legged: if either leg has nothing
    to sell into when the exit is due (its game no longer watched), nothing is sent."""
    world = World()
    world.books[PM] = book(PM, bids=[("0.52", 20)])
    world.books[KX] = book(KX, bids=[("0.45", "20")])
    del world.books[gone]
    world.executor().submit(exit_plan("x", pm=("10", "0.50"), kx=("10", "0.40")))
    assert world.path("x") == [TradeState.PLANNED, TradeState.MISSED]
    assert world.fills == []
    leg_index = 0 if gone == PM else 1
    assert f"leg {leg_index} has nothing to sell into (no book)" in world.states[-1][2]


def test_hedge_price_is_bounded_and_on_the_grid() -> None:
    assert hedge_price(D("0.45"), D("0.02"), Side.BUY, D("0.01")) == D("0.47")
    assert hedge_price(D("0.98"), D("0.02"), Side.BUY, D("0.01")) == D("0.99")  # 1.00 -> 0.99
    assert hedge_price(D("0.455"), D("0.02"), Side.BUY, D("0.01")) == D("0.47")  # 0.475 down
    assert hedge_price(D("0.02"), D("0.02"), Side.SELL, D("0.01")) == D("0.01")  # 0.00 -> 0.01


def test_the_same_inputs_give_the_same_fills() -> None:
    def run() -> tuple[list[TradeFill], list[tuple[str, TradeState, str]]]:
        world = World()
        world.books[PM] = book(PM, asks=[("0.40", 6), ("0.41", 30)], bids=[("0.38", 50)])
        world.books[KX] = book(KX, asks=[("0.55", 12), ("0.56", 4)])
        executor = world.executor(latency=timedelta(seconds=1), leg_gap=timedelta(seconds=1))
        for n in range(4):
            executor.submit(entry(f"t{n}", "8", "0.41", "0.56", T0 + timedelta(seconds=n)))
            level = str(12 - n)
            at = T0 + timedelta(seconds=n, milliseconds=500)
            world.play(executor, BookUpdate(book(KX, asks=[("0.55", level), ("0.58", 9)])), at)
        world.play(executor, BookUpdate(book(PM, asks=[])), T0 + timedelta(seconds=30))
        return world.fills, world.states

    first, second = run(), run()
    assert first == second
    assert len(first[0]) > 4  # something traded


def test_the_paper_modules_cannot_reach_a_venue() -> None:
    for module in (paper_module, paper_book):
        tree = ast.parse(Path(module.__file__).read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        forbidden = ("arbkit_polymarket", "arbkit_kalshi", "httpx", "websockets", "arbkit.net")
        leaks = sorted(n for n in names if n.split(".")[0] in forbidden or n in forbidden)
        assert leaks == [], f"{module.__name__} imports {leaks}"
        assert "random" not in names and "time" not in names


def test_a_level_that_changed_counts_as_new_even_unobserved() -> None:
    consumed = paper_book.ConsumedLiquidity()
    before = book(PM, asks=[("0.40", 16), ("0.41", 5)])
    consumed.take(before, Side.BUY, [(D("0.40"), D(10))])
    consumed.take(before, Side.BUY, [(D("0.40"), D(2))])
    assert consumed.available(before, Side.BUY) == [(D("0.40"), D(4)), (D("0.41"), D(5))]
    # 16 − 10 − 2 = 4; a book whose 0.40 level shows 17 (never passed to observe) is not the
    # level the shares were taken from: all 17 are there
    after = book(PM, asks=[("0.40", 17), ("0.41", 5)])
    assert consumed.available(after, Side.BUY) == [(D("0.40"), D(17)), (D("0.41"), D(5))]
    # the bids of the same contract are a different side: untouched
    assert consumed.available(book(PM, bids=[("0.40", 16)]), Side.SELL) == [(D("0.40"), D(16))]


def test_a_badly_ordered_book_is_still_walked_best_first() -> None:
    shuffled = book(PM, asks=[("0.45", 5), ("0.40", 5)], bids=[("0.30", 5), ("0.35", 5)])
    assert paper_book.walk(paper_book.levels_to_take(shuffled, Side.BUY), D(7), None, Side.BUY) == [
        (D("0.40"), D(5)),
        (D("0.45"), D(2)),
    ]
    assert paper_book.levels_to_take(shuffled, Side.SELL)[0] == (D("0.35"), D(5))


@pytest.mark.parametrize(
    "change",
    [
        {"mode": Mode.LIVE},
        {"legs": (leg(PM, "10", "0.40"),)},
        {"legs": (leg(PM, "10", "0.40"), leg(KX, "10", "0.55", side=Side.SELL))},
        {"legs": (leg(PM, "10", "0.40"), leg(KX, "9", "0.55"))},
    ],
)
def test_a_malformed_entry_sends_nothing(change) -> None:
    world = World()
    world.books[PM] = book(PM, asks=[("0.40", 20)], bids=[("0.39", 20)])
    world.books[KX] = book(KX, asks=[("0.55", 20)], bids=[("0.54", 20)])
    executor = world.executor()
    executor.submit(attrs.evolve(entry("t", "10", "0.40", "0.55"), **change))
    assert world.path("t") == [TradeState.PLANNED, TradeState.MISSED] and world.fills == []
    assert not executor.busy(GAME)
    executor.submit(
        attrs.evolve(exit_plan("x", pm=("10", "0.39"), kx=("10", "0.54")), mode=Mode.LIVE)
    )
    assert world.path("x") == [TradeState.PLANNED, TradeState.BROKEN] and world.fills == []


def test_importing_the_paper_executor_loads_no_order_path() -> None:
    # a fresh interpreter: this test process has long imported the venue plugins
    code = (
        "import sys, arbkit.trading.paper\n"
        "roots = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(roots & {'arbkit_polymarket', 'arbkit_kalshi', 'arbkit_replay',"
        " 'httpx', 'websockets'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
