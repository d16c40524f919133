"""``immediate_size`` (O(1)) against the plain step-down search it replaced, on random orders."""

from __future__ import annotations

from decimal import Decimal

from arbkit_polymarket import signing
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit import InvalidOrder, Side

STEP = Decimal("0.01")


def stepping_size(side: Side, price: Decimal, size: Decimal, tick: Decimal) -> Decimal:
    """Reference: try ``size``, then 0.01 less, … down to 100 shares below it."""
    signing.amounts(side, price, size, tick)
    candidate = size
    while candidate > 0 and size - candidate <= 100:
        if signing.immediate_amounts_valid(side, *signing.amounts(side, price, candidate, tick)):
            return candidate
        candidate -= STEP
    raise InvalidOrder("none")


def outcome(function, *args) -> str:
    """The answer's exact text (value and exponent), or that it refused."""
    try:
        return str(function(*args))
    except InvalidOrder:
        return "refused"


@st.composite
def orders(draw: st.DrawFn) -> tuple[Side, Decimal, Decimal, Decimal]:
    tick = draw(st.sampled_from([Decimal("0.1"), STEP, Decimal("0.001"), Decimal("0.0001")]))
    steps = int(1 / tick)
    price = draw(st.integers(1, steps - 1)) * tick
    hundredths = draw(st.integers(1, 1_000_000))
    # the same size written as 12.34, 12.340, … (and 12 for 12.00): the answer keeps its form
    places = draw(st.integers(2, 4))
    size = (Decimal(hundredths) / 100).quantize(Decimal(1).scaleb(-places))
    if draw(st.booleans()):
        size = Decimal(hundredths) / 100
    return draw(st.sampled_from([Side.BUY, Side.SELL])), price, size, tick


@settings(max_examples=400, deadline=None)
@given(orders())
def test_immediate_size_is_the_stepping_search(order: tuple[Side, Decimal, Decimal, Decimal]):
    assert outcome(signing.immediate_size, *order) == outcome(stepping_size, *order)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 999),
    st.integers(1, 20_000),
)
def test_small_sizes_at_fine_ticks(side: Side, thousandths: int, hundredths: int) -> None:
    """Small orders at 0.001 ticks are where no size may qualify at all."""
    order = (side, Decimal(thousandths) / 1000, Decimal(hundredths) / 100, Decimal("0.001"))
    assert outcome(signing.immediate_size, *order) == outcome(stepping_size, *order)


def test_off_grid_orders_are_refused_as_before() -> None:
    for order in [
        (Side.BUY, Decimal("0.345"), Decimal("10"), STEP),
        (Side.SELL, Decimal("0.34"), Decimal("10.005"), STEP),
        (Side.BUY, Decimal("0.34"), Decimal("0"), STEP),
    ]:
        assert outcome(signing.immediate_size, *order) == "refused"
        assert outcome(stepping_size, *order) == "refused"
