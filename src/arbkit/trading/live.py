"""The live executor: real orders through the venue plugins, as a stored two-leg state machine.

An entry goes planned → leg1_sent → leg1_filled | leg1_partial | missed → leg2_sent → hedged |
unwinding → flat | broken (docs/trading.md draws it). Every transition, and every order with its
client order id, is committed to the :class:`~arbkit.trading.journal.TradeJournal` *before* the
action it announces, so a process killed anywhere restarts (:meth:`LiveExecutor.resume`) from
what the journal and the venues say, never from a guess.

The next step is always derived from the stored state plus the trade's journaled orders (their
client ids say leg and attempt: ``<trade_id>-<leg>-<attempt>``, 1 = the leg's order, 2 = the
hedge retry, 3 = the unwind), so a running trade and a resumed one take the same path. A write
whose answer is lost blocks new writes on its venue until the order is found by client order
id; an order is never sent again under a client id the journal holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import evolve

from arbkit.clock import Clock
from arbkit.errors import (
    DuplicateOrderId,
    NotFound,
    OrderRejected,
    OutcomeUnknown,
    VenueError,
)
from arbkit.models import Market, Order, OrderRequest, OrderStatus, Side, TimeInForce
from arbkit.streaming import StreamEvent
from arbkit.trading.executor import BookLookup, ExecutionListener
from arbkit.trading.journal import TradeJournal
from arbkit.trading.live_orders import (
    FIRST,
    HEDGE,
    UNWIND,
    ZERO,
    attempt_of,
    best_bid,
    bounded,
    client_order_id,
    first_leg,
    held,
    leg_fills,
    snap,
)
from arbkit.trading.live_reconcile import find_by_shape
from arbkit.trading.model import Mode, PlanKind, TradePlan, TradeState
from arbkit.venue import Venue

log = logging.getLogger("arbkit.trading.live")

MarketOf = Callable[[str], Market | None]

#: States in which leg 1 may still be (re)started or decided.
_LEG1 = (TradeState.PLANNED, TradeState.LEG1_SENT)
_LEG2 = (TradeState.LEG1_FILLED, TradeState.LEG1_PARTIAL, TradeState.LEG2_SENT)


class LiveExecutor:
    """Executes approved plans with real orders; see the module docstring for the rules.

    Args:
        listener: hears every fill and every (already stored) state.
        venues: the venue plugins by name, with credentials.
        journal: where trades, orders and fills are written before each action.
        books: the engine's current book of a contract id (leg order, unwind price).
        markets: the market of a market id (tick grid, size rules).
        clock: stamps every journal row.
        hedge_slippage: how much worse than its limit the one hedge retry may pay, and how
            far under the best bid an unwind may sell.
        order_timeout: seconds a venue gets to answer an order before its outcome is unknown.
        reconcile_backoff: first and longest wait between look-ups of an unknown order.
        unknown_grace: seconds after which an order no venue look-up finds was never placed.
    """

    mode = Mode.LIVE

    def __init__(
        self,
        listener: ExecutionListener,
        venues: Mapping[str, Venue],
        journal: TradeJournal,
        books: BookLookup,
        markets: MarketOf,
        *,
        clock: Clock,
        hedge_slippage: Decimal = Decimal("0.02"),
        order_timeout: float = 10.0,
        reconcile_backoff: tuple[float, float] = (0.05, 2.0),
        unknown_grace: float = 30.0,
    ) -> None:
        if journal.mode is not Mode.LIVE:
            raise ValueError("the live executor needs a live journal")
        self.listener = listener
        self.venues = dict(venues)
        self.journal = journal
        self.books = books
        self.markets = markets
        self.clock = clock
        self.hedge_slippage = hedge_slippage
        self.order_timeout = order_timeout
        self.reconcile_backoff = reconcile_backoff
        self.unknown_grace = unknown_grace
        #: venue → why new writes there are blocked (an unknown outcome, a position drift)
        self.blocked: dict[str, str] = {}
        self._unknown: dict[str, set[str]] = {}  #: venue → client ids being reconciled
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._games: dict[str, str] = {}  #: trade id → game id
        self._unblocked = asyncio.Event()

    # -- the Executor interface ----------------------------------------------------------------

    def submit(self, plan: TradePlan) -> None:
        """Journal the plan (state PLANNED), then run it on its own task."""
        problem = _plan_problem(plan, self.venues)
        if problem:
            log.error("live: plan %s refused: %s", plan.trade_id, problem)
            self.listener.trade_state(plan, TradeState.MISSED, problem)
            return
        self.journal.plan(plan, self.clock.now())
        self.listener.trade_state(plan, TradeState.PLANNED, "")
        blocked = [v for v in {leg.venue for leg in plan.legs} if v in self.blocked]
        if plan.kind is PlanKind.ENTRY and blocked:
            self._state(
                plan, TradeState.MISSED, f"{blocked[0]} blocked: {self.blocked[blocked[0]]}"
            )
            return
        self._start(plan, TradeState.PLANNED)

    def on_event(self, event: StreamEvent, at: datetime) -> None:
        """Nothing: live fills come from the venues, not from the book stream."""

    def busy(self, game_id: str) -> bool:
        return any(game == game_id for game in self._games.values())

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def resume(self) -> list[str]:
        """Continue every open trade of earlier runs from its stored state; returns one line
        per trade (and per order reconciled on the way). Waits until each is final."""
        done: list[str] = []
        for plan, state in self.journal.open_trades():
            if plan.trade_id in self._tasks:
                continue
            done.append(f"{plan.trade_id}: resumed from {state.value}")
            self._start(plan, state, notes=done)
        await self.drain()
        plans = {plan.trade_id: plan for plan, _ in self.journal.trades()}
        for row in self.journal.pending_orders():  # an order of a trade already final
            order = await self._settle(row)
            await self._record(plans[row["trade_id"]], row["leg"], order)
            done.append(f"{row['client_order_id']}: reconciled as {order.status.value}")
        return done

    async def reconcile_positions(self, expected: Mapping[tuple[str, str], Decimal]) -> list[str]:
        """Compare what the venues hold with ``expected`` (per the journal); a drift is logged
        as an error and blocks new writes on that venue. Returns the drift messages."""
        drifts: list[str] = []
        for name in sorted({venue for venue, _ in expected}):
            venue = self.venues.get(name)
            if venue is None:
                drifts.append(f"{name}: no such venue configured")
                continue
            try:
                held_there = {p.contract_id: p.size for p in await venue.positions()}
            except VenueError as exc:
                drifts.append(f"{name}: positions unreadable ({exc})")
                continue
            contracts = {c for v, c in expected if v == name} | set(held_there)
            for contract in sorted(contracts):
                want = expected.get((name, contract), ZERO)
                have = held_there.get(contract, ZERO)
                if want != have:
                    message = f"{name} {contract}: journal says {want}, venue holds {have}"
                    drifts.append(message)
                    self.blocked[name] = f"position drift: {message}"
        for message in drifts:
            log.error("live: POSITION DRIFT %s", message)
        return drifts

    # -- running trades --------------------------------------------------------------------------

    def _start(self, plan: TradePlan, state: TradeState, notes: list[str] | None = None) -> None:
        self._games[plan.trade_id] = plan.game_id
        task = asyncio.get_running_loop().create_task(self._run(plan, state, notes))
        self._tasks[plan.trade_id] = task

    async def _run(self, plan: TradePlan, state: TradeState, notes: list[str] | None) -> None:
        try:
            if plan.kind is PlanKind.EXIT:
                await self._exit(plan, state, notes)
            else:
                await self._entry(plan, state, notes)
        except Exception as exc:  # noqa: BLE001 - a bug must still leave the trade marked
            log.exception("live: trade %s failed", plan.trade_id)
            self._state(plan, TradeState.BROKEN, f"executor error: {exc!r}")
        finally:
            self._tasks.pop(plan.trade_id, None)
            self._games.pop(plan.trade_id, None)

    def _state(self, plan: TradePlan, state: TradeState, detail: str) -> TradeState:
        """Store ``state`` first, then tell the listener; a BROKEN trade is an alert."""
        self.journal.transition(plan.trade_id, state, self.clock.now(), detail)
        if state is TradeState.BROKEN:
            log.error("live: trade %s BROKEN (%s): %s", plan.trade_id, plan.game_id, detail)
        self.listener.trade_state(plan, state, detail)
        return state

    def _rows(self, plan: TradePlan) -> dict[tuple[int, int], dict[str, Any]]:
        return {
            (row["leg"], attempt_of(row["client_order_id"])): row
            for row in self.journal.orders(plan.trade_id)
        }

    async def _entry(self, plan: TradePlan, state: TradeState, notes: list[str] | None) -> None:
        await self._settle_trade(plan, notes)
        rows = self._rows(plan)
        firsts = sorted((r["created_at"], leg) for (leg, a), r in rows.items() if a == FIRST)
        first = firsts[0][1] if firsts else first_leg(plan, self.books)
        second = 1 - first
        # -- leg 1: FOK at its limit
        if (first, FIRST) not in rows:
            if state not in _LEG1:
                self._state(plan, TradeState.BROKEN, f"state {state.value} without a leg 1 order")
                return
            leg = plan.legs[first]
            size = self._valid(leg.venue, leg.contract_id, leg.side, leg.limit_price, plan.size)
            if size <= 0:
                self._state(plan, TradeState.MISSED, f"leg {first}: {plan.size} is no valid size")
                return
            if state is TradeState.PLANNED:
                state = self._state(
                    plan,
                    TradeState.LEG1_SENT,
                    f"leg {first} ({leg.venue}) first: FOK {size} at {leg.limit_price}",
                )
            await self._order(plan, first, FIRST, leg.side, leg.limit_price, size, TimeInForce.FOK)
            rows = self._rows(plan)
        got1 = held(rows.values(), first) + _sold(rows, first)  # bought on leg 1
        if state in _LEG1:
            row = rows[(first, FIRST)]
            if got1 <= 0:
                self._state(
                    plan, TradeState.MISSED, f"leg {first}: {row['status']}, nothing filled"
                )
                return
            full = got1 >= Decimal(row["size"])
            state = self._state(
                plan,
                TradeState.LEG1_FILLED if full else TradeState.LEG1_PARTIAL,
                f"leg {first} bought {got1}",
            )
        # -- leg 2: IOC at its limit for leg 1's delivered contracts, then one hedge retry
        leg2 = plan.legs[second]
        if state in _LEG2:
            for attempt in (FIRST, HEDGE):
                if (second, attempt) in rows:
                    continue
                want = got1 - held(rows.values(), second)
                if want <= 0:
                    break
                price = leg2.limit_price
                if attempt == HEDGE:
                    price = bounded(price + self.hedge_slippage, Side.BUY)  # _order snaps it
                size = self._valid(leg2.venue, leg2.contract_id, Side.BUY, price, want)
                if size <= 0:
                    break
                if state is not TradeState.LEG2_SENT:
                    state = self._state(
                        plan, TradeState.LEG2_SENT, f"leg {second} ({leg2.venue}): IOC {size}"
                    )
                await self._order(plan, second, attempt, Side.BUY, price, size, TimeInForce.IOC)
                rows = self._rows(plan)
        got2 = held(rows.values(), second)
        excess = held(rows.values(), first) - got2
        if excess <= 0 and state is not TradeState.UNWINDING:
            self._state(plan, TradeState.HEDGED, f"{got2} contracts on each leg")
            return
        # -- unwind: sell leg 1's excess at a bounded price under the best bid
        if state is not TradeState.UNWINDING:
            state = self._state(
                plan, TradeState.UNWINDING, f"leg {second} delivered {got2} of {got1}"
            )
        if (first, UNWIND) not in rows and excess > 0:
            leg = plan.legs[first]
            bid = best_bid(self.books(leg.contract_id))
            if bid is None:
                self._state(plan, TradeState.BROKEN, f"leg {first}: no bid to unwind {excess}")
                return
            price = bounded(bid - self.hedge_slippage, Side.SELL)  # _order snaps it
            size = self._valid(leg.venue, leg.contract_id, Side.SELL, price, excess)
            if size > 0:
                await self._order(plan, first, UNWIND, Side.SELL, price, size, TimeInForce.IOC)
                rows = self._rows(plan)
        left = held(rows.values(), first) - got2
        if left > 0:
            self._state(plan, TradeState.BROKEN, f"leg {first} one-legged by {left}")
        elif got2 > 0:
            self._state(plan, TradeState.HEDGED, f"{got2} contracts on each leg after the unwind")
        else:
            self._state(plan, TradeState.FLAT, f"leg {first} sold back")

    async def _exit(self, plan: TradePlan, state: TradeState, notes: list[str] | None) -> None:
        """Sell each leg IOC at its limit; FLAT when everything sold, else BROKEN."""
        await self._settle_trade(plan, notes)
        steps = (TradeState.LEG1_SENT, TradeState.LEG2_SENT)
        for index, leg in enumerate(plan.legs):
            rows = self._rows(plan)
            if (index, FIRST) in rows:
                continue
            step = steps[min(index, 1)]
            if state is not step and state in (TradeState.PLANNED, TradeState.LEG1_SENT):
                state = self._state(plan, step, f"sell leg {index} ({leg.venue})")
            size = self._valid(leg.venue, leg.contract_id, Side.SELL, leg.limit_price, leg.size)
            if size > 0:
                await self._order(
                    plan, index, FIRST, Side.SELL, leg.limit_price, size, TimeInForce.IOC
                )
        rows = self._rows(plan)
        left = [(i, leg.size + held(rows.values(), i)) for i, leg in enumerate(plan.legs)]
        rest = [f"leg {i}: {n} unsold" for i, n in left if n > 0]
        if rest:
            self._state(plan, TradeState.BROKEN, "; ".join(rest))
        else:
            self._state(plan, TradeState.FLAT, "all sold")

    def _valid(
        self, venue: str, contract_id: str, side: Side, price: Decimal, size: Decimal
    ) -> Decimal:
        market = self.markets(contract_id)  # the lookup is by contract id, like the books
        if market is None:
            return ZERO
        tif = TimeInForce.FOK if side is Side.BUY else TimeInForce.IOC
        return type(self.venues[venue]).valid_size(market, side, price, size, tif)

    # -- orders ------------------------------------------------------------------------------------

    async def _order(
        self,
        plan: TradePlan,
        leg: int,
        attempt: int,
        side: Side,
        price: Decimal,
        size: Decimal,
        tif: TimeInForce,
    ) -> Order:
        """Journal the order, wait until its venue takes writes, send it, learn its outcome."""
        spec = plan.legs[leg]
        venue = self.venues[spec.venue]
        market = self.markets(spec.contract_id)
        request = OrderRequest(
            venue=spec.venue,
            contract_id=spec.contract_id,
            side=side,
            price=snap(venue, market, spec.contract_id, price, side),
            size=size,
            client_order_id=client_order_id(plan.trade_id, leg, attempt),
            time_in_force=tif,
        )
        await self._writable(spec.venue)
        self.journal.order_intent(plan, leg, request, self.clock.now())
        try:
            order = await asyncio.wait_for(venue.place_order(request), self.order_timeout)
        except DuplicateOrderId:  # it exists: find it
            order = await self._reconcile(venue, request, None)
        except (OrderRejected, NotFound) as exc:
            log.warning("live: %s refused by %s: %s", request.client_order_id, venue.name, exc)
            order = _rejected(request)
        except (OutcomeUnknown, TimeoutError, VenueError) as exc:
            log.warning("live: %s outcome unknown (%s)", request.client_order_id, exc)
            order = await self._reconcile(venue, request, None)
        order = await self._final(venue, request, order)
        await self._record(plan, leg, order)
        return order

    async def _final(self, venue: Venue, request: OrderRequest, order: Order) -> Order:
        """An immediate order's final state: poll, then cancel what still rests."""
        if order.client_order_id is None:
            order = evolve(order, client_order_id=request.client_order_id)
        waited = 0.0
        delay = self.reconcile_backoff[0]
        while not order.status.is_final:
            if order.status is OrderStatus.UNKNOWN or order.order_id is None:
                order = await self._reconcile(venue, request, order.order_id)
                continue
            if waited >= self.order_timeout:
                try:
                    order = await venue.cancel_order(order.order_id)
                except VenueError as exc:
                    log.warning("live: cancel of %s failed: %s", order.order_id, exc)
                waited = 0.0
            await asyncio.sleep(delay)
            waited += delay
            try:
                order = await venue.get_order(order_id=order.order_id)
            except VenueError as exc:
                log.warning("live: reading %s failed: %s", order.order_id, exc)
            order = evolve(order, client_order_id=request.client_order_id)
        return order

    async def _reconcile(self, venue: Venue, request: OrderRequest, order_id: str | None) -> Order:
        """Block the venue, look the order up until the venue knows its outcome, unblock.

        A venue that does not know the client id (NotFound) is searched for an unclaimed
        order of the same shape (a venue without client ids, after a restart); only when none
        has surfaced ``unknown_grace`` seconds after the order was journaled is it taken as
        never placed.
        """
        cid = request.client_order_id
        unknown = self._unknown.setdefault(venue.name, set())
        unknown.add(cid)
        self.blocked[venue.name] = f"order {cid}: outcome unknown, reconciling"
        delay, cap = self.reconcile_backoff
        try:
            while True:
                try:
                    if order_id:
                        found = await venue.get_order(order_id=order_id)
                    else:
                        found = await venue.get_order(client_order_id=cid)
                    if found.status is not OrderStatus.UNKNOWN:
                        return evolve(found, client_order_id=cid)
                except NotFound:
                    found = await self._by_shape(venue, cid)
                    if found is not None:
                        return evolve(found, client_order_id=cid)
                    if self._age(cid) >= self.unknown_grace:
                        log.info("live: %s unknown to %s: never placed", cid, venue.name)
                        return _rejected(request)
                except VenueError as exc:
                    log.warning("live: looking up %s failed: %s", cid, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, cap)
        finally:
            unknown.discard(cid)
            if not unknown and self.blocked.get(venue.name, "").startswith("order "):
                del self.blocked[venue.name]
                self._unblocked.set()

    async def _by_shape(self, venue: Venue, cid: str) -> Order | None:
        """The venue's unclaimed order shaped like journaled ``cid`` (see live_reconcile)."""
        row = self.journal.order(cid)
        if row is None:
            return None
        claimed = {r["order_id"] for r in self.journal.orders() if r["order_id"]}
        return await find_by_shape(venue, row, claimed)

    def _age(self, cid: str) -> float:
        """Seconds since ``cid`` was journaled (infinite if it never was)."""
        row = self.journal.order(cid)
        if row is None:
            return float("inf")
        return (self.clock.now() - datetime.fromisoformat(row["created_at"])).total_seconds()

    async def _writable(self, venue: str) -> None:
        """Wait while an unknown outcome on ``venue`` is being reconciled."""
        while self._unknown.get(venue):
            self._unblocked.clear()
            await self._unblocked.wait()

    async def _record(self, plan: TradePlan, leg: int, order: Order) -> None:
        """Journal the order's outcome and its fills (each once), and report new fills."""
        self.journal.order_update(order, self.clock.now())
        if order.filled <= 0:
            return
        venue = self.venues[order.venue]
        try:
            venue_fills = await venue.fills()
        except VenueError as exc:
            log.warning("live: fills of %s unreadable (%s): using the order", order.venue, exc)
            venue_fills = []
        cid = order.client_order_id or ""
        recorded = sum(
            (f.size for f in self.journal.fills(plan.trade_id) if f.client_order_id == cid), ZERO
        )
        for fill in leg_fills(plan, leg, plan.legs[leg], order, venue_fills, self.clock.now()):
            if recorded + fill.size > order.filled:
                continue
            if self.journal.fill(fill):
                recorded += fill.size
                self.listener.filled(plan, fill)

    async def _settle(self, row: dict[str, Any]) -> Order:
        """Learn a journaled, not final order's outcome from its venue (restart)."""
        venue = self.venues[row["venue"]]
        request = OrderRequest(
            venue=row["venue"],
            contract_id=row["contract_id"],
            side=Side(row["side"]),
            price=row["price"],
            size=row["size"],
            client_order_id=row["client_order_id"],
            time_in_force=TimeInForce(row["time_in_force"] or "ioc"),
        )
        order = await self._reconcile(venue, request, row["order_id"])
        return await self._final(venue, request, order)

    async def _settle_trade(self, plan: TradePlan, notes: list[str] | None) -> None:
        """Reconcile the trade's orders the journal does not know the end of, and record
        every fill of its filled orders that is missing from the journal."""
        recorded: dict[str, Decimal] = {}
        for fill in self.journal.fills(plan.trade_id):
            recorded[fill.client_order_id] = recorded.get(fill.client_order_id, ZERO) + fill.size
        for row in self.journal.orders(plan.trade_id):
            cid = row["client_order_id"]
            if OrderStatus(row["status"]).is_final:
                # died after storing the outcome, before storing all its fills
                if Decimal(row["filled"] or "0") > recorded.get(cid, ZERO):
                    await self._record(plan, row["leg"], _order_from_row(row))
                    if notes is not None:
                        notes.append(f"{cid}: missing fills recorded")
                continue
            order = await self._settle(row)
            await self._record(plan, row["leg"], order)
            if notes is not None:
                notes.append(f"{cid}: reconciled as {order.status.value}")


def _order_from_row(row: Mapping[str, Any]) -> Order:
    """A journaled order as the venue last reported it."""
    average = row["average_price"]
    return Order(
        venue=row["venue"],
        order_id=row["order_id"],
        client_order_id=row["client_order_id"],
        contract_id=row["contract_id"],
        side=Side(row["side"]),
        price=row["price"],
        size=row["size"],
        filled=row["filled"] or "0",
        status=OrderStatus(row["status"]),
        average_price=average,
        fee=row["fee"] or "0",
    )


def _rejected(request: OrderRequest) -> Order:
    return Order(
        venue=request.venue,
        order_id=None,
        client_order_id=request.client_order_id,
        contract_id=request.contract_id,
        side=request.side,
        price=request.price,
        size=request.size,
        status=OrderStatus.REJECTED,
    )


def _sold(rows: Mapping[tuple[int, int], dict[str, Any]], leg: int) -> Decimal:
    """Contracts of ``leg`` sold by its journaled orders."""
    return sum(
        (
            Decimal(r["filled"] or "0")
            for (lg, _), r in rows.items()
            if lg == leg and r["side"] == "sell"
        ),
        ZERO,
    )


def _plan_problem(plan: TradePlan, venues: Mapping[str, Venue]) -> str:
    """Why ``plan`` cannot be executed live ('' if it can)."""
    if plan.mode is not Mode.LIVE:
        return f"a {plan.mode.value} plan sent to the live executor"
    if plan.kind is PlanKind.ENTRY and len(plan.legs) != 2:
        return f"{len(plan.legs)} legs: a live entry has two"
    if not plan.legs:
        return "no legs"
    want = Side.BUY if plan.kind is PlanKind.ENTRY else Side.SELL
    for index, leg in enumerate(plan.legs):
        if leg.venue not in venues:
            return f"leg {index}: venue {leg.venue!r} is not configured"
        if leg.side is not want:
            return f"leg {index}: a {plan.kind.value} {leg.side.value}s nothing"
        if leg.size <= 0 or not (ZERO < leg.limit_price < 1):
            return f"leg {index}: size {leg.size} at {leg.limit_price} is not an order"
    if plan.size <= 0:
        return f"size {plan.size}"
    return ""
