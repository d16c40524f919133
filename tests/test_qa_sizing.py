"""QA: sizing on awkward books refuses with the right reason, never raises.

A first level under one size increment cannot be bought, yet the Kelly search priced the top
of the book at it: a tiny level at 0.01 made a bet Kelly refuses look like f* = 0.78 at the
venue's minimum, and the refusal blamed the venues' minimums instead of Kelly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from attrs import evolve
from risk_helpers import VENUES, by_outcome, nba_game, state

from arbkit.scan.strategies import CrossVenue
from arbkit.trading.model import Reject, RiskLimits
from arbkit.trading.settlement import check_settlement
from arbkit.trading.sizing import SizeResult, size_for

D = Decimal


def _sized(
    heat_asks: list[tuple[str, str]],
    *,
    confidence: float = 0.99,
    cash: tuple[str, str] = ("1000", "1000"),
    min_size: str | None = None,
) -> SizeResult:
    match = nba_game(confidence)
    heat = by_outcome(match, "polymarket", "Heat")
    orl = by_outcome(match, "kalshi", "Orlando")
    quoted = state(match, {heat.contract_id: [("0.44", "100")], orl.contract_id: [("0.51", "100")]})
    (opportunity,) = [o for o in CrossVenue().evaluate(quoted) if heat.contract_id in o.key]
    game = state(match, {heat.contract_id: heat_asks, orl.contract_id: [("0.51", "100")]})
    if min_size is not None:
        market = game.markets[heat.contract_id]
        game.markets[heat.contract_id] = evolve(market, min_size=D(min_size))
    return size_for(
        opportunity,
        game,
        RiskLimits(),
        cash={"polymarket": D(cash[0]), "kalshi": D(cash[1])},
        room=D(100_000),
        check=check_settlement(opportunity, game, VENUES),
        venues=VENUES,
    )


@pytest.mark.parametrize("first", [("0.01", "0.005"), ("0.44", "0")])
def test_a_level_one_cannot_buy_does_not_change_kellys_answer(first: tuple[str, str]) -> None:
    plain = _sized([("0.44", "100")], confidence=0.93)
    assert plain.reason is Reject.TOO_SMALL and plain.detail.startswith("Kelly says no bet")
    awkward = _sized([first, ("0.44", "100")], confidence=0.93)
    assert (awkward.reason, awkward.detail, awkward.kelly) == (
        plain.reason,
        plain.detail,
        plain.kelly,
    )
    assert plain.kelly < 0


def test_cash_zero_on_one_venue_and_a_minimum_above_the_depth() -> None:
    no_cash = _sized([("0.44", "100")], cash=("1000", "0"))
    assert no_cash.reason is Reject.NO_CASH and "cash on kalshi" in no_cash.detail
    shallow = _sized([("0.44", "3")], min_size="5")
    assert shallow.reason is Reject.TOO_SMALL and "minimums polymarket 5" in shallow.detail
    at_the_limit = _sized([("0.44", "100"), ("0.45", "100")])
    assert at_the_limit.reason is None and at_the_limit.size == 100  # 0.44 is the limit: taken
