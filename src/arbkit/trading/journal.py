"""The live executor's durable memory: trades, their state transitions, orders and fills.

Crash safety rests on one rule: every write commits before the call returns, so whatever the
executor does next (send an order, move to the next state) happens only once the database
knows about it. A process killed at any point restarts from these rows: its trades in their
stored state, its orders by client order id, its fills deduplicated by the venue's fill id.
Decimals are stored as strings (exact), times as ISO-8601 UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

from arbkit.models import Order, OrderRequest, OrderStatus, Side
from arbkit.store.db import Store
from arbkit.store.writes import writes_for
from arbkit.trading.model import (
    LegPlan,
    Mode,
    PlanKind,
    TradeFill,
    TradePlan,
    TradeState,
)

#: Order statuses the journal still has to reconcile with the venue.
_NOT_FINAL = tuple(s.value for s in OrderStatus if not s.is_final)


def iso(at: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order."""
    global _last_iso
    moment, text = _last_iso  # one read of a tuple: safe if another thread replaces it
    if moment == at:  # equal instants have equal texts (and naive never equals aware)
        return text  # a simulated trade stamps most of its ~20 rows with one moment
    stamp = (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC)
    text = stamp.isoformat(timespec="microseconds")
    _last_iso = (at, text)
    return text


#: the last moment :func:`iso` wrote, and its text
_last_iso: tuple[datetime, str] = (
    datetime(1970, 1, 1, tzinfo=UTC),
    "1970-01-01T00:00:00.000000+00:00",
)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def plan_to_json(plan: TradePlan) -> str:
    """The plan as JSON: decimals as strings, times ISO-8601, so a restart reads it back exactly."""
    legs = [
        {
            "venue": leg.venue,
            "market_id": leg.market_id,
            "contract_id": leg.contract_id,
            "outcome": leg.outcome,
            "side": leg.side.value,
            "size": str(leg.size),
            "limit_price": str(leg.limit_price),
            "expected_price": str(leg.expected_price),
            "expected_fee": str(leg.expected_fee),
        }
        for leg in plan.legs
    ]
    return json.dumps(
        {
            "trade_id": plan.trade_id,
            "kind": plan.kind.value,
            "mode": plan.mode.value,
            "game_id": plan.game_id,
            "league": plan.league,
            "strategy": plan.strategy,
            "opportunity_key": plan.opportunity_key,
            "legs": legs,
            "size": str(plan.size),
            "decided_at": plan.decided_at.isoformat(),
            "confidence": plan.confidence,
            "start_time": None if plan.start_time is None else plan.start_time.isoformat(),
            "expected_cost": str(plan.expected_cost),
            "expected_profit": str(plan.expected_profit),
            "reason": plan.reason,
        },
        sort_keys=True,
    )


def plan_from_json(text: str) -> TradePlan:
    """The inverse of :func:`plan_to_json`."""
    data = json.loads(text)
    legs = tuple(
        LegPlan(
            venue=leg["venue"],
            market_id=leg["market_id"],
            contract_id=leg["contract_id"],
            outcome=leg["outcome"],
            side=Side(leg["side"]),
            size=Decimal(leg["size"]),
            limit_price=Decimal(leg["limit_price"]),
            expected_price=Decimal(leg["expected_price"]),
            expected_fee=Decimal(leg["expected_fee"]),
        )
        for leg in data["legs"]
    )
    start = data.get("start_time")
    return TradePlan(
        trade_id=data["trade_id"],
        kind=PlanKind(data["kind"]),
        mode=Mode(data["mode"]),
        game_id=data["game_id"],
        league=data.get("league"),
        strategy=data["strategy"],
        opportunity_key=data["opportunity_key"],
        legs=legs,
        size=Decimal(data["size"]),
        decided_at=datetime.fromisoformat(data["decided_at"]),
        confidence=float(data.get("confidence", 1.0)),
        start_time=None if start is None else datetime.fromisoformat(start),
        expected_cost=Decimal(data.get("expected_cost", "0")),
        expected_profit=Decimal(data.get("expected_profit", "0")),
        reason=data.get("reason", ""),
    )


_FILL_SQL = (
    "INSERT OR IGNORE INTO fills (venue, fill_id, order_id, client_order_id,"
    " contract_id, side, price, size, fee, fee_shares, is_taker, mode, filled_at,"
    " trade_id, leg, market_id, run_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '0', 1, ?, ?, ?, ?, ?, ?)"
)
_ORDER_SQL = (
    "INSERT INTO orders (client_order_id, venue, order_id, contract_id, side, price,"
    " size, filled, status, average_price, fee, mode, created_at, updated_at,"
    " trade_id, leg, time_in_force, run_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@frozen
class OrderEntry:
    """An order for :meth:`TradeJournal.orders_batch`: its intent (``at``: when it was
    placed) and, if known, what became of it (``result`` at ``result_at``)."""

    plan: TradePlan
    leg: int
    request: OrderRequest
    at: datetime
    result: Order | None = None
    result_at: datetime | None = None


class TradeJournal:
    """Trades, transitions, orders and fills of one mode, written through before each action.

    ``run_id`` tags what this process wrote; reads cover every run of the mode, so a restarted
    process (a new run id) sees the trades and orders the killed one left open.

    ``fence``, when set, is called before every write and raises to refuse it: the trading
    lease's check (``arbkit trade --bus``), so a process that lost the lease writes nothing.
    """

    def __init__(
        self, store: Store, *, run_id: str, mode: Mode, fence: Callable[[], None] | None = None
    ) -> None:
        self.store = store
        self.db = store.db
        self.writes = writes_for(store)
        self.run_id = run_id
        self.mode = mode
        self.fence = fence

    # -- trades ------------------------------------------------------------------------------

    def plan(self, plan: TradePlan, at: datetime) -> None:
        """Store a new trade in state PLANNED (and its first transition), in one commit."""
        if self.fence is not None:
            self.fence()
        stamp = iso(at)
        with self.writes.commit():
            self.db.execute(
                "INSERT INTO trades (trade_id, run_id, mode, kind, game_id, league, strategy,"
                " opportunity_key, state, plan, size, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    plan.trade_id,
                    self.run_id,
                    plan.mode.value,
                    plan.kind.value,
                    plan.game_id,
                    plan.league,
                    plan.strategy,
                    plan.opportunity_key,
                    TradeState.PLANNED.value,
                    plan_to_json(plan),
                    str(plan.size),
                    stamp,
                    stamp,
                ],
            )
            self._transition_row(plan.trade_id, TradeState.PLANNED, stamp, "")

    def transition(self, trade_id: str, state: TradeState, at: datetime, detail: str = "") -> None:
        """Move a trade to ``state``; committed before this returns."""
        if self.fence is not None:
            self.fence()
        stamp = iso(at)
        with self.writes.commit():
            cursor = self.db.execute(
                "UPDATE trades SET state = ?, updated_at = ? WHERE trade_id = ?",
                [state.value, stamp, trade_id],
            )
            if cursor.rowcount != 1:
                raise KeyError(f"no trade {trade_id!r} in the journal")
            self._transition_row(trade_id, state, stamp, detail)

    def record_transitions(
        self, trade_id: str, steps: Sequence[tuple[TradeState, datetime, str]]
    ) -> None:
        """Several states of one trade at once, in order (a simulated trade, all of whose
        states are known together); the trade ends in the last one. One commit."""
        if not steps:
            return
        if self.fence is not None:
            self.fence()
        last_state, last_at, _ = steps[-1]
        with self.writes.commit() as conn:
            cursor = conn.execute(
                "UPDATE trades SET state = ?, updated_at = ? WHERE trade_id = ?",
                [last_state.value, iso(last_at), trade_id],
            )
            if cursor.rowcount != 1:
                raise KeyError(f"no trade {trade_id!r} in the journal")
            conn.executemany(
                "INSERT INTO trade_transitions (trade_id, at, state, detail) VALUES (?, ?, ?, ?)",
                [(trade_id, iso(at), state.value, detail) for state, at, detail in steps],
            )

    def _transition_row(self, trade_id: str, state: TradeState, stamp: str, detail: str) -> None:
        self.db.execute(
            "INSERT INTO trade_transitions (trade_id, at, state, detail) VALUES (?, ?, ?, ?)",
            [trade_id, stamp, state.value, detail],
        )

    def state(self, trade_id: str) -> TradeState | None:
        row = self.db.execute("SELECT state FROM trades WHERE trade_id = ?", [trade_id]).fetchone()
        return None if row is None else TradeState(row[0])

    def transitions(self, trade_id: str) -> list[tuple[TradeState, str]]:
        """``(state, detail)`` in the order they were written."""
        rows = self.db.execute(
            "SELECT state, detail FROM trade_transitions WHERE trade_id = ? ORDER BY id",
            [trade_id],
        ).fetchall()
        return [(TradeState(state), detail or "") for state, detail in rows]

    def open_trades(self) -> list[tuple[TradePlan, TradeState]]:
        """This mode's trades not yet in a final state, oldest first."""
        return [
            (plan, state)
            for plan, state in self._trades("mode = ?", [self.mode.value])
            if not state.is_final
        ]

    def trades(self, *, game_id: str | None = None) -> list[tuple[TradePlan, TradeState]]:
        """This mode's trades (of one game), oldest first."""
        if game_id is None:
            return self._trades("mode = ?", [self.mode.value])
        return self._trades("mode = ? AND game_id = ?", [self.mode.value, game_id])

    def _trades(self, where: str, args: list[Any]) -> list[tuple[TradePlan, TradeState]]:
        rows = self.db.execute(
            f"SELECT plan, state FROM trades WHERE {where} ORDER BY created_at, rowid", args
        ).fetchall()
        return [(plan_from_json(plan), TradeState(state)) for plan, state in rows]

    # -- orders ------------------------------------------------------------------------------

    def order_intent(self, plan: TradePlan, leg: int, request: OrderRequest, at: datetime) -> None:
        """Write the order (status pending) BEFORE it is sent; its client order id is the key,
        so the same order can never be journaled (nor, by the executor, sent) twice."""
        if self.fence is not None:
            self.fence()
        with self.writes.commit():
            self.db.execute(_ORDER_SQL, self._order_row(OrderEntry(plan, leg, request, at)))

    def orders_batch(self, entries: Sequence[OrderEntry]) -> None:
        """Several orders as one statement, each as :meth:`order_intent` followed by
        :meth:`order_update` with its ``result`` (if any) would leave it: a simulated trade's
        orders, written once it is done (its rows then exist only together)."""
        if not entries:
            return
        if self.fence is not None:
            self.fence()
        with self.writes.commit() as conn:
            conn.executemany(_ORDER_SQL, [self._order_row(entry) for entry in entries])

    def _order_row(self, entry: OrderEntry) -> list[Any]:
        request, stamp = entry.request, iso(entry.at)
        row: list[Any] = [
            request.client_order_id,
            request.venue,
            None,
            request.contract_id,
            request.side.value,
            str(request.price),
            str(request.size),
            "0",
            OrderStatus.PENDING.value,
            None,
            "0",
            entry.plan.mode.value,
            stamp,
            stamp,
            entry.plan.trade_id,
            entry.leg,
            request.time_in_force.value,
            self.run_id,
        ]
        order = entry.result
        if order is not None:  # the columns order_update sets
            if order.order_id is not None:
                row[2] = order.order_id
            row[6] = str(order.size)
            row[7] = str(order.filled)
            row[8] = order.status.value
            row[9] = _dec(order.average_price)
            row[10] = str(order.fee)
            row[13] = iso(entry.result_at or entry.at)
        return row

    def order_update(self, order: Order, at: datetime) -> None:
        """What the venue says about a journaled order (found by its client order id)."""
        if not order.client_order_id:
            raise ValueError("order_update needs the order's client_order_id")
        if self.fence is not None:
            self.fence()
        with self.writes.commit():
            cursor = self.db.execute(
                "UPDATE orders SET status = ?, filled = ?, average_price = ?, fee = ?,"
                " order_id = COALESCE(?, order_id), size = ?, updated_at = ?"
                " WHERE client_order_id = ?",
                [
                    order.status.value,
                    str(order.filled),
                    _dec(order.average_price),
                    str(order.fee),
                    order.order_id,
                    str(order.size),
                    iso(at),
                    order.client_order_id,
                ],
            )
            if cursor.rowcount != 1:
                raise KeyError(f"no journaled order {order.client_order_id!r}")

    def orders(self, trade_id: str | None = None) -> list[dict[str, Any]]:
        """Journal rows (this mode's, or one trade's), in the order they were written."""
        if trade_id is None:
            return self._orders("mode = ?", [self.mode.value])
        return self._orders("trade_id = ?", [trade_id])

    def pending_orders(self) -> list[dict[str, Any]]:
        """This mode's orders whose outcome is not final (pending, open, unknown): to reconcile."""
        marks = ", ".join("?" for _ in _NOT_FINAL)
        return self._orders(f"mode = ? AND status IN ({marks})", [self.mode.value, *_NOT_FINAL])

    def order(self, client_order_id: str) -> dict[str, Any] | None:
        rows = self._orders("client_order_id = ?", [client_order_id])
        return rows[0] if rows else None

    def _orders(self, where: str, args: list[Any]) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            f"SELECT * FROM orders WHERE {where} AND trade_id IS NOT NULL"
            " ORDER BY created_at, rowid",
            args,
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- fills -------------------------------------------------------------------------------

    def fill(self, fill: TradeFill, *, mode: Mode | None = None) -> bool:
        """Store a fill; False (and nothing written) if its ``(venue, fill_id)`` is already
        stored, so fills seen again after a restart are never counted twice."""
        if not fill.fill_id:
            raise ValueError("a journaled fill needs the venue's fill id")
        if self.fence is not None:
            self.fence()
        with self.writes.commit():
            cursor = self.db.execute(_FILL_SQL, self._fill_row(fill, (mode or self.mode).value))
        return cursor.rowcount == 1

    def fills_batch(self, fills: Sequence[TradeFill], *, mode: Mode | None = None) -> int:
        """Several fills as one statement (a simulated trade's, written with the rest of it);
        how many were new (a fill whose ``(venue, fill_id)`` is stored is skipped, as in
        :meth:`fill`)."""
        if not fills:
            return 0
        if any(not fill.fill_id for fill in fills):
            raise ValueError("a journaled fill needs the venue's fill id")
        if self.fence is not None:
            self.fence()
        tag = (mode or self.mode).value
        with self.writes.commit() as conn:
            cursor = conn.executemany(_FILL_SQL, [self._fill_row(fill, tag) for fill in fills])
        return cursor.rowcount

    def _fill_row(self, fill: TradeFill, mode: str) -> list[Any]:
        return [
            fill.venue,
            fill.fill_id,
            fill.order_id,
            fill.client_order_id,
            fill.contract_id,
            fill.side.value,
            str(fill.price),
            str(fill.size),
            str(fill.fee),
            mode,
            iso(fill.at),
            fill.trade_id,
            fill.leg,
            fill.market_id,
            self.run_id,
        ]

    def holdings(self) -> dict[tuple[str, str], Decimal]:
        """``(venue, contract id)`` → contracts held per this mode's fills (bought − sold):
        what :meth:`LiveExecutor.reconcile_positions` compares with the venues."""
        held: dict[tuple[str, str], Decimal] = {}
        for _, fill in self.all_fills():
            key = (fill.venue, fill.contract_id)
            change = fill.size if fill.side is Side.BUY else -fill.size
            held[key] = held.get(key, Decimal(0)) + change
        return held

    def fills(self, trade_id: str) -> list[TradeFill]:
        """One trade's fills, in time order."""
        return [fill for _, fill in self._fills("f.trade_id = ?", [trade_id])]

    def all_fills(self) -> list[tuple[TradePlan, TradeFill]]:
        """This mode's fills with their plans, in time order (rebuilds positions on restart)."""
        return self._fills("f.mode = ?", [self.mode.value])

    def _fills(self, where: str, args: list[Any]) -> list[tuple[TradePlan, TradeFill]]:
        rows = self.db.execute(
            "SELECT t.plan, f.trade_id, f.leg, f.venue, f.market_id, f.contract_id, f.side,"
            " f.price, f.size, f.fee, f.filled_at, f.client_order_id, f.order_id, f.fill_id"
            " FROM fills f JOIN trades t ON t.trade_id = f.trade_id"
            f" WHERE {where} ORDER BY f.filled_at, f.rowid",
            args,
        ).fetchall()
        plans: dict[str, TradePlan] = {}
        result = []
        for row in rows:
            plan = plans.get(row[1]) or plans.setdefault(row[1], plan_from_json(row[0]))
            fill = TradeFill(
                trade_id=row[1],
                leg=int(row[2]),
                venue=row[3],
                market_id=row[4] or "",
                contract_id=row[5],
                side=Side(row[6]),
                price=Decimal(row[7]),
                size=Decimal(row[8]),
                fee=Decimal(row[9]),
                at=datetime.fromisoformat(row[10]),
                client_order_id=row[11] or "",
                order_id=row[12],
                fill_id=row[13],
            )
            result.append((plan, fill))
        return result
