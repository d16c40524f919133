"""League facts (ties, draws, home-first order) live in the league data and travel on matches."""

from __future__ import annotations

import json

import attrs
import pytest
from scan_helpers import book, game
from test_matching_adversarial import kalshi, poly
from test_scan_pricing import state_with

from arbkit import ConfigError, LeagueData, MatchingService
from arbkit.matching.teams import builtin_league_dir, builtin_leagues
from arbkit.scan.strategies import CompleteSet, CrossVenue, can_end_level

FACTS = ("can_tie", "has_draw", "home_first")


def test_every_shipped_league_file_states_its_facts() -> None:
    for path in sorted(builtin_league_dir().glob("*.json")):
        data = json.loads(path.read_text())
        missing = [key for key in FACTS if not isinstance(data.get(key), bool)]
        assert not missing, f"{path.name} lacks {missing}"
    facts = {lg.league: (lg.can_tie, lg.has_draw, lg.home_first) for lg in builtin_leagues()}
    assert facts["NFL"] == (True, False, False)  # ties, but no draw market
    assert facts["EPL"] == (True, True, True)
    assert facts["NBA"] == (False, False, False)


def test_a_fact_that_is_not_a_boolean_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="can_tie"):
        LeagueData.from_dict(
            {"league": "TOYL", "sport": "hockey", "can_tie": "yes", "teams": []}, source="toy.json"
        )


def test_strategies_read_the_fact_on_the_match_not_a_league_list() -> None:
    books = [
        book("polymarket", "tok-bulls", [("0.40", "100")]),
        book("kalshi", "K-MIA:yes", [("0.50", "100")]),
    ]
    nba = game(league="NBA")
    assert CrossVenue().evaluate(state_with(nba, *books))  # Bulls + Miami YES: a complement
    level = attrs.evolve(nba, can_end_level=True)  # a plugin's NBA-like league that can tie
    assert CrossVenue().evaluate(state_with(level, *books)) == []
    assert can_end_level(attrs.evolve(nba, can_end_level=None))  # unknown: assume it can
    set_books = [
        book("polymarket", "tok-heat", [("0.40", "100")]),
        book("polymarket", "tok-bulls", [("0.40", "100")]),
    ]
    assert CompleteSet().evaluate(state_with(nba, *set_books))
    assert CompleteSet().evaluate(state_with(level, *set_books)) == []


def _nfl_and_nba(service: MatchingService) -> dict[str, bool | None]:
    markets = [
        poly("nfl-det-buf-2026-09-17", ("Lions", "Bills"), "NFL"),
        kalshi("KXNFLGAME-26SEP17DETBUF-DET", "Detroit", "NFL", "Detroit", "Buffalo"),
        kalshi("KXNFLGAME-26SEP17DETBUF-BUF", "Buffalo", "NFL", "Detroit", "Buffalo"),
        poly("nba-mia-chi-2026-01-08", ("Heat", "Bulls"), "NBA"),
        kalshi("KXNBAGAME-26JAN08MIACHI-MIA", "Miami", "NBA", "Miami", "Chicago"),
        kalshi("KXNBAGAME-26JAN08MIACHI-CHI", "Chicago", "NBA", "Miami", "Chicago"),
    ]
    return {m.league: m.can_end_level for m in service.match(markets).matches}  # type: ignore[misc]


def test_matches_carry_the_league_datas_tie_fact() -> None:
    assert _nfl_and_nba(MatchingService(builtin_leagues())) == {"NFL": True, "NBA": False}
    # A plugin's data for a league brings its own fact: here an NBA that could end level.
    extra = attrs.evolve(
        next(lg for lg in builtin_leagues() if lg.league == "NBA"), teams=(), can_tie=True
    )
    service = MatchingService([*builtin_leagues(), extra])
    assert _nfl_and_nba(service)["NBA"] is True


def test_the_venue_parsers_take_home_first_from_the_league_data() -> None:
    """No parser keeps its own league list: the league files' home_first is the one source."""
    from arbkit_kalshi import parse as kalshi_parse
    from arbkit_polymarket import parse as poly_parse

    from arbkit import lists_home_first

    assert not hasattr(kalshi_parse, "HOME_FIRST") and not hasattr(poly_parse, "HOME_FIRST")
    for league in builtin_leagues():
        assert lists_home_first(league.league) is league.home_first, league.league
    assert lists_home_first("LALIGA") and lists_home_first("ucl")  # facts without teams
    assert not lists_home_first("NBA") and not lists_home_first(None)
    assert not lists_home_first("CRICKET")  # unknown: the US away-first convention
    # and the parsers act on it: a soccer title is read home first, an NBA one away first
    assert kalshi_parse.game_info("PSG vs Chelsea", None, "UCL").home == "PSG"
    assert kalshi_parse.game_info("Boston at New York", None, "NBA").home == "New York"


def test_settlement_risk_follows_the_tie_fact_not_a_league_name() -> None:
    from arbkit.matching import SettlementRiskScorer

    service = MatchingService(builtin_leagues(), [SettlementRiskScorer()])
    markets = [
        poly("nfl-det-buf-2026-09-17", ("Lions", "Bills"), "NFL"),
        kalshi("KXNFLGAME-26SEP17DETBUF-DET", "Detroit", "NFL", "Detroit", "Buffalo"),
        poly("nba-mia-chi-2026-01-08", ("Heat", "Bulls"), "NBA"),
        kalshi("KXNBAGAME-26JAN08MIACHI-MIA", "Miami", "NBA", "Miami", "Chicago"),
    ]
    capped = {
        m.league: {link.confidence for link in m.links} for m in service.match(markets).matches
    }
    assert capped["NFL"] == {0.95}  # NFL ties: capped
    assert min(capped["NBA"]) > 0.95  # no ties: not capped
    tying_nba = attrs.evolve(
        next(lg for lg in builtin_leagues() if lg.league == "NBA"), teams=(), can_tie=True
    )
    service = MatchingService([*builtin_leagues(), tying_nba], [SettlementRiskScorer()])
    nba = [m for m in service.match(markets).matches if m.league == "NBA"]
    assert {link.confidence for m in nba for link in m.links} == {0.95}
