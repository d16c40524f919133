"""Pricing one pair of complementary contracts: the shared core of every arbitrage strategy.

Two contracts are complementary when exactly one of them pays 1 in every outcome. Buying both
costs the two asks plus fees and pays 1 per pair; both legs buy the same number of contracts, the
size where the *marginal* pair stops being profitable, and are then priced exactly at that size.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from arbkit.models import ONE, Contract, Leg, Market, Opportunity, OrderBook, Side
from arbkit.money import format_decimal, round_down
from arbkit.scan.walk import LegFill, buy_through, profitable_depth
from arbkit.strategy import GameState, StrategySettings

ZERO = Decimal(0)
_MIN_STEP = Decimal("0.01")
log = logging.getLogger(__name__)


def price_pair(
    game: GameState,
    first: Contract,
    second: Contract,
    settings: StrategySettings,
    *,
    strategy: str,
    confidence: float,
    reasons: tuple[str, ...],
) -> Opportunity | None:
    """The opportunity in buying ``first`` and ``second`` together, or None if there is none."""
    book_a, book_b = game.usable_book(first.contract_id), game.usable_book(second.contract_id)
    if book_a is None or book_b is None or not book_a.asks or not book_b.asks:
        return None
    if settings.max_book_age_seconds is not None and not (
        _fresh(book_a, game, settings) and _fresh(book_b, game, settings)
    ):
        return None
    market_a, market_b = game.markets[first.contract_id], game.markets[second.contract_id]
    fees_a, fees_b = market_a.fees, market_b.fees
    depth = profitable_depth(book_a.asks, fees_a, book_b.asks, fees_b)
    if settings.max_size is not None:
        depth = min(depth, settings.max_size)
    step = _delivery_step(market_a, market_b)
    size = round_down(depth, step)
    if size <= 0:
        return None
    legs = _legs_for(book_a, market_a, book_b, market_b, size, step)
    if legs is None:
        return None
    leg_a, leg_b = legs
    if leg_a.bought < market_a.min_size or leg_b.bought < market_b.min_size:
        return None
    cost = leg_a.cost + leg_b.cost
    profit = size - cost
    if profit <= 0:
        return None
    net_edge = profit / size
    if net_edge < settings.min_edge:
        return None
    gross_edge = ONE - leg_a.average_price - leg_b.average_price
    if not _plausible(leg_a, leg_b, net_edge):
        log.warning(
            "dropped an impossible opportunity in %s (%s): leg prices %s and %s, net edge %s",
            game.match.game_id,
            strategy,
            leg_a.worst_price,
            leg_b.worst_price,
            net_edge,
        )
        return None
    return Opportunity(
        strategy=strategy,
        game_id=game.match.game_id,
        title=game.match.title,
        league=game.match.league,
        start_time=game.match.start_time,
        legs=(_leg(first, market_a, leg_a), _leg(second, market_b, leg_b)),
        cost=cost,
        payout=size,
        gross_edge=gross_edge,
        net_edge=net_edge,
        size=size,
        expected_profit=profit,
        confidence=confidence,
        reasons=(
            *reasons,
            f"marginal pair stays profitable up to {format_decimal(size)} contracts",
            f"net edge {net_edge:.4f}/contract after fees >= min edge {settings.min_edge}",
        ),
        detected_at=game.now,
    )


def _legs_for(
    book_a: OrderBook,
    market_a: Market,
    book_b: OrderBook,
    market_b: Market,
    size: Decimal,
    step: Decimal,
) -> tuple[LegFill, LegFill] | None:
    """Price both legs at ``size``, stepping down a little if venue rounding runs out of depth."""
    for _ in range(5):
        if size <= 0:
            return None
        leg_a = buy_through(book_a.asks, market_a.fees, size, market_a.size_increment)
        leg_b = buy_through(book_b.asks, market_b.fees, size, market_b.size_increment)
        if leg_a is not None and leg_b is not None:
            return leg_a, leg_b
        size -= step
    return None


def _plausible(leg_a: LegFill, leg_b: LegFill, net_edge: Decimal) -> bool:
    """The last line of defence against a bad book: prices inside (0, 1), an edge under $1.

    Parsers refuse such levels already; this keeps a slip anywhere upstream from ever being
    reported as money.
    """
    prices = [price for leg in (leg_a, leg_b) for price, _ in leg.fills]
    return all(ZERO < price < ONE for price in prices) and net_edge < ONE


def _delivery_step(*markets: Market) -> Decimal:
    """The size step both legs share: a whole number of increments on every venue.

    Increments seen on the venues (0.01 contracts on both) divide one another, so the coarsest
    is a multiple of the others; a leg whose increment does not divide it is refused later by
    ``buy_through`` rather than bought unequal.
    """
    return max((m.size_increment for m in markets), default=_MIN_STEP)


def _fresh(book: OrderBook, game: GameState, settings: StrategySettings) -> bool:
    if book.timestamp is None or game.now is None or settings.max_book_age_seconds is None:
        return True
    return (game.now - book.timestamp).total_seconds() <= settings.max_book_age_seconds


def _leg(contract: Contract, market: Market, fill: LegFill) -> Leg:
    return Leg(
        venue=contract.venue,
        market_id=market.market_id,
        contract_id=contract.contract_id,
        outcome=contract.outcome,
        side=Side.BUY,
        price=fill.average_price,
        size=fill.bought,
        fee=fill.fee,
        worst_price=fill.worst_price,
        notional=fill.notional,
    )
