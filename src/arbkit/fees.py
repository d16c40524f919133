"""The fee-model protocol: each venue plugin ships ONE implementation of its published formula.

Strategies, the paper executor and P&L all call the market's ``fees`` object, so a venue's fee
rule lives in exactly one place. Fee rates change often (Polymarket changed sports fees several
times in 2026), so plugins read parameters per market at runtime and never hard-code them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

from attrs import frozen

_ZERO = Decimal(0)


@runtime_checkable
class FeeModel(Hashable, Protocol):
    """How one market charges fees.

    Implementations are frozen values (hashable): the scanner caches per-price fee figures by
    fee model. ``fee_in_shares_on_buy`` is True where a buy's fee is taken out of the contracts
    bought (Polymarket): buying ``n`` contracts at ``p`` then delivers ``n - fee / p`` contracts.
    """

    @property
    def fee_in_shares_on_buy(self) -> bool: ...

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """Fee in dollars for one fill of ``size`` contracts at ``price``."""
        ...

    def order_fee(
        self, fills: Sequence[tuple[Decimal, Decimal]], *, maker: bool = False
    ) -> Decimal:
        """Fee in dollars for one order that fills at several ``(price, size)`` levels."""
        ...


@frozen
class NoFees:
    """A fee-free market."""

    fee_in_shares_on_buy: bool = False

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        return _ZERO

    def order_fee(
        self, fills: Sequence[tuple[Decimal, Decimal]], *, maker: bool = False
    ) -> Decimal:
        return _ZERO
