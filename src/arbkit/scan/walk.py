"""Walking order books: what it costs to buy a number of contracts, fees included.

Both venues now charge a buy's fee in cash on top of the price (Kalshi per order, Polymarket's
CLOB V2 in pUSD per fill), so buying ``n`` contracts delivers exactly ``n``. Two legs of an
arbitrage are therefore sized in equal contracts, and a leg's cost is its notional plus its fee.
All arithmetic is Decimal; nothing is rounded except where a venue rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from attrs import frozen

from arbkit.fees import FeeModel
from arbkit.models import Level
from arbkit.money import round_down

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
def marginal_cost(fees: FeeModel, price: Decimal) -> Decimal:
    """Dollars paid per contract bought at ``price``, fees included."""
    return price + marginal_fee(fees, price)


@frozen
class LegFill:
    """Buying ``bought`` contracts of one contract through its asks."""

    fills: tuple[Level, ...]  #: (price, contracts bought) per level, best first
    bought: Decimal
    notional: Decimal  #: sum of price × contracts, before fees
    fee: Decimal  #: dollars, paid on top of the notional

    @property
    def average_price(self) -> Decimal:
        return self.notional / self.bought if self.bought else ZERO

    @property
    def worst_price(self) -> Decimal:
        return self.fills[-1][0] if self.fills else ZERO

    @property
    def cost(self) -> Decimal:
        """Dollars paid: the notional plus the fee."""
        return self.notional + self.fee


def buy_through(
    asks: Sequence[Level], fees: FeeModel, target: Decimal, increment: Decimal
) -> LegFill | None:
    """Buy exactly ``target`` contracts through ``asks``; None if depth runs out.

    ``increment`` is the venue's size step: each level is taken in whole increments, and a
    target that is not itself a whole number of increments cannot be bought (None), because two
    legs must hold the same number of contracts.
    """
    if target <= 0 or target % increment:
        return None
    fills: list[Level] = []
    remaining = target
    notional = ZERO
    for price, size in asks:
        take = remaining if remaining <= size else round_down(size, increment)
        if take <= 0:
            continue
        fills.append((price, take))
        notional += price * take
        remaining -= take
        if not remaining:
            return LegFill(
                fills=tuple(fills), bought=target, notional=notional, fee=fees.order_fee(fills)
            )
    return None


def profitable_depth(
    asks_a: Sequence[Level],
    fees_a: FeeModel,
    asks_b: Sequence[Level],
    fees_b: FeeModel,
    payout: Decimal = ONE,
) -> Decimal:
    """Contracts up to which the *marginal* pair still costs less than ``payout``.

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
    left_a = asks_a[0][1]
    left_b = asks_b[0][1]
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
            price, left_a = asks_a[ia]
            cost_a = marginal_cost(fees_a, price)
        if left_b <= 0:
            ib += 1
            if ib == len(asks_b):
                break
            price, left_b = asks_b[ib]
            cost_b = marginal_cost(fees_b, price)
    return depth
