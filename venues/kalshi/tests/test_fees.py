from __future__ import annotations

from decimal import Decimal as D

import pytest
from arbkit_kalshi.fees import KalshiFees
from arbkit_kalshi.parse import fees_from_series

from arbkit import FeeModel

from .conftest import sample


def test_is_a_fee_model() -> None:
    assert isinstance(KalshiFees(), FeeModel)


@pytest.mark.parametrize(
    ("price", "size", "expected"),
    [
        ("0.50", "100", "1.75"),  # the documented example
        ("0.50", "1", "0.02"),  # 0.0175 rounds up to 2 cents
        ("0.01", "1", "0.01"),  # 0.000693 still costs a cent
        ("0.99", "100", "0.07"),  # 0.0693
        ("0.30", "10", "0.15"),  # 0.147
        ("0.75", "59531.83", "781.36"),  # fractional contracts: 781.3552...
    ],
)
def test_taker_vectors(price: str, size: str, expected: str) -> None:
    assert KalshiFees().fee(D(price), D(size)) == D(expected)


def test_maker_only_on_series_with_maker_fees() -> None:
    assert KalshiFees("quadratic").fee(D("0.50"), D("100"), maker=True) == 0
    maker_series = KalshiFees("quadratic_with_maker_fees")
    assert maker_series.fee(D("0.50"), D("100"), maker=True) == D("0.44")  # 0.4375
    assert maker_series.fee(D("0.50"), D("100")) == D("1.75")


def test_multiplier_scales_and_zero_is_free() -> None:
    assert KalshiFees(multiplier=D("0.5")).fee(D("0.50"), D("100")) == D("0.88")  # 0.875
    assert KalshiFees(multiplier=0).fee(D("0.50"), D("100")) == 0


def test_order_fee_rounds_the_whole_order_once() -> None:
    fees = KalshiFees()
    levels = [(D("0.50"), D("1")), (D("0.51"), D("1")), (D("0.52"), D("1"))]
    # 0.07 × (0.25 + 0.2499 + 0.2496) = 0.052465 → 0.06, not 3 × 0.02
    assert fees.order_fee(levels) == D("0.06")
    ten = [(D("0.50"), D("1"))] * 10  # 0.175 once → 0.18; per level it would be 10 × 0.02
    assert fees.order_fee(ten) == D("0.18")
    assert sum(fees.fee(p, s) for p, s in ten) == D("0.20")
    assert fees.order_fee([]) == 0


def test_series_sample_sets_the_fee_model() -> None:
    fees = fees_from_series(sample("kalshi_series_nfl_game.json")["series"])
    assert fees == KalshiFees("quadratic_with_maker_fees", D(1))
    assert fees_from_series(None) == KalshiFees("quadratic", D(1))


def test_order_fee_rounds_each_fill_to_a_hundredth_of_a_cent_first() -> None:
    # 4 @ 0.03 → 0.008148 → 0.0082; 3 @ 0.06 → 0.011844 → 0.0119; 0.0201 → $0.03.
    # Summing unrounded (0.019992) would give $0.02, which is not what Kalshi charges.
    fills = [(D("0.03"), D("4")), (D("0.06"), D("3"))]
    assert KalshiFees().order_fee(fills) == D("0.03")
