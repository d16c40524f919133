"""Polymarket's one fee function: ``fee = C × rate × (p(1−p))^exponent``, per market, takers only.

Rates changed several times in 2026 and differ by category, so the parameters always come from
the market itself (Gamma ``feeSchedule`` or CLOB ``fd``); nothing here hard-codes a rate.

Since the CLOB V2 cut-over (2026-04-28) every fee is paid in pUSD: a taker BUY of ``C`` shares at
``p`` delivers all ``C`` shares and costs ``C·p + fee``; a SELL pays its fee out of the proceeds,
receiving ``C·p − fee``. The V1 exchange took a buy's fee in shares; nothing here does any more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from attrs import field, frozen

from arbkit import round_up, to_decimal

#: Fees are charged to 5 decimals. The venue floors; arbkit deliberately rounds *up*, so its
#: estimate is never below the real fee and cannot turn a loss into a "profit". The bound: at most
#: $0.00001 more than the venue charges per fill (per level walked), documented in
#: docs/venues/polymarket.md.
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
    #: ``exponent`` as an int when it is whole (an integer power stays exact and fast)
    _power: int | None = field(init=False, eq=False, repr=False)

    @_power.default
    def _whole_exponent(self) -> int | None:
        exponent = self.exponent
        return int(exponent) if exponent == exponent.to_integral_value() else None

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

    @lru_cache(maxsize=65536)  # noqa: B019 - frozen, hashable, few: each fill asks again
    def fee_rate(self, price: Decimal) -> Decimal:
        """Dollars of fee per share traded at ``price`` (unrounded)."""
        if not self.rate:
            return _ZERO
        base = price * (_ONE - price)
        power = self._power
        if power == 1:
            return self.rate * base
        if power is not None:
            # An integer power stays exact; Decimal ** Decimal would go through ln/exp.
            return self.rate * base**power
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
        total = _ZERO
        for price, size in fills:
            total += self.fee(price, size, maker=maker)
        return total

    def max_rounding(self, fills: int) -> Decimal:
        """Each fill's fee rounds up by less than ``FEE_STEP``."""
        return FEE_STEP * fills if self.rate else _ZERO

    def buy_cost(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """pUSD paid for a buy of ``size`` shares at ``price``: the notional plus the fee on top."""
        return price * size + self.fee(price, size, maker=maker)

    def sell_proceeds(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        """pUSD received for a sell of ``size`` shares at ``price``: the fee leaves the proceeds."""
        return price * size - self.fee(price, size, maker=maker)
