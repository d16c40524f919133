"""Kalshi's trading fee: the one implementation of its published quadratic formula.

``fee = ceil_to_cent(coef × fee_multiplier × C × P × (1 − P))`` where ``coef`` is 0.07 for a
taker and 0.0175 for a maker, the maker fee existing only on ``quadratic_with_maker_fees`` series.
The fee type and multiplier come from the market's series at runtime (they change), never from
constants here. For a retail account the fee of one order is the formula applied to the whole
order, rounded up to the cent (Kalshi's per-order rounding accumulator, venue-notes §2.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from attrs import evolve, field, frozen

from arbkit import round_up, to_decimal

TAKER_COEF = Decimal("0.07")
MAKER_COEF = Decimal("0.0175")
CENT = Decimal("0.01")
#: Each fill's fee is rounded up to this before the order's cent rounding (``fee_rounding``).
FILL_FEE_STEP = Decimal("0.0001")
_ONE = Decimal(1)
_ZERO = Decimal(0)

#: The fee types a series reports. ``flat`` has no published per-contract rate (UNCONFIRMED):
#: it is charged like ``quadratic`` here, which errs on the side of a higher fee.
FEE_TYPES = ("quadratic", "quadratic_with_maker_fees", "flat")


@frozen(cache_hash=True)  # hashed on the scan hot path
class KalshiFees:
    """One market's fee parameters, read from its series (or an event-level override).

    Args:
        fee_type: ``quadratic``, ``quadratic_with_maker_fees`` or ``flat``.
        multiplier: the series ``fee_multiplier`` (0 means fee-free).
    """

    fee_type: str = "quadratic"
    multiplier: Decimal = field(default=_ONE, converter=to_decimal)

    @multiplier.validator
    def _not_negative(self, attribute: object, value: Decimal) -> None:
        # A negative multiplier would turn every fee into a rebate: a fake edge, never a price.
        if value < 0:
            raise ValueError(f"fee multiplier {value} is negative")

    def coefficient(self, *, maker: bool = False) -> Decimal:
        """The per-contract coefficient before ``P × (1 − P)``."""
        if maker:
            if self.fee_type != "quadratic_with_maker_fees":
                return _ZERO
            return MAKER_COEF * self.multiplier
        return TAKER_COEF * self.multiplier

    def _raw(self, price: Decimal, size: Decimal, coef: Decimal) -> Decimal:
        return coef * size * price * (_ONE - price)

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """Fee in dollars for ``size`` contracts at ``price``, rounded up to the cent."""
        coef = self.coefficient(maker=maker)
        if not coef or not size:
            return _ZERO
        return round_up(self._raw(price, size, coef), CENT)

    def order_fee(
        self, fills: Sequence[tuple[Decimal, Decimal]], *, maker: bool = False
    ) -> Decimal:
        """Fee of one order filled at several levels, as Kalshi charges it.

        Each fill's fee is rounded up to $0.0001, then the order's total is rounded up to the
        cent (the per-order accumulator refunds over-rounding in whole cents only).
        """
        coef = self.coefficient(maker=maker)
        if not coef:
            return _ZERO
        total = _ZERO
        for price, size in fills:
            total += round_up(self._raw(price, size, coef), FILL_FEE_STEP)
        return round_up(total, CENT) if total else _ZERO

    def max_rounding(self, fills: int) -> Decimal:
        """Each fill rounds up by less than $0.0001 and the order by less than a cent."""
        if not self.coefficient():
            return _ZERO
        return CENT + FILL_FEE_STEP * fills


def with_override(
    default: KalshiFees, fee_type: str | None, multiplier: Decimal | str | None
) -> KalshiFees:
    """``default`` (the series fee) under an event-level override; a ``None`` part is cleared.

    A waiver is an override with multiplier 0. Both parts ``None``: back to the series fee.
    """
    if fee_type is not None and fee_type not in FEE_TYPES:
        raise ValueError(f"unknown Kalshi fee type {fee_type!r}")
    return evolve(
        default,
        fee_type=default.fee_type if fee_type is None else fee_type,
        multiplier=default.multiplier if multiplier is None else to_decimal(multiplier),
    )
