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

``c`` and ``w`` are those of the size being tried (a deeper walk pays more per contract, so its
edge is thinner): the Kelly cap is the largest size found that fits its own stake.

The capped size is rounded to one size that both legs' venues accept as fill-or-kill orders
(``Venue.valid_size``, iterated to a common fixed point), then both legs are walked through their
books at that size within their limit prices, so cost and fees are the venue's own figures at the
size actually sent; if rounding of fees pushes a cap over, the size steps down.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache

from attrs import define, frozen

from arbkit.errors import ArbkitError
from arbkit.models import Leg, Level, Market, Opportunity, OrderBook, Side, TimeInForce
from arbkit.money import format_decimal, round_down, to_decimal
from arbkit.scan.walk import LegFill, buy_through, marginal_cost
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
_KELLY_ROUNDS = 6
#: the search stops within this share of the Kelly size (its inputs are estimates anyway)
_CLOSE_ENOUGH = Decimal("0.005")
_UNDER = Decimal("0.98")


@frozen(kw_only=True)
class SizeResult:
    """Contracts per leg, or why none."""

    size: Decimal  #: contracts per leg (0 when refused)
    reason: Reject | None  #: None: ``size`` is good to trade
    detail: str
    kelly: Decimal  #: full-Kelly ``f*`` (of the cash on the legs' venues) at ``size``
    fills: tuple[LegFill, ...] = ()  #: each leg bought through its book at ``size``, in leg order
    cost: Decimal = ZERO  #: dollars out at ``size``, fees included


@lru_cache(maxsize=1024)
def _decimal(probability: float) -> Decimal:
    return to_decimal(probability)


def kelly_fraction(
    cost: Decimal,
    edge: Decimal,
    confidence: float,
    limits: RiskLimits,
    *,
    unknown: bool,
    hedge_slippage: Decimal = HEDGE_SLIPPAGE,
) -> tuple[Decimal, Decimal]:
    """``(f*, q)`` for a pair costing ``cost`` that wins ``edge``: full Kelly, loss probability.

    ``unknown``: some outcome's payout is fixed by no venue rule (``void_probability`` applies).
    """
    return _f_star(cost, edge, *_fixed_risk(confidence, limits, unknown, hedge_slippage))


def _fixed_risk(
    confidence: float, limits: RiskLimits, unknown: bool, hedge_slippage: Decimal
) -> tuple[Decimal, Decimal]:
    """The loss probability's terms that do not depend on the cost: ``(q0, miss)``, with
    ``q = q0 + miss / cost``."""
    q0 = ONE - _decimal(confidence)
    if unknown:
        q0 += limits.void_probability
    return q0, limits.leg_miss_probability * hedge_slippage


def _f_star(cost: Decimal, edge: Decimal, q0: Decimal, miss: Decimal) -> tuple[Decimal, Decimal]:
    if cost <= 0 or edge <= 0:
        return ZERO, ONE
    q = q0 + miss / cost
    return (ONE - q) - q / (edge / cost), q


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
    if opportunity.size <= 0 or not legs:
        return _refuse(Reject.TOO_SMALL, "the opportunity has no size")
    markets: list[Market] = []
    asks: list[Sequence[Level]] = []
    for leg in legs:
        market = game.markets.get(leg.contract_id)
        book = game.books.get(leg.contract_id)
        if market is None or book is None:
            return _refuse(Reject.DOUBTFUL_BOOK, f"no book or market for {leg.contract_id}")
        markets.append(market)
        asks.append(_within(book, leg.worst_price))
    step = markets[0].size_increment
    for market in markets:
        if market.size_increment > step:
            step = market.size_increment
    unit: dict[str, Decimal] = {}
    for leg in legs:
        per_contract = leg.price + (leg.fee / leg.size if leg.size else ZERO)
        unit[leg.venue] = unit.get(leg.venue, ZERO) + per_contract
    pair_cost = sum(unit.values(), ZERO)
    # (contracts, refusal, what the cap is): labels are formatted only for the one that binds
    caps: list[tuple[Decimal, Reject, tuple[str, ...]]] = [
        (opportunity.size, Reject.TOO_SMALL, ("the strategy's depth-limited size",))
    ]
    for index, leg in enumerate(legs):
        increment = markets[index].size_increment
        depth = ZERO
        for _, available in asks[index]:
            depth += available if not available % increment else round_down(available, increment)
        caps.append((depth, Reject.TOO_SMALL, (leg.venue, " depth within ", str(leg.worst_price))))
    for venue, per_contract in unit.items():
        caps.append((cash.get(venue, ZERO) / per_contract, Reject.NO_CASH, ("cash on ", venue)))
        if venue_room is not None and venue in venue_room:
            caps.append(
                (venue_room[venue] / per_contract, Reject.EXPOSURE_VENUE, (venue, " exposure"))
            )
    caps.append((room / pair_cost, room_reason, (room_reason.value.replace("_", " "),)))
    target, binding, label = caps[0]
    for cap in caps:
        if cap[0] < target:
            target, binding, label = cap
    why = "".join(label)
    capped = round_down(max(target, ZERO), step)
    if capped <= 0:
        return _refuse(binding, f"{why} leaves no contract to buy")
    kelly = _Kelly(
        opportunity=opportunity,
        limits=limits,
        unknown=bool(check.unknown),
        hedge_slippage=hedge_slippage,
        bankroll=sum((cash.get(v, ZERO) for v in unit), ZERO),
        cost=_Estimate(markets, asks),
    )
    # The best edge there is, the top of both books: if Kelly refuses it, it refuses every size.
    top_cost = (
        sum(
            (marginal_cost(m.fees, levels[0][0]) for m, levels in zip(markets, asks, strict=True)),
            ZERO,
        )
        if all(asks)
        else ZERO
    )
    top = max(
        min(
            round_down(levels[0][1], m.size_increment) if levels else ZERO
            for levels, m in zip(asks, markets, strict=True)
        ),
        max(m.min_size for m in markets),
    )
    at_top = min(top, capped)
    top_fits = top_cost > 0 and kelly.fits_cost(at_top, top_cost * at_top)[0]
    if top_cost <= 0 or kelly.f <= 0:
        best = ZERO
    else:
        best = kelly.search(capped, step, at_top, top_fits)
    if best <= 0:
        return _refuse(
            Reject.TOO_SMALL,
            f"Kelly says no bet: f* = {kelly.top_f:.4f} at {format_decimal(kelly.top_at)} "
            f"contracts (loss probability {kelly.top_q:.4f} against {kelly.top_edge:.4f} edge "
            "per contract)",
            kelly=kelly.top_f,
        )
    kelly_bound = best < capped
    if kelly_bound:
        binding, why = Reject.TOO_SMALL, f"Kelly (f* = {kelly.best_f:.4f})"
    size = _common_size(venues, legs, markets, best)
    limits_by_venue = {
        v: min(cash.get(v, ZERO), (venue_room or {}).get(v, cash.get(v, ZERO))) for v in unit
    }
    for _ in range(_MAX_ROUNDS):
        if size <= 0:
            break
        fills = _walk(markets, asks, size)
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
        if any(size < m.min_size for m in markets):
            break
        # Kelly at the size actually sent, with the venues' rounded fees
        ok, allowed = kelly.fits_cost(size, total)
        if not ok and kelly_bound:
            # the venues' rounded fees cost a little more than the search's estimate
            size = _common_size(venues, legs, markets, min(round_down(allowed, step), size - step))
            continue
        if kelly_bound:
            why = f"Kelly (f* = {kelly.f:.4f})"
        return SizeResult(
            size=size,
            reason=None,
            detail=f"{format_decimal(size)} contracts, bound by {why}",
            kelly=kelly.f,
            fills=fills,
            cost=total,
        )
    return _refuse(
        binding,
        f"{why} leaves {format_decimal(best)} contracts: no size both venues accept (minimums "
        + ", ".join(f"{m.venue} {format_decimal(m.min_size)}" for m in markets)
        + ")",
        kelly=kelly.best_f,
    )


@define
class _Kelly:
    """The largest size whose cost stays within the fractional-Kelly stake at that size.

    The edge per contract falls as a size walks deeper into the books, so the Kelly stake
    depends on the size: the search tries the capped size, then the size the stake there
    allows (which fits), then the top of the books, then bisects, a few walks at most.
    """

    opportunity: Opportunity
    limits: RiskLimits
    unknown: bool
    hedge_slippage: Decimal
    bankroll: Decimal
    cost: Callable[[Decimal], Decimal | None]  #: dollars for a size (None: no depth)
    f: Decimal = ZERO  #: f* at the last size tried
    q: Decimal = ONE
    edge: Decimal = ZERO
    at: Decimal = ZERO
    best_f: Decimal = ZERO  #: f* at the best size found
    #: the highest f* seen and where (what a refusal reports)
    top_f: Decimal = Decimal("-Infinity")
    top_q: Decimal = ONE
    top_edge: Decimal = ZERO
    top_at: Decimal = ZERO
    #: per search, the parts of f* that do not depend on the size (see :func:`kelly_fraction`)
    _payout: Decimal | None = None
    _q0: Decimal = ZERO
    _miss: Decimal = ZERO

    def fits(self, size: Decimal) -> tuple[bool, Decimal]:
        """Whether ``size`` is within its own Kelly stake, and the contracts that stake buys."""
        total = self.cost(size)
        if total is None:
            self.at, self.f, self.q, self.edge = size, ZERO, ONE, ZERO
            return False, ZERO
        return self.fits_cost(size, total)

    def fits_cost(self, size: Decimal, total: Decimal) -> tuple[bool, Decimal]:
        """:meth:`fits` for ``size`` pairs costing ``total`` dollars (:func:`kelly_fraction`,
        with its size-free terms computed once)."""
        if self._payout is None:
            self._payout = self.opportunity.payout / self.opportunity.size
            self._q0, self._miss = _fixed_risk(
                self.opportunity.confidence, self.limits, self.unknown, self.hedge_slippage
            )
        self.at = size
        cost = total / size
        self.edge = self._payout - cost
        self.f, self.q = _f_star(cost, self.edge, self._q0, self._miss)
        if self.f > self.top_f:
            self.top_f, self.top_q, self.top_edge, self.top_at = self.f, self.q, self.edge, size
        if self.f <= 0:
            return False, ZERO
        allowed = self.limits.kelly_fraction * self.f * self.bankroll / cost
        return size <= allowed, allowed

    def search(
        self,
        capped: Decimal,
        step: Decimal,
        top: Decimal,
        top_fits: bool,
    ) -> Decimal:
        """The largest size found ≤ ``capped`` that fits; ``top`` (fitting if ``top_fits``)
        is the top of the books, already tried."""
        lo, f_lo = (top, self.f) if top_fits else (ZERO, ZERO)
        self.best_f = f_lo
        hi: Decimal | None = None
        f_hi = ZERO
        ceiling = capped  # just above the smallest stake a failed size allowed
        size = capped
        tried_top = top_fits
        for _ in range(_KELLY_ROUNDS):
            if size <= lo or size <= 0 or (hi is not None and size >= hi):
                break
            ok, allowed = self.fits(size)
            if ok:
                lo, f_lo, self.best_f = size, self.f, self.f
                if hi is None:
                    break  # the capped size itself fits
            else:
                hi, f_hi = size, self.f
                if allowed > 0:
                    ceiling = min(ceiling, allowed + step)
            upper = min(hi, ceiling)
            if lo > 0 and upper - lo <= lo * _CLOSE_ENOUGH:
                break
            guess = round_down(allowed, step)
            if lo < guess < upper:
                size = guess
            elif lo == 0 and not tried_top:
                tried_top, size = True, min(top, hi - step)
            elif lo > 0 and f_hi <= 0 < f_lo:
                # the edge runs out between lo and hi: where f* would cross 0, a little under
                cross = lo + (hi - lo) * f_lo / (f_lo - f_hi)
                size = round_down(min(cross, upper) * _UNDER, step)
                if size <= lo:
                    size = round_down((lo + upper) / 2, step)
            else:
                size = round_down((lo + upper) / 2, step)
        return lo


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


class _Estimate:
    """Dollars for any size of every leg at the marginal (unrounded) fee: the Kelly search's
    cheap estimate (the size finally sent is priced exactly). Cumulative depth and cost per
    level are built once, so each size asked costs a bisection, not a walk."""

    def __init__(self, markets: Sequence[Market], asks: Sequence[Sequence[Level]]) -> None:
        self.markets, self.asks = markets, asks
        self.legs: list[tuple[list[Decimal], list[Decimal], list[Decimal]]] = []

    def _build(self) -> None:
        for market, levels in zip(self.markets, self.asks, strict=True):
            depth, cost = ZERO, ZERO
            depths, costs, units = [], [], []
            for price, available in levels:
                take = (
                    available
                    if not available % market.size_increment
                    else round_down(available, market.size_increment)
                )
                if take <= 0:
                    continue
                unit = marginal_cost(market.fees, price)
                depths.append(depth)
                costs.append(cost)
                units.append(unit)
                depth += take
                cost += take * unit
            depths.append(depth)
            costs.append(cost)
            self.legs.append((depths, costs, units))

    def __call__(self, size: Decimal) -> Decimal | None:
        if not self.legs:
            self._build()
        total = ZERO
        for depths, costs, units in self.legs:
            if size > depths[-1]:
                return None
            index = bisect_left(depths, size) - 1  # the level the size ends in
            if index < 0:
                return ZERO if size <= 0 else None
            total += costs[index] + (size - depths[index]) * units[index]
        return total


def _common_size(
    venues: Mapping[str, type[Venue]],
    legs: Sequence[Leg],
    markets: Sequence[Market],
    size: Decimal,
) -> Decimal:
    """The largest size ≤ ``size`` that every leg's venue accepts as a fill-or-kill buy.

    A leg is not asked again about the size it answered itself: the largest valid size ≤ a
    valid size is that size (asking costs a Polymarket leg a few µs per 0.01 it steps down).
    """
    answered: list[Decimal | None] = [None] * len(legs)
    for _ in range(_MAX_ROUNDS):
        if size <= 0:
            return ZERO
        before = size
        for index, (leg, market) in enumerate(zip(legs, markets, strict=True)):
            if answered[index] == size:
                continue
            rules = venues.get(market.venue, Venue)
            try:
                size = rules.valid_size(market, Side.BUY, leg.worst_price, size, TimeInForce.FOK)
            except ArbkitError:
                return ZERO
            if size <= 0:
                return ZERO
            answered[index] = size
        if size == before:
            return size
    return ZERO
