"""How many contracts per leg to buy: depth, cash on each venue, exposure room, then Kelly.

The strategy's ``size`` is what the books can fill profitably. It is capped by the cash on each
leg's venue (cash sits on each venue separately, and a leg costs its price plus its fee there),
by the dollar room left under the exposure limits, and by fractional Kelly on the risk that is
left once the pair is priced: the match may be wrong, the venues may settle a void differently,
the second leg may miss. The bet, per pair of contracts costing ``c`` (fees included):

* it wins ``w = net_edge`` with probability ``p = 1 − q``;
* it loses about the whole stake ``c`` with probability
  ``q = (1 − confidence) + void_probability·[some outcome's payout is unknown]
  + leg_miss_probability · hedge_slippage / c`` (a missed second leg costs the hedge's slippage,
  not the stake: it enters as the equivalent chance of losing the stake);
* Kelly with odds ``b = w / c``: ``f* = p − q / b``; stake ``kelly_fraction · f* · cash`` (cash
  on the legs' venues), i.e. ``stake / c`` pairs. ``f* ≤ 0`` means no bet.

The capped size is rounded to one size that both legs' venues accept as fill-or-kill orders
(``Venue.valid_size``, iterated to a common fixed point), then both legs are walked through their
books at that size within their limit prices, so cost and fees are the venue's own figures at the
size actually sent; if rounding of fees pushes a cap over, the size steps down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from attrs import frozen

from arbkit.errors import ArbkitError
from arbkit.models import Leg, Level, Market, Opportunity, OrderBook, Side, TimeInForce
from arbkit.money import format_decimal, round_down, to_decimal
from arbkit.scan.walk import LegFill, buy_through
from arbkit.strategy import GameState
from arbkit.trading.model import Reject, RiskLimits
from arbkit.trading.settlement import SettlementCheck
from arbkit.venue import Venue

ZERO = Decimal(0)
ONE = Decimal(1)
#: Expected dollars lost per contract when the second leg misses and the hedge retry pays up
#: (the paper executor's default retry premium).
HEDGE_SLIPPAGE = Decimal("0.02")
_MAX_ROUNDS = 50


@frozen(kw_only=True)
class SizeResult:
    """Contracts per leg, or why none."""

    size: Decimal  #: contracts per leg (0 when refused)
    reason: Reject | None  #: None: ``size`` is good to trade
    detail: str
    kelly: Decimal  #: the full-Kelly fraction ``f*`` of the cash on the legs' venues
    fills: tuple[LegFill, ...] = ()  #: each leg bought through its book at ``size``, in leg order
    cost: Decimal = ZERO  #: dollars out at ``size``, fees included


def kelly_fraction(
    opportunity: Opportunity,
    limits: RiskLimits,
    check: SettlementCheck,
    *,
    hedge_slippage: Decimal = HEDGE_SLIPPAGE,
) -> tuple[Decimal, Decimal]:
    """``(f*, q)``: the full-Kelly fraction and the probability of losing the stake."""
    if opportunity.size <= 0:
        return ZERO, ONE
    cost = opportunity.cost / opportunity.size
    edge = opportunity.net_edge
    if cost <= 0 or edge <= 0:
        return ZERO, ONE
    q = ONE - to_decimal(opportunity.confidence)
    if check.unknown:
        q += limits.void_probability
    q += limits.leg_miss_probability * hedge_slippage / cost
    b = edge / cost
    return (ONE - q) - q / b, q


def size_for(
    opportunity: Opportunity,
    game: GameState,
    limits: RiskLimits,
    *,
    cash: Mapping[str, Decimal],
    room: Decimal,
    check: SettlementCheck,
    venues: Mapping[str, type[Venue]],
    venue_room: Mapping[str, Decimal] | None = None,
    room_reason: Reject = Reject.EXPOSURE_TOTAL,
    hedge_slippage: Decimal = HEDGE_SLIPPAGE,
) -> SizeResult:
    """The size to trade (see the module doc for the formula).

    Args:
        cash: dollars available per venue.
        room: dollars the trade may still add under the game/league/total exposure limits;
            ``room_reason`` is the refusal reported when it is what leaves too little.
        venue_room: dollars the trade may still add per venue under ``max_per_venue``.
    """
    legs = opportunity.legs
    markets: list[Market] = []
    asks: list[Sequence[Level]] = []
    for leg in legs:
        market = game.markets.get(leg.contract_id)
        book = game.books.get(leg.contract_id)
        if market is None or book is None:
            return _refuse(Reject.DOUBTFUL_BOOK, f"no book or market for {leg.contract_id}")
        markets.append(market)
        asks.append(_within(book, leg.worst_price))
    step = max(m.size_increment for m in markets)
    f_star, q = kelly_fraction(opportunity, limits, check, hedge_slippage=hedge_slippage)
    if f_star <= 0:
        return _refuse(
            Reject.TOO_SMALL,
            f"Kelly says no bet: f* = {f_star:.4f} (loss probability {q:.4f} against "
            f"{format_decimal(opportunity.net_edge)} edge per contract)",
            kelly=f_star,
        )
    unit: dict[str, Decimal] = {}
    for leg in legs:
        per_contract = leg.price + (leg.fee / leg.size if leg.size else ZERO)
        unit[leg.venue] = unit.get(leg.venue, ZERO) + per_contract
    pair_cost = sum(unit.values(), ZERO)
    caps: list[tuple[Decimal, Reject, str]] = [
        (opportunity.size, Reject.TOO_SMALL, "the strategy's depth-limited size")
    ]
    for index, leg in enumerate(legs):
        depth = sum((round_down(s, markets[index].size_increment) for _, s in asks[index]), ZERO)
        caps.append((depth, Reject.TOO_SMALL, f"{leg.venue} depth within {leg.worst_price}"))
    for venue, per_contract in unit.items():
        caps.append((cash.get(venue, ZERO) / per_contract, Reject.NO_CASH, f"cash on {venue}"))
        if venue_room is not None and venue in venue_room:
            caps.append(
                (venue_room[venue] / per_contract, Reject.EXPOSURE_VENUE, f"{venue} exposure")
            )
    caps.append((room / pair_cost, room_reason, room_reason.value.replace("_", " ")))
    bankroll = sum((cash.get(v, ZERO) for v in unit), ZERO)
    stake = limits.kelly_fraction * f_star * bankroll
    caps.append((stake / pair_cost, Reject.TOO_SMALL, f"Kelly (f* = {f_star:.4f})"))
    target, binding, why = min(caps, key=lambda cap: cap[0])
    size = _common_size(venues, legs, markets, round_down(max(target, ZERO), step))
    limits_by_venue = {
        v: min(cash.get(v, ZERO), (venue_room or {}).get(v, cash.get(v, ZERO))) for v in unit
    }
    for _ in range(_MAX_ROUNDS):
        if size <= 0:
            break
        fills = _walk(legs, markets, asks, size)
        if fills is None:
            size = _common_size(venues, legs, markets, size - step)
            continue
        spent: dict[str, Decimal] = {}
        for leg, fill in zip(legs, fills, strict=True):
            spent[leg.venue] = spent.get(leg.venue, ZERO) + fill.cost
        total = sum(spent.values(), ZERO)
        over = [
            _ratio(spent[v], limits_by_venue[v]) for v in spent if spent[v] > limits_by_venue[v]
        ]
        if total > room:
            over.append(_ratio(total, room))
        if over:
            shrink = round_down(size / max(over), step)
            size = _common_size(venues, legs, markets, min(shrink, size - step))
            continue
        too_small = [
            f"{m.venue} minimum {format_decimal(m.min_size)}" for m in markets if size < m.min_size
        ]
        if too_small:
            break
        return SizeResult(
            size=size,
            reason=None,
            detail=f"{format_decimal(size)} contracts, bound by {why}",
            kelly=f_star,
            fills=fills,
            cost=total,
        )
    reason = binding if binding is not Reject.TOO_SMALL else Reject.TOO_SMALL
    return _refuse(
        reason,
        f"{why} leaves {format_decimal(round_down(max(target, ZERO), step))} contracts: "
        f"no size both venues accept (minimums "
        + ", ".join(f"{m.venue} {format_decimal(m.min_size)}" for m in markets)
        + ")",
        kelly=f_star,
    )


def _ratio(spent: Decimal, limit: Decimal) -> Decimal:
    return spent / limit if limit > 0 else Decimal("Infinity")


def _refuse(reason: Reject, detail: str, *, kelly: Decimal = ZERO) -> SizeResult:
    return SizeResult(size=ZERO, reason=reason, detail=detail, kelly=kelly)


def _within(book: OrderBook, limit: Decimal) -> Sequence[Level]:
    """The asks at or under ``limit`` (asks are best first)."""
    levels = book.asks
    for index, (price, _) in enumerate(levels):
        if price > limit:
            return levels[:index]
    return levels


def _walk(
    legs: Sequence[Leg],
    markets: Sequence[Market],
    asks: Sequence[Sequence[Level]],
    size: Decimal,
) -> tuple[LegFill, ...] | None:
    fills = []
    for market, levels in zip(markets, asks, strict=True):
        fill = buy_through(levels, market.fees, size, market.size_increment)
        if fill is None:
            return None
        fills.append(fill)
    return tuple(fills)


def _common_size(
    venues: Mapping[str, type[Venue]],
    legs: Sequence[Leg],
    markets: Sequence[Market],
    size: Decimal,
) -> Decimal:
    """The largest size ≤ ``size`` that every leg's venue accepts as a fill-or-kill buy."""
    for _ in range(_MAX_ROUNDS):
        if size <= 0:
            return ZERO
        before = size
        for leg, market in zip(legs, markets, strict=True):
            rules = venues.get(market.venue, Venue)
            try:
                size = rules.valid_size(market, Side.BUY, leg.worst_price, size, TimeInForce.FOK)
            except ArbkitError:
                return ZERO
            if size <= 0:
                return ZERO
        if size == before:
            return size
    return ZERO
