"""PositionBook: fills to positions, partial sells, settlements, marks, rows and JSON.

Every expected figure is worked out by hand in the test from the venues' published formulas
(Polymarket ``C × rate × p(1−p)`` to 0.00001 per level, Kalshi ``ceil¢(0.07 × C × P(1−P))``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from arbkit_kalshi.fees import KalshiFees
from arbkit_polymarket.fees import PolymarketFees
from attrs import evolve

from arbkit.models import Market, OrderBook, Settlement, Side
from arbkit.store.db import open_store
from arbkit.trading.model import (
    LegPlan,
    Mode,
    PlanKind,
    PositionStatus,
    TradeFill,
    TradePlan,
)
from arbkit.trading.positions import (
    PositionBook,
    held_sizes,
    is_one_legged,
    position_from_row,
    position_json,
    position_row,
    realized_pnl,
)

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
START = T0 + timedelta(hours=1)
PM, K = "tok-usc", "KXNCAAF-USCWIS-WIS:no"  # two contracts that pay in the same outcomes


def market(venue: str, market_id: str, contract: str, fees) -> Market:
    return Market(venue=venue, market_id=market_id, event_id="e", title="t", fees=fees)


MARKETS = {
    PM: market("polymarket", "usc-wis", PM, PolymarketFees(rate="0.05")),
    K: market("kalshi", "KXNCAAF-USCWIS-WIS", K, KalshiFees("quadratic_with_maker_fees", 1)),
}


def plan(kind: PlanKind = PlanKind.ENTRY, reason: str = "", trade_id: str = "t1") -> TradePlan:
    side = Side.BUY if kind is PlanKind.ENTRY else Side.SELL
    legs = tuple(
        LegPlan(
            venue=m.venue,
            market_id=m.market_id,
            contract_id=cid,
            outcome=f"outcome of {cid}",
            side=side,
            size=D(10),
            limit_price=D("0.5"),
            expected_price=D("0.5"),
        )
        for cid, m in MARKETS.items()
    )
    return TradePlan(
        trade_id=trade_id,
        kind=kind,
        mode=Mode.PAPER,
        game_id="NCAAF:2026-11-24:USC@WIS",
        league="NCAAF",
        strategy="cross_venue",
        opportunity_key="k",
        legs=legs,
        size=D(10),
        decided_at=T0,
        start_time=START,
        reason=reason,
    )


def fill(contract: str, side: Side, price: str, size: str, fee: str, sec: int, fid: str):
    m = MARKETS[contract]
    return TradeFill(
        trade_id="t1",
        leg=0 if contract == PM else 1,
        venue=m.venue,
        market_id=m.market_id,
        contract_id=contract,
        side=side,
        price=D(price),
        size=D(size),
        fee=D(fee),
        at=T0 + timedelta(seconds=sec),
        fill_id=fid,
    )


def entered() -> PositionBook:
    """10 PM at 0.40 (6) and 0.42 (4), 10 Kalshi at 0.55: fees worked out by hand."""
    book = PositionBook(Mode.PAPER)
    entry = plan()
    # Polymarket: 6 × 0.05 × 0.40 × 0.60 = 0.072; 4 × 0.05 × 0.42 × 0.58 = 0.04872
    book.apply(entry, fill(PM, Side.BUY, "0.40", "6", "0.072", 1, "f1"))
    book.apply(entry, fill(PM, Side.BUY, "0.42", "4", "0.04872", 2, "f2"))
    # Kalshi: ceil¢(0.07 × 10 × 0.55 × 0.45 = 0.17325) = 0.18
    book.apply(entry, fill(K, Side.BUY, "0.55", "10", "0.18", 3, "f3"))
    return book


def test_fills_open_a_position_with_exact_cost_fees_and_average_price() -> None:
    position = entered().get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None and position.status is PositionStatus.OPEN
    pm, k = position.legs[PM], position.legs[K]
    assert (pm.size, pm.bought, pm.cost, pm.fees) == (D(10), D(10), D("4.08"), D("0.12072"))
    assert pm.avg_price == D("0.408")
    assert (k.size, k.cost, k.fees, k.avg_price) == (D(10), D("5.50"), D("0.18"), D("0.55"))
    assert pm.outcome == f"outcome of {PM}" and pm.venue == "polymarket"
    assert position.cost == D("9.58") and position.fees == D("0.30072")
    assert position.opened_at == T0 + timedelta(seconds=1)  # the first fill's time
    assert (position.league, position.strategy, position.start_time) == (
        "NCAAF",
        "cross_venue",
        START,
    )
    assert realized_pnl(position) == D("-0.30072")  # only fees so far
    assert not is_one_legged(position)
    assert held_sizes([position]) == {("polymarket", PM): D(10), ("kalshi", K): D(10)}


def test_the_same_fill_twice_is_booked_once() -> None:
    book = entered()
    book.apply(plan(), fill(K, Side.BUY, "0.55", "10", "0.18", 3, "f3"))
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None
    assert position.legs[K].size == D(10) and len(position.legs[K].fills) == 1


def test_a_single_leg_is_one_legged_until_the_second_fills() -> None:
    book = PositionBook(Mode.PAPER)
    position = book.apply(plan(), fill(PM, Side.BUY, "0.40", "6", "0.072", 1, "f1"))
    assert is_one_legged(position)
    book.apply(plan(), fill(K, Side.BUY, "0.55", "4", "0.07", 2, "f2"))
    assert is_one_legged(position)  # 6 against 4
    book.apply(plan(), fill(K, Side.BUY, "0.55", "2", "0.04", 3, "f3"))
    assert not is_one_legged(position)


def test_partial_sell_takes_average_cost_off_and_realizes_the_rest() -> None:
    book = entered()
    sell = plan(PlanKind.EXIT, reason="convergence: selling now makes 0.2", trade_id="x1")
    position = book.apply(sell, fill(PM, Side.SELL, "0.50", "5", "0.0625", 20, "s1"))
    pm = position.legs[PM]
    assert (pm.size, pm.proceeds) == (D(5), D("2.50"))
    assert pm.fees == D("0.12072") + D("0.0625")
    # sold 5 of 10 bought for 4.08: their cost is 2.04
    assert realized_pnl(position) == D("2.50") - D("2.04") - D("0.12072") - D("0.0625") - D("0.18")
    assert position.is_open and is_one_legged(position)
    assert held_sizes([position])[("polymarket", PM)] == D(5)


def test_selling_every_leg_closes_with_the_exit_reason() -> None:
    book = entered()
    sell = plan(PlanKind.EXIT, reason="take_profit: profit 1 reached 1", trade_id="x1")
    book.apply(sell, fill(PM, Side.SELL, "0.50", "10", "0.125", 30, "s1"))
    position = book.apply(sell, fill(K, Side.SELL, "0.60", "10", "0.17", 31, "s2"))
    assert position.status is PositionStatus.CLOSED
    assert position.exit_reason == "take_profit: profit 1 reached 1"
    assert position.closed_at == T0 + timedelta(seconds=31)
    fees = D("0.12072") + D("0.18") + D("0.125") + D("0.17")
    assert realized_pnl(position) == D("5.00") + D("6.00") - D("9.58") - fees
    assert book.open_positions() == [] and book.all() == [position]
    assert held_sizes(book.all()) == {}


def test_an_unwind_without_a_reason_is_unwound() -> None:
    book = PositionBook(Mode.PAPER)
    book.apply(plan(), fill(PM, Side.BUY, "0.40", "6", "0.072", 1, "f1"))
    position = book.apply(plan(PlanKind.EXIT), fill(PM, Side.SELL, "0.39", "6", "0.07", 2, "u1"))
    assert position.status is PositionStatus.CLOSED and position.exit_reason == "unwound"


def test_selling_what_is_not_held_is_refused() -> None:
    book = PositionBook(Mode.PAPER)
    with pytest.raises(ValueError, match="no position"):
        book.apply(plan(PlanKind.EXIT), fill(PM, Side.SELL, "0.5", "1", "0", 1, "s"))
    book = entered()
    with pytest.raises(ValueError, match="selling 11"):
        book.apply(plan(PlanKind.EXIT), fill(PM, Side.SELL, "0.5", "11", "0", 9, "s"))


def settlement(venue: str, market_id: str, payouts: dict[str, str], void: bool = False):
    return Settlement(
        venue=venue,
        market_id=market_id,
        payouts={cid: D(v) for cid, v in payouts.items()},
        void=void,
    )


PM_SETTLES = "polymarket", "usc-wis"
K_SETTLES = "kalshi", "KXNCAAF-USCWIS-WIS"


def test_settlement_win_pays_the_winning_leg_once() -> None:
    book = entered()
    at = START + timedelta(hours=4)
    # USC wins: the USC token pays 1; Kalshi "Wisconsin wins" NO pays 1 too
    changed = book.settle(settlement(*PM_SETTLES, {PM: "1", "tok-wis": "0"}), at)
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert changed == [position] and position is not None
    assert position.is_open and not is_one_legged(position)  # waiting for Kalshi only
    assert book.settle(settlement(*PM_SETTLES, {PM: "1", "tok-wis": "0"}), at) == []  # once
    book.settle(settlement(*K_SETTLES, {K: "1", "KXNCAAF-USCWIS-WIS:yes": "0"}), at)
    assert position.status is PositionStatus.SETTLED and position.exit_reason == "settled"
    assert position.closed_at == at and position.proceeds == D(20)
    assert realized_pnl(position) == D(20) - D("9.58") - D("0.30072")
    assert book.settle(settlement(*K_SETTLES, {K: "1"}), at) == []
    assert position.proceeds == D(20)  # the same settlement twice pays once
    # the payouts are not shown as orders' fills
    assert [len(leg["fills"]) for leg in position_json(position)["legs"]] == [2, 1]


def test_settlement_loss_pays_nothing() -> None:
    book = PositionBook(Mode.PAPER)
    book.apply(plan(), fill(K, Side.BUY, "0.55", "10", "0.18", 3, "f3"))
    at = START + timedelta(hours=4)
    (position,) = book.settle(settlement(*K_SETTLES, {K: "0"}), at)
    assert position.status is PositionStatus.SETTLED
    assert realized_pnl(position) == D("-5.50") - D("0.18")


def test_a_50_50_void_pays_half_on_each_contract() -> None:
    book = entered()
    at = START + timedelta(hours=4)
    book.settle(settlement(*PM_SETTLES, {PM: "0.5", "tok-wis": "0.5"}, void=True), at)
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None and position.legs[PM].proceeds == D(5)
    assert position.is_open  # Kalshi has not settled its leg
    book.settle(settlement(*K_SETTLES, {K: "1"}), at)
    assert realized_pnl(position) == D(15) - D("9.58") - D("0.30072")


def test_a_settlement_without_the_legs_payout_leaves_it_held() -> None:
    book = entered()
    assert book.settle(settlement(*PM_SETTLES, {"tok-wis": "0"}), START) == []
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None and position.legs[PM].size == D(10)


def books(**bids: tuple[tuple[str, str], ...]) -> dict[str, OrderBook]:
    return {
        cid: OrderBook(
            venue=MARKETS[cid].venue,
            contract_id=cid,
            bids=tuple((D(p), D(s)) for p, s in levels),
        )
        for cid, levels in zip((PM, K), bids.values(), strict=True)
    }


def test_a_mark_sells_into_the_bids_after_the_venues_fees() -> None:
    book = entered()
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None
    current = books(pm=(("0.45", "6"), ("0.44", "10")), k=(("0.52", "20"),))
    now = T0 + timedelta(seconds=10)
    unrealized = book.mark(position, current.get, MARKETS.get, now)
    # PM: 6 × 0.45 + 4 × 0.44 = 4.46; fee 6 × 0.05 × 0.45 × 0.55 = 0.07425 plus
    # 4 × 0.05 × 0.44 × 0.56 = 0.04928. Kalshi: 5.20, fee ceil¢(0.07 × 10 × 0.52 × 0.48) = 0.18
    pm_net = D("4.46") - D("0.07425") - D("0.04928")
    k_net = D("5.20") - D("0.18")
    assert unrealized == pm_net + k_net - D("9.58")
    assert position.unrealized_pnl == unrealized and position.marked_at == now


def test_a_leg_without_a_usable_book_keeps_its_last_mark() -> None:
    book = entered()
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None
    first = books(pm=(("0.45", "10"),), k=(("0.52", "20"),))
    marked = book.mark(position, first.get, MARKETS.get, T0)
    doubtful = {
        PM: OrderBook(
            venue="polymarket", contract_id=PM, bids=((D("0.99"), D(99)),), continuous=False
        ),
        K: OrderBook(venue="kalshi", contract_id=K),  # no bids
    }
    later = T0 + timedelta(seconds=1)
    assert book.mark(position, doubtful.get, MARKETS.get, later) == marked
    assert position.marked_at == later


def test_a_leg_never_marked_counts_at_cost_and_thin_bids_bring_nothing_more() -> None:
    book = entered()
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None
    only_pm = {PM: OrderBook(venue="polymarket", contract_id=PM, bids=((D("0.50"), D(4)),))}
    # 4 sell at 0.50 (fee 4 × 0.05 × 0.25 = 0.05), 6 find no bid; Kalshi never seen: 0
    assert book.mark(position, only_pm.get, MARKETS.get, T0) == D("2.00") - D("0.05") - D("4.08")


def test_positions_round_trip_through_the_game_positions_table() -> None:
    book = entered()
    sell = plan(PlanKind.EXIT, reason="convergence: x", trade_id="x1")
    book.apply(sell, fill(PM, Side.SELL, "0.50", "5", "0.0625", 20, "s1"))
    book.settle(settlement(*K_SETTLES, {K: "1"}), START)
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None
    store = open_store(":memory:")
    store.db["game_positions"].insert(position_row(position, "run-1"))
    (row,) = store.db["game_positions"].rows
    assert row["run_id"] == "run-1" and row["status"] == "open"
    assert D(row["realized_pnl"]) == realized_pnl(position)
    restored = position_from_row(row)
    assert restored == position
    again = PositionBook(Mode.PAPER)
    again.load([restored])
    assert again.settle(settlement(*K_SETTLES, {K: "1"}), START) == []  # already paid


def test_position_json_has_the_issues_shape_with_decimal_strings() -> None:
    book = entered()
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert position is not None
    data = position_json(position)
    assert {"game", "status", "legs", "cost", "proceeds", "realized_pnl", "unrealized_pnl"} <= set(
        data
    )
    assert data["game"] == "NCAAF:2026-11-24:USC@WIS" and data["status"] == "open"
    assert (data["cost"], data["proceeds"], data["realized_pnl"]) == ("9.58", "0", "-0.30072")
    assert data["exit_reason"] is None
    leg = data["legs"][0]
    assert {k: leg[k] for k in ("venue", "market", "contract", "side", "size", "avg_price")} == {
        "venue": "polymarket",
        "market": "usc-wis",
        "contract": PM,
        "side": "buy",
        "size": "10",
        "avg_price": "0.408",
    }
    assert leg["fees"] == "0.12072"
    assert leg["fills"][1] == {
        "at": "2026-11-25T00:00:02+00:00",
        "side": "buy",
        "price": "0.42",
        "size": "4",
        "fee": "0.04872",
    }


def test_holding_finds_the_open_positions_a_book_update_re_marks() -> None:
    book = entered()
    position = book.get("NCAAF:2026-11-24:USC@WIS")
    assert book.holding(PM) == [position] and book.holding(K) == [position]
    assert book.holding("tok-wis") == []
    book.settle(settlement(*PM_SETTLES, {PM: "1"}), START)
    book.settle(settlement(*K_SETTLES, {K: "1"}), START)
    assert book.holding(PM) == []  # settled: nothing left to mark
    again = PositionBook(Mode.PAPER)
    again.load([position_from_row(position_row(entered().all()[0], None))])
    assert [p.game_id for p in again.holding(K)] == ["NCAAF:2026-11-24:USC@WIS"]


# -- what a mark remembers (the once-a-second pass over every position) --------------------

GAME = "NCAAF:2026-11-24:USC@WIS"


def pm_book(*levels: tuple[str, str], continuous: bool = True) -> OrderBook:
    bids = tuple((D(p), D(s)) for p, s in levels)
    return OrderBook(venue="polymarket", contract_id=PM, bids=bids, continuous=continuous)


def test_a_remembered_mark_is_redone_when_a_book_or_a_leg_changes() -> None:
    book = entered()
    position = book.get(GAME)
    assert position is not None
    current = books(pm=(("0.45", "6"), ("0.44", "10")), k=(("0.52", "20"),))
    pm_net = D("4.46") - D("0.07425") - D("0.04928")  # as in the first mark test
    first = book.mark(position, current.get, MARKETS.get, T0)
    assert first == pm_net + D("5.20") - D("0.18") - D("9.58")
    assert book.mark(position, current.get, MARKETS.get, T0) == first
    # A new Kalshi book (a new snapshot object): 5.50, fee ceil¢(0.17325) = 0.18
    current[K] = OrderBook(venue="kalshi", contract_id=K, bids=((D("0.55"), D(20)),))
    second = book.mark(position, current.get, MARKETS.get, T0)
    assert second == pm_net + D("5.50") - D("0.18") - D("9.58")
    # The same book objects, but 4 PM sold at 0.45: 6 held cost 4.08 × 6 / 10 = 2.448 and
    # sell for 2.70 − 6 × 0.05 × 0.45 × 0.55 (0.07425)
    book.apply(plan(PlanKind.EXIT, trade_id="x1"), fill(PM, Side.SELL, "0.45", "4", "0", 20, "s"))
    third = book.mark(position, current.get, MARKETS.get, T0)
    assert third == D("2.70") - D("0.07425") - D("2.448") + D("5.50") - D("0.18") - D("5.50")


def test_a_leg_without_a_book_follows_the_newest_usable_book_another_position_saw() -> None:
    book = entered()
    first = book.get(GAME)
    assert first is not None
    second_game = evolve(plan(trade_id="t2"), game_id="NBA:other")
    book.apply(second_game, fill(PM, Side.BUY, "0.40", "10", "0", 1, "o1"))
    second = book.get("NBA:other")
    assert second is not None
    kalshi = books(pm=(("0.45", "10"),), k=(("0.52", "20"),))[K]
    doubtful = pm_book(("0.99", "10"), continuous=False)
    newer = pm_book(("0.47", "10"))
    lookups = {PM: pm_book(("0.45", "10")), K: kalshi}
    book.mark(first, lookups.get, MARKETS.get, T0)
    lookups[PM] = doubtful
    book.mark(first, lookups.get, MARKETS.get, T0)  # valued against the 0.45 book
    book.mark(second, {PM: newer}.get, MARKETS.get, T0)  # the newest usable PM book
    # The same doubtful book object as last time, but the last usable book is the newer one
    valued = book.mark(first, lookups.get, MARKETS.get, T0)
    fresh = entered()
    twin = fresh.get(GAME)
    assert twin is not None
    assert str(valued) == str(fresh.mark(twin, {PM: newer, K: kalshi}.get, MARKETS.get, T0))


def test_marked_with_hands_back_what_the_mark_looked_up_read_only() -> None:
    book = entered()
    position = book.get(GAME)
    assert position is not None
    current = books(pm=(("0.45", "10"),), k=(("0.52", "20"),))
    book.mark(position, current.get, MARKETS.get, T0)
    found_books, found_markets = book.marked_with(position)
    assert dict(found_books) == current and dict(found_markets) == MARKETS
    with pytest.raises(TypeError):
        found_books[PM] = current[K]  # type: ignore[index]
    book.mark(position, current.get, MARKETS.get, T0)
    assert book.marked_with(position)[0] is found_books  # nothing changed: the same mapping
    current[PM] = pm_book(("0.46", "10"))
    book.mark(position, current.get, MARKETS.get, T0)
    assert book.marked_with(position)[0][PM] is current[PM]
    book.apply(plan(PlanKind.EXIT, trade_id="x1"), fill(PM, Side.SELL, "0.46", "10", "0", 20, "s"))
    book.mark(position, {K: current[K]}.get, MARKETS.get, T0)  # PM sold: only Kalshi held
    assert dict(book.marked_with(position)[0]) == {K: current[K]}
    assert book.marked_with(entered().all()[0]) == ({}, {})  # never marked
