"""Sizing: depth, cash per venue, exposure room, fractional Kelly, one FOK size on both venues.

Every expected figure is recomputed here from the published fee formulas (Polymarket
``C × rate × p(1−p)`` rounded up to $0.00001, Kalshi ``0.07 × C × P(1−P)`` rounded up to the
cent) and the Kelly formula written out in the test, never read back from the code under test.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import pytest
from risk_helpers import VENUES, by_outcome, nba_game, state

from arbkit.models import Side, TimeInForce
from arbkit.scan.strategies import CrossVenue
from arbkit.trading.model import Reject, RiskLimits
from arbkit.trading.settlement import check_settlement
from arbkit.trading.sizing import size_for

D = Decimal
PM_PRICE, K_PRICE = D("0.44"), D("0.51")


def ceil(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(ROUND_CEILING) * D(step)


def pair_cost(size: Decimal) -> Decimal:
    """Dollars for ``size`` Heat tokens at 0.44 plus ``size`` Orlando YES at 0.51, fees included."""
    pm_fee = ceil(size * D("0.03") * PM_PRICE * (1 - PM_PRICE), "0.00001")
    k_fee = ceil(D("0.07") * size * K_PRICE * (1 - K_PRICE), "0.01")
    return size * (PM_PRICE + K_PRICE) + pm_fee + k_fee


def estimated_cost(size: Decimal) -> Decimal:
    """The search's estimate: marginal fees (unrounded) plus the venues' largest rounding."""
    marginal = PM_PRICE * (1 + D("0.03") * (1 - PM_PRICE)) + K_PRICE * (
        1 + D("0.07") * (1 - K_PRICE)
    )
    return size * marginal + D("0.01") + D("0.0001") + D("0.00001")


def kelly_allows(
    size: Decimal,
    bankroll: Decimal,
    confidence: Decimal = D("0.99"),  # noqa: B008
    *,
    estimate: bool = False,
) -> bool:
    """The documented formula, written out: does ``size`` fit its own fractional-Kelly stake
    (priced as the walk prices it, or as the search estimates it)?"""
    c = (estimated_cost(size) if estimate else pair_cost(size)) / size
    w = 1 - c
    q = (1 - confidence) + D("0.002") + D("0.05") * D("0.02") / c  # void unknown on Kalshi
    f = (1 - q) - q / (w / c)
    return f > 0 and size * c <= D("0.25") * f * bankroll


def single_level(depth: str = "5000", confidence: float = 0.99):
    match = nba_game(confidence)
    heat = by_outcome(match, "polymarket", "Heat")
    orl = by_outcome(match, "kalshi", "Orlando")
    game = state(match, {heat.contract_id: [("0.44", depth)], orl.contract_id: [("0.51", depth)]})
    (opportunity,) = [o for o in CrossVenue().evaluate(game) if heat.contract_id in o.key]
    return opportunity, game, check_settlement(opportunity, game, VENUES)


def sized(opportunity, game, check, *, cash=("1000", "1000"), room="100000", **kwargs):
    return size_for(
        opportunity,
        game,
        RiskLimits(),
        cash={"polymarket": D(cash[0]), "kalshi": D(cash[1])},
        room=D(room),
        check=check,
        venues=VENUES,
        **kwargs,
    )


def test_worked_example_kelly_binds_at_the_largest_fok_size_that_fits() -> None:
    opportunity, game, check = single_level()
    assert opportunity.size == D(5000) and check.unknown == ("void",)
    result = sized(opportunity, game, check)
    assert result.reason is None, result.detail
    # Polymarket FOK at 0.44: 0.44 × size must have 2 decimals, so sizes step by 0.25.
    # Kalshi's cent rounding makes the stake jagged in the size: the search lands within a
    # contract of the largest size on that grid that fits its own Kelly stake.
    grid = [D(n) / 4 for n in range(1, 4 * 600)]
    best = max(s for s in grid if kelly_allows(s, D(2000)))
    assert kelly_allows(result.size, D(2000))
    assert best - 1 <= result.size <= best
    # The search prices sizes at the marginal costs plus the most the rounding adds (a cent
    # and $0.0001 on Kalshi, $0.00001 on Polymarket): the largest size whose estimate fits.
    estimated = max(s for s in grid if kelly_allows(s, D(2000), estimate=True))
    assert result.size == estimated == D("246.25") and best == D("246.5")
    assert result.cost == pair_cost(result.size)
    assert "Kelly" in result.detail
    # f* at that size, from the formula
    expected = result.size
    c = pair_cost(expected) / expected
    q = D("0.01") + D("0.002") + D("0.001") / c
    assert result.kelly == (1 - q) - q / ((1 - c) / c)


def test_the_size_is_valid_as_fok_on_both_venues() -> None:
    opportunity, game, check = single_level()
    result = sized(opportunity, game, check, cash=("333.33", "333.33"))
    assert result.reason is None
    for leg in opportunity.legs:
        market = game.markets[leg.contract_id]
        rules = VENUES[leg.venue]
        assert (
            rules.valid_size(market, Side.BUY, leg.worst_price, result.size, TimeInForce.FOK)
            == result.size
        )
    assert result.size % D("0.25") == 0


def test_fees_are_the_venues_at_the_sized_size() -> None:
    opportunity, game, check = single_level()
    result = sized(opportunity, game, check)
    pm, kalshi = result.fills
    size = result.size
    assert pm.fee == ceil(size * D("0.03") * D("0.44") * D("0.56"), "0.00001")
    assert kalshi.fee == ceil(D("0.07") * size * D("0.51") * D("0.49"), "0.01")
    assert pm.bought == kalshi.bought == size


def test_cash_on_one_venue_caps_that_leg_and_none_is_no_cash() -> None:
    opportunity, game, check = single_level()
    result = sized(opportunity, game, check, cash=("1000", "40"))
    assert result.reason is None
    kalshi_cost = result.fills[1].cost
    assert kalshi_cost <= D(40)
    # one more 0.25 step would not fit the $40 on Kalshi
    step_up = result.size + D("0.25")
    assert step_up * K_PRICE + ceil(D("0.07") * step_up * D("0.2499"), "0.01") > D(40)
    broke = sized(opportunity, game, check, cash=("1000", "0"))
    assert broke.reason is Reject.NO_CASH and broke.size == 0


def test_exposure_room_binds_with_the_reason_given() -> None:
    opportunity, game, check = single_level()
    result = sized(opportunity, game, check, room="50")
    assert result.reason is None and result.cost <= D(50)
    none = sized(opportunity, game, check, room="0", room_reason=Reject.EXPOSURE_LEAGUE)
    assert none.reason is Reject.EXPOSURE_LEAGUE
    venue = sized(opportunity, game, check, venue_room={"kalshi": D(0)})
    assert venue.reason is Reject.EXPOSURE_VENUE


def test_below_the_polymarket_minimum_is_too_small() -> None:
    # $20 of bankroll: the Kelly stake buys about 2.5 pairs, under Polymarket's 5-share minimum.
    opportunity, game, check = single_level()
    result = sized(opportunity, game, check, cash=("10", "10"))
    assert result.reason is Reject.TOO_SMALL and result.size == 0
    assert "polymarket 5" in result.detail


def test_kelly_refuses_when_the_match_risk_outweighs_the_edge() -> None:
    # 5 % chance the match is wrong against a 2.5 ¢ edge on a 97.5 ¢ stake: no bet at any size.
    opportunity, game, check = single_level(confidence=0.95)
    assert not kelly_allows(D(1), D(2000), D("0.95"))
    result = sized(opportunity, game, check)
    assert result.reason is Reject.TOO_SMALL
    assert "Kelly says no bet" in result.detail and result.kelly < 0


@pytest.mark.parametrize("unknown", [True, False])
def test_an_unknown_outcome_costs_the_void_probability(unknown: bool) -> None:
    opportunity, game, check = single_level()
    if not unknown:
        check = type(check)(payouts={}, pays_in_every_outcome=True, unknown=(), detail="")
    result = sized(opportunity, game, check)
    size = result.size
    c = pair_cost(size) / size
    q = D("0.01") + (D("0.002") if unknown else 0) + D("0.001") / c
    assert result.kelly == (1 - q) - q / ((1 - c) / c)


def test_a_deep_opportunity_is_sized_on_the_edge_of_the_size_bought() -> None:
    # The full depth averages a thin edge Kelly refuses; the top of the books does not.
    match = nba_game()
    heat = by_outcome(match, "polymarket", "Heat")
    orl = by_outcome(match, "kalshi", "Orlando")
    game = state(
        match,
        {
            heat.contract_id: [("0.44", "300"), ("0.46", "3000")],
            orl.contract_id: [("0.51", "3300")],
        },
    )
    (opportunity,) = [o for o in CrossVenue().evaluate(game) if heat.contract_id in o.key]
    average = opportunity.net_edge
    assert average < D("0.014")  # thin on average over the whole depth
    result = sized(opportunity, game, check_settlement(opportunity, game, VENUES))
    assert result.reason is None and 0 < result.size <= opportunity.size
    assert kelly_allows(result.size, D(2000))  # every contract at the top-of-book prices


def test_a_kelly_size_deep_inside_the_first_levels_is_found() -> None:
    """The stake grows with the size (Kalshi's cent weighs less on more contracts): stepping
    down to the size the last stake buys crept onto the answer a fraction of a contract a
    round and ran out of rounds (this used to be refused); the search now follows the stake's
    line through the sizes that failed and lands on it."""
    match = nba_game(0.995)
    heat = by_outcome(match, "polymarket", "Heat")
    orl = by_outcome(match, "kalshi", "Orlando")
    game = state(
        match,
        {
            heat.contract_id: [("0.29", "2259")],
            orl.contract_id: [("0.68", "14143"), ("0.69", "4901")],
        },
    )
    (opportunity,) = [o for o in CrossVenue().evaluate(game) if heat.contract_id in o.key]
    check = check_settlement(opportunity, game, VENUES)
    result = sized(opportunity, game, check, cash=("5000", "5000"))
    assert result.reason is None, result.detail

    def fits(size: Decimal, *, estimate: bool) -> bool:
        pm, k = D("0.29"), D("0.68")
        if estimate:  # marginal fees, plus the most the venues' rounding adds
            total = size * (pm + D("0.03") * pm * (1 - pm) + k + D("0.07") * k * (1 - k))
            total += D("0.01") + D("0.0001") + D("0.00001")
        else:
            total = size * (pm + k) + ceil(size * D("0.03") * pm * (1 - pm), "0.00001")
            total += ceil(D("0.07") * size * k * (1 - k), "0.01")
        c = total / size
        q = D("0.005") + D("0.002") + D("0.05") * D("0.02") / c
        f = (1 - q) - q / ((1 - c) / c)
        return f > 0 and total <= D("0.25") * f * D(10_000)

    # Polymarket FOK at 0.29: 0.29 × size must have 2 decimals, so whole contracts
    estimated = max(s for s in (D(n) for n in range(5, 2260)) if fits(s, estimate=True))
    assert result.size == estimated == D(152)
    assert fits(result.size, estimate=False)
    assert "bound by Kelly" in result.detail


def test_a_kelly_size_deep_in_the_books_is_the_largest_that_fits() -> None:
    """Deeper in the books the stake shrinks as the size grows: a size that fails allows a
    stake below sizes that still fit. The search used to take that stake as a ceiling and
    stopped at the first level (39 contracts) when 238 fit; every figure here is by hand."""
    match = nba_game(0.995)
    heat = by_outcome(match, "polymarket", "Heat")
    orl = by_outcome(match, "kalshi", "Orlando")
    pm_book = [("0.53", "39"), ("0.56", "66"), ("0.57", "842")]
    k_book = [("0.40", "1362")]
    game = state(match, {heat.contract_id: pm_book, orl.contract_id: k_book})
    (opportunity,) = [o for o in CrossVenue().evaluate(game) if heat.contract_id in o.key]
    assert opportunity.size == 947  # 39 + 66 + 842: the marginal pair still pays at 0.57
    result = sized(opportunity, game, check_settlement(opportunity, game, VENUES))
    assert result.reason is None, result.detail

    def walked(book, size: Decimal) -> list[tuple[Decimal, Decimal]]:
        left, taken = size, []
        for price, available in book:
            take = min(left, D(available))
            if take > 0:
                taken.append((D(price), take))
                left -= take
        return taken

    def total(size: Decimal, *, estimate: bool) -> Decimal:
        pm, k = walked(pm_book, size), walked(k_book, size)
        notional = sum((p * s for p, s in pm + k), D(0))
        if estimate:  # marginal fees, plus the most the venues' rounding adds
            fees = sum((D("0.03") * s * p * (1 - p) for p, s in pm), D(0))
            fees += sum((D("0.07") * s * p * (1 - p) for p, s in k), D(0))
            fees += D("0.00001") * len(pm) + D("0.01") + D("0.0001") * len(k)
        else:
            fees = sum((ceil(D("0.03") * s * p * (1 - p), "0.00001") for p, s in pm), D(0))
            fees += ceil(
                sum((ceil(D("0.07") * s * p * (1 - p), "0.0001") for p, s in k), D(0)), "0.01"
            )
        return notional + fees

    def fits(size: Decimal, *, estimate: bool) -> bool:
        cost = total(size, estimate=estimate)
        c = cost / size
        q = D("0.005") + D("0.002") + D("0.05") * D("0.02") / c
        f = (1 - q) - q / ((1 - c) / c)
        return f > 0 and cost <= D("0.25") * f * D(2000)

    # Polymarket FOK at 0.57 (the leg's limit): 0.57 × size must have 2 decimals: whole contracts
    best = max(s for s in (D(n) for n in range(5, 948)) if fits(s, estimate=True))
    assert best == 238
    assert best * D("0.995") - 1 <= result.size <= best
    assert fits(result.size, estimate=False)
    assert "bound by Kelly" in result.detail
