"""The one Polymarket fee function: formula, rounding, maker exemption, fees paid in pUSD (V2)."""

from __future__ import annotations

from decimal import Decimal

from arbkit_polymarket.fees import PolymarketFees

from arbkit import FeeModel

D = Decimal
SPORTS = PolymarketFees(rate=D("0.05"), exponent=1, taker_only=True)


def test_is_a_fee_model() -> None:
    assert isinstance(SPORTS, FeeModel)
    assert not hasattr(SPORTS, "fee_in_shares_on_buy")


def test_worked_example_from_the_notes() -> None:
    # 100 shares at 0.47, rate 0.05: 100 × 0.05 × 0.47 × 0.53.
    assert SPORTS.fee(D("0.47"), D("100")) == D("1.2455")
    # CLOB V2: a buy delivers all 100 shares and pays the fee in pUSD on top of 47.00 ...
    assert SPORTS.buy_cost(D("0.47"), D("100")) == D("48.2455")
    # ... and a sell of the same 100 shares receives 47.00 less the same fee.
    assert SPORTS.sell_proceeds(D("0.47"), D("100")) == D("45.7545")


def test_rounds_up_to_five_decimals() -> None:
    # 0.05 × 0.333 × 0.667 = 0.01110555 → 0.01111
    assert SPORTS.fee(D("0.333"), D("1")) == D("0.01111")


def test_makers_pay_nothing_on_taker_only_markets() -> None:
    assert SPORTS.fee(D("0.5"), D("100"), maker=True) == 0
    both = PolymarketFees(rate=D("0.05"), taker_only=False)
    assert both.fee(D("0.5"), D("100"), maker=True) == D("1.25")


def test_exponent_two_as_crypto_markets_used() -> None:
    crypto = PolymarketFees(rate=D("0.25"), exponent=2)
    assert crypto.fee(D("0.5"), D("10")) == D("0.15625")


def test_order_fee_charges_each_level() -> None:
    levels = [(D("0.40"), D("10")), (D("0.41"), D("5"))]
    expected = SPORTS.fee(D("0.40"), D("10")) + SPORTS.fee(D("0.41"), D("5"))
    assert SPORTS.order_fee(levels) == expected == D("0.12") + D("0.06048")


def test_disabled_schedule_is_free() -> None:
    free = PolymarketFees.from_schedule({"rate": 0.05}, enabled=False)
    assert free.fee(D("0.5"), D("100")) == 0
    assert PolymarketFees.from_schedule(None).fee(D("0.5"), D("100")) == 0
