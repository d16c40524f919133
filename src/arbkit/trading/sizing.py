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
edge is thinner): the Kelly cap is the largest size found that fits its own stake
(:mod:`arbkit.trading.kelly_search`).

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
from arbkit.models import Leg, Level, Market, Opportunity, Side, TimeInForce
from arbkit.money import format_decimal, round_down
from arbkit.scan.walk import LegFill
from arbkit.strategy import GameState
from arbkit.trading.kelly_search import KellySearch, Ladder, exact_f_star, fixed_risk, within_stake
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
    kelly: Decimal  #: full-Kelly ``f*`` (of the cash on the legs' venues) at ``size``
    fills: tuple[LegFill, ...] = ()  #: each leg bought through its book at ``size``, in leg order
    cost: Decimal = ZERO  #: dollars out at ``size``, fees included


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
    return exact_f_star(cost, edge, *_risk(confidence, limits, unknown, hedge_slippage))


def _risk(
    confidence: float, limits: RiskLimits, unknown: bool, hedge_slippage: Decimal
) -> tuple[Decimal, Decimal]:
    return fixed_risk(
        confidence,
        limits.void_probability if unknown else None,
        limits.leg_miss_probability,
        hedge_slippage,
    )


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
    if opportunity.size <= ZERO or not legs:
        return _refuse(Reject.TOO_SMALL, "the opportunity has no size")
    markets: list[Market] = []
    asks: list[Sequence[Level]] = []
    step = ZERO
    unit: dict[str, Decimal] = {}  #: venue -> dollars per pair there, as the strategy priced it
    for leg in legs:
        contract_id = leg.contract_id
        market = game.markets.get(contract_id)
        book = game.books.get(contract_id)
        if market is None or book is None:
            return _refuse(Reject.DOUBTFUL_BOOK, f"no book or market for {contract_id}")
        markets.append(market)
        asks.append(book.asks)
        if market.size_increment > step:
            step = market.size_increment
        per_contract = leg.price + (leg.fee / leg.size if leg.size else ZERO)
        unit[leg.venue] = unit.get(leg.venue, ZERO) + per_contract
    # The caps, in order: the strategy's size, each leg's depth within its limit, the cash and
    # the exposure room on each venue, the exposure room; the first smallest binds (its label
    # is formatted only if it binds). The caps after the depths are known before the books are
    # read, so each ladder is built only as deep as the smallest of them.
    caps: list[tuple[Decimal, Reject, tuple[object, ...]]] = []
    pair_cost = bankroll = ZERO
    limit_of: dict[str, Decimal] = {}  #: venue -> dollars the legs there may spend
    for venue, per_contract in unit.items():
        pair_cost += per_contract
        venue_cash = cash.get(venue, ZERO)
        bankroll += venue_cash
        limit_of[venue] = venue_cash
        caps.append((venue_cash / per_contract, Reject.NO_CASH, ("cash on ", venue)))
        if venue_room is not None and venue in venue_room:
            room_there = venue_room[venue]
            if room_there < venue_cash:
                limit_of[venue] = room_there
            caps.append((room_there / per_contract, Reject.EXPOSURE_VENUE, (venue, " exposure")))
    caps.append((room / pair_cost, room_reason, (room_reason,)))
    target: Decimal = opportunity.size
    bound = target
    for cap, _, _ in caps:
        if cap < bound:
            bound = cap
    binding, label = Reject.TOO_SMALL, ("the strategy's depth-limited size",)
    ladders: list[Ladder] = []
    for leg, market, leg_asks in zip(legs, markets, asks, strict=True):
        ladder = Ladder(market, leg_asks, leg.worst_price, bound)
        ladders.append(ladder)
        # (a ladder cut at the bound is deeper than the smallest other cap: it cannot bind)
        if ladder.depth < target:
            target, binding = ladder.depth, Reject.TOO_SMALL
            label = (leg.venue, " depth within ", leg.worst_price)
    for cap, reason, cap_label in caps:
        if cap < target:
            target, binding, label = cap, reason, cap_label
    capped = round_down(target, step) if target > ZERO else ZERO
    if capped <= ZERO:
        return _refuse(binding, f"{_label(label)} leaves no contract to buy")
    kelly = KellySearch(
        ladders,
        payout=opportunity.payout / opportunity.size,
        risk=_risk(opportunity.confidence, limits, bool(check.unknown), hedge_slippage),
        fraction=limits.kelly_fraction,
        bankroll=bankroll,
    )
    # The best edge there is, the top of both books: if Kelly refuses it, it refuses every size.
    top_cost = top_slack = ZERO
    for ladder in ladders:
        top_cost += ladder.top_unit
        top_slack += ladder.top_slack
    top = kelly.first_levels
    inside_first_levels = capped <= top  # every leg's first level holds the capped size
    for market in markets:
        if market.min_size > top:
            top = market.min_size
    at_top = top if top < capped else capped
    first = kelly.estimate(capped) if at_top < capped else None
    if first is not None and within_stake(capped, first):
        # the capped size fits, so does the top of the books (cheaper per contract: a higher
        # f*), and the search has nothing to look for
        kelly.record(capped, first)
        kelly.best_f = kelly.f
        best = capped
    else:
        top_fits = False
        if top_cost > ZERO:
            at_top_estimate = kelly.judge(at_top, top_cost * at_top + top_slack)
            top_fits = kelly.record(at_top, at_top_estimate)[0]
            if first is None and inside_first_levels:
                # at_top is the capped size, inside every leg's first level: the search's own
                # estimate of it would be this one
                first = at_top_estimate
        if top_cost <= ZERO or kelly.f <= ZERO:
            best = ZERO
        else:
            best = kelly.search(capped, step, at_top, top_fits, first)
    if best <= ZERO and kelly.top_f > ZERO:
        # a bet, but its stake buys fewer pairs than any size tried (fixed costs per order,
        # such as a venue's cent rounding, weigh more on fewer contracts)
        return _refuse(
            Reject.TOO_SMALL,
            f"Kelly (f* = {kelly.top_f:.4f} at {format_decimal(kelly.top_at)} contracts) stakes "
            f"fewer contracts than any size it was asked about ({_minimums(markets)})",
            kelly=kelly.top_f,
        )
    if best <= ZERO:
        return _refuse(
            Reject.TOO_SMALL,
            f"Kelly says no bet: f* = {kelly.top_f:.4f} at {format_decimal(kelly.top_at)} "
            f"contracts (loss probability {kelly.top_q:.4f} against {kelly.top_edge:.4f} edge "
            "per contract)",
            kelly=kelly.top_f,
        )
    kelly_bound = best < capped
    rules = _SizeRules(venues, legs, markets)
    size = rules.common(best)
    for _ in range(_MAX_ROUNDS):
        if size <= ZERO:
            break
        fills = _walk(ladders, size)
        if fills is None:
            size = rules.common(size - step)
            continue
        spent: dict[str, Decimal] = {}
        for leg, fill in zip(legs, fills, strict=True):
            spent[leg.venue] = spent.get(leg.venue, ZERO) + fill.notional + fill.fee
        total = ZERO
        over = []
        for venue, amount in spent.items():
            total += amount
            if amount > limit_of[venue]:
                over.append(_ratio(amount, limit_of[venue]))
        if total > room:
            over.append(_ratio(total, room))
        if over:
            shrink = round_down(size / max(over), step)
            size = rules.common(min(shrink, size - step))
            continue
        if rules.under_minimum(size):
            break
        # Kelly at the size actually sent, with the venues' rounded fees
        ok, allowed = kelly.fits_cost(size, total)
        if not ok and kelly_bound:
            # the venues' rounded fees cost a little more than the search's estimate
            size = rules.common(min(round_down(allowed, step), size - step))
            continue
        why = f"Kelly (f* = {kelly.f:.4f})" if kelly_bound else _label(label)
        return SizeResult(
            size=size,
            reason=None,
            detail=f"{format_decimal(size)} contracts, bound by {why}",
            kelly=kelly.f,
            fills=fills,
            cost=total,
        )
    if kelly_bound:
        binding, why = Reject.TOO_SMALL, f"Kelly (f* = {kelly.best_f:.4f})"
    else:
        why = _label(label)
    return _refuse(
        binding,
        f"{why} leaves {format_decimal(best)} contracts: no size both venues accept "
        f"({_minimums(markets)})",
        kelly=kelly.best_f,
    )


def _label(parts: tuple[object, ...]) -> str:
    """A binding cap's label, formatted only when it is reported."""
    return "".join(
        part.value.replace("_", " ") if isinstance(part, Reject) else str(part) for part in parts
    )


def _minimums(markets: Sequence[Market]) -> str:
    return "minimums " + ", ".join(f"{m.venue} {format_decimal(m.min_size)}" for m in markets)


def _ratio(spent: Decimal, limit: Decimal) -> Decimal:
    return spent / limit if limit > 0 else Decimal("Infinity")


def _refuse(reason: Reject, detail: str, *, kelly: Decimal = ZERO) -> SizeResult:
    return SizeResult(size=ZERO, reason=reason, detail=detail, kelly=kelly)


def _walk(ladders: Sequence[Ladder], size: Decimal) -> tuple[LegFill, ...] | None:
    fills = []
    for ladder in ladders:
        fill = ladder.fill(size)
        if fill is None:
            return None
        fills.append(fill)
    return tuple(fills)


class _SizeRules:
    """The legs' venues' order-size rules, asked for one size all of them accept."""

    __slots__ = ("rules", "minimum")

    def __init__(
        self, venues: Mapping[str, type[Venue]], legs: Sequence[Leg], markets: Sequence[Market]
    ) -> None:
        self.minimum = max(market.min_size for market in markets)  #: the largest leg minimum
        self.rules = [
            (venues.get(market.venue, Venue), market, leg.worst_price)
            for leg, market in zip(legs, markets, strict=True)
        ]

    def under_minimum(self, size: Decimal) -> bool:
        return size < self.minimum

    def common(self, size: Decimal) -> Decimal:
        """The largest size ≤ ``size`` that every leg's venue accepts as a fill-or-kill buy.

        The legs are asked in turn until all of them, one after the other, answered the
        same size. A leg that has just answered is not asked about its own answer again: the
        largest valid size ≤ a valid size is that size (asking costs a Polymarket leg a few µs).
        """
        rules = self.rules
        legs = len(rules)
        agreed = 0  # legs in a row that answered the current size
        index = 0
        for _ in range(_MAX_ROUNDS * legs):
            if size <= ZERO:
                return ZERO
            venue, market, price = rules[index]
            try:
                valid = venue.valid_size(market, Side.BUY, price, size, TimeInForce.FOK)
            except ArbkitError:
                return ZERO
            agreed = agreed + 1 if valid == size else 1
            size = valid  # (the venue's own spelling of an equal size, as the walk will see it)
            if agreed == legs:
                return size if size > ZERO else ZERO
            index = index + 1 if index + 1 < legs else 0
        return ZERO
