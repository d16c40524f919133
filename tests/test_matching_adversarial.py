"""Adversarial inputs for the matcher: each test is a false match or a wrong side it once produced.

Markets are built the way the venue parsers build them (see ``matching_devset.py``): a Polymarket
token per outcome, a Kalshi market as a YES/NO pair whose subject is ``yes_sub_title``.
"""

from __future__ import annotations

from datetime import date

import pytest

from arbkit import Contract, Market, MarketType, parse_timestamp
from arbkit.matching import MatchingService, MatchReport, TeamBook, builtin_leagues
from arbkit.plugins import make_plugin_manager


@pytest.fixture(scope="module")
def service() -> MatchingService:
    return MatchingService.from_plugins(make_plugin_manager(load_entrypoints=False))


@pytest.fixture(scope="module")
def book() -> TeamBook:
    return TeamBook(builtin_leagues())


def poly(
    slug: str,
    outcomes: tuple[str, str],
    league: str | None,
    *,
    start: str | None = None,
    day: str | None = None,
    away: str | None = None,
    home: str | None = None,
) -> Market:
    tokens = [f"pm:{slug}:{o}" for o in outcomes]
    return Market(
        venue="polymarket",
        market_id=slug,
        event_id=slug,
        title=f"{outcomes[0]} vs. {outcomes[1]}",
        market_type=MarketType.MONEYLINE,
        league=league,
        start_time=parse_timestamp(start) if start else None,
        game_date=date.fromisoformat(day) if day else None,
        away=away or outcomes[0],
        home=home or outcomes[1],
        contracts=tuple(
            Contract(
                venue="polymarket",
                contract_id=token,
                market_id=slug,
                outcome=outcome,
                subject=outcome,
                complement_id=tokens[1 - i],
            )
            for i, (token, outcome) in enumerate(zip(tokens, outcomes, strict=True))
        ),
    )


def kalshi(ticker: str, yes: str, league: str | None, away: str, home: str) -> Market:
    event = ticker.rsplit("-", 1)[0]
    day = parse_kalshi_day(event)
    return Market(
        venue="kalshi",
        market_id=ticker,
        event_id=event,
        title=f"{away} at {home} Winner?",
        market_type=MarketType.MONEYLINE,
        league=league,
        game_date=day,
        away=away,
        home=home,
        contracts=(
            Contract(
                venue="kalshi",
                contract_id=f"{ticker}:yes",
                market_id=ticker,
                outcome=yes,
                subject=yes,
                complement_id=f"{ticker}:no",
            ),
            Contract(
                venue="kalshi",
                contract_id=f"{ticker}:no",
                market_id=ticker,
                outcome=f"not {yes}",
                subject=yes,
                negated=True,
                complement_id=f"{ticker}:yes",
            ),
        ),
    )


def parse_kalshi_day(event: str) -> date:
    from arbkit.matching import parse_kalshi_ticker

    parsed = parse_kalshi_ticker(event)
    assert parsed is not None
    return parsed.game_date


def linked(report: MatchReport) -> set[tuple[str, str]]:
    return {(link.left.contract_id, link.right.contract_id) for link in report.links}


def nhl_kalshi(day: str) -> list[Market]:
    event = f"KXNHLGAME-{day}NYRNYI"
    return [
        kalshi(f"{event}-NYR", "NY Rangers", "NHL", "New York R", "New York I"),
        kalshi(f"{event}-NYI", "NY Islanders", "NHL", "New York R", "New York I"),
    ]


# -- dates: a one-day shift is only the Polymarket slug's UTC date -----------------------------


def test_kalshi_game_a_day_after_a_timed_polymarket_game_is_not_a_match(service) -> None:
    """Back-to-back: Polymarket's game starts 19:00 ET on Jan 8; Kalshi lists only Jan 9's.

    Kalshi's ticker date is the US-Eastern date and Polymarket's start time pins its game to
    Jan 8 ET: no UTC shift can explain a later Kalshi date.
    """
    game = poly(
        "nhl-nyr-nyi-2026-01-09",
        ("Rangers", "Islanders"),
        "NHL",
        start="2026-01-09T00:00:00Z",
        day="2026-01-08",
    )
    report = service.match([game, *nhl_kalshi("26JAN09")])
    assert not report.links
    assert any("2026-01-08" in " ".join(n.reasons) for n in report.near_misses)


def test_untimed_slug_date_cannot_be_the_utc_date_of_an_afternoon_game(service) -> None:
    """MLB series: Kalshi's game starts 13:05 ET on Apr 8 (17:05 UTC, still Apr 8); Polymarket
    lists the Apr 9 game without a start time. Its slug date is not a UTC shift of Apr 8."""
    game = poly("mlb-nyy-bos-2026-04-09", ("Yankees", "Red Sox"), "MLB", day="2026-04-09")
    event = "KXMLBGAME-26APR081305NYYBOS"
    report = service.match(
        [
            game,
            kalshi(f"{event}-NYY", "New York Y", "MLB", "New York Y", "Boston"),
            kalshi(f"{event}-BOS", "Boston", "MLB", "New York Y", "Boston"),
        ]
    )
    assert not report.links


def test_untimed_slug_date_still_bridges_an_evening_game() -> None:
    """The documented shift still works: a 22:10 ET game is Apr 9 in UTC. Such a link is less
    certain (ONE_DAY_CONFIDENCE), so it is a match only for a user who lowers the threshold;
    at the default it is a near-miss that says why."""
    from arbkit.matching.service import DEFAULT_MIN_CONFIDENCE, ONE_DAY_CONFIDENCE

    game = poly("mlb-nyy-bos-2026-04-09", ("Yankees", "Red Sox"), "MLB", day="2026-04-09")
    event = "KXMLBGAME-26APR082210NYYBOS"
    markets = [game, kalshi(f"{event}-NYY", "New York Y", "MLB", "New York Y", "Boston")]
    pm = make_plugin_manager(load_entrypoints=False)
    lowered = MatchingService.from_plugins(pm, min_confidence=ONE_DAY_CONFIDENCE).match(markets)
    assert linked(lowered) == {
        ("pm:mlb-nyy-bos-2026-04-09:Yankees", f"{event}-NYY:yes"),
        ("pm:mlb-nyy-bos-2026-04-09:Red Sox", f"{event}-NYY:yes"),
    }
    assert ONE_DAY_CONFIDENCE < DEFAULT_MIN_CONFIDENCE
    default = MatchingService.from_plugins(pm).match(markets)
    assert not default.links
    assert any("under the minimum 0.90" in " ".join(n.reasons) for n in default.near_misses)


def test_untimed_utc_slug_date_between_two_back_to_back_games_is_a_near_miss(service) -> None:
    """A slug dated Jan 9 without a start time is either Jan 9's game or Jan 8's evening game
    (its UTC date). With both on Kalshi, picking one is a guess."""
    game = poly("nhl-nyr-nyi-2026-01-09", ("Rangers", "Islanders"), "NHL", day="2026-01-09")
    report = service.match([game, *nhl_kalshi("26JAN08"), *nhl_kalshi("26JAN09")])
    assert not report.links
    assert report.near_misses


def test_event_date_before_the_slug_date_is_a_sure_eastern_date(service) -> None:
    """eventDate (local) one day before the slug's date: the game is on the eventDate, so the
    same teams' game on the slug date is another game and the right one still matches."""
    game = poly("nhl-nyr-nyi-2026-01-09", ("Rangers", "Islanders"), "NHL", day="2026-01-08")
    report = service.match([game, *nhl_kalshi("26JAN08"), *nhl_kalshi("26JAN09")])
    assert {right.split("-")[1] for _left, right in linked(report)} == {"26JAN08NYRNYI"}


# -- one venue's games: a market without a start time is not silently folded into another ------


def _yankees_kalshi(event: str) -> list[Market]:
    return [
        kalshi(f"{event}-NYY", "New York Y", "MLB", "New York Y", "Boston"),
        kalshi(f"{event}-BOS", "Boston", "MLB", "New York Y", "Boston"),
    ]


def test_doubleheader_market_without_start_is_not_linked_to_game_one(service) -> None:
    """Polymarket lists game 1 (13:05 ET) and, under another event, game 2 without a start
    time. Kalshi lists only game 1: game 2's tokens must not be linked to it."""
    game1 = poly(
        "mlb-nyy-bos-2026-04-08",
        ("Yankees", "Red Sox"),
        "MLB",
        start="2026-04-08T17:05:00Z",
        day="2026-04-08",
    )
    game2 = poly("yankees-vs-red-sox-game-2", ("Yankees", "Red Sox"), "MLB", day="2026-04-08")
    report = service.match([game1, game2, *_yankees_kalshi("KXMLBGAME-26APR081305NYYBOS")])
    assert not any(left.startswith("pm:yankees-vs-red-sox-game-2") for left, _ in linked(report))
    assert len(report.links) == 4  # game 1 still matches: its start times agree
    assert any(n.left_market == "yankees-vs-red-sox-game-2" for n in report.near_misses)


def test_kalshi_game_without_start_is_not_merged_into_a_timed_one(service) -> None:
    """Kalshi game 1 carries 13:05 in its ticker, game 2 (another event) none. Polymarket's
    game 1 must not be linked to game 2's markets through a merged Kalshi game."""
    game1 = poly(
        "mlb-nyy-bos-2026-04-08",
        ("Yankees", "Red Sox"),
        "MLB",
        start="2026-04-08T17:05:00Z",
        day="2026-04-08",
    )
    report = service.match(
        [
            game1,
            *_yankees_kalshi("KXMLBGAME-26APR081305NYYBOS"),
            *_yankees_kalshi("KXMLBGAME-26APR08NYYBOSG2"),
        ]
    )
    assert not any("G2" in right for _, right in linked(report))
    assert len(report.links) == 4 and all("1305" in right for _, right in linked(report))


def test_two_events_with_one_placeholder_start_are_two_games(service) -> None:
    """Game 2 of a doubleheader listed under another event with game 1's start time (a
    placeholder): its tokens are not linked to game 1, and which is which is a near-miss."""
    game1 = poly(
        "mlb-nyy-bos-2026-04-08",
        ("Yankees", "Red Sox"),
        "MLB",
        start="2026-04-08T17:05:00Z",
        day="2026-04-08",
    )
    game2 = poly(
        "yankees-vs-red-sox-game-2",
        ("Yankees", "Red Sox"),
        "MLB",
        start="2026-04-08T17:05:00Z",
        day="2026-04-08",
    )
    report = service.match([game1, game2, *_yankees_kalshi("KXMLBGAME-26APR081305NYYBOS")])
    assert not report.links
    assert {n.left_market for n in report.near_misses} >= {game1.market_id, game2.market_id}


def test_one_event_with_an_untimed_market_still_forms_one_game(service) -> None:
    """The two Kalshi markets of one event (no start time) are one game, as before."""
    game = poly(
        "nhl-nyr-nyi-2026-01-08",
        ("Rangers", "Islanders"),
        "NHL",
        start="2026-01-09T00:00:00Z",
        day="2026-01-08",
    )
    report = service.match([game, *nhl_kalshi("26JAN08")])
    assert len(report.links) == 4


# -- names: fuzzy matching fixes spelling, it never drops or swaps a word ------------------------


@pytest.mark.parametrize(
    ("label", "league"),
    [
        ("Eastern Kentucky", "NCAAF"),  # not Western Kentucky
        ("Southeastern Louisiana", "NCAAF"),  # not (Southwestern) Louisiana
        ("South Carolina St", "NCAAF"),  # not South Carolina
        ("Tennessee St", "NCAAF"),  # not Tennessee
        ("Illinois St", "NCAAF"),  # not Illinois
        ("Northwestern St", "NCAAF"),  # not Northwestern
        ("North Dakota", "NCAAF"),  # not North Dakota State
        ("Southern", "NCAAF"),  # not Georgia Southern
        ("N Kentucky", "NCAAB"),  # Northern Kentucky, not Kentucky
        ("N Iowa", "NCAAB"),
        ("Kentucky St", "NCAAB"),
    ],
)
def test_fuzzy_never_turns_one_school_into_another(book, label: str, league: str) -> None:
    hit = book.lookup(label, league)
    assert hit.team is None, hit.how


@pytest.mark.parametrize(
    ("label", "league", "expected"),
    [
        ("NY Rangers", "NHL", "New York Rangers"),
        ("NY Islanders", "NHL", "New York Islanders"),
        ("Cal St Fullerton", "NCAAB", "Cal State Fullerton Titans"),
    ],
)
def test_fuzzy_still_reads_spelling_variants(book, label: str, league: str, expected) -> None:
    hit = book.lookup(label, league)
    assert hit.team is not None and hit.team.name == expected, hit.how


# -- identifiers of a league the matcher does not know -----------------------------------------


def test_polymarket_slug_of_an_unknown_league_is_not_taken_for_the_named_one(service) -> None:
    """A women's game slug (``cwbb-``) whose event tags made the parser say NCAAB must not
    meet the men's game of the same schools on the same day."""
    women = poly(
        "cwbb-duke-unc-2026-02-07",
        ("Duke", "North Carolina"),
        "NCAAB",
        start="2026-02-07T23:00:00Z",
        day="2026-02-07",
    )
    event = "KXNCAAMBGAME-26FEB07DUKEUNC"
    report = service.match(
        [
            women,
            kalshi(f"{event}-DUKE", "Duke", "NCAAB", "Duke", "North Carolina"),
            kalshi(f"{event}-UNC", "North Carolina", "NCAAB", "Duke", "North Carolina"),
        ]
    )
    assert not report.links
    assert any("cwbb" in reason for _venue, _id, reason in report.skipped)


def test_kalshi_series_of_an_unknown_league_is_not_taken_for_the_named_one(service) -> None:
    men = poly(
        "cbb-duke-unc-2026-02-07",
        ("Duke", "North Carolina"),
        "NCAAB",
        start="2026-02-07T23:00:00Z",
        day="2026-02-07",
    )
    event = "KXNCAAWBGAME-26FEB07DUKEUNC"
    report = service.match(
        [men, kalshi(f"{event}-DUKE", "Duke", "NCAAB", "Duke", "North Carolina")]
    )
    assert not report.links


# -- the YES side: a ticker suffix that is a line, not a team ----------------------------------


def test_kalshi_suffix_that_is_a_line_is_not_read_from_yes_sub_title(service) -> None:
    """``-LAL5`` is no team code: "Lakers by 5+" is not "Lakers win", whatever the label says."""
    game = poly(
        "nba-lal-bos-2026-01-08",
        ("Lakers", "Celtics"),
        "NBA",
        start="2026-01-09T00:30:00Z",
        day="2026-01-08",
    )
    line = kalshi("KXNBAGAME-26JAN08LALBOS-LAL5", "Los Angeles L", "NBA", "Los Angeles L", "Boston")
    report = service.match([game, line])
    assert not report.links
    assert any("LAL5" in reason for _venue, _id, reason in report.skipped)


def test_every_prefix_the_polymarket_parser_reads_as_a_league_is_known(service) -> None:
    """``ncaab-`` is an NCAAB slug to the Polymarket parser, so the matcher knows it too."""
    men = poly(
        "ncaab-duke-unc-2026-02-07",
        ("Duke", "North Carolina"),
        "NCAAB",
        start="2026-02-07T23:00:00Z",
        day="2026-02-07",
    )
    event = "KXNCAAMBGAME-26FEB07DUKEUNC"
    report = service.match(
        [men, kalshi(f"{event}-DUKE", "Duke", "NCAAB", "Duke", "North Carolina")]
    )
    assert len(report.links) == 2
