"""The risk gate: every opportunity passes here before any order, and most are refused.

:meth:`RiskGate.evaluate` runs the checks in a fixed order, cheapest and most final first, and
returns the first refusal with its :class:`~arbkit.trading.model.Reject` reason (stored by the
trader), or an accepted decision with a sized :class:`~arbkit.trading.model.TradePlan`. The
gate also keeps what those checks need between calls: the risk state (ACTIVE / REDUCING /
HALTED, the kill switch, the daily loss limit), blocked venues, when each opportunity was first
seen, and the money committed per game, venue and league.

Cash is tracked per venue, because it sits on each venue separately:

* :meth:`committed` holds a plan's expected cost on each leg's venue (out of :meth:`cash`) and
  counts it as exposure until :meth:`released`;
* :meth:`filled` (optional, finer) books a fill's actual dollars: the venue's cash drops by
  them and the game's hold on that venue by as much (what a cheaper fill leaves of the hold
  stays held, a hedge retry may still need it, until the game is released);
* :meth:`released` ends the game: its hold and exposure go, ``cash_back`` (sale proceeds net
  of fees, settlement payouts) is added. A game released with money back but without a single
  :meth:`filled` call is taken to have spent exactly its hold (the trader did not report fills);
  a game released with nothing back and no fills (a missed entry) spent nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from attrs import define, field

from arbkit.models import Opportunity, OrderBook, Side
from arbkit.money import format_decimal
from arbkit.strategy import GameState
from arbkit.trading.killswitch import KillSwitch
from arbkit.trading.model import (
    ZERO,
    Decision,
    LegPlan,
    Mode,
    PlanKind,
    Reject,
    RiskLimits,
    RiskState,
    TradePlan,
)
from arbkit.trading.settlement import SettlementCheck, check_settlement
from arbkit.trading.sizing import HEDGE_SLIPPAGE, size_for
from arbkit.venue import Venue

#: Key of the gate's settlement checks in ``GameState.cache`` (the legs' mapping never changes
#: while the game's match does not).
_CACHE_KEY = "risk:settlement"


@define
class _Hold:
    """One held game: what its entry was expected to cost per venue, and what fills paid."""

    league: str | None
    reserved: dict[str, Decimal] = field(factory=dict)  #: venue -> dollars
    spent: dict[str, Decimal] = field(factory=dict)
    fills: int = 0


class RiskGate:
    """Approves and sizes entries; see the module doc for what it keeps.

    Args:
        limits: the user's limits.
        venues: venue classes by name (settlement rules, valid order sizes).
        bankroll: dollars per venue at the start (empty: ``limits.bankroll``).
        mode: paper or live (carried onto every plan).
        kill_switch: the halt file, checked on every :meth:`evaluate`.
        hedge_slippage: expected dollars lost per contract when a second leg misses (sizing).
    """

    def __init__(
        self,
        limits: RiskLimits,
        *,
        venues: Mapping[str, type[Venue]],
        bankroll: Mapping[str, Decimal],
        mode: Mode,
        kill_switch: KillSwitch | None = None,
        hedge_slippage: Decimal = HEDGE_SLIPPAGE,
    ) -> None:
        self.limits = limits
        self.venues = dict(venues)
        self.mode = mode
        self.kill_switch = kill_switch
        self.hedge_slippage = hedge_slippage
        self._cash = dict(bankroll or limits.bankroll)
        self._holds: dict[str, _Hold] = {}
        #: venue -> what the holds may still spend there (cleared when a hold changes)
        self._held: dict[str, Decimal] = {}
        self._venue_exposure: dict[str, Decimal] = {}
        self._league_exposure: dict[str | None, Decimal] = {}
        self._total = ZERO
        self._first_seen: dict[str, datetime] = {}
        self._blocked: dict[str, str] = {}
        self._halted: str | None = None
        self._reducing: str | None = None
        #: named entry pauses (REDUCING while any is held), each lifted only by its own key
        self._pauses: dict[str, str] = {}
        self._switch: str | None = None  #: the kill switch's reason when last looked at
        self._daily: dict[date, Decimal] = {}
        self._now: datetime | None = None
        self.events: list[tuple[datetime, str, str]] = []
        #: venue -> when its feed last delivered a book (the trader keeps it up to date)
        self.last_heard: dict[str, datetime] = {}

    # -- state ----------------------------------------------------------------------------------

    @property
    def state(self) -> RiskState:
        if self._halted is not None or self._tripped() is not None:
            return RiskState.HALTED
        if self._reducing is not None or self._pauses:
            return RiskState.REDUCING
        return RiskState.ACTIVE

    def _tripped(self) -> str | None:
        return None if self.kill_switch is None else self.kill_switch.tripped()

    def _watch_switch(self, at: datetime) -> str | None:
        """The kill switch's reason now; a change is recorded as an event."""
        reason = self._tripped()
        if reason != self._switch:
            if reason is not None:
                self.events.append((at, RiskState.HALTED.value, f"kill switch: {reason}"))
            elif self._halted is None:
                self.events.append((at, self.state.value, "kill switch cleared"))
            self._switch = reason
        return reason

    def halt(self, reason: str, at: datetime) -> None:
        """No new entries until :meth:`resume` (exits, hedges and cancels go on)."""
        self._now = at
        self._halted = reason
        self.events.append((at, RiskState.HALTED.value, reason))

    def resume(self, at: datetime) -> None:
        """Back to ACTIVE: clears a halt, :meth:`reduce` and the kill switch file. Named
        pauses stay: each is lifted by whoever holds it (:meth:`unpause`)."""
        self._now = at
        self._halted = None
        self._reducing = None
        if self.kill_switch is not None and self.kill_switch.clear():
            self._switch = None
        self.events.append((at, RiskState.ACTIVE.value, "resumed"))

    def reduce(self, reason: str) -> None:
        """REDUCING: only exits and hedges, no new entries."""
        self._reducing = reason
        self.events.append((self._clock(), RiskState.REDUCING.value, reason))

    def pause(self, key: str, why: str) -> None:
        """No new entries while the pause ``key`` is held (REDUCING: exits and hedges go on).

        Named, so that a component (the remote matcher's breaker, …) lifts exactly its own
        pause and never another's, a halt, the kill switch or the daily loss limit (HALTED
        wins over any pause). Pausing again under the same key only updates ``why``.
        """
        if self._pauses.get(key) == why:
            return
        self._pauses[key] = why
        self.events.append((self._clock(), RiskState.REDUCING.value, why))

    def unpause(self, key: str) -> None:
        """Lift the pause ``key`` (nothing if it is not held)."""
        if self._pauses.pop(key, None) is None:
            return
        self.events.append((self._clock(), self.state.value, f"pause lifted: {key}"))

    @property
    def pauses(self) -> dict[str, str]:
        """The entry pauses held: key → why."""
        return dict(self._pauses)

    def block_venue(self, venue: str, reason: str) -> None:
        """No entries with a leg on ``venue`` (an unknown-outcome write, a position drift)."""
        self._blocked[venue] = reason
        self.events.append((self._clock(), "venue_blocked", f"{venue}: {reason}"))

    def unblock_venue(self, venue: str) -> None:
        if self._blocked.pop(venue, None) is not None:
            self.events.append((self._clock(), "venue_unblocked", venue))

    def realized(self, pnl: Decimal, at: datetime) -> None:
        """Book realized P&L on the UTC day of ``at``; a loss reaching the limit halts."""
        self._now = at
        day = at.astimezone(UTC).date()
        total = self._daily.get(day, ZERO) + pnl
        self._daily[day] = total
        limit = self.limits.daily_loss_limit
        if total < 0 and -total >= limit and self._halted is None:
            self.halt(
                f"daily loss limit: {format_decimal(-total)} lost on {day.isoformat()} "
                f"(limit {format_decimal(limit)})",
                at,
            )

    def cash(self, venue: str) -> Decimal:
        """Dollars free on ``venue``: its cash less what held games may still spend there
        (summed over the holds once after each change to them, not on every evaluation)."""
        held = self._held.get(venue)
        if held is None:
            held = self._held[venue] = sum(
                (
                    max(hold.reserved.get(venue, ZERO) - hold.spent.get(venue, ZERO), ZERO)
                    for hold in self._holds.values()
                ),
                ZERO,
            )
        return self._cash.get(venue, ZERO) - held

    def daily_pnl(self, at: datetime) -> Decimal:
        return self._daily.get(at.astimezone(UTC).date(), ZERO)

    def _clock(self) -> datetime:
        return self._now or datetime.now(UTC)

    # -- bookkeeping ----------------------------------------------------------------------------

    def vanished(self, key: str) -> None:
        """The opportunity disappeared: its persistence clock starts again if it returns."""
        self._first_seen.pop(key, None)

    def committed(self, plan: TradePlan) -> None:
        """An entry plan was submitted: hold its expected cost and hold its game."""
        self._held.clear()
        hold = self._holds.get(plan.game_id)
        if hold is None:
            hold = self._holds[plan.game_id] = _Hold(league=plan.league)
        for leg in plan.legs:
            amount = leg.expected_price * leg.size + leg.expected_fee
            hold.reserved[leg.venue] = hold.reserved.get(leg.venue, ZERO) + amount
            self._venue_exposure[leg.venue] = self._venue_exposure.get(leg.venue, ZERO) + amount
            self._league_exposure[plan.league] = (
                self._league_exposure.get(plan.league, ZERO) + amount
            )
            self._total += amount

    def filled(self, venue: str, dollars_out: Decimal, *, game_id: str | None = None) -> None:
        """A fill paid ``dollars_out`` on ``venue`` (price × size + fee; negative for a sale).

        Counted against ``game_id``'s hold, or the oldest held game with money still held there.
        """
        self._cash[venue] = self._cash.get(venue, ZERO) - dollars_out
        self._held.clear()
        hold = self._holds.get(game_id) if game_id is not None else None
        if hold is None and game_id is None:
            for candidate in self._holds.values():
                if candidate.reserved.get(venue, ZERO) > candidate.spent.get(venue, ZERO):
                    hold = candidate
                    break
        if hold is not None:
            hold.spent[venue] = hold.spent.get(venue, ZERO) + dollars_out
            hold.fills += 1

    def released(self, game_id: str, cash_back: Mapping[str, Decimal]) -> None:
        """The game's position is finished: free its hold and exposure, add ``cash_back``."""
        self._held.clear()
        hold = self._holds.pop(game_id, None)
        if hold is not None:
            if not hold.fills and any(amount for amount in cash_back.values()):
                for venue, amount in hold.reserved.items():
                    self._cash[venue] = self._cash.get(venue, ZERO) - amount
            for venue, amount in hold.reserved.items():
                self._venue_exposure[venue] = self._venue_exposure.get(venue, ZERO) - amount
                self._league_exposure[hold.league] = (
                    self._league_exposure.get(hold.league, ZERO) - amount
                )
                self._total -= amount
        for venue, amount in cash_back.items():
            self._cash[venue] = self._cash.get(venue, ZERO) + amount

    def held(self, game_id: str) -> bool:
        return game_id in self._holds

    # -- the gate -------------------------------------------------------------------------------

    def evaluate(
        self, opportunity: Opportunity, game: GameState, now: datetime, *, trade_id: str
    ) -> tuple[Decision, TradePlan | None]:
        """The gate's verdict on ``opportunity`` at ``now``; a plan when accepted."""
        self._now = now
        key = opportunity.key
        first_seen = self._first_seen.setdefault(key, now)
        limits = self.limits

        def refuse(reason: Reject, detail: str) -> tuple[Decision, None]:
            return (
                Decision(
                    key=key,
                    game_id=opportunity.game_id,
                    strategy=opportunity.strategy,
                    accepted=False,
                    at=now,
                    reason=reason,
                    detail=detail,
                ),
                None,
            )

        switch = self._watch_switch(now)
        if self._halted is not None or switch is not None:
            return refuse(Reject.HALTED, self._halted or f"kill switch: {switch}")
        if self._reducing is not None:
            return refuse(Reject.REDUCING, self._reducing)
        if self._pauses:
            return refuse(Reject.REDUCING, "; ".join(self._pauses.values()))
        for leg in opportunity.legs:
            if leg.venue in self._blocked:
                return refuse(Reject.VENUE_BLOCKED, f"{leg.venue}: {self._blocked[leg.venue]}")
        if opportunity.game_id in self._holds:
            return refuse(Reject.ALREADY_HELD, f"a position or trade in {opportunity.game_id}")
        if opportunity.confidence < limits.min_confidence:
            return refuse(
                Reject.LOW_CONFIDENCE,
                f"match confidence {opportunity.confidence:.4f} < {limits.min_confidence}",
            )
        for leg in opportunity.legs:
            if leg.worst_price > limits.max_entry_price:
                return refuse(
                    Reject.PRICE_ABOVE_MAX,
                    f"{leg.venue} '{leg.outcome}' at {format_decimal(leg.worst_price)} > "
                    f"{format_decimal(limits.max_entry_price)}",
                )
        if opportunity.net_edge < limits.min_edge:
            return refuse(
                Reject.EDGE_BELOW_MIN,
                f"net edge {opportunity.net_edge:.4f} < {format_decimal(limits.min_edge)}",
            )
        doubt = self._doubtful_book(opportunity, game, now)
        if doubt:
            return refuse(Reject.DOUBTFUL_BOOK, doubt)
        start = opportunity.start_time or game.match.start_time
        if start is None:
            return refuse(Reject.STARTS_SOON, "start time unknown")
        if start - now < limits.start_cutoff:
            return refuse(
                Reject.STARTS_SOON,
                f"starts at {start.isoformat()}, within {limits.start_cutoff} of {now.isoformat()}",
            )
        check = self.settlement(opportunity, game)
        if not check.pays_in_every_outcome:
            return refuse(Reject.SETTLEMENT_MISMATCH, check.detail)
        if now - first_seen < limits.min_persist:
            return refuse(
                Reject.NOT_PERSISTED,
                f"seen for {now - first_seen} < {limits.min_persist}",
            )
        if len(self._holds) >= limits.max_open_positions:
            return refuse(
                Reject.MAX_POSITIONS,
                f"{len(self._holds)} open positions (limit {limits.max_open_positions})",
            )
        league = opportunity.league if opportunity.league is not None else game.match.league
        # the tightest of the game, league and total rooms (the first, on a tie)
        room, room_reason = limits.max_per_game, Reject.EXPOSURE_GAME
        league_room = limits.max_per_league - self._league_exposure.get(league, ZERO)
        if league_room < room:
            room, room_reason = league_room, Reject.EXPOSURE_LEAGUE
        if limits.max_total - self._total < room:
            room, room_reason = limits.max_total - self._total, Reject.EXPOSURE_TOTAL
        cash: dict[str, Decimal] = {}
        venue_room: dict[str, Decimal] = {}
        for leg in opportunity.legs:
            venue = leg.venue
            if venue not in cash:
                cash[venue] = self.cash(venue)
                venue_room[venue] = limits.max_per_venue - self._venue_exposure.get(venue, ZERO)
        sized = size_for(
            opportunity,
            game,
            limits,
            cash=cash,
            room=room,
            check=check,
            venues=self.venues,
            venue_room=venue_room,
            room_reason=room_reason,
            hedge_slippage=self.hedge_slippage,
        )
        if sized.reason is not None:
            return refuse(sized.reason, sized.detail)
        size = sized.size
        payout = opportunity.payout / opportunity.size * size
        profit = payout - sized.cost
        if profit <= ZERO or profit / size < limits.min_edge:
            return refuse(
                Reject.EDGE_BELOW_MIN,
                f"at {format_decimal(size)} contracts the net edge is {profit / size:.4f} "
                f"< {format_decimal(limits.min_edge)}",
            )
        legs = tuple(
            [
                LegPlan(
                    venue=leg.venue,
                    market_id=leg.market_id,
                    contract_id=leg.contract_id,
                    outcome=leg.outcome,
                    side=Side.BUY,
                    size=size,
                    # the opportunity's worst price over its whole depth: the strategy stopped
                    # where the marginal pair stops paying, so a fill up to both legs' limits is
                    # still no loss at the margin, and room for the book to move in the latency
                    limit_price=leg.worst_price,
                    expected_price=fill.average_price,
                    expected_fee=fill.fee,
                )
                for leg, fill in zip(opportunity.legs, sized.fills, strict=True)
            ]
        )
        plan = TradePlan(
            trade_id=trade_id,
            kind=PlanKind.ENTRY,
            mode=self.mode,
            game_id=opportunity.game_id,
            league=league,
            strategy=opportunity.strategy,
            opportunity_key=key,
            legs=legs,
            size=size,
            decided_at=now,
            confidence=opportunity.confidence,
            start_time=start,
            expected_cost=sized.cost,
            expected_profit=profit,
        )
        decision = Decision(
            key=key,
            game_id=opportunity.game_id,
            strategy=opportunity.strategy,
            accepted=True,
            at=now,
            detail=(
                f"{sized.detail}; cost {format_decimal(sized.cost)}, expected profit "
                f"{format_decimal(profit)}; Kelly f* {sized.kelly:.4f}"
            ),
            size=size,
        )
        return decision, plan

    def settlement(self, opportunity: Opportunity, game: GameState) -> SettlementCheck:
        """The settlement check of the legs, cached on the game while its match holds."""
        cached = game.cache.get(_CACHE_KEY)
        if not isinstance(cached, tuple) or cached[0] is not game.match:
            cached = (game.match, {})
            game.cache[_CACHE_KEY] = cached
        checks: dict[str, SettlementCheck] = cached[1]
        check = checks.get(opportunity.key)
        if check is None:
            if any(leg.side is not Side.BUY for leg in opportunity.legs):
                check = SettlementCheck(
                    payouts={}, pays_in_every_outcome=False, unknown=(), detail="a leg sells"
                )
            else:
                check = check_settlement(opportunity, game, self.venues)
            checks[opportunity.key] = check
        return check

    def _as_of(self, book: OrderBook) -> datetime | None:
        """When ``book`` was last known to be current: its own time, or later, the last time
        its venue's feed delivered anything (an unchanged book on a live feed is current;
        silence and gaps arrive as continuity losses, which refuse the book outright)."""
        heard = self.last_heard.get(book.venue)
        stamp = book.timestamp
        if heard is None or (stamp is not None and stamp > heard):
            return stamp
        return heard

    def _doubtful_book(self, opportunity: Opportunity, game: GameState, now: datetime) -> str:
        max_age = self.limits.max_book_age
        for leg in opportunity.legs:
            cid = leg.contract_id
            book = game.books.get(cid)
            if book is None:
                return f"{leg.venue} '{leg.outcome}': no book"
            if not book.continuous or cid in game.suspect:
                return f"{leg.venue} '{leg.outcome}': stream continuity in doubt"
            if max_age is not None:
                as_of = self._as_of(book)
                if as_of is None:
                    return f"{leg.venue} '{leg.outcome}': book age unknown"
                if now - as_of > max_age:
                    return (
                        f"{leg.venue} '{leg.outcome}': book is {now - as_of} old, its feed "
                        f"silent as long (max {max_age})"
                    )
        return ""
