"""The settlement check: what one contract of each leg pays together, per way the game ends.

Expected payouts below are read off the venues' rules by hand (venue-notes §00): a Polymarket
two-team token pays 0.5 on a tie and on a void, a Kalshi "X wins" YES pays 0 on a tie (its NO
pays 1), a Kalshi void settles "at a fair price" (unknown).
"""

from __future__ import annotations

from decimal import Decimal

import attrs
from risk_helpers import VENUES, by_outcome, nba_game, nfl_game, pair, soccer_game, state

from arbkit.models import Relation
from arbkit.scan.strategies import CompleteSet, CrossVenue
from arbkit.trading.settlement import check_settlement

D = Decimal


def check(match, *outcomes):
    contracts = [by_outcome(match, venue, outcome) for venue, outcome in outcomes]
    return check_settlement(pair(match, *contracts), state(match, {}), VENUES)


def test_nba_token_and_the_other_teams_yes_pay_one_whoever_wins() -> None:
    result = check(nba_game(), ("polymarket", "Heat"), ("kalshi", "Orlando"))
    assert result.pays_in_every_outcome
    assert dict(result.payouts) == {"wins": D(1), "loses": D(1), "void": None}
    assert "level" not in result.payouts  # basketball cannot end level
    assert result.unknown == ("void",)


def test_nba_same_team_on_both_venues_is_a_mismatch() -> None:
    result = check(nba_game(), ("polymarket", "Heat"), ("kalshi", "Miami"))
    assert not result.pays_in_every_outcome
    assert result.payouts["wins"] == D(2) and result.payouts["loses"] == D(0)
    assert "Heat loses: pays 0" in result.detail


def test_nfl_team_and_its_kalshi_no_cover_the_tie() -> None:
    # Lions (PM) pays 0.5 on a tie, "not Detroit" (Kalshi NO) pays 1: 1.5 >= 1.
    result = check(nfl_game(), ("polymarket", "Lions"), ("kalshi", "not Detroit"))
    assert result.pays_in_every_outcome
    assert dict(result.payouts) == {
        "wins": D(1),
        "loses": D(1),
        "level": D("1.5"),
        "void": None,
    }
    assert "level: pays 1.5 (polymarket 'Lions' pays 0.5, kalshi 'not Detroit' pays 1)" in (
        result.detail
    )


def test_nfl_other_team_and_kalshi_yes_lose_half_on_a_tie() -> None:
    # Packers (PM) 0.5 + "Detroit" YES 0 on a tie: a no-tie pair in a league that ties.
    result = check(nfl_game(), ("polymarket", "Packers"), ("kalshi", "Detroit"))
    assert not result.pays_in_every_outcome
    assert result.payouts["level"] == D("0.5")
    assert result.detail.startswith("pays less than $1 on level: pays 0.5")


def test_one_markets_two_outcomes_pay_one_in_every_outcome_void_included() -> None:
    nfl = check(nfl_game(), ("polymarket", "Lions"), ("polymarket", "Packers"))
    assert nfl.pays_in_every_outcome and nfl.unknown == ()
    assert set(nfl.payouts) == {"wins", "loses", "level", "void"}
    assert set(nfl.payouts.values()) == {D(1)}
    kalshi = check(nfl_game(), ("kalshi", "Detroit"), ("kalshi", "not Detroit"))
    assert kalshi.pays_in_every_outcome and kalshi.payouts["void"] == D(1)


def test_soccer_yes_and_the_kalshi_no_pay_one_on_a_draw() -> None:
    match = soccer_game()
    yes = next(c for m in match.markets if m.market_id.endswith("-ars") for c in m.contracts)
    no_ars = by_outcome(match, "kalshi", "not Arsenal")
    result = check_settlement(pair(match, yes, no_ars), state(match, {}), VENUES)
    assert yes.outcome == "Yes"
    assert result.pays_in_every_outcome
    assert dict(result.payouts) == {"wins": D(1), "loses": D(1), "level": D(1), "void": None}


def test_soccer_polymarket_no_and_kalshi_yes_are_mapped_through_the_no_token() -> None:
    # The "No" token carries no negated flag; its claim is "Arsenal does not win" all the same.
    match = soccer_game()
    no = next(
        c
        for m in match.markets
        if m.market_id.endswith("-ars")
        for c in m.contracts
        if c.outcome == "No"
    )
    ars = by_outcome(match, "kalshi", "Arsenal")
    result = check_settlement(pair(match, no, ars), state(match, {}), VENUES)
    assert result.pays_in_every_outcome
    assert result.payouts["level"] == D(1) and result.payouts["wins"] == D(1)


def test_soccer_two_teams_yes_leave_the_draw_uncovered_and_are_never_mapped() -> None:
    match = soccer_game()
    yes_ars = next(c for m in match.markets if m.market_id.endswith("-ars") for c in m.contracts)
    che = by_outcome(match, "kalshi", "Chelsea")
    result = check_settlement(pair(match, yes_ars, che), state(match, {}), VENUES)
    assert not result.pays_in_every_outcome
    assert result.payouts == {}
    assert "no link ties" in result.detail


def test_draw_market_legs_are_a_mismatch_but_their_own_pair_is_a_set() -> None:
    match = soccer_game()
    draw_yes = next(c for m in match.markets if m.market_id.endswith("-draw") for c in m.contracts)
    tie_no = by_outcome(match, "kalshi", "not Tie")
    cross = check_settlement(pair(match, draw_yes, tie_no), state(match, {}), VENUES)
    assert not cross.pays_in_every_outcome and "draw market" in cross.detail
    tie_yes = by_outcome(match, "kalshi", "Tie")
    own = check_settlement(pair(match, tie_yes, tie_no), state(match, {}), VENUES)
    assert own.pays_in_every_outcome


def test_contradicting_links_are_a_mismatch() -> None:
    match = nba_game()
    heat = by_outcome(match, "polymarket", "Heat")
    mia = by_outcome(match, "kalshi", "Miami")
    # A second link saying the Heat token is the OPPOSITE of Miami YES: one of them is wrong.
    bad = attrs.evolve(
        match, links=(*match.links, attrs.evolve(match.links[0], relation=Relation.OPPOSITE))
    )
    result = check_settlement(
        pair(bad, heat, by_outcome(bad, "kalshi", "Orlando")), state(bad, {}), VENUES
    )
    assert not result.pays_in_every_outcome and "disagree" in result.detail
    assert mia.contract_id in {link.right.contract_id for link in bad.links}


def test_a_venue_without_rules_is_a_mismatch() -> None:
    match = nba_game()
    opportunity = pair(
        match, by_outcome(match, "polymarket", "Heat"), by_outcome(match, "kalshi", "Orlando")
    )
    result = check_settlement(opportunity, state(match, {}), {"polymarket": VENUES["polymarket"]})
    assert not result.pays_in_every_outcome and "kalshi" in result.detail


def test_every_pair_the_strategies_build_is_checked_as_expected() -> None:
    """Strategy pairs on real-shaped games: every NBA pair pays, NFL's cross pairs cover ties."""
    for match in (nba_game(), nfl_game()):
        asks = {
            cid: [("0.45", "100")]
            for m in match.markets
            for cid in (c.contract_id for c in m.contracts)
        }
        game = state(match, asks)
        found = CrossVenue().evaluate(game) + CompleteSet().evaluate(game)
        assert found
        for opportunity in found:
            result = check_settlement(opportunity, game, VENUES)
            assert result.pays_in_every_outcome, (opportunity.key, result.detail)
            if match.can_end_level:
                assert result.payouts["level"] >= 1
