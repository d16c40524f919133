"""Sizing's fast paths against brute force written here, on random books and sizes.

``_SizeRules.common`` asks each venue only about sizes it did not answer itself; the reference
steps down the 0.01 grid until both venues' own ``valid_size`` keep the size. ``size_for``'s
Kelly check keeps the size-free part of the loss probability between the sizes it tries; the
reference is the documented formula and the published fee rules, per level, written out.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st
from risk_helpers import VENUES, by_outcome, nba_game, state

from arbkit.models import Leg, Side, TimeInForce
from arbkit.scan.strategies import CrossVenue
from arbkit.trading.model import RiskLimits
from arbkit.trading.settlement import check_settlement
from arbkit.trading.sizing import _SizeRules, size_for

D = Decimal
CENT = D("0.01")
MATCH = nba_game(0.995)
HEAT = by_outcome(MATCH, "polymarket", "Heat")
ORLANDO = by_outcome(MATCH, "kalshi", "Orlando")


def ceil(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(ROUND_CEILING) * D(step)


def brute_common(legs, markets, size: Decimal) -> Decimal:
    """The largest size ≤ ``size`` on the 0.01 grid that both venues keep as a FOK buy."""
    candidate = (size / CENT).to_integral_value(rounding="ROUND_FLOOR") * CENT
    while candidate > 0:
        if all(
            VENUES[m.venue].valid_size(m, Side.BUY, leg.worst_price, candidate, TimeInForce.FOK)
            == candidate
            for leg, m in zip(legs, markets, strict=True)
        ):
            return candidate
        candidate -= CENT
    return D(0)


cents = st.integers(min_value=25, max_value=60)
levels = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=4000)),
    min_size=1,
    max_size=4,
)


def game_for(pm_price: int, k_price: int, pm_levels, k_levels):
    def asks(first: int, spec) -> list[tuple[str, str]]:
        price, out = first, []
        for gap, size in spec:
            price += gap if out else 0
            out.append((str(D(price) / 100), str(D(size) / 4)))
        return out

    return state(
        MATCH,
        {
            HEAT.contract_id: asks(pm_price, pm_levels),
            ORLANDO.contract_id: asks(k_price, k_levels),
        },
    )


@settings(max_examples=150, deadline=None)
@given(
    pm=cents,
    k=st.integers(min_value=30, max_value=70),
    a=levels,
    b=levels,
    cash=st.sampled_from(["20", "300", "5000"]),
)
def test_sized_plans_match_the_formula_and_the_fee_rules(pm, k, a, b, cash) -> None:
    game = game_for(pm, k, a, b)
    opportunities = [o for o in CrossVenue().evaluate(game) if HEAT.contract_id in o.key]
    if not opportunities:
        return
    (opportunity,) = opportunities
    check = check_settlement(opportunity, game, VENUES)
    bankroll = {"polymarket": D(cash), "kalshi": D(cash)}
    result = size_for(
        opportunity,
        game,
        RiskLimits(),
        cash=bankroll,
        room=D(100000),
        check=check,
        venues=VENUES,
    )
    event("sized" if result.reason is None else f"refused: {result.reason}")
    if result.reason is not None:
        return
    event("bound by Kelly" if "Kelly" in result.detail else "bound by a cap")
    size = result.size
    markets = [game.markets[leg.contract_id] for leg in opportunity.legs]
    assert brute_common(opportunity.legs, markets, size) == size
    # each leg walked through its asks by hand, fees by the published rules
    total = D(0)
    for leg, fill in zip(opportunity.legs, result.fills, strict=True):
        left, taken = size, []
        for price, available in game.books[leg.contract_id].asks:
            if left <= 0 or price > leg.worst_price:
                break
            take = min(left, available)
            taken.append((price, take))
            left -= take
        assert left == 0 and tuple(taken) == fill.fills
        if leg.venue == "polymarket":
            fee = sum((ceil(s * D("0.03") * p * (1 - p), "0.00001") for p, s in taken), D(0))
        else:
            fee = ceil(
                sum((ceil(D("0.07") * s * p * (1 - p), "0.0001") for p, s in taken), D(0)), "0.01"
            )
        assert fill.fee == fee
        total += sum((p * s for p, s in taken), D(0)) + fee
    assert result.cost == total
    c = total / size
    q = D(1) - D("0.995") + (D("0.002") if check.unknown else 0) + D("0.05") * D("0.02") / c
    f = (1 - q) - q / ((1 - c) / c)
    assert result.kelly == f
    if "Kelly" in result.detail:
        assert f > 0 and size * c <= D("0.25") * f * (bankroll["polymarket"] + bankroll["kalshi"])


@settings(max_examples=80, deadline=None)
@given(
    pm_price=st.integers(min_value=5, max_value=95),
    k_price=st.integers(min_value=5, max_value=95),
    hundredths=st.integers(min_value=1, max_value=300_000),
)
def test_common_fok_size_is_the_largest_both_venues_keep(pm_price, k_price, hundredths) -> None:
    game = game_for(pm_price, k_price, [(0, 1)], [(0, 1)])
    legs = [
        Leg(
            venue=contract.venue,
            market_id=contract.market_id,
            contract_id=contract.contract_id,
            outcome=contract.outcome,
            side=Side.BUY,
            price=D(price) / 100,
            size=D(1),
            fee=D(0),
            worst_price=D(price) / 100,
        )
        for contract, price in ((HEAT, pm_price), (ORLANDO, k_price))
    ]
    markets = [game.markets[leg.contract_id] for leg in legs]
    size = D(hundredths) / 100
    assert _SizeRules(VENUES, legs, markets).common(size) == brute_common(legs, markets, size)
