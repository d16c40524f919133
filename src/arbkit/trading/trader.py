"""The trader: the engine sink that turns opportunities into positions and back into money.

It wires the pieces in one direction — risk gate → executor → position book → exit rules —
and keeps every record: each gate verdict, each two-leg trade and its states, each fill, each
settlement and the positions they make. Paper and live differ only in the executor (and in
who journals a trade: a live executor writes each transition itself, before its next action;
for paper the trader writes what the executor reports, on the same task, at once).

All of it runs on the engine's task and clock, so a replay trades on its recorded time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from attrs import define

from arbkit.engine.sinks import RunEnd, Sink
from arbkit.models import (
    Fill,
    Market,
    Opportunity,
    Order,
    OrderBook,
    OrderRequest,
    OrderStatus,
    Settlement,
    Side,
    TimeInForce,
)
from arbkit.scan.shard import Change, ChangeKind
from arbkit.streaming import BookUpdate, MarketSettled, StreamEvent
from arbkit.trading.checkpoints import Checkpoints
from arbkit.trading.executor import BookLookup, ExecutionListener, Executor
from arbkit.trading.exits import ExitManager, exit_plan
from arbkit.trading.journal import OrderEntry, TradeJournal
from arbkit.trading.model import (
    ZERO,
    Decision,
    GamePosition,
    Mode,
    PlanKind,
    PositionStatus,
    Reject,
    TradeFill,
    TradePlan,
    TradeState,
)
from arbkit.trading.paper_writes import PaperWrites
from arbkit.trading.positions import PositionBook, held_sizes, realized_pnl
from arbkit.trading.risk import RiskGate
from arbkit.trading.tradestore import TradeStore

if TYPE_CHECKING:
    from arbkit.engine.core import Engine

log = logging.getLogger(__name__)

MarketLookup = Callable[[str], Market | None]
#: builds the executor once the trader (its listener) and the book lookups exist
ExecutorFactory = Callable[[ExecutionListener, BookLookup, MarketLookup], Executor]

_REPORTED = frozenset({ChangeKind.APPEARED, ChangeKind.CHANGED})
#: refusals that time alone can lift: the opportunity is asked again every ``mark_every``
_TRANSIENT = frozenset(
    {
        Reject.HALTED,
        Reject.REDUCING,
        Reject.VENUE_BLOCKED,
        Reject.DOUBTFUL_BOOK,
        Reject.NOT_PERSISTED,
        Reject.NO_CASH,
        Reject.MAX_POSITIONS,
        Reject.EXPOSURE_VENUE,
        Reject.EXPOSURE_LEAGUE,
        Reject.EXPOSURE_TOTAL,
    }
)


class Trader(Sink):
    """Risk gate → executor → positions → exits → settlement, for one trading book.

    Args:
        gate: the risk gate (limits, exposure, kill switch).
        executor: a factory for the paper or live executor (it needs this trader as listener).
        exits: the exit rules to run on every mark of an open position.
        journal: the order and trade journal (the store).
        records: decisions, settlements and positions in the store.
        book_id: which trading book this is; trade ids start with it, so a resumed run finds
            its own trades and a fresh paper replay never sees another's.
        mark_every: positions are marked on every book update of theirs and at least this
            often on the engine's clock.
    """

    def __init__(
        self,
        *,
        gate: RiskGate,
        executor: ExecutorFactory,
        exits: ExitManager,
        journal: TradeJournal,
        records: TradeStore,
        mode: Mode,
        book_id: str,
        mark_every: timedelta = timedelta(seconds=1),
        hooks: Any = None,
    ) -> None:
        self.gate = gate
        self.exits = exits
        self.journal = journal
        self.records = records
        self.mode = mode
        self.book_id = book_id
        self.mark_every = mark_every
        self.hooks = hooks  #: the plugin manager's ``pm.hook``: order_filled, position_closed
        self.positions = PositionBook(mode)
        self.engine: Engine | None = None
        self.executor = executor(self, self.book, self.market)
        self.seen: set[str] = set()  #: opportunity keys the gate has looked at
        self.taken = 0
        self.rejections: Counter[str] = Counter()
        self.broken_games: set[str] = set()  #: games whose trade ended BROKEN
        self._plans: dict[str, TradePlan] = {}
        self._last_verdict: dict[str, str] = {}
        self._retry: dict[str, str] = {}  #: refused for a passing reason: key -> game id
        #: games not to enter again in this book, and why (closed, settled, unwound)
        self._done: dict[str, str] = {}
        self._paper_orders: dict[str, _PaperOrder] = {}  #: by client order id
        self._unsaved_orders: set[str] = set()  #: paper orders whose totals are not stored
        #: a simulated trade's states since PLANNED, stored when it ends
        self._paper_steps: dict[str, list[tuple[TradeState, datetime, str]]] = {}
        self._dirty: set[str] = set()  #: games whose stored position is behind
        self._in_flight = 0  #: plans submitted and not yet final
        self._writes = journal.writes
        #: paper: fills and orders collected and written once per transaction
        self._paper_writes = PaperWrites(journal, mode)
        #: paper: WAL checkpoints from tick, not inside a trade's commit (see checkpoints.py)
        self._checkpoints = Checkpoints(self._writes.conn) if mode is Mode.PAPER else None
        self._venue_blocks: dict[str, str] = {}  #: venue -> the executor's reason, as gated
        self._resuming: asyncio.Task[None] | None = None
        self._held_books: dict[str, OrderBook] = {}  #: last book of every held contract
        self._game_of: dict[str, str] = {}  #: held contract id -> its game
        self._held_markets: dict[str, Market] = {}
        self._settled: set[tuple[str, str]] = set()
        self._unsellable: set[str] = set()  #: games whose exit was not attempted (said once)
        self._trade_seq = 0
        self._last_mark: datetime | None = None
        #: when each venue's feed last delivered a book: a book that has not changed is still
        #: current while its feed is heard from (silence and gaps arrive as ContinuityLost)
        self.heard: dict[str, datetime] = {}
        gate.last_heard = self.heard

    # -- lookups (the executor's and the exit rules' view of the books) ---------------------

    def book(self, contract_id: str) -> OrderBook | None:
        """The current book of a contract of a watched game: what orders and exits act on.
        Once a game's shard stops (its start) there is none, and nothing is traded on it."""
        return self.engine.book(contract_id) if self.engine is not None else None

    def last_book(self, contract_id: str) -> OrderBook | None:
        """The current book, else the last one seen while held: what marks use (a position
        keeps its last mark after its game's books stop, until the venues settle it)."""
        live = self.book(contract_id)
        return live if live is not None else self._held_books.get(contract_id)

    def market(self, contract_id: str) -> Market | None:
        live = self.engine.market(contract_id) if self.engine is not None else None
        return live if live is not None else self._held_markets.get(contract_id)

    def now(self) -> datetime:
        assert self.engine is not None
        return self.engine.clock.now()

    # -- restoring a book after a restart ----------------------------------------------------

    def restore(self, now: datetime | None = None) -> list[str]:
        """Rebuild this book's positions from its stored fills and the settlements stored
        up to ``now`` (a resumed replay starts before them and plays them again), and hold
        every game the book has a position in: no game is entered twice after a restart."""
        said: list[str] = []
        for plan, fill in self.journal.all_fills():
            if self._ours(plan.trade_id):
                self._plans[plan.trade_id] = plan
                self.positions.apply(plan, fill)
                self._hold_contract(fill.contract_id, plan.game_id)
        for settlement in self.records.settlements():
            known = settlement.settled_at
            if known is not None and (now is None or known <= now):
                self.positions.settle(settlement, known)
        for position in self.positions.all():
            if position.is_open:
                self.gate.committed(_holding_plan(position, self.mode))
            else:
                self._done[position.game_id] = f"{position.status.value} earlier in this book"
        for plan, state in self.journal.open_trades():
            if not self._ours(plan.trade_id):
                continue
            self._plans[plan.trade_id] = plan
            said.append(f"trade {plan.trade_id} ({plan.game_id}) was left {state.value}")
            if self.mode is Mode.PAPER:
                said.append(self._close_paper_trade(plan))
            elif plan.kind is PlanKind.ENTRY and self.positions.get(plan.game_id) is None:
                self.gate.committed(plan)  # the live executor resumes it
        ours = [plan.trade_id for plan, _ in self.journal.trades() if self._ours(plan.trade_id)]
        self._trade_seq = max((_seq(t) for t in ours), default=0)  # ids are never reused
        if self.positions.all():
            said.append(f"restored {len(self.positions.all())} position(s) from the journal")
        return said

    def _close_paper_trade(self, plan: TradePlan) -> str:
        """A simulated trade the killed run left in flight cannot be resumed (its moment has
        passed): it ends as its stored fills left it — nothing filled: missed; equal legs:
        hedged (or flat, for an exit); anything else: broken, and the position shows it."""
        position = self.positions.get(plan.game_id)
        legs = [] if position is None else [leg for leg in position.legs.values() if leg.fills]
        mine = [f for leg in legs for f in leg.fills if f.trade_id == plan.trade_id]
        if not mine:  # nothing was done: an entry missed, an exit never sent
            state = TradeState.MISSED
        elif position is not None and not position.is_open:
            state = TradeState.FLAT
        elif position is not None and len({leg.size for leg in legs}) == 1 and len(legs) == 2:
            state = TradeState.HEDGED
        else:
            state = TradeState.BROKEN
        at = max((f.at for f in mine), default=plan.decided_at)
        self.journal.transition(plan.trade_id, state, at, "the run ended before it finished")
        return f"trade {plan.trade_id} closed as {state.value}"

    def _ours(self, trade_id: str) -> bool:
        return trade_id.startswith(self.book_id + "/")

    # -- the engine sink -----------------------------------------------------------------------

    def started(self, engine: Engine) -> None:
        self.engine = engine
        self._last_mark = now = engine.clock.now()
        for venue in engine.venues:  # every book was just fetched
            self.heard[venue] = now
        if self.mode is Mode.LIVE:
            # The journal's open trades resume now that the books and markets are known;
            # no venue takes a new entry until they are done and positions are reconciled.
            for venue in engine.venues:
                self.gate.block_venue(venue, "resuming the journal's open trades")
            self._resuming = asyncio.get_running_loop().create_task(self._resume_live())

    async def _resume_live(self) -> None:
        assert self.engine is not None
        try:
            resume = getattr(self.executor, "resume", None)
            for line in await resume() if resume is not None else []:
                log.warning("live: %s", line)
            for line in await self.reconcile():
                log.error("live: POSITION DRIFT %s (entries there are halted)", line)
        finally:
            for venue in self.engine.venues:
                if venue not in self._venue_blocks:
                    self.gate.unblock_venue(venue)

    def event(self, event: StreamEvent, at: datetime) -> None:
        """Every stream event, before the engine applies it: the paper executor fills on it,
        held positions are marked (with the new book) and their exits evaluated."""
        if self._in_flight and self.mode is Mode.PAPER:
            with self._paper_writes.scope():  # simulated fills due now: one transaction
                self.executor.on_event(event, at)
        else:
            self.executor.on_event(event, at)
        if isinstance(event, BookUpdate):
            self.heard[event.book.venue] = at
            contract_id = event.book.contract_id
            if contract_id in self._game_of:
                self._held_books[contract_id] = event.book
                position = self.positions.get(self._game_of.get(contract_id, ""))
                if position is not None and position.is_open:
                    self._mark_and_exit(position, at)
        elif isinstance(event, MarketSettled):
            self._apply_settlement(event.settlement, event.settlement.settled_at or at)
        if self._last_mark is None or at - self._last_mark >= self.mark_every:
            self.tick(at)

    def tick(self, now: datetime) -> None:
        """The once-a-``mark_every`` pass: mark every open position, run its exits, and ask
        again about opportunities refused for a passing reason. Live runs also call it on a
        timer, so a quiet feed still gets its marks."""
        self._last_mark = now
        positions, books, markets = self.positions, self.last_book, self.market
        for position in positions.open_positions():
            # nothing it is made of changed and no rule's answer is due to change: as it was
            if not positions.steady(position, books, markets, now):
                self._mark_and_exit(position, now)
        if self._retry:
            self._reconsider(now)
        self._store_risk_events()
        if self._checkpoints is not None:
            self._checkpoints.due()

    async def reconcile(self) -> list[str]:
        """Live: compare what the venues hold with this book's positions; a drift blocks
        entries on that venue (the executor's ``blocked``) and is logged as an error."""
        check = getattr(self.executor, "reconcile_positions", None)
        if check is None:
            return []
        drifts: list[str] = await check(held_sizes(self.positions.open_positions()))
        self._sync_blocks()
        return drifts

    def change(self, change: Change) -> None:
        opportunity = change.opportunity
        if opportunity is None or self.engine is None:
            return
        if change.kind is ChangeKind.VANISHED:
            self.gate.vanished(opportunity.key)
            self._retry.pop(opportunity.key, None)
            return
        if change.kind in _REPORTED:
            self._consider(opportunity, change.game_id, change.at or self.now())

    def _consider(self, opportunity: Opportunity, game_id: str, now: datetime) -> None:
        """Ask the gate; an accepted plan goes to the executor at once."""
        assert self.engine is not None
        shard = self.engine.shards.get(game_id)
        if shard is None:
            return
        self.seen.add(opportunity.key)
        self._sync_blocks()
        trade_id = self._peek_trade_id()
        done = self._done.get(game_id)
        if done is not None:
            decision: Decision = Decision(
                key=opportunity.key,
                game_id=game_id,
                strategy=opportunity.strategy,
                accepted=False,
                at=now,
                reason=Reject.ALREADY_HELD,
                detail=f"not entered again: {done}",
            )
            plan: TradePlan | None = None
        else:
            decision, plan = self.gate.evaluate(opportunity, shard.state, now, trade_id=trade_id)
        if plan is not None and self.mode is Mode.PAPER:
            with self._paper_writes.scope():  # the verdict and the whole simulated trade: one tx
                self._record_decision(decision)
                self._accept(plan, opportunity.key, game_id)
            return
        self._record_decision(decision)
        if self.gate.events:
            self._store_risk_events()
        if plan is None:
            self._refused(decision, opportunity.key, game_id)
        else:
            self._accept(plan, opportunity.key, game_id)

    def _refused(self, decision: Decision, key: str, game_id: str) -> None:
        if decision.reason in _TRANSIENT:
            self._retry[key] = game_id
        else:
            self._retry.pop(key, None)

    def _accept(self, plan: TradePlan, key: str, game_id: str) -> None:
        self._retry.pop(key, None)
        if self.gate.events:
            self._store_risk_events()
        self.taken += 1
        self._plans[plan.trade_id] = plan
        for leg in plan.legs:
            self._hold_contract(leg.contract_id, plan.game_id)
        self.gate.committed(plan)
        self._submit(plan)

    def _submit(self, plan: TradePlan) -> None:
        """Hand a plan to the executor; a paper trade's rows are written as one transaction."""
        self._trade_seq = max(self._trade_seq, _seq(plan.trade_id))
        self._in_flight += 1
        if self.mode is Mode.PAPER:
            with self._paper_writes.scope():
                self.executor.submit(plan)
        else:
            self.executor.submit(plan)

    def _sync_blocks(self) -> None:
        """The executor's blocked venues (an unknown-outcome write, a position drift) block
        entries there at the gate, and are lifted there once the executor lifts them."""
        blocked: dict[str, str] = getattr(self.executor, "blocked", {})
        for venue, why in blocked.items():
            if self._venue_blocks.get(venue) != why:
                self.gate.block_venue(venue, why)
                self._venue_blocks[venue] = why
        for venue in [v for v in self._venue_blocks if v not in blocked]:
            self.gate.unblock_venue(venue)
            del self._venue_blocks[venue]

    def _store_risk_events(self) -> None:
        while self.gate.events:
            at, state, reason = self.gate.events.pop(0)
            self.records.risk_event(
                at=at, state=state, reason=reason, source="trader", mode=self.mode
            )

    def _reconsider(self, now: datetime) -> None:
        """Opportunities refused for a reason that passes with time (a book not yet fresh, not
        yet seen long enough, a halt since lifted) are asked again while they stay open."""
        assert self.engine is not None
        for key, game_id in list(self._retry.items()):
            shard = self.engine.shards.get(game_id)
            opportunity = shard.current.get(key) if shard is not None else None
            if opportunity is None:
                del self._retry[key]
            else:
                self._consider(opportunity, game_id, now)

    def finished(self, engine: Engine, end: RunEnd) -> None:
        self.mark_all(engine.clock.now())

    # -- the executor's listener ----------------------------------------------------------------

    def filled(self, plan: TradePlan, fill: TradeFill) -> None:
        if self.mode is Mode.PAPER:
            self._journal_paper_fill(plan, fill)
        position = self.positions.apply(plan, fill)
        self._announce_fill(fill)
        self._hold_contract(fill.contract_id, plan.game_id)
        if fill.side is Side.BUY:
            self.gate.filled(fill.venue, fill.price * fill.size + fill.fee, game_id=plan.game_id)
        self._dirty.add(position.game_id)
        if self.mode is Mode.LIVE:
            self._flush_positions()  # a real fill is on disk at once
        if not position.is_open:
            self._finish(position)

    def _announce_fill(self, fill: TradeFill) -> None:
        """The ``order_filled`` hook, with the order as the journal has it now."""
        hook = None if self.hooks is None else self.hooks.order_filled
        if hook is None or not hook.get_hookimpls():
            return
        paper = self._paper_orders.get(fill.client_order_id)
        if paper is not None:
            hook(order=paper.as_order(fill, fill.client_order_id), fill=_venue_fill(fill))
            return
        row = self.journal.order(fill.client_order_id) or {}
        order = Order(
            venue=fill.venue,
            order_id=fill.order_id or row.get("order_id"),
            client_order_id=fill.client_order_id,
            contract_id=fill.contract_id,
            side=fill.side,
            price=row.get("price") or fill.price,
            size=row.get("size") or fill.size,
            filled=row.get("filled") or fill.size,
            status=OrderStatus(row["status"]) if row.get("status") else OrderStatus.FILLED,
            average_price=row.get("average_price"),
            fee=row.get("fee") or fill.fee,
        )
        hook(order=order, fill=_venue_fill(fill))

    def _flush_positions(self) -> None:
        for game_id in sorted(self._dirty):
            position = self.positions.get(game_id)
            if position is not None:
                self.records.position(position, self.journal_run_id)
        self._dirty.clear()

    def _journal_paper_fill(self, plan: TradePlan, fill: TradeFill) -> None:
        """A paper fill, and the simulated order it belongs to, to the journal (written with
        the rest of its transaction; a live executor journals its orders itself, first)."""
        self._paper_writes.fill(fill)  # fill ids derive from trade ids, never reused: new
        cid = fill.client_order_id
        order = self._paper_orders.get(cid)
        if order is None:
            leg = plan.legs[fill.leg]
            first_try = fill.side is leg.side and cid.endswith("-1")
            order = self._paper_orders[cid] = _PaperOrder(
                price=leg.limit_price if first_try else fill.price,
                size=leg.size if first_try else fill.size,
            )
            # trade ids are never reused, so an order first seen here is new to the journal
            request = OrderRequest(
                venue=fill.venue,
                contract_id=fill.contract_id,
                side=fill.side,
                price=order.price,
                size=order.size,
                client_order_id=cid,
                time_in_force=TimeInForce.IOC,
            )
            self._paper_writes.order(OrderEntry(plan, fill.leg, request, fill.at))
        order.add(fill)
        order.last = fill
        self._unsaved_orders.add(cid)

    def _flush_orders(self) -> None:
        """Each simulated order's totals, once its trade is done (the same transaction)."""
        for cid in sorted(self._unsaved_orders):
            order = self._paper_orders[cid]
            if order.last is not None:
                self._paper_writes.totals(order.as_order(order.last, cid), order.last.at)
        self._unsaved_orders.clear()

    def trade_state(
        self, plan: TradePlan, state: TradeState, detail: str, at: datetime | None = None
    ) -> None:
        if self.mode is Mode.PAPER:  # a live executor stores each state itself, first
            when = at or self.now()
            if state is TradeState.PLANNED:
                self.journal.plan(plan, when)
            else:  # a simulated trade's states are written together when it ends
                steps = self._paper_steps.setdefault(plan.trade_id, [])
                steps.append((state, when, detail))
                if state.is_final:
                    self.journal.record_transitions(plan.trade_id, steps)
                    del self._paper_steps[plan.trade_id]
        if state.is_final:
            self._in_flight -= 1
            self._flush_orders()
            self._flush_positions()
        if state is TradeState.BROKEN:
            self.broken_games.add(plan.game_id)
            log.error("trade %s in %s is one-legged: %s", plan.trade_id, plan.game_id, detail)
        if plan.kind is PlanKind.ENTRY and state in (TradeState.FLAT, TradeState.BROKEN):
            # the second leg missed: entering again would likely pay the round trip again
            self._done[plan.game_id] = f"an entry was {state.value} ({detail})"
        if state.is_final and plan.kind is PlanKind.ENTRY:
            position = self.positions.get(plan.game_id)
            if position is None:  # missed: nothing was bought
                self.gate.released(plan.game_id, {})

    # -- positions ---------------------------------------------------------------------------

    def mark_all(self, now: datetime) -> None:
        for position in self.positions.open_positions():
            self.positions.mark(position, self.last_book, self.market, now)

    def _mark_and_exit(self, position: GamePosition, now: datetime) -> None:
        self.positions.mark(position, self.last_book, self.market, now)
        engine = self.engine
        shard = None if engine is None else engine.shards.get(position.game_id)
        if shard is None:
            return  # its game is no longer watched (it started): held until the venues pay
        if self.executor.busy(position.game_id):
            return
        # While the game is watched, the books the mark used are the engine's current ones.
        books, markets = self.positions.marked_with(position)
        reason = self.exits.evaluate(position, books, markets, now)
        if reason is None:
            self.positions.quiet(position, self.exits.quiet_until(position, now))
            return
        self.positions.quiet(position, None)
        assert engine is not None
        start = shard.state.match.start_time
        if start is not None and now >= start - engine.options.start_cutoff:
            # the engine stops watching the game on this very event (a clock that jumped past
            # its start cut-off): no book is left to sell into, so no sale is attempted
            if position.game_id not in self._unsellable:
                self._unsellable.add(position.game_id)
                log.warning(
                    "exit of %s not attempted (%s): its books stop at the start cut-off, "
                    "nothing to sell into; held to settlement",
                    position.game_id,
                    reason,
                )
            return
        plan = exit_plan(
            position,
            self.book,
            self.market,
            trade_id=self._peek_trade_id(),
            mode=self.mode,
            now=now,
            reason=reason,
        )
        if plan is None:
            return
        self._plans[plan.trade_id] = plan
        self._submit(plan)

    def _apply_settlement(
        self, settlement: Settlement, at: datetime | None, *, store: bool = True
    ) -> None:
        """Pay the held legs of a settled market (the position book pays each once, so a
        settlement seen again — a resumed run, a replayed message — changes nothing)."""
        key = (settlement.venue, settlement.market_id)
        if store and key not in self._settled:
            self._settled.add(key)
            self.records.settlement(settlement, self.journal_run_id)
        for position in self.positions.settle(settlement, at or self.now()):
            self._dirty.add(position.game_id)
            if not position.is_open:
                self._finish(position)
        self._flush_positions()

    def _finish(self, position: GamePosition) -> None:
        """A position is closed or settled: free its exposure, count its P&L for the day."""
        cash_back: dict[str, Decimal] = {}
        for leg in position.legs.values():
            cash_back[leg.venue] = cash_back.get(leg.venue, ZERO) + leg.proceeds
        for fill in (f for leg in position.legs.values() for f in leg.fills):
            if fill.side is Side.SELL:
                cash_back[fill.venue] = cash_back.get(fill.venue, ZERO) - fill.fee
        self.gate.released(position.game_id, cash_back)
        pnl = realized_pnl(position)
        if position.closed_at is not None:
            self.gate.realized(pnl, position.closed_at)
        if self.hooks is not None:
            self.hooks.position_closed(position=position, pnl=pnl)

    def _hold_contract(self, contract_id: str, game_id: str | None) -> None:
        if game_id is not None:
            self._game_of[contract_id] = game_id
        book = self.engine.book(contract_id) if self.engine is not None else None
        if book is not None:
            self._held_books[contract_id] = book
        market = self.engine.market(contract_id) if self.engine is not None else None
        if market is not None:
            self._held_markets[contract_id] = market

    # -- records -------------------------------------------------------------------------------

    @property
    def journal_run_id(self) -> str:
        return self.records.run_id

    def _record_decision(self, decision: Decision) -> None:
        """Store a verdict when it differs from the last one for the same opportunity: an
        opportunity refused for the same reason on every tick is one record, not thousands."""
        verdict = "taken" if decision.accepted else str(decision.reason)
        if self._last_verdict.get(decision.key) == verdict:
            return
        self._last_verdict[decision.key] = verdict
        if not decision.accepted and decision.reason is not None:
            self.rejections[decision.reason.value] += 1
        self.records.decision(decision, self.mode)

    def _peek_trade_id(self) -> str:
        """The id the next plan gets; :meth:`_submit` takes it (a refusal uses none)."""
        return f"{self.book_id}/{self._trade_seq + 1:05d}"

    async def drain(self) -> None:
        """Let the executor finish what is in flight. A replay that played to its end fills
        what is pending on its last books; a run stopped early abandons simulated fills (the
        books of their moment were never seen); a live executor always finishes its trades."""
        from arbkit.engine.sinks import RunStatus

        if self._resuming is not None:
            await self._resuming
        end = self.engine.end if self.engine is not None else None
        stopped = end is not None and end.status is not RunStatus.COMPLETED
        abandon = getattr(self.executor, "abandon", None)
        if self.mode is Mode.PAPER:
            with self._paper_writes.scope():
                if stopped and abandon is not None:
                    abandon()
                else:
                    await self.executor.drain()
        else:
            await self.executor.drain()

    def settle_up(self) -> None:
        """The last marks, and every position stored as it stands (end of a run)."""
        if self.engine is not None:
            self.mark_all(self.now())
        self._flush_orders()
        for position in self.positions.all():
            self.records.position(position, self.journal_run_id)

    # -- what front ends show ----------------------------------------------------------------

    def trades_in_flight(self) -> dict[str, tuple[tuple[TradeState, datetime, str], ...]]:
        """The states of the simulated trades not yet ended, by trade id: a paper trade's
        states are stored together when it ends, so until then the journal says ``planned``
        and only the trader knows (a live trade stores each state first: empty for live)."""
        return {trade_id: tuple(steps) for trade_id, steps in self._paper_steps.items()}

    def pnl_now(self) -> tuple[Decimal, Decimal]:
        """(realized, unrealized) over every position of this book."""
        positions = self.positions.all()
        realized = sum((realized_pnl(p) for p in positions), ZERO)
        unrealized = sum((p.unrealized_pnl for p in positions if p.is_open), ZERO)
        return realized, unrealized

    def status(self) -> dict[str, object]:
        """A compact, JSON-able status: what the live status line and the TUI show."""
        positions = self.positions.all()
        open_ = [p for p in positions if p.status is PositionStatus.OPEN]
        return {
            "mode": self.mode.value,
            "risk": self.gate.state.value,
            "seen": len(self.seen),
            "taken": self.taken,
            "rejected": dict(self.rejections),
            "open_positions": len(open_),
            "positions": len(positions),
        }


@define
class _PaperOrder:
    """What a simulated order has filled so far (the journal row says the same)."""

    price: Decimal
    size: Decimal
    filled: Decimal = ZERO
    notional: Decimal = ZERO
    fee: Decimal = ZERO
    last: TradeFill | None = None

    def add(self, fill: TradeFill) -> None:
        self.filled += fill.size
        self.notional += fill.price * fill.size
        self.fee += fill.fee
        self.size = max(self.size, self.filled)

    def as_order(self, fill: TradeFill, client_order_id: str) -> Order:
        return Order(
            venue=fill.venue,
            order_id=fill.order_id,
            client_order_id=client_order_id,
            contract_id=fill.contract_id,
            side=fill.side,
            price=self.price,
            size=self.size,
            filled=self.filled,
            status=OrderStatus.FILLED if self.filled >= self.size else OrderStatus.PARTIALLY_FILLED,
            average_price=self.notional / self.filled,
            fee=self.fee,
        )


def _venue_fill(fill: TradeFill) -> Fill:
    """A trade's fill as the ``order_filled`` hook's :class:`arbkit.Fill`."""
    return Fill(
        venue=fill.venue,
        fill_id=fill.fill_id,
        order_id=fill.order_id,
        contract_id=fill.contract_id,
        side=fill.side,
        price=fill.price,
        size=fill.size,
        fee=fill.fee,
        timestamp=fill.at,
    )


def _seq(trade_id: str) -> int:
    tail = trade_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _holding_plan(position: GamePosition, mode: Mode) -> TradePlan:
    """A stand-in entry plan for a restored position, so the gate counts its exposure."""
    from arbkit.trading.model import LegPlan

    legs = tuple(
        LegPlan(
            venue=leg.venue,
            market_id=leg.market_id,
            contract_id=contract_id,
            outcome=leg.outcome,
            side=Side.BUY,
            size=leg.size,
            limit_price=leg.avg_price or ZERO,
            expected_price=leg.avg_price or ZERO,
            expected_fee=leg.fees,
        )
        for contract_id, leg in position.legs.items()
    )
    return TradePlan(
        trade_id=f"restored/{position.game_id}",
        kind=PlanKind.ENTRY,
        mode=mode,
        game_id=position.game_id,
        league=position.league,
        strategy=position.strategy,
        opportunity_key="",
        legs=legs,
        size=max((leg.size for leg in position.legs.values()), default=ZERO),
        decided_at=position.opened_at,
        start_time=position.start_time,
        expected_cost=position.cost + position.fees,
    )
