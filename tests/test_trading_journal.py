"""The trade journal: exact round trips, commits before returning, idempotent fills, restarts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.models import Order, OrderRequest, OrderStatus, Side, TimeInForce
from arbkit.store.db import open_store
from arbkit.trading.journal import (
    OrderEntry,
    TradeJournal,
    iso,
    plan_from_json,
    plan_to_json,
)
from arbkit.trading.model import LegPlan, Mode, PlanKind, TradeFill, TradePlan, TradeState

T0 = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def make_plan(trade_id: str = "t1", game: str = "NBA:g1", mode: Mode = Mode.LIVE) -> TradePlan:
    legs = (
        LegPlan(
            venue="kalshi",
            market_id="KX-A",
            contract_id="KX-A:yes",
            outcome="A",
            side=Side.BUY,
            size=D("10.00"),
            limit_price=D("0.4100"),
            expected_price=D("0.405"),
            expected_fee=D("0.17"),
        ),
        LegPlan(
            venue="polymarket",
            market_id="pm-a",
            contract_id="tok-b",
            outcome="B",
            side=Side.BUY,
            size=D("10.00"),
            limit_price=D("0.55"),
            expected_price=D("0.55"),
            expected_fee=D("0.12375"),
        ),
    )
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.ENTRY,
        mode=mode,
        game_id=game,
        league="NBA",
        strategy="cross_venue",
        opportunity_key="cross_venue|KX-A:yes|tok-b",
        legs=legs,
        size=D("10.00"),
        decided_at=T0,
        confidence=0.97,
        start_time=T0 + timedelta(hours=1),
        expected_cost=D("9.89375"),
        expected_profit=D("0.10625"),
    )


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "journal.db"


@pytest.fixture
def journal(db_path):
    store = open_store(db_path)
    yield TradeJournal(store, run_id="run-1", mode=Mode.LIVE)
    store.close()


def other_connection(db_path) -> sqlite3.Connection:
    """A second connection sees only what was committed."""
    return sqlite3.connect(str(db_path))


def test_plan_json_round_trips_exactly() -> None:
    plan = make_plan()
    back = plan_from_json(plan_to_json(plan))
    assert back == plan
    assert str(back.legs[0].limit_price) == "0.4100"  # trailing zeros kept
    assert '"0.12375"' in plan_to_json(plan)  # decimals as strings, never floats


def test_plan_and_transitions_are_committed_before_returning(journal, db_path) -> None:
    plan = make_plan()
    journal.plan(plan, T0)
    with other_connection(db_path) as conn:
        assert conn.execute("SELECT state FROM trades").fetchall() == [("planned",)]
    journal.transition("t1", TradeState.LEG1_SENT, T0 + timedelta(seconds=1), "leg 0 first")
    with other_connection(db_path) as conn:
        assert conn.execute("SELECT state FROM trades").fetchall() == [("leg1_sent",)]
        rows = conn.execute("SELECT state, detail FROM trade_transitions ORDER BY id").fetchall()
    assert rows == [("planned", ""), ("leg1_sent", "leg 0 first")]
    with pytest.raises(KeyError):
        journal.transition("nope", TradeState.FLAT, T0)


def test_order_intent_then_update_by_client_id(journal, db_path) -> None:
    plan = make_plan()
    journal.plan(plan, T0)
    request = OrderRequest(
        venue="kalshi",
        contract_id="KX-A:yes",
        side=Side.BUY,
        price="0.41",
        size="10",
        client_order_id="t1-0-1",
        time_in_force=TimeInForce.FOK,
    )
    journal.order_intent(plan, 0, request, T0)
    with other_connection(db_path) as conn:
        row = conn.execute("SELECT status, trade_id, leg, time_in_force FROM orders").fetchone()
    assert row == ("pending", "t1", 0, "fok")
    assert [o["client_order_id"] for o in journal.pending_orders()] == ["t1-0-1"]
    with pytest.raises(sqlite3.IntegrityError):  # one client id, one order
        journal.order_intent(plan, 0, request, T0)
    order = Order(
        venue="kalshi",
        order_id="ord-9",
        client_order_id="t1-0-1",
        contract_id="KX-A:yes",
        side=Side.BUY,
        price="0.41",
        size="10",
        filled="10",
        status=OrderStatus.FILLED,
        average_price="0.405",
        fee="0.17",
    )
    journal.order_update(order, T0 + timedelta(seconds=1))
    (row,) = journal.orders("t1")
    assert (row["order_id"], row["status"], row["filled"], row["average_price"], row["fee"]) == (
        "ord-9",
        "filled",
        "10",
        "0.405",
        "0.17",
    )
    assert journal.pending_orders() == []
    # an update without a venue id keeps the one already known
    journal.order_update(
        Order(
            venue="kalshi",
            order_id=None,
            client_order_id="t1-0-1",
            contract_id="KX-A:yes",
            side=Side.BUY,
            price="0.41",
            size="10",
            filled="10",
            status=OrderStatus.FILLED,
        ),
        T0,
    )
    assert journal.orders("t1")[0]["order_id"] == "ord-9"


def fill(n: int, at: datetime, trade: str = "t1", venue: str = "kalshi") -> TradeFill:
    return TradeFill(
        trade_id=trade,
        leg=0,
        venue=venue,
        market_id="KX-A",
        contract_id="KX-A:yes",
        side=Side.BUY,
        price=D("0.405"),
        size=D("5"),
        fee=D("0.085"),
        at=at,
        client_order_id="t1-0-1",
        order_id="ord-9",
        fill_id=f"f-{n}",
    )


def test_fills_are_idempotent_and_come_back_with_their_plans(journal) -> None:
    plan = make_plan()
    journal.plan(plan, T0)
    later, earlier = fill(2, T0 + timedelta(seconds=2)), fill(1, T0 + timedelta(seconds=1))
    assert journal.fill(later) is True
    assert journal.fill(earlier) is True
    assert journal.fill(later) is False  # the same venue fill id again: nothing new
    # the same fill id on another venue is another fill
    assert journal.fill(fill(2, T0, venue="polymarket")) is True
    got = journal.all_fills()
    assert [f.fill_id for _, f in got] == ["f-2", "f-1", "f-2"]
    assert [f.venue for _, f in got] == ["polymarket", "kalshi", "kalshi"]
    assert all(p == plan for p, _ in got)
    assert got[1][1] == earlier  # exact: decimals, times, ids
    with pytest.raises(ValueError):
        journal.fill(evolve(earlier, fill_id=""))


def _request(cid: str, price: str, size: str) -> OrderRequest:
    return OrderRequest(
        venue="kalshi",
        contract_id="KX-A:yes",
        side=Side.BUY,
        price=price,
        size=size,
        client_order_id=cid,
        time_in_force=TimeInForce.IOC,
    )


def _table(path, table: str) -> list[tuple]:
    with other_connection(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def test_batched_fills_and_orders_are_the_rows_written_one_by_one(tmp_path) -> None:
    """A paper trade's rows written together equal the intent, fills and update written one
    at a time, column for column (an order never updated stays a pending intent)."""
    plan = make_plan(mode=Mode.PAPER)
    done = Order(
        venue="kalshi",
        order_id=None,
        client_order_id="t1-0-1",
        contract_id="KX-A:yes",
        side=Side.BUY,
        price="0.41",
        size="10.00",
        filled="10.00",
        status=OrderStatus.FILLED,
        average_price="0.405",
        fee="0.17",
    )
    fills = [fill(1, T0 + timedelta(seconds=1)), fill(2, T0 + timedelta(seconds=2))]
    one, batch = tmp_path / "one.db", tmp_path / "batch.db"
    fenced: list[int] = []
    stores = [open_store(one), open_store(batch)]
    try:
        single, grouped = (
            TradeJournal(store, run_id="r", mode=Mode.PAPER, fence=lambda: fenced.append(1))
            for store in stores
        )
        for journal in (single, grouped):
            journal.plan(plan, T0)
        for item in fills:
            single.fill(item)
        single.order_intent(plan, 0, _request("t1-0-1", "0.41", "10.00"), T0)
        single.order_intent(plan, 1, _request("t1-1-1", "0.55", "10.00"), T0)
        single.order_update(done, T0 + timedelta(seconds=2))
        fenced.clear()
        assert grouped.fills_batch(fills) == 2
        grouped.orders_batch(
            [
                OrderEntry(plan, 0, _request("t1-0-1", "0.41", "10.00"), T0, done, fills[-1].at),
                OrderEntry(plan, 1, _request("t1-1-1", "0.55", "10.00"), T0),
            ]
        )
        assert fenced == [1, 1]  # every batch asks the fence first
        assert grouped.fills_batch(fills[:1]) == 0  # stored already: skipped, as fill() does
        assert grouped.fills_batch([]) == 0 and grouped.orders_batch([]) is None
    finally:
        for store in stores:
            store.close()
    for table in ("orders", "fills"):
        assert _table(one, table) == _table(batch, table)
    assert [row[8] for row in _table(batch, "orders")] == ["filled", "pending"]


def test_a_refusing_fence_stops_a_batch(journal, db_path) -> None:
    def refuse() -> None:
        raise PermissionError("lease lost")

    journal.plan(make_plan(), T0)
    journal.fence = refuse
    with pytest.raises(PermissionError):
        journal.fills_batch([fill(1, T0)])
    with pytest.raises(PermissionError):
        journal.orders_batch([OrderEntry(make_plan(), 0, _request("t1-0-1", "0.41", "10"), T0)])
    assert _table(db_path, "fills") == [] and _table(db_path, "orders") == []


def test_a_restarted_process_sees_the_open_trades_of_the_old_run(db_path) -> None:
    first = open_store(db_path)
    old = TradeJournal(first, run_id="run-1", mode=Mode.LIVE)
    old.plan(make_plan("t1", "g1"), T0)
    old.plan(make_plan("t2", "g2"), T0 + timedelta(seconds=1))
    old.plan(make_plan("t3", "g3"), T0 + timedelta(seconds=2))
    old.transition("t2", TradeState.HEDGED, T0 + timedelta(seconds=3))
    old.transition("t3", TradeState.LEG2_SENT, T0 + timedelta(seconds=3))
    paper = TradeJournal(first, run_id="run-p", mode=Mode.PAPER)
    paper.plan(make_plan("p1", "g1", Mode.PAPER), T0)
    first.close()  # no clean shutdown needed: every write was committed

    second = open_store(db_path)
    try:
        new = TradeJournal(second, run_id="run-2", mode=Mode.LIVE)
        opened = new.open_trades()
        assert [(p.trade_id, s) for p, s in opened] == [
            ("t1", TradeState.PLANNED),
            ("t3", TradeState.LEG2_SENT),
        ]
        assert [p.trade_id for p, _ in new.trades()] == ["t1", "t2", "t3"]
        assert [(p.trade_id, s) for p, s in new.trades(game_id="g2")] == [("t2", TradeState.HEDGED)]
        assert [s for s, _ in new.transitions("t3")] == [
            TradeState.PLANNED,
            TradeState.LEG2_SENT,
        ]
    finally:
        second.close()


ZONES = [None, UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
            st.sampled_from(
                [None, UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_iso_remembers_only_what_gives_the_same_text(moments) -> None:
    """``iso`` reuses its last text for an equal moment; it must equal a fresh conversion."""
    for naive, zone in moments + moments[::-1]:
        at = naive if zone is None else naive.replace(tzinfo=zone)
        fresh = (at if zone is not None else at.replace(tzinfo=UTC)).astimezone(UTC)
        assert iso(at) == fresh.isoformat(timespec="microseconds")
