"""Positions per game and leg, built from fills, marked to the books and paid by settlements.

The :class:`PositionBook` is the one place fills become positions. Its accounting, exactly:

- a BUY adds ``price × size`` to the leg's ``cost`` and ``size`` to ``bought`` and ``size``;
- a SELL adds ``price × size`` to ``proceeds`` and takes ``size`` off what is held;
- a settlement is a sale at the payout: ``payout × held`` joins ``proceeds``, recorded on the
  leg as a fill with ``trade_id`` :data:`SETTLEMENT` (so it is stored, and applied once);
- every fee joins the leg's ``fees`` (fees are realized the moment they are paid);
- held contracts carry the average cost of every purchase: ``cost × size / bought``.

So ``realized = proceeds − cost of what is no longer held − fees``, and the mark's
``unrealized = what the held contracts would sell for now, after sell fees − their cost``:
realized + unrealized is what closing now would make, every fee counted once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from attrs import define

from arbkit.fees import FeeModel
from arbkit.models import Level, Market, OrderBook, Settlement, Side
from arbkit.money import format_decimal
from arbkit.trading.executor import BookLookup
from arbkit.trading.model import (
    ZERO,
    GamePosition,
    LegPosition,
    Mode,
    PositionStatus,
    TradeFill,
    TradePlan,
)
from arbkit.trading.paper_book import walk

log = logging.getLogger(__name__)

#: A contract id's market (with its current fee model), or None if unknown.
MarketLookup = Callable[[str], Market | None]

#: ``trade_id`` of the fill a settlement books on a leg.
SETTLEMENT = "settlement"
#: Exit reason of a position closed by a settlement.
SETTLED = "settled"
#: Exit reason of a position sold back without an exit rule (a missed second leg's unwind).
UNWOUND = "unwound"
#: ``position.status is _OPEN`` is ``position.is_open`` without an enum class attribute
#: lookup (slow on Python 3.11): the once-a-second pass asks it of every position
_OPEN = PositionStatus.OPEN


# -- selling into bids --------------------------------------------------------------------


class Sale(NamedTuple):
    """What selling ``size`` contracts into a book's bids would do right now.

    Immutable (it is shared by every position and rule that asks) and a tuple because one is
    built on every walk of a new book, on the once-a-second pass over every position.
    """

    size: Decimal  #: contracts the bids absorb (≤ what was asked)
    gross: Decimal  #: Σ price × size over the levels walked
    fee: Decimal  #: the venue's fee for that one order
    worst_price: Decimal | None  #: the lowest bid walked: the limit that fills it
    levels: tuple[Level, ...]

    @property
    def net(self) -> Decimal:
        return self.gross - self.fee


#: contract id -> (book, fee model, size, sale): one walk per book update, whoever asks
_SALES: dict[str, tuple[OrderBook, FeeModel, Decimal, Sale]] = {}
_SALES_MAX = 100_000
#: (fee model, levels walked) -> the venue's fee for selling into them
_FEES: dict[tuple[FeeModel, tuple[Level, ...]], Decimal] = {}


def usable(book: OrderBook | None) -> bool:
    """A book that can be sold into: known, its stream continuous, with at least one bid."""
    return book is not None and book.continuous and bool(book.bids)


def sell_into_bids(book: OrderBook, size: Decimal, fees: FeeModel) -> Sale:
    """Walk ``book``'s bids for ``size`` contracts; the fee is ``fees.order_fee`` of the walk.

    The answer is remembered until the book (an immutable snapshot) or the size changes, so the
    mark and every exit rule looking at one leg in one pass walk it once.
    """
    hit = _SALES.get(book.contract_id)
    if hit is not None and hit[0] is book and hit[1] is fees and hit[2] == size:
        return hit[3]
    walked = tuple(walk(book.bids, size, None, Side.SELL))  # bids come best first
    gross = sum((price * take for price, take in walked), ZERO)
    fee = ZERO
    if walked:
        # A new snapshot mostly leaves the levels a leg sells into as they were (its top
        # level usually covers the leg): the venue's fee for them is the same. Fee models are
        # frozen values (arbkit.fees.FeeModel), so equal inputs give the same fee.
        key = (fees, walked)
        known = _FEES.get(key)
        if known is None:
            known = fees.order_fee(walked)
            if len(_FEES) >= _SALES_MAX:
                _FEES.clear()
            _FEES[key] = known
        fee = known
    sold = sum((take for _, take in walked), ZERO)
    sale = Sale(sold, gross, fee, walked[-1][0] if walked else None, walked)
    if len(_SALES) >= _SALES_MAX:
        _SALES.clear()
    _SALES[book.contract_id] = (book, fees, size, sale)
    return sale


def held_cost(leg: LegPosition) -> Decimal:
    """The cost basis of the contracts still held: their share of every purchase's cost."""
    if not leg.size:
        return ZERO
    if leg.size == leg.bought:
        return leg.cost  # exact: nothing sold yet
    return leg.cost * leg.size / leg.bought


class CloseValue(NamedTuple):
    """What selling every held leg of a position into the current bids would make.

    Immutable and cheap to build for the same reasons as :class:`Sale`; build one with
    :meth:`of`, which works out ``total``.
    """

    net: Decimal  #: proceeds after the venues' sell fees
    basis: Decimal  #: cost of the held contracts
    realized: Decimal  #: what the position has already made (fees paid included)
    #: the position's whole P&L if it were closed now, every fee counted: ``realized +
    #: unrealized`` (stored: every price rule of every pass reads it)
    total: Decimal
    cost: Decimal  #: dollars ever paid for the position's contracts, before fees

    @classmethod
    def of(cls, net: Decimal, basis: Decimal, realized: Decimal, cost: Decimal) -> CloseValue:
        return cls(net, basis, realized, realized + (net - basis), cost)

    @property
    def unrealized(self) -> Decimal:
        return self.net - self.basis


@define
class LegInputs:
    """What one leg's close value (and any rule that only looks at legs, books and markets)
    is made of, compared by identity: all are immutable, so the same objects mean the same
    answer, and another object (even an equal one) only costs a recomputation."""

    contract_id: str
    leg: LegPosition
    book: OrderBook | None
    market: Market | None
    size: Decimal
    cost: Decimal
    bought: Decimal
    proceeds: Decimal
    fees: Decimal


#: every leg's inputs, in the position's order
Inputs = tuple[LegInputs, ...]


def inputs_of(
    position: GamePosition, books: Mapping[str, OrderBook], markets: Mapping[str, Market]
) -> Inputs:
    """The inputs ``position``'s legs have now, for :func:`same_inputs` to compare later."""
    return tuple(
        LegInputs(
            contract_id,
            leg,
            books.get(contract_id),
            markets.get(contract_id),
            leg.size,
            leg.cost,
            leg.bought,
            leg.proceeds,
            leg.fees,
        )
        for contract_id, leg in position.legs.items()
    )


def same_inputs(
    inputs: Inputs,
    position: GamePosition,
    books: Mapping[str, OrderBook],
    markets: Mapping[str, Market],
) -> bool:
    """Whether ``position``'s legs, their figures and their books and markets are the very
    objects ``inputs`` recorded (no leg added, none replaced)."""
    legs = position.legs
    if len(inputs) != len(legs):
        return False
    for seen in inputs:
        contract_id, leg = seen.contract_id, seen.leg
        if not (
            legs.get(contract_id) is leg
            and seen.size is leg.size
            and seen.book is books.get(contract_id)
            and seen.market is markets.get(contract_id)
            and seen.cost is leg.cost
            and seen.bought is leg.bought
            and seen.proceeds is leg.proceeds
            and seen.fees is leg.fees
        ):
            return False
    return True


#: id(position) -> (position, its legs' inputs, the close value): every exit rule of every
#: pass asks about positions whose books mostly did not change
_CLOSES: dict[int, tuple[GamePosition, tuple[LegInputs, ...], CloseValue | None]] = {}


_UNSET: Any = object()


#: (position, books, markets, [its close value, the inputs it was made of]) of the exit
#: evaluation running now, in this thread or task
_Shared = tuple[GamePosition, Mapping[str, OrderBook], Mapping[str, Market], list[Any]]
_shared: ContextVar[_Shared | None] = ContextVar("arbkit_shared_close_value", default=None)


def share_close_value(
    position: GamePosition, books: Mapping[str, OrderBook], markets: Mapping[str, Market]
) -> Any:
    """Until :func:`end_sharing`, :func:`close_value` of ``position`` with these very mappings
    is one computation, whichever rule asks (the exit manager's round of price rules: the
    mappings are read-only to rules and nothing sells while they are asked). Returns what
    :func:`end_sharing` takes; other positions or mappings are computed as usual."""
    scope: _Shared = (position, books, markets, [_UNSET, None])
    return scope, _shared.set(scope)


def end_sharing(sharing: Any) -> Inputs | None:
    """End the sharing :func:`share_close_value` began (``sharing``: what it returned).

    Returns the inputs the shared close value was made of (they are the position's inputs
    still: nothing changed while it was shared), or None if no rule asked for it.
    """
    scope, token = sharing
    _shared.reset(token)
    return scope[3][1]  # type: ignore[no-any-return]


def close_value(
    position: GamePosition, books: Mapping[str, OrderBook], markets: Mapping[str, Market]
) -> CloseValue | None:
    """Closing ``position`` now, or None when a held leg cannot be sold whole right now.

    None covers a leg with no usable book, no market (no fee model), or bids too thin for
    every contract it holds: an exit rule cannot judge a sale that cannot be made. The answer
    is remembered until one of its inputs (a book snapshot, a market, a leg's figures) is
    another object.
    """
    shared = _shared.get()
    if shared is not None and shared[0] is position and shared[1] is books and shared[2] is markets:
        cell = shared[3]
        if cell[0] is _UNSET:
            cell[0], cell[1] = _remembered_close_value(position, books, markets)
        return cell[0]  # type: ignore[no-any-return]
    return _remembered_close_value(position, books, markets)[0]


def _remembered_close_value(
    position: GamePosition, books: Mapping[str, OrderBook], markets: Mapping[str, Market]
) -> tuple[CloseValue | None, Inputs]:
    hit = _CLOSES.get(id(position))
    if hit is not None and hit[0] is position and same_inputs(hit[1], position, books, markets):
        return hit[2], hit[1]
    inputs = inputs_of(position, books, markets)
    value = _close_value(inputs)
    if len(_CLOSES) >= _SALES_MAX:
        _CLOSES.clear()
    _CLOSES[id(position)] = (position, inputs, value)
    return value, inputs


def _close_value(inputs: tuple[LegInputs, ...]) -> CloseValue | None:
    net = basis = realized = cost = ZERO
    for seen in inputs:
        leg, book, market = seen.leg, seen.book, seen.market
        held = held_cost(leg)
        realized += leg.proceeds - (leg.cost - held) - leg.fees
        cost += leg.cost
        if not leg.size:
            continue
        if market is None or book is None or not usable(book):
            return None
        sale = sell_into_bids(book, leg.size, market.fees)
        if sale.size < leg.size:
            return None
        net += sale.gross - sale.fee
        basis += held
    return CloseValue.of(net, basis, realized, cost)


@define
class _Mark:
    """One held leg's last mark and what it was made from, compared by identity."""

    leg: LegPosition
    book: OrderBook | None  #: the lookup's answer (usable or not)
    market: Market | None
    last: tuple[OrderBook, Market] | None  #: the last usable book it was valued against
    size: Decimal
    cost: Decimal
    bought: Decimal
    value: Decimal | None  #: sell-now value minus cost basis (None: never marked)


#: a position whose exits said "keep": (position, its version then, until when the answer
#: holds, and per held leg the contract id, book, market and last usable book its mark used)
#: (see ``PositionBook.steady``)
_Quiet = tuple[
    GamePosition,
    int,
    datetime,
    list[tuple[str, OrderBook | None, Market | None, tuple[OrderBook, Market] | None]],
]


@define
class _View:
    """The books and markets one position's last mark used (see ``marked_with``)."""

    position: GamePosition
    books: Mapping[str, OrderBook]
    markets: Mapping[str, Market]


# -- the position book --------------------------------------------------------------------


class PositionBook:
    """Every position of one mode, by game, in the order they were opened."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self._positions: dict[str, GamePosition] = {}
        self._holding: dict[str, list[str]] = {}  #: contract id -> games with a leg in it
        #: the last usable book and market of each contract id: a leg's mark when it has none
        self._last: dict[str, tuple[OrderBook, Market]] = {}
        #: id(leg) -> its last mark: a leg whose inputs are the same objects keeps it
        self._marks: dict[int, _Mark] = {}
        #: game id -> the books and markets its last mark looked up (see marked_with), built
        #: when first asked for after a mark that looked up anything new
        self._views: dict[str, _View] = {}
        self._held: dict[str, int] = {}  #: game id -> legs holding contracts at its last mark
        #: game id -> changes booked to its position (fills, settlements): what quiet compares
        self._versions: dict[str, int] = {}
        #: game id -> what its exits were last asked with, until when that answer holds
        self._quiet: dict[str, _Quiet] = {}

    def load(self, positions: Iterable[GamePosition]) -> None:
        """Take back stored positions (a restart): later fills and settlements apply on top."""
        for position in positions:
            self._positions[position.game_id] = position
            self._changed(position.game_id)
            for contract_id in position.legs:
                self._index(contract_id, position.game_id)

    def apply(self, plan: TradePlan, fill: TradeFill) -> GamePosition:
        """Book one fill of ``plan``; a fill already booked (same ``fill_id``) changes nothing.

        BUY fills open or extend the game's position; SELL fills (exits, unwinds) reduce a
        leg. When every leg is back to 0 the position is CLOSED with ``plan.reason`` (or
        :data:`UNWOUND`). A BUY into a closed position opens it again (one row per game).

        Raises:
            ValueError: a sale of more than the leg holds (arbkit never sells short: the
                books are wrong, and guessing would hide it).
        """
        position = self._positions.get(plan.game_id)
        if position is None:
            if fill.side is not Side.BUY:
                raise ValueError(f"{plan.game_id}: a {fill.side} fill with no position held")
            position = GamePosition(
                game_id=plan.game_id,
                league=plan.league,
                strategy=plan.strategy,
                mode=self.mode,
                opened_at=fill.at,
                start_time=plan.start_time,
            )
            self._positions[plan.game_id] = position
        leg = position.legs.get(fill.contract_id)
        if leg is not None and fill.fill_id and _has_fill(leg, fill.fill_id):
            return position
        self._changed(plan.game_id)
        if fill.side is Side.BUY:
            if leg is None:
                outcome = plan.legs[fill.leg].outcome if fill.leg < len(plan.legs) else ""
                leg = LegPosition(
                    venue=fill.venue,
                    market_id=fill.market_id,
                    contract_id=fill.contract_id,
                    outcome=outcome,
                )
                position.legs[fill.contract_id] = leg
                self._index(fill.contract_id, plan.game_id)
            leg.size += fill.size
            leg.bought += fill.size
            leg.cost += fill.price * fill.size
            if not position.is_open:
                position.status, position.exit_reason, position.closed_at = (
                    PositionStatus.OPEN,
                    None,
                    None,
                )
        else:
            if leg is None or fill.size > leg.size:
                held = ZERO if leg is None else leg.size
                raise ValueError(
                    f"{plan.game_id}: selling {fill.size} of {fill.contract_id}, holding {held}"
                )
            leg.size -= fill.size
            leg.proceeds += fill.price * fill.size
        leg.fees += fill.fee
        leg.fills.append(fill)
        if position.is_open and _all_flat(position):
            position.status = PositionStatus.CLOSED
            position.exit_reason = plan.reason or UNWOUND
            position.closed_at = fill.at
            position.unrealized_pnl = ZERO
        return position

    def _changed(self, game_id: str) -> None:
        self._versions[game_id] = self._versions.get(game_id, 0) + 1

    def quiet(self, position: GamePosition, until: datetime | None) -> None:
        """Its exits said "keep" just after its :meth:`mark`, and their answer holds until
        ``until`` (None: no time) while nothing it was made of changes: see :meth:`steady`."""
        if until is None:
            self._quiet.pop(position.game_id, None)
            return
        marks, held = self._marks, []
        for contract_id, leg in position.legs.items():
            if not leg.size:
                continue
            memo = marks.get(id(leg))
            if memo is None or memo.leg is not leg:
                self._quiet.pop(position.game_id, None)
                return  # not marked yet: nothing to compare with
            held.append((contract_id, memo.book, memo.market, memo.last))
        self._quiet[position.game_id] = (
            position,
            self._versions.get(position.game_id, 0),
            until,
            held,
        )

    def steady(
        self, position: GamePosition, books: BookLookup, markets: MarketLookup, now: datetime
    ) -> bool:
        """Whether marking ``position`` and asking its exits now would change nothing: it was
        :meth:`quiet` before ``now``'s quiet end, no fill or settlement was booked to it
        since, and each held leg's book, market and last usable book are the very objects
        its last mark used. Then it is only stamped as marked at ``now``."""
        quiet = self._quiet.get(position.game_id)
        if quiet is None:
            return False
        was, version, until, held = quiet
        if was is not position or now >= until or version != self._versions.get(was.game_id, 0):
            return False
        last = self._last
        for contract_id, book, market, seen in held:
            if (
                books(contract_id) is not book
                or markets(contract_id) is not market
                or last.get(contract_id) is not seen
            ):
                return False
        position.marked_at = now
        return True

    def _index(self, contract_id: str, game_id: str) -> None:
        games = self._holding.setdefault(contract_id, [])
        if game_id not in games:
            games.append(game_id)

    def get(self, game_id: str) -> GamePosition | None:
        return self._positions.get(game_id)

    def holding(self, contract_id: str) -> list[GamePosition]:
        """The open positions with a leg in ``contract_id``: what one book update re-marks."""
        found = (self._positions[g] for g in self._holding.get(contract_id, ()))
        return [p for p in found if p.status is _OPEN]

    def open_positions(self) -> list[GamePosition]:
        return [p for p in self._positions.values() if p.status is _OPEN]

    def all(self) -> list[GamePosition]:
        """Every position, in opened order."""
        return list(self._positions.values())

    def mark(
        self, position: GamePosition, books: BookLookup, markets: MarketLookup, now: datetime
    ) -> Decimal:
        """Mark ``position`` to the current bids; sets and returns ``unrealized_pnl``.

        Each held leg is worth what selling it into its book's bids would bring after the
        venue's sell fee (contracts beyond the bids' depth bring nothing), minus its cost
        basis. A leg with no usable book now (none, continuity lost, no bids, or no market)
        keeps its last mark: it is valued against the last usable book seen for its contract;
        a leg never seen with one is valued at its cost (it adds 0).
        """
        if position.status is not _OPEN:
            position.unrealized_pnl, position.marked_at = ZERO, now
            return ZERO
        unrealized = ZERO
        seen, marks = self._last, self._marks
        fresh, held = False, 0
        for contract_id, leg in position.legs.items():
            size = leg.size
            if not size:
                continue
            held += 1
            book, market = books(contract_id), markets(contract_id)
            # The same book, market and leg figures as last time (and the same last usable
            # book behind them): the same mark, without walking the bids again.
            memo = marks.get(id(leg))
            if (
                memo is not None
                and memo.book is book
                and memo.market is market
                and memo.size is size
                and memo.leg is leg
                and memo.cost is leg.cost
                and memo.bought is leg.bought
                and seen.get(contract_id) is memo.last
            ):
                if memo.value is not None:
                    unrealized += memo.value
                continue
            fresh = True
            if market is not None and book is not None and book.continuous and book.bids:
                last: tuple[OrderBook, Market] | None = (book, market)
                seen[contract_id] = last
            else:
                last = seen.get(contract_id)
            value = None
            if last is not None:  # else never marked: neither gain nor loss
                sale = sell_into_bids(last[0], size, last[1].fees)
                value = sale.gross - sale.fee - held_cost(leg)
                unrealized += value
            marks[id(leg)] = _Mark(leg, book, market, last, size, leg.cost, leg.bought, value)
        position.unrealized_pnl, position.marked_at = unrealized, now
        if fresh or held != self._held.get(position.game_id):
            self._held[position.game_id] = held
            self._views.pop(position.game_id, None)  # built again when asked for
        return unrealized

    def marked_with(
        self, position: GamePosition
    ) -> tuple[Mapping[str, OrderBook], Mapping[str, Market]]:
        """The books and markets of ``position``'s held legs as its last :meth:`mark` looked
        them up (contracts the lookups knew nothing of left out): what the exit rules are
        asked with right after a mark, without looking every leg up again. Read-only, and
        the same objects from mark to mark while nothing changed; a leg not marked yet is
        left out.
        """
        view = self._views.get(position.game_id)
        if view is None or view.position is not position:
            found_books: dict[str, OrderBook] = {}
            found_markets: dict[str, Market] = {}
            for contract_id, leg in position.legs.items():
                memo = self._marks.get(id(leg))
                if not leg.size or memo is None or memo.leg is not leg:
                    continue  # nothing held, or not marked yet
                if memo.book is not None:
                    found_books[contract_id] = memo.book
                if memo.market is not None:
                    found_markets[contract_id] = memo.market
            view = _View(position, MappingProxyType(found_books), MappingProxyType(found_markets))
            self._views[position.game_id] = view
        return view.books, view.markets

    def mark_all(self, books: BookLookup, markets: MarketLookup, now: datetime) -> None:
        for position in self._positions.values():
            if position.status is _OPEN:
                self.mark(position, books, markets, now)

    def settle(self, settlement: Settlement, at: datetime) -> list[GamePosition]:
        """Pay the held contracts of ``settlement``'s market; returns the positions changed.

        Each held leg of that market is sold at its payout (1, 0, or 0.5 for a 50-50 void), as
        a fill with ``fill_id`` ``settlement:<venue>:<market>``, so the same settlement twice
        pays once. A position whose legs are all settled or sold becomes SETTLED. A leg whose
        contract the settlement does not name is left held, with a warning.
        """
        changed: list[GamePosition] = []
        fill_id = f"{SETTLEMENT}:{settlement.venue}:{settlement.market_id}"
        for position in self._positions.values():
            touched = False
            for contract_id, leg in position.legs.items():
                if leg.venue != settlement.venue or leg.market_id != settlement.market_id:
                    continue
                if not leg.size or _has_fill(leg, fill_id):
                    continue
                payout = settlement.payouts.get(contract_id)
                if payout is None:
                    log.warning(
                        "%s %s settled without a payout for %s: left held",
                        settlement.venue,
                        settlement.market_id,
                        contract_id,
                    )
                    continue
                leg.fills.append(
                    TradeFill(
                        trade_id=SETTLEMENT,
                        leg=-1,
                        venue=leg.venue,
                        market_id=leg.market_id,
                        contract_id=contract_id,
                        side=Side.SELL,
                        price=payout,
                        size=leg.size,
                        fee=ZERO,
                        at=at,
                        fill_id=fill_id,
                    )
                )
                leg.proceeds += payout * leg.size
                leg.size = ZERO
                touched = True
            if touched:
                self._changed(position.game_id)
                if position.is_open and _all_flat(position):
                    position.status = PositionStatus.SETTLED
                    position.exit_reason = SETTLED
                    position.closed_at = at
                    position.unrealized_pnl = ZERO
                changed.append(position)
        return changed


def _has_fill(leg: LegPosition, fill_id: str) -> bool:
    return any(f.fill_id == fill_id for f in leg.fills)


def _all_flat(position: GamePosition) -> bool:
    return all(not leg.size for leg in position.legs.values())


def is_settlement(fill: TradeFill) -> bool:
    """Whether ``fill`` is a settlement's payout rather than an order's execution."""
    return fill.trade_id == SETTLEMENT


# -- figures ------------------------------------------------------------------------------


def leg_realized(leg: LegPosition) -> Decimal:
    """``proceeds − cost of the contracts no longer held − fees``, for one leg."""
    return leg.proceeds - (leg.cost - held_cost(leg)) - leg.fees


def realized_pnl(position: GamePosition) -> Decimal:
    """Proceeds − cost of what was sold or settled − every fee paid (exact)."""
    return sum((leg_realized(leg) for leg in position.legs.values()), ZERO)


def held_sizes(positions: Iterable[GamePosition]) -> dict[tuple[str, str], Decimal]:
    """Contracts held per ``(venue, contract_id)``, over every position: what the venues should
    report (live reconcile). Contracts not held are left out."""
    held: dict[tuple[str, str], Decimal] = {}
    for position in positions:
        for leg in position.legs.values():
            if leg.size:
                key = (leg.venue, leg.contract_id)
                held[key] = held.get(key, ZERO) + leg.size
    return held


def is_one_legged(position: GamePosition) -> bool:
    """Open, and its legs do not hold equal contracts: not a hedged pair.

    A position waiting for its second venue's settlement (one leg already paid) is not
    one-legged: the game is over, and its risk is only that venue's payout.
    """
    if not position.is_open:
        return False
    if any(is_settlement(f) for leg in position.legs.values() for f in leg.fills):
        return False
    sizes = {leg.size for leg in position.legs.values()}
    return len(position.legs) < 2 or len(sizes) > 1


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def position_json(position: GamePosition) -> dict[str, Any]:
    """The position as ``arbkit positions --json`` and ``arbkit trade --json`` show it.

    Every decimal is a string. A leg's ``size`` is what it bought and ``held`` what it holds
    now; its ``fills`` are the orders' executions (a settlement shows in ``proceeds`` and the
    status, not as a fill).
    """
    return {
        "game": position.game_id,
        "league": position.league,
        "strategy": position.strategy,
        "status": position.status.value,
        "legs": [
            {
                "venue": leg.venue,
                "market": leg.market_id,
                "contract": leg.contract_id,
                "outcome": leg.outcome,
                "side": Side.BUY.value,
                "size": format_decimal(leg.bought),
                "held": format_decimal(leg.size),
                "avg_price": _text(leg.avg_price),
                "fees": format_decimal(leg.fees),
                "fills": [
                    {
                        "at": fill.at.isoformat(),
                        "side": fill.side.value,
                        "price": format_decimal(fill.price),
                        "size": format_decimal(fill.size),
                        "fee": format_decimal(fill.fee),
                    }
                    for fill in leg.fills
                    if not is_settlement(fill)
                ],
            }
            for leg in position.legs.values()
        ],
        "cost": format_decimal(position.cost),
        "proceeds": format_decimal(position.proceeds),
        "fees": format_decimal(position.fees),
        "realized_pnl": format_decimal(realized_pnl(position)),
        "unrealized_pnl": format_decimal(position.unrealized_pnl),
        "exit_reason": position.exit_reason,
        "opened_at": _time(position.opened_at),
        "closed_at": _time(position.closed_at),
    }


# -- the game_positions table (m003) ------------------------------------------------------


def _fill_row(fill: TradeFill) -> dict[str, Any]:
    return {
        "trade_id": fill.trade_id,
        "leg": fill.leg,
        "venue": fill.venue,
        "market_id": fill.market_id,
        "contract_id": fill.contract_id,
        "side": fill.side.value,
        "price": str(fill.price),
        "size": str(fill.size),
        "fee": str(fill.fee),
        "at": fill.at.isoformat(),
        "client_order_id": fill.client_order_id,
        "order_id": fill.order_id,
        "fill_id": fill.fill_id,
    }


def _fill_from(data: Mapping[str, Any]) -> TradeFill:
    return TradeFill(
        trade_id=data["trade_id"],
        leg=int(data["leg"]),
        venue=data["venue"],
        market_id=data["market_id"],
        contract_id=data["contract_id"],
        side=Side(data["side"]),
        price=Decimal(data["price"]),
        size=Decimal(data["size"]),
        fee=Decimal(data["fee"]),
        at=datetime.fromisoformat(data["at"]),
        client_order_id=data.get("client_order_id", ""),
        order_id=data.get("order_id"),
        fill_id=data.get("fill_id", ""),
    )


def position_row(position: GamePosition, run_id: str | None) -> dict[str, Any]:
    """The ``game_positions`` row of ``position``: every figure, and every fill, as text.

    Decimals are stored with ``str`` (not normalized), so a row reads back to equal values.
    """
    legs = [
        {
            "venue": leg.venue,
            "market_id": leg.market_id,
            "contract_id": leg.contract_id,
            "outcome": leg.outcome,
            "size": str(leg.size),
            "bought": str(leg.bought),
            "cost": str(leg.cost),
            "proceeds": str(leg.proceeds),
            "fees": str(leg.fees),
            "fills": [_fill_row(fill) for fill in leg.fills],
        }
        for leg in position.legs.values()
    ]
    return {
        "mode": position.mode.value,
        "game_id": position.game_id,
        "league": position.league,
        "strategy": position.strategy,
        "status": position.status.value,
        "legs": json.dumps(legs),
        "cost": str(position.cost),
        "proceeds": str(position.proceeds),
        "fees": str(position.fees),
        "realized_pnl": str(realized_pnl(position)),
        "unrealized_pnl": str(position.unrealized_pnl),
        "exit_reason": position.exit_reason,
        "start_time": _time(position.start_time),
        "opened_at": position.opened_at.isoformat(),
        "closed_at": _time(position.closed_at),
        "run_id": run_id,
    }


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def position_from_row(row: Mapping[str, Any]) -> GamePosition:
    """The position a ``game_positions`` row stores (``marked_at`` is not stored: None)."""
    legs: dict[str, LegPosition] = {}
    for data in json.loads(row["legs"]):
        legs[data["contract_id"]] = LegPosition(
            venue=data["venue"],
            market_id=data["market_id"],
            contract_id=data["contract_id"],
            outcome=data["outcome"],
            size=Decimal(data["size"]),
            bought=Decimal(data["bought"]),
            cost=Decimal(data["cost"]),
            proceeds=Decimal(data["proceeds"]),
            fees=Decimal(data["fees"]),
            fills=[_fill_from(fill) for fill in data["fills"]],
        )
    return GamePosition(
        game_id=row["game_id"],
        league=row["league"],
        strategy=row["strategy"],
        mode=Mode(row["mode"]),
        opened_at=datetime.fromisoformat(row["opened_at"]),
        start_time=_optional_time(row["start_time"]),
        legs=legs,
        status=PositionStatus(row["status"]),
        exit_reason=row["exit_reason"],
        closed_at=_optional_time(row["closed_at"]),
        unrealized_pnl=Decimal(row["unrealized_pnl"] or "0"),
    )
