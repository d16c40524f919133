"""The Kelly search's ladder: one leg's depth and estimated cost, against a walk written here."""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_helpers import kalshi_market, pm_market

from arbkit.scan.walk import buy_through
from arbkit.trading.kelly_search import Ladder

D = Decimal
PM = pm_market("heat-magic", ["Heat", "Magic"], ["t1", "t2"], league="nba")
KALSHI = kalshi_market("KXNBAGAME-26NOV24MIAORL-MIA", "Miami", league="nba")

levels = st.lists(
    st.tuples(st.integers(min_value=1, max_value=99), st.integers(min_value=0, max_value=40_000)),
    min_size=1,
    max_size=6,
)


def by_hand(market, asks, size: Decimal) -> Decimal | None:
    """Dollars for ``size`` contracts at each level's marginal cost (fee per contract of a
    large order), each level taken in whole increments."""
    left, total = size, D(0)
    for price, available in asks:
        whole = (available / market.size_increment).to_integral_value("ROUND_FLOOR")
        take = min(left, whole * market.size_increment)
        unit = price + market.fees.fee(price, D(100_000)) / D(100_000)
        total += take * unit
        left -= take
        if left <= 0:
            return total
    return None if left > 0 else total


@settings(max_examples=120, deadline=None)
@given(spec=levels, kalshi=st.booleans(), share=st.integers(min_value=1, max_value=100))
def test_the_ladder_prices_any_size_as_a_walk_does(spec, kalshi: bool, share: int) -> None:
    market = KALSHI if kalshi else PM
    asks = sorted({D(price) / 100: D(hundredths) / 100 for price, hundredths in spec}.items())
    ladder = Ladder(market, asks, D(1))
    whole = [
        (a / market.size_increment).to_integral_value("ROUND_FLOOR") * market.size_increment
        for _, a in asks
    ]
    assert ladder.depth == sum(whole, D(0))
    taken = [(a, w) for a, w in zip(asks, whole, strict=True) if w > 0]
    assert ladder.first_take == (taken[0][1] if taken else 0)
    top = taken[0][0][0] if taken else asks[0][0]  # the best level one can take
    assert ladder.top_unit == top + market.fees.fee(top, D(100_000)) / D(100_000)
    if ladder.depth <= 0:
        return
    size = (ladder.depth * share / 100 / market.size_increment).to_integral_value(
        "ROUND_FLOOR"
    ) * market.size_increment
    if size <= 0:
        return
    # the estimate the search uses (KellySearch.fits): the level the size ends in, by bisection
    index = bisect_left(ladder.starts, size) - 1
    estimate = ladder.costs[index] + (size - ladder.starts[index]) * ladder.units[index]
    assert estimate == by_hand(market, asks, size)


@settings(max_examples=150, deadline=None)
@given(
    spec=levels,
    kalshi=st.booleans(),
    hundredths=st.integers(min_value=-5, max_value=250_000),
    off_grid=st.booleans(),
)
def test_a_fill_read_off_the_ladder_is_the_walk_sent(spec, kalshi, hundredths, off_grid) -> None:
    """The size finally sent is priced by ``Ladder.fill``: it must be exactly the walk, fee
    included, for sizes inside, at and beyond the depth, and refuse a size off the grid."""
    market = KALSHI if kalshi else PM
    asks = sorted({D(price) / 100: D(h) / 100 for price, h in spec}.items())
    size = D(hundredths) / 100 + (D("0.005") if off_grid else 0)
    expected = buy_through(asks, market.fees, size, market.size_increment)
    got = Ladder(market, asks, D(1)).fill(size)
    assert got == expected
    if got is not None:
        assert [str(v) for v in (got.notional, got.fee)] == [
            str(v) for v in (expected.notional, expected.fee)
        ]
