"""Team data loading, lookups, identifier parsers and plugin scorers."""

from __future__ import annotations

from datetime import date

import pytest
from matching_devset import markets

from arbkit import hookimpl
from arbkit.errors import ConfigError, PluginError
from arbkit.matching import (
    LeagueData,
    MatchingService,
    TeamBook,
    Verdict,
    builtin_leagues,
    parse_kalshi_ticker,
    parse_polymarket_slug,
)


@pytest.fixture(scope="module")
def book() -> TeamBook:
    return TeamBook(builtin_leagues())


def test_builtin_pro_leagues_carry_the_venue_code_differences(book: TeamBook) -> None:
    assert {"NBA", "WNBA", "NFL", "MLB", "NHL", "MLS", "EPL"} <= set(book.leagues)
    assert book.by_code("JAC", "NFL", "kalshi") is book.by_code("jax", "NFL", "polymarket")
    assert book.by_code("LA", "NHL", "kalshi") is book.by_code("lak", "NHL", "polymarket")
    assert book.by_code("CGY", "NHL", "kalshi") is book.by_code("cal", "NHL", "polymarket")
    assert book.by_code("MTL", "NHL", "kalshi") is book.by_code("mon", "NHL", "polymarket")
    assert book.by_code("ATH", "MLB", "kalshi") is book.by_code("oak", "MLB", "polymarket")
    assert book.by_code("LAC", "NBA").name == "Los Angeles Clippers"
    assert book.by_code("LAC", "NFL").name == "Los Angeles Chargers"


@pytest.mark.parametrize(
    ("text", "league", "expected"),
    [
        ("Los Angeles C", "NBA", "Los Angeles Clippers"),
        ("Los Angeles", "NBA", None),  # shared city: ambiguous, never a guess
        ("NYR Rangers", "NHL", "New York Rangers"),
        ("Rangers", "MLB", "Texas Rangers"),
        ("Utah Hockey Club", "NHL", "Utah Mammoth"),
        ("Arizona Coyotes", "NHL", "Utah Mammoth"),
        ("Oakland Athletics", "MLB", "Athletics"),
        ("A's", "MLB", "Athletics"),
        ("Trailblazers", "NBA", "Portland Trail Blazers"),
        ("Dodgers", "NBA", None),
        ("Panthers", "NFL", "Carolina Panthers"),
        ("Panthers", "NHL", "Florida Panthers"),
    ],
)
def test_lookup_stays_inside_the_league(book: TeamBook, text: str, league: str, expected) -> None:
    hit = book.lookup(text, league)
    assert (hit.team.name if hit.team else None) == expected
    assert hit.how


def test_ticker_and_slug_parsers() -> None:
    ticker = parse_kalshi_ticker("KXMLBGAME-26MAR301835TEXBAL-TEX")
    assert ticker is not None and ticker.game_date == date(2026, 3, 30)
    assert ticker.teams == "TEXBAL" and ticker.suffix == "TEX"
    assert ticker.start_time.isoformat() == "2026-03-30T22:35:00+00:00"
    slug = parse_polymarket_slug("nba-mia-chi-2026-01-08-spread-home-3pt5")
    assert slug is not None and slug.codes == ("mia", "chi") and str(slug.line) == "3.5"
    assert slug.market_type == "spread"
    assert parse_kalshi_ticker("not a ticker") is None
    assert parse_polymarket_slug("will-it-rain") is None


def test_loader_refuses_a_duplicate_code() -> None:
    team = {"id": "x-a", "name": "A", "codes": {"kalshi": ["AAA"]}}
    with pytest.raises(ConfigError, match="AAA"):
        LeagueData.from_dict(
            {"league": "X", "sport": "hockey", "teams": [team, {**team, "id": "x-b", "name": "B"}]}
        )


class _VetoLakers:
    name = "veto-lakers"

    def score(self, candidate):
        if "nhl" in candidate.left_market.market_id:
            return Verdict(reason="no hockey today", veto=True)
        return (
            Verdict(reason="fine", confidence=0.5)
            if "mlb" in candidate.left_market.market_id
            else None
        )


def test_plugin_scorer_can_veto_and_lower_but_not_raise(pm) -> None:
    class Plugin:
        @hookimpl
        def register_matchers(self, register):
            register(_VetoLakers())

    pm.register(Plugin(), name="veto")
    report = MatchingService.from_plugins(pm, min_confidence=0.4).match(markets())
    assert not any("nhl" in link.left.market_id for link in report.links)
    mlb = [link for link in report.links if "mlb" in link.left.market_id]
    assert mlb and all(link.confidence == 0.5 for link in mlb)
    assert any("no hockey today" in " ".join(m.reasons) for m in report.near_misses)


def test_plugin_registering_junk_is_a_plugin_error(pm) -> None:
    class Plugin:
        @hookimpl
        def register_matchers(self, register):
            register("not a league")

    pm.register(Plugin(), name="junk")
    with pytest.raises(PluginError):
        MatchingService.from_plugins(pm)
