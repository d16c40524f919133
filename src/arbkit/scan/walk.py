"""Walking order books: what it costs to end up *holding* a number of contracts.

Venues charge fees differently: Kalshi adds a cash fee per order, Polymarket takes its buy fee
in shares, so buying ``n`` shares delivers fewer than ``n``. Two legs of an arbitrage must
deliver the same number of contracts, so everything here is sized in *delivered* contracts.
All arithmetic is Decimal; nothing is rounded except where a venue rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from attrs import frozen

from arbkit.fees import FeeModel
from arbkit.models import Level
from arbkit.money import round_down, round_up

ZERO = Decimal(0)
ONE = Decimal(1)
#: Marginal fee per contract is read off a large order, where per-order rounding vanishes.
_PROBE = Decimal(100000)


# Fee models are frozen (hashable) and prices sit on a tick grid, so these per-price figures are
# cached: the hot path asks for the same few prices on every book update.


@lru_cache(maxsize=65536)
def marginal_fee(fees: FeeModel, price: Decimal) -> Decimal:
    """The fee, in dollars, of one more contract at ``price`` (rounding ignored)."""
    return fees.fee(price, _PROBE) / _PROBE


@lru_cache(maxsize=65536)
def delivered_per_share(fees: FeeModel, price: Decimal) -> Decimal:
    """Contracts held per contract bought at ``price`` (below 1 where fees are taken in shares)."""
    if not fees.fee_in_shares_on_buy:
        return ONE
    return ONE - marginal_fee(fees, price) / price


@lru_cache(maxsize=65536)
def marginal_cost(fees: FeeModel, price: Decimal) -> Decimal:
    """Dollars paid per *delivered* contract at ``price``, fees included."""
    if fees.fee_in_shares_on_buy:
        return price / delivered_per_share(fees, price)
    return price + marginal_fee(fees, price)


@frozen
class LegFill:
    """Buying one contract through its asks so that ``delivered`` contracts are held."""

    fills: tuple[Level, ...]  #: (price, contracts bought) per level, best first
    bought: Decimal
    notional: Decimal  #: sum of price × contracts, before fees
    fee: Decimal  #: dollars (taken in shares when ``fee_in_shares``)
    fee_in_shares: bool
    delivered: Decimal

    @property
    def average_price(self) -> Decimal:
        return self.notional / self.bought if self.bought else ZERO

    @property
    def worst_price(self) -> Decimal:
        return self.fills[-1][0] if self.fills else ZERO

    @property
    def cash_cost(self) -> Decimal:
        """Dollars paid: the notional plus any fee paid in cash."""
        return self.notional if self.fee_in_shares else self.notional + self.fee


def buy_to_deliver(
    asks: Sequence[Level], fees: FeeModel, target: Decimal, increment: Decimal
) -> LegFill | None:
    """Buy through ``asks`` until ``target`` contracts are delivered; None if depth runs out.

    ``increment`` is the venue's size step; per-level sizes are rounded up to it and the last
    level is topped up until the fee-adjusted delivery reaches the target.
    """
    fills: list[Level] = []
    remaining = target
    for index, (price, size) in enumerate(asks):
        if remaining <= 0:
            break
        per_share = delivered_per_share(fees, price)
        want = round_up(remaining if per_share == ONE else remaining / per_share, increment)
        take = want if want <= size else round_down(size, increment)
        if take <= 0:
            continue
        fills.append((price, take))
        remaining -= take * per_share
        if take == want:
            return _finish(asks, fees, fills, target, increment, index)
    return None


def _finish(
    asks: Sequence[Level],
    fees: FeeModel,
    fills: list[Level],
    target: Decimal,
    increment: Decimal,
    last_index: int,
) -> LegFill | None:
    """Compute the exact fee and delivery; add increments on the last level if rounding bites."""
    for _ in range(1000):
        leg = _priced(fees, fills)
        if leg.delivered >= target:
            return leg
        price, taken = fills[-1]
        if taken + increment > asks[last_index][1]:
            return None
        fills[-1] = (price, taken + increment)
    return None


def _priced(fees: FeeModel, fills: list[Level]) -> LegFill:
    bought = sum((size for _, size in fills), ZERO)
    notional = sum((price * size for price, size in fills), ZERO)
    delivered = bought
    if fees.fee_in_shares_on_buy:
        # Taken in shares fill by fill: each fill's fee (in dollars) costs fee / price shares.
        per_fill = [(fees.fee(price, size), price) for price, size in fills]
        fee = sum((f for f, _ in per_fill), ZERO)
        delivered = bought - sum((f / price for f, price in per_fill if price), ZERO)
    else:
        fee = fees.order_fee(fills)
    return LegFill(
        fills=tuple(fills),
        bought=bought,
        notional=notional,
        fee=fee,
        fee_in_shares=fees.fee_in_shares_on_buy,
        delivered=delivered,
    )


def profitable_depth(
    asks_a: Sequence[Level],
    fees_a: FeeModel,
    asks_b: Sequence[Level],
    fees_b: FeeModel,
    payout: Decimal = ONE,
) -> Decimal:
    """Delivered contracts up to which the *marginal* pair still costs less than ``payout``.

    Walks both books together, level by level, and stops where the next contract of each leg,
    fees included, would cost ``payout`` or more.
    """
    if not asks_a or not asks_b:
        return ZERO
    cost_a = marginal_cost(fees_a, asks_a[0][0])
    cost_b = marginal_cost(fees_b, asks_b[0][0])
    if cost_a + cost_b >= payout:
        return ZERO  # the common case: no edge at the top of the books
    ia = ib = 0
    left_a = asks_a[0][1] * delivered_per_share(fees_a, asks_a[0][0])
    left_b = asks_b[0][1] * delivered_per_share(fees_b, asks_b[0][0])
    depth = ZERO
    while cost_a + cost_b < payout:
        step = left_a if left_a < left_b else left_b
        depth += step
        left_a -= step
        left_b -= step
        if left_a <= 0:
            ia += 1
            if ia == len(asks_a):
                break
            price = asks_a[ia][0]
            cost_a = marginal_cost(fees_a, price)
            left_a = asks_a[ia][1] * delivered_per_share(fees_a, price)
        if left_b <= 0:
            ib += 1
            if ib == len(asks_b):
                break
            price = asks_b[ib][0]
            cost_b = marginal_cost(fees_b, price)
            left_b = asks_b[ib][1] * delivered_per_share(fees_b, price)
    return depth
