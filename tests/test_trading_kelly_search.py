"""The Kelly search: its ladder (one leg's depth and estimated cost) against a walk written here,
and where the search ends against a bisection of the sizes that fit."""

from __future__ import annotations

from bisect import bisect_left
from decimal import Decimal

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from risk_helpers import VENUES, by_outcome, kalshi_market, nba_game, pm_market, state

from arbkit.money import round_down
from arbkit.scan.strategies import CrossVenue
from arbkit.scan.walk import buy_through
from arbkit.trading.kelly_search import KellySearch, Ladder, fixed_risk, within_stake
from arbkit.trading.model import RiskLimits
from arbkit.trading.settlement import check_settlement
from arbkit.trading.sizing import size_for

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


@settings(max_examples=120, deadline=None)
@given(spec=levels, kalshi=st.booleans(), bound_share=st.integers(min_value=0, max_value=120))
def test_a_ladder_cut_at_a_bound_prices_every_size_under_it_as_the_whole_one(
    spec, kalshi: bool, bound_share: int
) -> None:
    """Sizing builds each ladder only as deep as the caps that do not depend on the books
    allow: every size up to that bound must cost and fill exactly as on the whole ladder, and
    its depth must be the whole depth or past the bound (so that it is no tighter a cap)."""
    market = KALSHI if kalshi else PM
    asks = sorted({D(price) / 100: D(hundredths) / 100 for price, hundredths in spec}.items())
    full = Ladder(market, asks, D(1))
    bound = full.depth * bound_share / 100
    cut = Ladder(market, asks, D(1), bound)
    assert cut.depth == full.depth or bound < cut.depth < full.depth
    assert (cut.first_take, cut.top_unit, cut.top_slack) == (
        full.first_take,
        full.top_unit,
        full.top_slack,
    )
    for share in (1, 25, 50, 99, 100):
        size = round_down(min(bound, full.depth) * share / 100, market.size_increment)
        if size <= 0:
            continue
        assert cut.fill(size) == full.fill(size)
        index = bisect_left(full.starts, size) - 1
        assert bisect_left(cut.starts, size) - 1 == index
        assert (cut.costs[index], cut.units[index], cut.slack[index]) == (
            full.costs[index],
            full.units[index],
            full.slack[index],
        )


def largest_fitting(search: KellySearch, capped: Decimal, step: Decimal) -> Decimal | None:
    """The largest size on the grid ≤ ``capped`` within its own estimated stake.

    On one level per leg a size ``s`` costs ``U + A/s`` per contract (``A``: the rounding
    allowance), so the stake grows with the size and ``stake(s) − s`` is concave: the sizes that
    fit are one interval. Its best point is found by a ternary search, its end by bisection."""

    def room(steps: int) -> Decimal:
        size = steps * step
        return search.estimate(size)[0] - size

    lo, hi = 1, int(capped / step)
    while hi - lo > 2:
        left, right = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if room(left) < room(right):
            lo = left
        else:
            hi = right
    best = max(range(lo, hi + 1), key=room)
    if not within_stake(best * step, search.estimate(best * step)):
        return None
    fits, fails = best, int(capped / step) + 1  # fits; past it nothing does
    while fails - fits > 1:
        mid = (fits + fails) // 2
        if within_stake(mid * step, search.estimate(mid * step)):
            fits = mid
        else:
            fails = mid
    return fits * step


@settings(max_examples=150, deadline=None)
# where the old search, stepping down to the size the last stake buys, ran out of rounds a
# fraction of a cent above the answer and bought nothing
@example(pm_cents=24, edge_tenths=30, bankroll=300, confidence=0.995)
@example(pm_cents=30, edge_tenths=30, bankroll=60_000, confidence=0.995)
# a stake steep in the size (a $50 bankroll): iterating the line's fixed point crept as well
@example(pm_cents=43, edge_tenths=41, bankroll=50, confidence=0.9860185108208163)
@given(
    pm_cents=st.integers(min_value=5, max_value=90),
    edge_tenths=st.integers(min_value=5, max_value=400),  # the pair's price under $1, 0.1 ¢
    bankroll=st.integers(min_value=50, max_value=200_000),
    confidence=st.floats(min_value=0.97, max_value=0.9999),
)
def test_the_search_finds_the_largest_size_its_stake_buys(
    pm_cents, edge_tenths, bankroll, confidence
) -> None:
    """Kelly inside the first level of deep books: fixed costs per order (Kalshi's cent) make
    the stake grow with the size, and the search still ends within its tolerance of the largest
    size that fits (it used to creep down on it a few steps a round, and could give up)."""
    pm_price = D(pm_cents) / 100
    k_price = (D(1000) - D(edge_tenths)) / 1000 - pm_price
    k_price = round_down(k_price, D("0.01"))
    if not D("0.05") <= k_price <= D("0.95"):
        return
    ladders = [
        Ladder(PM, ((pm_price, D(50_000)),), pm_price),
        Ladder(KALSHI, ((k_price, D(50_000)),), k_price),
    ]
    search = KellySearch(
        ladders,
        payout=D(1),
        risk=fixed_risk(confidence, D("0.002"), D("0.05"), D("0.02")),
        fraction=D("0.25"),
        bankroll=D(bankroll),
    )
    capped, step = D(20_000), D("0.01")
    expected = largest_fitting(search, capped, step)
    first = search.estimate(capped)
    search.record(capped, first)
    found = search.search(capped, step, capped, False, first)
    if expected is None:
        assert found == 0
        return
    assert found > 0 and within_stake(found, search.estimate(found))
    assert found >= expected * (1 - D("0.005")) - step, (found, expected)


book_levels = st.lists(
    st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=4, max_value=600)),
    min_size=1,
    max_size=3,
)


@settings(max_examples=60, deadline=None)
# where the old search stopped under the answer: a tiny book, and Kelly deep in the second level
@example(pm_cents=20, k_cents=30, pm_spec=[(1, 20)], k_spec=[(1, 20)], cash=50)
@example(
    pm_cents=53, k_cents=40, pm_spec=[(1, 156), (3, 264), (1, 600)], k_spec=[(1, 600)], cash=1000
)
@given(
    pm_cents=st.integers(min_value=20, max_value=60),
    k_cents=st.integers(min_value=30, max_value=75),
    pm_spec=book_levels,
    k_spec=book_levels,
    cash=st.sampled_from([50, 300, 1000, 5000]),
)
def test_on_deeper_books_the_search_ends_at_the_largest_size_that_fits(
    pm_cents, k_cents, pm_spec, k_spec, cash
) -> None:
    """Opportunities as the strategy reports them on books of a few levels, sized as the gate
    sizes them: where the search ends is checked against every size on the grid. Deeper in the
    books the stake shrinks with the size, and the search used to take a stake a failed size
    allowed as a ceiling (true only where the stake grows), stopping far under the answer."""
    match = nba_game(0.995)
    heat = by_outcome(match, "polymarket", "Heat")
    orl = by_outcome(match, "kalshi", "Orlando")

    def asks(cents: int, spec) -> list[tuple[str, str]]:
        out = []
        for gap, quarters in spec:
            cents += gap if out else 0
            out.append((str(D(cents) / 100), str(D(quarters) / 4)))
        return out

    game = state(
        match, {heat.contract_id: asks(pm_cents, pm_spec), orl.contract_id: asks(k_cents, k_spec)}
    )
    opportunities = [o for o in CrossVenue().evaluate(game) if heat.contract_id in o.key]
    if not opportunities:
        event("no opportunity")
        return
    (opportunity,) = opportunities
    searches = []
    search = KellySearch.search

    def spy(self, capped, step, *args):
        found = search(self, capped, step, *args)
        searches.append((self, capped, step, found))
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KellySearch, "search", spy)
        size_for(
            opportunity,
            game,
            RiskLimits(),
            cash={"polymarket": D(cash), "kalshi": D(cash)},
            room=D(100_000),
            check=check_settlement(opportunity, game, VENUES),
            venues=VENUES,
        )
    if not searches:
        event("no search")  # the capped size, or no size at all, was decided before it
        return
    ((kelly, capped, step, found),) = searches
    best = next(
        (
            size
            for size in (n * step for n in range(int(capped / step), 0, -1))
            if within_stake(size, kelly.estimate(size))
        ),
        None,
    )
    event("searched: nothing fits" if best is None else "searched")
    if best is None:
        assert found == 0
        return
    assert found > 0 and within_stake(found, kelly.estimate(found))
    assert found >= best * (1 - D("0.005")) - step, (found, best)
