"""``FeeModel.max_rounding``: the most a venue's rounding adds to an order over its marginal fee.

Sizing prices its Kelly estimates at the marginal fee plus this bound, so a bound that is too
small would let the search promise a size the venue's rounded fee then does not fit. Checked on
random orders against each venue's own ``order_fee``, and shown to be needed (the rounding does
come close to it), so the bound is neither broken nor idle.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from arbkit_kalshi.fees import KalshiFees
from arbkit_polymarket.fees import PolymarketFees
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.fees import NoFees, rounding_bound
from arbkit.scan.walk import marginal_fee

D = Decimal
MODELS = {
    "kalshi": KalshiFees(),
    "kalshi-half": KalshiFees(multiplier=D("0.5")),
    "polymarket-sports": PolymarketFees(rate=D("0.03"), exponent=1, taker_only=True),
    "polymarket-crypto": PolymarketFees(rate=D("0.25"), exponent=2),
}

prices = st.integers(min_value=1, max_value=99).map(lambda cents: D(cents) / 100)
sizes = st.integers(min_value=1, max_value=500_000).map(lambda hundredths: D(hundredths) / 100)
orders = st.lists(st.tuples(prices, sizes), min_size=1, max_size=6)


def over_marginal(fees, fills) -> Decimal:
    return fees.order_fee(fills) - sum(size * marginal_fee(fees, price) for price, size in fills)


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=300, deadline=None)
@given(fills=orders)
def test_rounding_never_adds_more_than_the_bound(name: str, fills) -> None:
    fees = MODELS[name]
    assert over_marginal(fees, fills) <= fees.max_rounding(len(fills))


def test_the_bound_is_needed_a_small_kalshi_order_rounds_up_most_of_a_cent() -> None:
    fees = MODELS["kalshi"]
    fills = [(D("0.01"), D("1"))]  # 0.07 × 0.0099 = 0.000693 costs a whole cent
    assert over_marginal(fees, fills) > D("0.009")
    assert over_marginal(fees, fills) <= fees.max_rounding(1) == D("0.0101")


def test_free_markets_have_no_rounding() -> None:
    assert KalshiFees(multiplier=0).max_rounding(3) == 0
    assert PolymarketFees.from_schedule(None).max_rounding(3) == 0
    assert NoFees().max_rounding(3) == 0


def test_a_fee_model_without_the_method_counts_no_rounding() -> None:
    class Older:  # a plugin's fee model written before max_rounding existed
        def fee(self, price, size, *, maker=False):
            return D(0)

    assert rounding_bound(Older(), 2) == 0
    assert rounding_bound(MODELS["kalshi"], 2) == D("0.0102")
