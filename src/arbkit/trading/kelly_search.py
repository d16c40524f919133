"""The Kelly cap's search: the largest size whose estimated cost fits its own Kelly stake.

The edge per contract falls as a size walks deeper into the books, and what a venue charges per
order weighs less on more contracts, so the Kelly stake depends on the size, both ways. The
search tries the capped size, then the size the stake there allows (or, where the stake grows
with the size, the fixed point of the stake's line through two sizes that failed), then the
top of the books, then bisects: a few estimates at most. Each estimate prices a size at the
marginal (unrounded) fees from cumulative depth and cost per level, built once per leg in the
same pass that measures the leg's depth, so a size costs a bisection, not a walk; it adds the
most the venues' rounding can add to the order (``FeeModel.max_rounding``), so it never prices
a size under its cost. The size finally sent is read off the books with the venues' rounded
fees and checked again.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from arbkit.fees import FeeModel, rounding_bound
from arbkit.models import Level, Market
from arbkit.money import round_down, to_decimal
from arbkit.scan.walk import LegFill, marginal_cost

ZERO = Decimal(0)
ONE = Decimal(1)
_ROUNDS = 8
#: the search stops within this share of the Kelly size (its inputs are estimates anyway)
_CLOSE_ENOUGH = Decimal("0.005")
#: where the edge runs out between two sizes, the search tries a little under the crossing
_UNDER = Decimal("0.98")

#: ``(contracts the Kelly stake buys, f*, loss probability, edge)`` of one size; the
#: probability is None for a size deeper than a leg's book
Estimate = tuple[Decimal, Decimal, Decimal | None, Decimal]
_TOO_DEEP: Estimate = (ZERO, ZERO, None, ZERO)
_NO_F = Decimal("-Infinity")
_NO_BOUND = Decimal("Infinity")


def within_stake(size: Decimal, estimate: Estimate) -> bool:
    """Whether ``size`` is within the Kelly stake of its ``estimate``."""
    allowed, f, q, _ = estimate
    return q is not None and f > ZERO and size <= allowed


@lru_cache(maxsize=1024)
def _decimal(probability: float) -> Decimal:
    return to_decimal(probability)


@lru_cache(maxsize=1024)
def _slack(fees: FeeModel, levels: int) -> tuple[Decimal, ...]:
    """The most the venue's rounding adds to an order ending in each of ``levels`` levels."""
    return tuple(rounding_bound(fees, fills) for fills in range(1, levels + 1))


@lru_cache(maxsize=1024)
def fixed_risk(
    confidence: float,
    void_probability: Decimal | None,
    miss_probability: Decimal,
    slippage: Decimal,
) -> tuple[Decimal, Decimal]:
    """The loss probability's terms that do not depend on the cost: ``(q0, miss)``, with
    ``q = q0 + miss / cost``; ``void_probability`` is None when every outcome's payout is known.
    Cached: the same few confidences and limits come back on every evaluation."""
    q0 = ONE - _decimal(confidence)
    if void_probability is not None:
        q0 += void_probability
    return q0, miss_probability * slippage


def exact_f_star(
    cost: Decimal, edge: Decimal, q0: Decimal, miss: Decimal
) -> tuple[Decimal, Decimal]:
    """``(f*, q)`` for a pair costing ``cost`` that wins ``edge``."""
    if cost <= ZERO or edge <= ZERO:
        return ZERO, ONE
    q = q0 + miss / cost
    return (ONE - q) - q / (edge / cost), q


class Ladder:
    """One leg's asks at or under its limit price (asks are best first), taken in whole size
    increments: its depth, where each level starts (contracts and dollars before it) with its
    cost per contract, and what buying any size through it fills (:meth:`fill`, the walk that
    is finally sent).

    ``bound``: no size past it will be asked about (the caps that do not depend on the books
    already allow no more), so levels stop once the depth exceeds it: the depth is the leg's
    depth within its limit, or some depth past the bound.
    """

    __slots__ = (
        "fees",
        "increment",
        "depth",
        "first_take",
        "top_unit",
        "starts",
        "costs",
        "units",
        "slack",
        "top_slack",
        "levels",
    )

    def __init__(
        self,
        market: Market,
        asks: Sequence[Level],
        limit: Decimal,
        bound: Decimal = _NO_BOUND,
    ) -> None:
        self.fees = fees = market.fees
        self.increment = increment = market.size_increment
        depth = cost = ZERO
        starts: list[Decimal] = []
        costs: list[Decimal] = []
        units: list[Decimal] = []
        levels: list[Level] = []  #: (price, contracts taken), as a walk takes them
        first_price: Decimal | None = None  # the best ask within the limit
        for level in asks:
            price, available = level
            if price > limit:
                break
            if first_price is None:
                first_price = price
            if available % increment:
                take = round_down(available, increment)
                if take <= ZERO:
                    continue
                level = (price, take)
            elif available <= ZERO:
                continue
            else:
                take = available
            unit = marginal_cost(fees, price)
            starts.append(depth)
            costs.append(cost)
            units.append(unit)
            levels.append(level)
            depth += take
            cost += take * unit
            if depth > bound:
                break
        starts.append(depth)
        self.starts, self.costs, self.units = starts, costs, units
        #: per level: the most the venue's rounding adds to an order ending there (its fills)
        self.slack = slack = _slack(fees, len(units))
        self.top_slack = slack[0] if slack else rounding_bound(fees, 1)
        self.levels = levels
        self.depth = depth  #: contracts this leg can buy within its limit (or past the bound)
        # the best level one can take (the top of the books is tried first): the ladder's first
        # entry; a level under one increment is skipped, as the walks skip it (priced at its
        # price, a tiny cheap level made the top look like a bet Kelly would take)
        if units:
            self.first_take, self.top_unit = starts[1], units[0]
        elif first_price is not None:
            self.first_take, self.top_unit = ZERO, marginal_cost(fees, first_price)
        else:
            self.first_take = self.top_unit = ZERO

    def fill(self, size: Decimal) -> LegFill | None:
        """Buying exactly ``size`` contracts, the venue's fee included: the same fill as
        :func:`~arbkit.scan.walk.buy_through` on these asks, read off the ladder instead of
        walked again. None if ``size`` is off the size grid or deeper than the ladder."""
        if size <= ZERO or size > self.depth or size % self.increment:
            return None
        index = bisect_left(self.starts, size) - 1  # the level the size ends in
        whole = self.levels[:index]  # the levels the size takes whole
        notional = ZERO
        for price, take in whole:  # (summed as a walk sums it)
            notional += price * take
        price = self.levels[index][0]
        last = size - self.starts[index]
        fills = (*whole, (price, last))
        return LegFill(
            fills=fills,
            bought=size,
            notional=notional + price * last,
            fee=self.fees.order_fee(fills),
        )


def _fixed_point(
    first: tuple[Decimal, Decimal], second: tuple[Decimal, Decimal], step: Decimal
) -> Decimal:
    """The size whose stake buys exactly it, on the grid below, guessed from two sizes that
    failed (``(size, contracts its stake buys)`` each, the stake smaller at the smaller size).

    Within one level of each book a size ``s`` costs ``U + A/s`` per contract (the marginal
    cost plus what is fixed per order, the rounding allowance, spread over it), so the stake
    is close to a line in ``1/s``, ``base + slope/s``; the line through both failures meets
    ``s`` where ``s² − base·s − slope = 0``, and its larger root is the guess. Where the stake
    grows with the size (a Kelly size inside the first levels), the plain step (the size the
    last stake buys) creeps down on that point a few grid steps a time and may run out of
    rounds; this lands on it, or next to it, at once. Only a guess: the search tries it like
    any other size. 0 where the line meets no size.
    """
    (s1, a1), (s2, a2) = first, second
    slope = (a1 - a2) / (ONE / s1 - ONE / s2)  # contracts of stake per unit of 1/size
    base = a2 - slope / s2
    discriminant = base * base + 4 * slope
    if discriminant < ZERO:
        return ZERO
    return round_down((base + discriminant.sqrt()) / 2, step)


class KellySearch:
    """The search's state: f* (with its loss probability and edge) at the last size tried,
    the highest f* seen and where (what a refusal reports), and f* at the best size found."""

    __slots__ = (
        "ladders",
        "payout",
        "q0",
        "miss",
        "fraction",
        "bankroll",
        "f",
        "best_f",
        "top_f",
        "top_q",
        "top_edge",
        "top_at",
        "first_levels",
        "allowed",
    )

    def __init__(
        self,
        ladders: Sequence[Ladder],
        *,
        payout: Decimal,
        risk: tuple[Decimal, Decimal],
        fraction: Decimal,
        bankroll: Decimal,
    ) -> None:
        self.ladders = ladders
        self.payout = payout  #: dollars paid per pair of contracts
        self.q0, self.miss = risk
        self.fraction, self.bankroll = fraction, bankroll
        self.f = self.best_f = ZERO
        self.allowed = ZERO  #: contracts the stake of the last size tried buys
        self.top_f = _NO_F
        self.top_q, self.top_edge, self.top_at = ONE, ZERO, ZERO
        #: the largest size inside every leg's first level
        self.first_levels = min(ladder.first_take for ladder in ladders) if ladders else ZERO

    def fits(self, size: Decimal) -> tuple[bool, Decimal]:
        """Whether ``size`` is within its own (estimated) Kelly stake, and the contracts that
        stake buys."""
        return self.record(size, self.estimate(size))

    def fits_cost(self, size: Decimal, total: Decimal) -> tuple[bool, Decimal]:
        """:meth:`fits` for ``size`` pairs costing ``total`` dollars."""
        return self.record(size, self.judge(size, total))

    def estimate(self, size: Decimal) -> Estimate:
        """:meth:`fits`'s figures for ``size``, the search's state left as it is."""
        total = ZERO
        for ladder in self.ladders:
            if size > ladder.depth:
                return _TOO_DEEP
            starts = ladder.starts
            index = bisect_left(starts, size) - 1  # the level the size ends in
            if index >= 0:
                total += (
                    ladder.costs[index]
                    + (size - starts[index]) * ladder.units[index]
                    + ladder.slack[index]
                )
        return self.judge(size, total)

    def judge(self, size: Decimal, total: Decimal) -> Estimate:
        """``(contracts the stake buys, f*, q, edge)`` for ``size`` pairs costing ``total``."""
        cost = total / size
        edge = self.payout - cost
        f, q = exact_f_star(cost, edge, self.q0, self.miss)
        allowed = self.fraction * f * self.bankroll / cost if f > ZERO else ZERO
        return allowed, f, q, edge

    def record(self, size: Decimal, estimate: Estimate) -> tuple[bool, Decimal]:
        """Take ``estimate`` (of ``size``) as the last size tried: whether it fits, and the
        contracts its stake buys."""
        allowed, f, q, edge = estimate
        self.f, self.allowed = f, allowed
        if q is None:  # deeper than a leg's book
            return False, ZERO
        if f > self.top_f:
            self.top_f, self.top_q, self.top_edge, self.top_at = f, q, edge, size
        if f <= ZERO:
            return False, ZERO
        return size <= allowed, allowed

    def search(
        self,
        capped: Decimal,
        step: Decimal,
        top: Decimal,
        top_fits: bool,
        first: Estimate | None = None,
    ) -> Decimal:
        """The largest size found ≤ ``capped`` that fits; ``top`` (fitting if ``top_fits``)
        is the top of the books, already tried; ``first``: the estimate of ``capped`` if
        already made (it is still recorded in the search's order)."""
        # lo fits, hi does not; with the contracts their stakes buy
        lo, f_lo, at_lo = (top, self.f, self.allowed) if top_fits else (ZERO, ZERO, ZERO)
        self.best_f = f_lo
        hi: Decimal | None = None
        f_hi = at_hi = ZERO
        # the bracket's line is weighed as the Illinois method weighs it: an end kept while the
        # other moved twice in a row counts half as much (else the line creeps from one side)
        weight_lo = weight_hi = ONE
        last_ok: bool | None = None
        ceiling = capped  # no size above it fits (just above a stake a failed size allowed)
        size = capped
        tried_top = top_fits
        before: tuple[Decimal, Decimal] | None = None  # the failure before the last, its stake
        for _ in range(_ROUNDS):
            if size <= lo or size <= ZERO or (hi is not None and size >= hi):
                break
            if first is not None:
                ok, allowed = self.record(size, first)
                first = None
            else:
                ok, allowed = self.fits(size)
            if ok:
                lo, f_lo, at_lo, self.best_f = size, self.f, allowed, self.f
                if hi is None:
                    break  # the capped size itself fits
                weight_hi, weight_lo = (weight_hi / 2 if last_ok else ONE), ONE
            else:
                before = (hi, at_hi) if hi is not None and at_hi > ZERO else None
                hi, f_hi, at_hi = size, self.f, allowed
                weight_lo, weight_hi = (weight_lo / 2 if last_ok is False else ONE), ONE
                if allowed > ZERO and size <= self.first_levels:
                    # inside every leg's first level a size costs U + A/s a contract, A ≥ 0 (the
                    # rounding allowance): the stake does not shrink as the size grows, so no size
                    # between the stake and this one fits. (Deeper, where the stake shrinks with
                    # the size, sizes above the stake may fit: no ceiling there.)
                    ceiling = min(ceiling, allowed + step)
            last_ok = ok
            upper = min(hi, ceiling)
            if lo > ZERO and upper - lo <= lo * _CLOSE_ENOUGH:
                break
            guess = round_down(allowed, step)
            if not ok and allowed > ZERO and before is not None and allowed < before[1]:
                point = _fixed_point(before, (size, allowed), step)
                if ZERO < point < guess:
                    guess = point
            if lo > ZERO and hi is not None and f_hi > ZERO:
                # a bracket: where the stake's excess over the size, at_lo − lo ≥ 0 and
                # at_hi − hi < 0, crosses 0 on the line between them (the size the last stake
                # buys jumps from side to side where the stake shrinks fast with the size)
                over, under = (at_lo - lo) * weight_lo, (hi - at_hi) * weight_hi
                guess = round_down(lo + (hi - lo) * over / (over + under), step)
            if lo < guess < upper:
                size = guess
            elif lo == ZERO and not tried_top:
                tried_top, size = True, min(top, hi - step)
            elif lo > ZERO and f_hi <= ZERO < f_lo:
                # the edge runs out between lo and hi: where f* would cross 0, a little under
                weighed = f_lo * weight_lo
                cross = lo + (hi - lo) * weighed / (weighed - f_hi * weight_hi)
                size = round_down(min(cross, upper) * _UNDER, step)
                if size <= lo:
                    size = round_down((lo + upper) / 2, step)
            else:
                size = round_down((lo + upper) / 2, step)
        return lo
