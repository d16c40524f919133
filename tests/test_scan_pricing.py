"""Cross-venue and complete-set pricing on hand-built books, checked against the fee formulas."""

from __future__ import annotations

from decimal import Decimal

from scan_helpers import book, game

from arbkit.models import Relation
from arbkit.scan.strategies import CompleteSet, CrossVenue
from arbkit.strategy import GameState, StrategySettings

D = Decimal


def state_with(match, *books) -> GameState:
    state = GameState.for_match(match)
    for b in books:
        state.books[b.contract_id] = b
    return state


def test_cross_venue_sizes_both_legs_equally_and_counts_both_fees_in_cash():
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.40", "100"), ("0.55", "500")]),
        book("kalshi", "K-MIA:no", [("0.50", "100"), ("0.58", "500")]),
    )
    [opp] = CrossVenue().evaluate(state)
    pm_leg, k_leg = opp.legs
    # CLOB V2: 100 Polymarket shares at 0.40 deliver all 100 and pay 100 × 0.05 × 0.40 × 0.60 =
    # $1.20 in pUSD on top. The next levels cost 0.55 + 0.012375 + 0.5175 > $1 a pair.
    assert opp.size == D("100")
    assert (pm_leg.contract_id, pm_leg.size, pm_leg.fee) == ("tok-heat", D("100"), D("1.20000"))
    # Kalshi: 100 contracts at 0.50, fee 0.07 × 100 × 0.25 = $1.75 exactly.
    assert (k_leg.contract_id, k_leg.size, k_leg.fee) == ("K-MIA:no", D("100"), D("1.75"))
    assert opp.cost == D("40.00") + D("1.20") + D("50.00") + D("1.75")
    assert opp.payout == D("100")
    assert opp.expected_profit == D("7.05")
    assert opp.net_edge == D("0.0705")
    assert opp.gross_edge == D("0.10")


def test_fees_eat_a_small_gross_gap():
    # 0.48 + 0.50 = 0.98 gross; fees 0.05 × 0.48 × 0.52 + 0.07 × 0.25 = 0.02998 a pair eat it.
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.48", "1000")]),
        book("kalshi", "K-MIA:no", [("0.50", "1000")]),
    )
    assert CrossVenue().evaluate(state) == []


def test_opposite_link_pairs_the_token_with_the_yes_side():
    # Bulls token ≡ NOT Miami, so Bulls + Miami YES pay exactly $1.
    state = state_with(
        game(relation=Relation.OPPOSITE),
        book("polymarket", "tok-bulls", [("0.40", "50")]),
        book("kalshi", "K-MIA:yes", [("0.50", "50")]),
    )
    [opp] = CrossVenue().evaluate(state)
    assert {leg.contract_id for leg in opp.legs} == {"tok-bulls", "K-MIA:yes"}


def test_tie_leagues_only_use_a_claim_and_its_own_negation():
    # In the NFL "Heat wins" + "Miami YES" ... (same side) is not a complement; Bulls + Miami YES
    # pays nothing on a tie, so only Heat + Miami NO may be used.
    books = (
        book("polymarket", "tok-bulls", [("0.30", "50")]),
        book("kalshi", "K-MIA:yes", [("0.30", "50")]),
        book("polymarket", "tok-heat", [("0.60", "50")]),
        book("kalshi", "K-MIA:no", [("0.60", "50")]),
    )
    nba = CrossVenue().evaluate(state_with(game(league="NBA"), *books))
    nfl = CrossVenue().evaluate(state_with(game(league="NFL"), *books))
    assert [{leg.contract_id for leg in o.legs} for o in nba] == [{"tok-bulls", "K-MIA:yes"}]
    assert nfl == []


def test_a_book_in_doubt_is_never_used():
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.30", "100")]),
        book("kalshi", "K-MIA:no", [("0.30", "100")]),
    )
    state.suspect.add("K-MIA:no")
    assert CrossVenue().evaluate(state) == []


def test_minimum_order_size_and_min_edge_are_respected():
    books = (
        book("polymarket", "tok-heat", [("0.30", "3")]),
        book("kalshi", "K-MIA:no", [("0.30", "100")]),
    )
    assert CrossVenue().evaluate(state_with(game(pm_min_size="5"), *books)) == []
    assert (
        CrossVenue(StrategySettings(min_edge=D("0.5"))).evaluate(state_with(game(), *books)) == []
    )
    assert len(CrossVenue().evaluate(state_with(game(), *books))) == 1


def test_a_gap_a_hair_above_the_fees_is_sized_and_priced_exactly():
    # 0.47 + 0.50: fees 0.012455 + 0.0175 leave $0.000045 a pair under V2 (in shares it was a loss).
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.47", "1000")]),
        book("kalshi", "K-MIA:no", [("0.50", "1000")]),
    )
    [opp] = CrossVenue().evaluate(state)
    assert opp.size == D("1000")
    assert opp.cost == D("470") + D("12.455") + D("500") + D("17.50")
    assert opp.expected_profit == D("0.045")


def test_max_size_caps_the_opportunity():
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.30", "1000")]),
        book("kalshi", "K-MIA:no", [("0.30", "1000")]),
    )
    [opp] = CrossVenue(StrategySettings(max_size=D("25"))).evaluate(state)
    assert opp.size == D("25")


def test_complete_set_buys_both_polymarket_tokens():
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.45", "200")]),
        book("polymarket", "tok-bulls", [("0.45", "200")]),
        book("kalshi", "K-MIA:yes", [("0.10", "200")]),
        book("kalshi", "K-MIA:no", [("0.10", "200")]),
    )
    [opp] = CompleteSet().evaluate(state)
    assert {leg.contract_id for leg in opp.legs} == {"tok-heat", "tok-bulls"}
    # each token costs 0.45 + 0.05 × 0.45 × 0.55 = 0.462375 a share, fee in cash: all 200 held
    assert opp.size == D("200")
    assert [leg.fee for leg in opp.legs] == [D("2.475"), D("2.475")]
    assert opp.cost == 2 * (D("90") + D("2.475"))
    assert opp.expected_profit == opp.payout - opp.cost > 0


def test_profitable_depth_walks_both_ladders_to_the_marginal_break_even():
    from arbkit.fees import NoFees
    from arbkit.scan.walk import profitable_depth

    a = [(D("0.40"), D("10")), (D("0.45"), D("10"))]
    b = [(D("0.50"), D("15")), (D("0.56"), D("10"))]
    # 10 @ 0.40+0.50, then 5 @ 0.45+0.50; 0.45 + 0.56 >= 1 stops it
    assert profitable_depth(a, NoFees(), b, NoFees()) == D("15")
    assert profitable_depth(a, NoFees(), [(D("0.60"), D("5"))], NoFees()) == D("0")
    # a ladder that runs out ends the walk
    assert profitable_depth(a, NoFees(), [(D("0.10"), D("100"))], NoFees()) == D("20")
    assert profitable_depth([], NoFees(), b, NoFees()) == D("0")


def test_complete_set_in_a_tie_league_needs_yes_and_no_outcomes():
    books = (
        book("polymarket", "tok-heat", [("0.45", "200")]),
        book("polymarket", "tok-bulls", [("0.45", "200")]),
    )
    # Heat + Bulls pays nothing if the game ends level: never a set in the NFL or soccer.
    assert CompleteSet().evaluate(state_with(game(league="NFL"), *books)) == []
    assert len(CompleteSet().evaluate(state_with(game(league="NBA"), *books))) == 1


def test_an_impossible_price_that_slipped_past_a_parser_is_never_reported(caplog):
    # A Kalshi NO bid of 1.5 would be a YES ask of -0.5: "profit" that does not exist.
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.40", "100")]),
        book("kalshi", "K-MIA:no", [("-0.5", "100")]),
    )
    assert CrossVenue().evaluate(state) == []
    assert "impossible opportunity" in caplog.text
    state = state_with(
        game(),
        book("polymarket", "tok-heat", [("0.40", "100")]),
        book("kalshi", "K-MIA:no", [("0.30", "100")]),
    )
    assert len(CrossVenue().evaluate(state)) == 1
