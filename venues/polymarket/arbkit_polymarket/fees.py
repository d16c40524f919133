"""Polymarket's one fee function: ``fee = C × rate × (p(1−p))^exponent``, per market, takers only.

Rates changed several times in 2026 and differ by category, so the parameters always come from
the market itself (Gamma ``feeSchedule`` or CLOB ``fd``); nothing here hard-codes a rate. A buy's
fee is taken in shares (you receive ``C − fee/p``), a sell's in collateral.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from arbkit import round_up, to_decimal

#: Fees are charged to 5 decimals. The notes leave the rounding direction open, so arbkit rounds
#: up: an estimate that is never below the real fee cannot turn a loss into a "profit".
FEE_STEP = Decimal("0.00001")
_ZERO = Decimal(0)
_ONE = Decimal(1)


@frozen(kw_only=True, cache_hash=True)  # hashed on the scan hot path
class PolymarketFees:
    """One market's fee schedule.

    Attributes:
        rate: ``feeSchedule.rate`` (``fd.r``).
        exponent: ``feeSchedule.exponent`` (``fd.e``); 1 on every sports market seen so far.
        taker_only: makers pay nothing (``takerOnly`` / ``fd.to``).
        rebate_rate: share of taker fees paid back to makers; informational, never counted.
        fee_type: Polymarket's label, e.g. ``sports_fees_v3``.
    """

    rate: Decimal = field(converter=to_decimal)
    exponent: Decimal = field(default=_ONE, converter=to_decimal)
    taker_only: bool = True
    rebate_rate: Decimal = field(default=_ZERO, converter=to_decimal)
    fee_type: str | None = None
    fee_in_shares_on_buy: bool = True

    @classmethod
    def from_schedule(
        cls,
        schedule: Mapping[str, Any] | None,
        *,
        enabled: bool = True,
        fee_type: str | None = None,
    ) -> PolymarketFees:
        """From Gamma's ``feeSchedule`` object; a missing or disabled schedule is a zero rate."""
        if not enabled or not schedule:
            return cls(rate=_ZERO, fee_type=fee_type)
        return cls(
            rate=schedule.get("rate", 0),
            exponent=schedule.get("exponent", 1),
            taker_only=bool(schedule.get("takerOnly", True)),
            rebate_rate=schedule.get("rebateRate", 0),
            fee_type=fee_type,
        )

    @classmethod
    def from_clob(cls, info: Mapping[str, Any]) -> PolymarketFees:
        """From the CLOB's compact ``/clob-markets/{condition}`` object (its ``fd`` field)."""
        fd = info.get("fd") or {}
        return cls(rate=fd.get("r", 0), exponent=fd.get("e", 1), taker_only=bool(fd.get("to", 1)))

    def fee_rate(self, price: Decimal) -> Decimal:
        """Dollars of fee per share traded at ``price`` (unrounded)."""
        if not self.rate:
            return _ZERO
        base = price * (_ONE - price)
        if self.exponent == self.exponent.to_integral_value():
            # An integer power stays exact; Decimal ** Decimal would go through ln/exp.
            return self.rate * base ** int(self.exponent)
        return self.rate * base**self.exponent

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """Fee in dollars for one fill of ``size`` shares at ``price``, rounded up to 0.00001."""
        if (maker and self.taker_only) or not self.rate or not size:
            return _ZERO
        return round_up(size * self.fee_rate(price), FEE_STEP)

    def order_fee(
        self, fills: Sequence[tuple[Decimal, Decimal]], *, maker: bool = False
    ) -> Decimal:
        """Fee for an order filling at several levels: each level is charged (and rounded) alone."""
        return sum((self.fee(price, size, maker=maker) for price, size in fills), _ZERO)

    def shares_delivered(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """Shares actually held after a buy of ``size`` at ``price`` (the fee leaves in shares)."""
        fee = self.fee(price, size, maker=maker)
        return size - fee / price if fee else size
