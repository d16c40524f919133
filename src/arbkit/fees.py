"""The fee-model protocol: each venue plugin ships ONE implementation of its published formula.

Strategies, the paper executor and P&L all call the market's ``fees`` object, so a venue's fee
rule lives in exactly one place. Fee rates change often (Polymarket changed sports fees several
times in 2026), so plugins read parameters per market at runtime and never hard-code them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, runtime_checkable

from attrs import frozen

_ZERO = Decimal(0)


@runtime_checkable
class FeeModel(Hashable, Protocol):
    """How one market charges fees.

    Implementations are frozen values (hashable): the scanner caches per-price fee figures by
    fee model. Every fee is dollars paid in cash on top of the price: both venues deliver all
    the contracts a buy pays for (Polymarket's V1 "fee in shares" rule is gone with CLOB V2).
    """

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """Fee in dollars for one fill of ``size`` contracts at ``price``."""
        ...

    def order_fee(
        self, fills: Sequence[tuple[Decimal, Decimal]], *, maker: bool = False
    ) -> Decimal:
        """Fee in dollars for one order that fills at several ``(price, size)`` levels."""
        ...

    def max_rounding(self, fills: int) -> Decimal:
        """The most the venue's rounding can add to a taker order of ``fills`` fills, in
        dollars, over its marginal fee (``fee(price, 100000) / 100000`` per contract).

        Sizing prices its estimates with this added, so that the size it finally walks
        through the books with the rounded fees fits what the estimate promised.
        """
        ...


@lru_cache(maxsize=4096)
def rounding_bound(fees: FeeModel, fills: int) -> Decimal:
    """``fees.max_rounding(fills)``; nothing for a model written before the method existed
    (sizing then steps down when the walked size does not fit). Cached: sizing asks it for
    every level of every ladder, and a fee model is a frozen value."""
    bound = getattr(fees, "max_rounding", None)
    return _ZERO if bound is None else bound(fills)


@frozen
class NoFees:
    """A fee-free market."""

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        return _ZERO

    def order_fee(
        self, fills: Sequence[tuple[Decimal, Decimal]], *, maker: bool = False
    ) -> Decimal:
        return _ZERO

    def max_rounding(self, fills: int) -> Decimal:
        return _ZERO
