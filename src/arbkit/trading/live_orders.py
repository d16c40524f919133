"""Pieces of the live executor that need no state: prices, client ids, fills in leg terms.

Kept apart from the state machine so that each rule (how a hedge is priced, how a venue's fill
maps back onto the leg that ordered it) can be read and tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from arbkit.models import ONE, Fill, Market, Order, OrderBook, Side
from arbkit.money import round_down, round_up
from arbkit.trading.executor import miss_prone_leg
from arbkit.trading.model import LegPlan, TradeFill, TradePlan
from arbkit.trading.paper_book import depth, levels_to_take
from arbkit.venue import Venue

ZERO = Decimal(0)
#: No live order buys above this, nor sells below one minus it.
MAX_PRICE = Decimal("0.99")
MIN_PRICE = ONE - MAX_PRICE

#: The attempts of one leg, the last part of a client order id ``<trade_id>-<leg>-<attempt>``.
FIRST, HEDGE, UNWIND = 1, 2, 3


def client_order_id(trade_id: str, leg: int, attempt: int) -> str:
    return f"{trade_id}-{leg}-{attempt}"


def attempt_of(client_id: str) -> int:
    return int(client_id.rsplit("-", 1)[1])


def snap(
    venue: Venue, market: Market | None, contract_id: str, price: Decimal, side: Side
) -> Decimal:
    """``price`` on the venue's grid, never worse than asked: a buy rounds down, a sell up.

    A venue whose grid is finer than one tick (Kalshi's price bands) may offer
    ``snap_price(market, contract_id, price, up=...)``; otherwise the market's ``tick_size``
    is the grid (and the venue's own price check refuses, before sending, what is off it).
    """
    snapper = getattr(venue, "snap_price", None)
    if callable(snapper) and market is not None:
        return Decimal(snapper(market, contract_id, price, up=side is Side.SELL))
    tick = market.tick_size if market is not None else Decimal("0.01")
    return round_down(price, tick) if side is Side.BUY else round_up(price, tick)


def bounded(price: Decimal, side: Side) -> Decimal:
    """A buy pays at most 0.99, a sell takes at least 0.01."""
    return min(price, MAX_PRICE) if side is Side.BUY else max(price, MIN_PRICE)


def first_leg(plan: TradePlan, book_of: Callable[[str], OrderBook | None]) -> int:
    """The leg to send first (:func:`miss_prone_leg`), by the depth the engine's books show;
    a doubtful book counts as empty."""

    def depth_of(leg: LegPlan) -> Decimal:
        book = book_of(leg.contract_id)
        if book is None or not book.continuous:
            return ZERO
        return depth(levels_to_take(book, leg.side), leg.limit_price, leg.side)

    return miss_prone_leg(plan, depth_of)


def best_bid(book: OrderBook | None) -> Decimal | None:
    if book is None or not book.continuous:
        return None
    bids = [price for price, size in book.bids if size > 0]
    return max(bids) if bids else None


def leg_fills(
    plan: TradePlan,
    leg: int,
    leg_plan: LegPlan,
    order: Order,
    venue_fills: Iterable[Fill],
    now: datetime,
) -> list[TradeFill]:
    """The fills of ``order`` not yet journaled, in the leg's own terms.

    A venue may report a fill on the complementary contract (Kalshi quotes every order on the
    YES book: buying NO at q shows as selling YES at 1 − q); such a fill is turned back into
    the contract the leg ordered. What the venue's fill list lacks of ``order.filled`` becomes
    one fill at the order's average price. The caller journals these only up to
    ``order.filled`` in all, so a fill list that catches up after a restart adds nothing.
    """
    side = order.side
    found: list[TradeFill] = []
    total = ZERO
    for fill in venue_fills:
        if order.order_id is None or fill.order_id != order.order_id:
            continue
        price = fill.price if fill.contract_id == order.contract_id else ONE - fill.price
        total += fill.size
        found.append(_trade_fill(plan, leg, leg_plan, order, side, price, fill, now))
    if total > order.filled:  # fills the order does not count: trust the order
        found, total = [], ZERO
    if total < order.filled:
        # The fill list lags (or the venue has none): the rest, at the order's average price.
        rest = order.filled - total
        if rest > 0:
            key = order.order_id or order.client_order_id or ""
            price = order.average_price if order.average_price is not None else order.price
            fee = max(order.fee - sum((f.fee for f in found), ZERO), ZERO)
            found.append(
                TradeFill(
                    trade_id=plan.trade_id,
                    leg=leg,
                    venue=order.venue,
                    market_id=leg_plan.market_id,
                    contract_id=order.contract_id,
                    side=side,
                    price=price,
                    size=rest,
                    fee=fee,
                    at=now,
                    client_order_id=order.client_order_id or "",
                    order_id=order.order_id,
                    fill_id=f"{key}:rest:{total}",
                )
            )
    return found


def _trade_fill(
    plan: TradePlan,
    leg: int,
    leg_plan: LegPlan,
    order: Order,
    side: Side,
    price: Decimal,
    fill: Fill,
    now: datetime,
) -> TradeFill:
    return TradeFill(
        trade_id=plan.trade_id,
        leg=leg,
        venue=order.venue,
        market_id=leg_plan.market_id,
        contract_id=order.contract_id,
        side=side,
        price=price,
        size=fill.size,
        fee=fill.fee,
        at=fill.timestamp or now,
        client_order_id=order.client_order_id or "",
        order_id=order.order_id,
        fill_id=fill.fill_id,
    )


def held(rows: Iterable[dict], leg: int) -> Decimal:
    """Contracts of ``leg`` the journaled orders delivered: bought minus sold."""
    total = ZERO
    for row in rows:
        if row["leg"] == leg:
            filled = Decimal(row["filled"] or "0")
            total += filled if row["side"] == Side.BUY.value else -filled
    return total
