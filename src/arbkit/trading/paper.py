"""Paper execution: fills simulated on the recorded books, with no way to reach a venue.

A plan executes ``latency`` after its decision, against each leg's book as it stands at that
moment (in a replay: the recorded book at that later time), with the same two-leg policy a live
executor follows: the leg more likely to miss first as fill-or-kill, the other leg immediate-or-
cancel, one bounded hedge retry, then an unwind of the first leg. Fees come from each market's own
fee model and sizes from the venue-neutral size rule. The executor holds no credentials, no venue
and no signer, and imports nothing that could send an order: by construction it cannot trade.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from attrs import define, field

from arbkit.models import Level, Market, OrderBook, Side, TimeInForce
from arbkit.money import format_decimal as _n
from arbkit.money import round_down, round_up
from arbkit.streaming import (
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    MarketSettled,
    StreamEvent,
)
from arbkit.trading.executor import BookLookup, ExecutionListener, miss_prone_leg
from arbkit.trading.model import (
    LegPlan,
    Mode,
    PlanKind,
    TradeFill,
    TradePlan,
    TradeState,
)
from arbkit.trading.paper_book import ConsumedLiquidity, depth, trim, walk
from arbkit.venue import Venue

ZERO = Decimal(0)
#: A hedge retry never buys above this (nor sells below 1 minus it).
MAX_HEDGE_PRICE = Decimal("0.99")

#: The market (with its current fee model) of a contract id, or None if unknown.
MarketLookup = Callable[[str], Market | None]
#: The largest valid order size ≤ the asked one: ``(market, side, price, size, tif) -> size``.
SizeRule = Callable[[Market, Side, Decimal, Decimal, TimeInForce], Decimal]


def _opposite(side: Side) -> Side:
    return Side.SELL if side is Side.BUY else Side.BUY


def hedge_price(limit: Decimal, slippage: Decimal, side: Side, tick: Decimal) -> Decimal:
    """The hedge retry's limit: ``slippage`` worse than ``limit``, bounded, on the tick grid.

    A buy pays at most 0.99 and a sell takes at least 0.01; the result is rounded towards the
    original limit, so the bound is never exceeded.
    """
    if side is Side.BUY:
        return round_down(min(limit + slippage, MAX_HEDGE_PRICE), tick)
    return round_up(max(limit - slippage, 1 - MAX_HEDGE_PRICE), tick)


@define
class _Order:
    """What one simulated order did."""

    filled: Decimal
    note: str


@define
class PaperExecutor:
    """The :class:`~arbkit.trading.executor.Executor` for paper trading (see module docstring).

    Args:
        listener: hears every state and fill.
        books: the engine's current book of a contract id.
        markets: the engine's market of a contract id (fees, size rules, tick).
        latency: from decision to execution; 0 fills inside :meth:`submit`.
        hedge_slippage: how much worse than its limit the hedge retry may pay.
        leg_gap: from leg 1's fill to leg 2's execution (a live round trip); 0: the same
            moment, against the same books.
        size_rule: the venue's order-size rule (default: the venue-neutral
            :meth:`arbkit.venue.Venue.valid_size`).
    """

    listener: ExecutionListener
    books: BookLookup
    markets: MarketLookup
    latency: timedelta = field(default=timedelta(0), kw_only=True)
    hedge_slippage: Decimal = field(default=Decimal("0.02"), kw_only=True)
    leg_gap: timedelta = field(default=timedelta(0), kw_only=True)
    size_rule: SizeRule = field(default=Venue.valid_size, kw_only=True)
    mode: Mode = field(default=Mode.PAPER, init=False)
    consumed: ConsumedLiquidity = field(factory=ConsumedLiquidity, init=False)
    #: (due, order, the step, what to do instead if the run ends first)
    _pending: list[tuple[datetime, int, Callable[[datetime], None], Callable[[], None]]] = field(
        factory=list, init=False
    )
    _games: Counter[str] = field(factory=Counter, init=False)  #: plans not yet final, by game
    _lost: set[str] = field(factory=set, init=False)  #: continuity lost, not yet restored
    _settled: set[str] = field(factory=set, init=False)  #: contracts of settled markets
    _steps: int = field(default=0, init=False)
    _orders: int = field(default=0, init=False)
    #: the moment the step being run stands for (a plan's decision, a due time): its states
    #: are stamped with it, like its fills
    _clock: datetime | None = field(default=None, init=False)

    # -- the Executor interface -----------------------------------------------------------------

    def submit(self, plan: TradePlan) -> None:
        """Execute ``plan`` at ``decided_at + latency`` (at once when the latency is 0)."""
        self._games[plan.game_id] += 1
        self._clock = plan.decided_at
        self._state(plan, TradeState.PLANNED, f"paper, latency {self.latency}")
        run = self._exit if plan.kind is PlanKind.EXIT else self._entry
        self._at(
            plan.decided_at + self.latency,
            self.latency,
            lambda at: run(plan, at),
            lambda: self._state(plan, TradeState.MISSED, "the run ended before its fill was due"),
        )

    def on_event(self, event: StreamEvent, at: datetime) -> None:
        """Fill what is due by ``at`` on the books as they stand, then note what ``event`` says."""
        self._run_due(at)
        if isinstance(event, BookUpdate):
            book = event.book
            self.consumed.observe(book)
            if book.continuous:
                self._lost.discard(book.contract_id)
        elif isinstance(event, ContinuityLost):
            self._lost.update(event.contract_ids)
        elif isinstance(event, ContinuityRestored):
            self._lost.difference_update(event.contract_ids)
        elif isinstance(event, MarketSettled):
            self._settled.update(event.settlement.payouts)

    def busy(self, game_id: str) -> bool:
        return self._games[game_id] > 0

    async def drain(self) -> None:
        """Fill everything still pending against the last books, in due order (the stream
        ended: nothing will change them before those moments)."""
        self._run_due(None)

    def abandon(self) -> None:
        """The run was stopped before the stream ended: what is pending never fills (its
        books at the due moment are not known); an entry whose second leg was pending is
        left one-legged, and says so."""
        while self._pending:
            due, _, _, instead = heapq.heappop(self._pending)
            self._clock = due
            instead()

    # -- scheduling ------------------------------------------------------------------------------

    def _at(
        self,
        due: datetime,
        delay: timedelta,
        step: Callable[[datetime], None],
        instead: Callable[[], None],
    ) -> None:
        """Run ``step`` now if ``delay`` is 0, else on the first event at or after ``due``;
        ``instead`` if the run is abandoned first."""
        if not delay:
            self._clock = due
            step(due)
            return
        self._steps += 1
        heapq.heappush(self._pending, (due, self._steps, step, instead))

    def _run_due(self, at: datetime | None) -> None:
        while self._pending and (at is None or self._pending[0][0] <= at):
            due, _, step, _ = heapq.heappop(self._pending)
            self._clock = due
            step(due)

    def _state(self, plan: TradePlan, state: TradeState, detail: str) -> None:
        if state.is_final:
            self._games[plan.game_id] -= 1
            if self._games[plan.game_id] <= 0:
                del self._games[plan.game_id]
        self.listener.trade_state(plan, state, detail, at=self._clock)

    # -- the two-leg entry -----------------------------------------------------------------------

    def _entry(self, plan: TradePlan, at: datetime) -> None:
        """Leg 1 as fill-or-kill; leg 2 follows ``leg_gap`` later."""
        problem = _entry_problem(plan)
        if not problem and plan.start_time is not None and at >= plan.start_time:
            problem = f"the game started ({plan.start_time.isoformat()}) before the fill was due"
        if problem:
            self._state(plan, TradeState.MISSED, problem)
            return
        first = miss_prone_leg(plan, self._depth)  # after consumed liquidity
        second = 1 - first
        leg1, leg2 = plan.legs[first], plan.legs[second]
        self._state(
            plan, TradeState.LEG1_SENT, f"leg {first} FOK {_n(leg1.size)} @ {leg1.limit_price}"
        )
        done = self._order(plan, first, 1, leg1.side, leg1.size, leg1.limit_price, at, fok=True)
        if done.filled != leg1.size:
            self._state(plan, TradeState.MISSED, f"leg {first} missed: {done.note}")
            return
        self._state(plan, TradeState.LEG1_FILLED, f"leg {first} filled {_n(done.filled)}")
        want = done.filled
        self._state(plan, TradeState.LEG2_SENT, f"leg {second} IOC {_n(want)} @ {leg2.limit_price}")
        self._at(
            at + self.leg_gap,
            self.leg_gap,
            lambda at: self._second(plan, first, want, at),
            lambda: self._state(
                plan, TradeState.BROKEN, f"the run ended before leg {second} was sent"
            ),
        )

    def _second(self, plan: TradePlan, first: int, want: Decimal, at: datetime) -> None:
        """Leg 2 as immediate-or-cancel, one hedge retry, then the unwind of leg 1's excess."""
        second = 1 - first
        leg1, leg2 = plan.legs[first], plan.legs[second]
        got = self._order(plan, second, 1, leg2.side, want, leg2.limit_price, at).filled
        if got < want:
            market = self.markets(leg2.contract_id)
            tick = market.tick_size if market else Decimal("0.01")
            retry = hedge_price(leg2.limit_price, self.hedge_slippage, leg2.side, tick)
            self._state(
                plan, TradeState.LEG2_SENT, f"leg {second} hedge retry {_n(want - got)} @ {retry}"
            )
            got += self._order(plan, second, 2, leg2.side, want - got, retry, at).filled
        if got == want:
            self._state(plan, TradeState.HEDGED, f"{_n(got)} contracts on each leg")
            return

        excess = want - got
        self._state(
            plan, TradeState.UNWINDING, f"leg {second} short by {_n(excess)}: selling leg {first}"
        )
        sold = self._order(plan, first, 2, _opposite(leg1.side), excess, None, at)
        if sold.filled == excess and got:
            self._state(
                plan, TradeState.HEDGED, f"{_n(got)} contracts on each leg after the unwind"
            )
        elif sold.filled == excess:
            self._state(plan, TradeState.FLAT, f"leg {first} unwound: {_n(excess)} sold back")
        else:
            left = excess - sold.filled
            self._state(
                plan, TradeState.BROKEN, f"leg {first} one-legged by {_n(left)}: {sold.note}"
            )

    def _depth(self, leg: LegPlan) -> Decimal:
        book, _, problem = self._book(leg.contract_id, leg.venue)
        if problem or book is None:
            return ZERO
        return depth(self.consumed.available(book, leg.side), leg.limit_price, leg.side)

    # -- exits -------------------------------------------------------------------------------------

    def _exit(self, plan: TradePlan, at: datetime) -> None:
        if plan.mode is not Mode.PAPER:
            self._state(plan, TradeState.BROKEN, "a live plan reached the paper executor")
            return
        if any(leg.side is not Side.SELL for leg in plan.legs):
            self._state(plan, TradeState.BROKEN, "an exit only sells: nothing sent")
            return
        for index, leg in enumerate(plan.legs):  # a leg that cannot be sold: sell none
            problem = self._book(leg.contract_id, leg.venue)[2]
            if problem:
                detail = f"not sent: leg {index} has nothing to sell into ({problem}); held"
                self._state(plan, TradeState.MISSED, detail)
                return
        left: list[str] = []
        for index, leg in enumerate(plan.legs):
            sent = TradeState.LEG1_SENT if index == 0 else TradeState.LEG2_SENT
            self._state(
                plan, sent, f"leg {index} IOC {leg.side} {_n(leg.size)} @ {leg.limit_price}"
            )
            done = self._order(plan, index, 1, leg.side, leg.size, leg.limit_price, at)
            if done.filled < leg.size:
                left.append(f"leg {index}: {_n(leg.size - done.filled)} left ({done.note})")
            if index == 0:
                sold = done.filled == leg.size
                first = TradeState.LEG1_FILLED if sold else TradeState.LEG1_PARTIAL
                self._state(plan, first, f"leg 0 sold {_n(done.filled)}")
        if left:
            self._state(plan, TradeState.BROKEN, "; ".join(left))
        else:
            self._state(plan, TradeState.FLAT, "every leg sold")

    # -- one simulated order -----------------------------------------------------------------------

    def _book(self, contract_id: str, venue: str) -> tuple[OrderBook | None, Market | None, str]:
        """The book and market of a contract, or the reason they must not be traded on."""
        market = self.markets(contract_id)
        if market is None or market.venue != venue:
            return None, None, "no market"
        book = self.books(contract_id)
        if book is None or book.venue != venue:
            return None, market, "no book"
        if not book.continuous:
            return None, market, "book not continuous"
        if contract_id in self._lost:
            return None, market, "continuity lost"
        if contract_id in self._settled:
            return None, market, "market settled"
        return book, market, ""

    def _order(
        self,
        plan: TradePlan,
        index: int,
        attempt: int,
        side: Side,
        size: Decimal,
        limit: Decimal | None,
        at: datetime,
        *,
        fok: bool = False,
    ) -> _Order:
        """Walk the leg's book for ``size`` within ``limit``; report and remember every fill."""
        leg = plan.legs[index]
        self._orders += 1
        order_id = f"paper-{self._orders}"
        client_order_id = f"{plan.trade_id}-{index}-{attempt}"
        book, market, problem = self._book(leg.contract_id, leg.venue)
        if problem or book is None or market is None:
            return _Order(ZERO, problem)
        takes = walk(self.consumed.available(book, side), size, limit, side)
        offered = sum((take for _, take in takes), ZERO)
        tif = TimeInForce.FOK if fok else TimeInForce.IOC
        price = limit if limit is not None else (takes[-1][0] if takes else ZERO)
        valid = self.size_rule(market, side, price, offered, tif) if offered else ZERO
        valid = max(ZERO, min(valid, offered))  # a rule can only shrink what the book offers
        if fok and valid != size:
            return _Order(ZERO, f"only {_n(valid)} of {_n(size)} fillable within {limit}")
        if not valid:
            return _Order(ZERO, f"nothing fillable within {limit} (offered {_n(offered)})")
        takes = trim(takes, valid)
        self.consumed.take(book, side, takes)
        self._report(plan, index, side, takes, market, at, client_order_id, order_id)
        return _Order(valid, "" if valid == size else f"{_n(valid)} of {_n(size)} within {limit}")

    def _report(
        self,
        plan: TradePlan,
        index: int,
        side: Side,
        takes: list[Level],
        market: Market,
        at: datetime,
        client_order_id: str,
        order_id: str,
    ) -> None:
        """One fill per level walked. The order's fee is the venue's fee for the whole order,
        spread so that each fill carries what it added to it (fills sum to ``order_fee``)."""
        leg = plan.legs[index]
        charged = ZERO
        for n, (price, size) in enumerate(takes, start=1):
            total = market.fees.order_fee(takes[:n])
            self.listener.filled(
                plan,
                TradeFill(
                    trade_id=plan.trade_id,
                    leg=index,
                    venue=leg.venue,
                    market_id=leg.market_id,
                    contract_id=leg.contract_id,
                    side=side,
                    price=price,
                    size=size,
                    fee=total - charged,
                    at=at,
                    client_order_id=client_order_id,
                    order_id=order_id,
                    fill_id=f"{client_order_id}:{n}",
                ),
            )
            charged = total


def _entry_problem(plan: TradePlan) -> str:
    """Why an entry plan cannot be executed as a two-leg trade ("" if it can)."""
    if plan.mode is not Mode.PAPER:
        return "a live plan reached the paper executor"
    if len(plan.legs) != 2:
        return f"an entry needs two legs, got {len(plan.legs)}"
    if any(leg.size != plan.size for leg in plan.legs):
        return "the legs are not sized in equal contracts"
    if plan.size <= 0:
        return "nothing to buy"
    if any(leg.side is not Side.BUY for leg in plan.legs):
        return "an entry only buys"
    return ""
