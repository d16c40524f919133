"""A third, toy venue plugin: its own name, codes and title style, matched and scanned.

The toy venue lists YES/NO markets on "<team> to win" with its own team codes (``CEL`` for the
Celtics, ``KNK`` for the Knicks), which only its plugin's league data knows. Its parser fills the
venue-neutral :class:`arbkit.GameIdentity`, so the core matcher pairs it with the real Kalshi and
Polymarket sample markets without knowing the toy venue, and the engine scans it end to end.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

import arbkit
from arbkit import Contract, GameIdentity, Market, MatchingService, OrderBook, Relation
from arbkit.clock import ReplayClock
from arbkit.engine import Engine, LiveSession
from arbkit.matching.teams import builtin_leagues
from arbkit.plugins import ArbkitPluginManager, make_plugin_manager
from arbkit.recordings import load_recordings, sample_dir
from arbkit.registry import get_venue
from arbkit.scan.strategies import CrossVenue

KALSHI_BOS = "KXNBAGAME-26NOV24BOSNYK-BOS"
KALSHI_NYK = "KXNBAGAME-26NOV24BOSNYK-NYK"
TOY_CODES = {"nba-bos": "CEL", "nba-nyk": "KNK"}
START = arbkit.parse_timestamp("2026-11-25T00:30:00Z")


def _toy_league() -> arbkit.LeagueData:
    """The toy plugin's league data: built-in NBA teams plus the toy venue's own codes."""
    nba = next(league for league in builtin_leagues() if league.league == "NBA")
    teams = tuple(
        attrs.evolve(team, codes={"toy": [TOY_CODES[team.id]]})
        for team in nba.teams
        if team.id in TOY_CODES
    )
    return attrs.evolve(nba, teams=teams, source="toy plugin")


def toy_market(yes_code: str, label: str) -> Market:
    """One toy YES/NO market, the way the toy venue's parser builds it."""
    market_id = f"TOY|2026-11-24|KNK-CEL|{yes_code}"
    yes, no = f"{market_id}:yes", f"{market_id}:no"
    return Market(
        venue="toy",
        market_id=market_id,
        event_id="TOY|2026-11-24|KNK-CEL",
        title=f"Knicks host Celtics: {label} to win",  # no "at"/"vs": names come from codes
        league="NBA",
        start_time=START,  # the toy venue lists start times; Kalshi's sample has only dates
        contracts=(
            Contract(
                venue="toy",
                contract_id=yes,
                market_id=market_id,
                outcome=f"{label} to win",
                subject=label,
                complement_id=no,
            ),
            Contract(
                venue="toy",
                contract_id=no,
                market_id=market_id,
                outcome=f"{label} not to win",
                subject=label,
                negated=True,
                complement_id=yes,
            ),
        ),
        identity=GameIdentity(
            league="NBA", away="CEL", home="KNK", game_date=date(2026, 11, 24), yes=yes_code
        ),
    )


class MemoryVenue(arbkit.Venue):
    """A venue over in-memory markets and books."""

    title = "In-memory venue"
    leagues = ("NBA",)

    def __init__(self, markets: Sequence[Market] = (), books: Sequence[OrderBook] = ()) -> None:
        super().__init__()
        self.markets = list(markets)
        self.books = {book.contract_id: book for book in books}

    async def discover(self, query: Any = None) -> list[Market]:
        return list(self.markets)

    async def fetch_books(self, markets: Sequence[Market]) -> dict[str, OrderBook]:
        wanted = {c.contract_id for m in markets for c in m.contracts}
        return {cid: book for cid, book in self.books.items() if cid in wanted}


class ToyVenue(MemoryVenue):
    name = "toy"
    title = "Toy exchange"


class ToyPlugin:
    @arbkit.hookimpl
    def register_venues(self, register: Any) -> None:
        register(ToyVenue)

    @arbkit.hookimpl
    def register_matchers(self, register: Any) -> None:
        register(_toy_league())


@pytest.fixture
def toy_pm(monkeypatch: pytest.MonkeyPatch) -> ArbkitPluginManager:
    monkeypatch.setenv("ARBKIT_LOAD_PLUGINS", "polymarket,kalshi,replay")
    pm = make_plugin_manager()
    pm.register(ToyPlugin(), name="arbkit-toy")
    return pm


def _kalshi_game(pm: ArbkitPluginManager) -> list[Market]:
    """The sample's Boston at New York Kalshi markets, through the real Kalshi parser."""
    events = json.loads((sample_dir() / "kalshi" / "events.json").read_text())
    (event,) = [copy.deepcopy(e) for e in events if e["event_ticker"] == "KXNBAGAME-26NOV24BOSNYK"]
    return get_venue(pm, "kalshi").parse_markets([event])


def _toy_game() -> list[Market]:
    return [toy_market("CEL", "Celtics"), toy_market("KNK", "Knicks")]


def test_toy_games_are_matched_with_kalshi_and_polymarket(toy_pm) -> None:
    poly = load_recordings(toy_pm, sample_dir())["polymarket"].markets
    service = MatchingService.from_plugins(toy_pm)
    report = service.match([*poly, *_kalshi_game(toy_pm), *_toy_game()])
    (game,) = [m for m in report.matches if m.game_id == "NBA:2026-11-24:BOS@NYK"]
    assert {m.venue for m in game.markets} == {"toy", "kalshi", "polymarket"}
    assert game.can_end_level is False
    relations = {
        (link.left.venue, link.left.outcome, link.right.venue, link.right.outcome): link.relation
        for link in game.links
    }
    cel, not_cel = "Celtics to win", "Celtics not to win"
    assert relations[("toy", cel, "kalshi", "Boston")] is Relation.SAME
    assert relations[("toy", cel, "kalshi", "New York")] is Relation.OPPOSITE
    assert relations[("toy", not_cel, "kalshi", "Boston")] is Relation.OPPOSITE
    assert relations[("toy", not_cel, "kalshi", "New York")] is Relation.SAME
    assert relations[("toy", cel, "polymarket", "Celtics")] is Relation.SAME
    assert relations[("toy", cel, "polymarket", "Knicks")] is Relation.OPPOSITE
    assert relations[("toy", "Knicks to win", "polymarket", "Knicks")] is Relation.SAME
    assert relations[("polymarket", "Celtics", "kalshi", "Boston")] is Relation.SAME
    assert relations[("polymarket", "Knicks", "kalshi", "Boston")] is Relation.OPPOSITE
    # no toy link takes a NO side as the right leg: right legs are YES claims only
    assert all(not link.right.negated for link in game.links)


def test_a_toy_code_another_league_data_does_not_know_is_skipped(toy_pm) -> None:
    stray = attrs.evolve(
        toy_market("CEL", "Celtics"),
        market_id="TOY|stray",
        identity=GameIdentity(league="NBA", away="ZZZ", home="KNK", yes="ZZZ"),
    )
    report = MatchingService.from_plugins(toy_pm).match([*_kalshi_game(toy_pm), stray])
    assert [(s[1], "ZZZ" in s[2]) for s in report.skipped] == [("TOY|stray", True)]
    assert report.matches == []


def test_a_malformed_toy_identity_is_skipped_and_the_batch_still_matches(toy_pm, caplog) -> None:
    broken = attrs.evolve(
        toy_market("KNK", "Knicks"),
        identity=GameIdentity(league="NBA", away=7, home="KNK"),  # type: ignore[arg-type]
    )
    report = MatchingService.from_plugins(toy_pm).match(
        [*_kalshi_game(toy_pm), toy_market("CEL", "Celtics"), broken]
    )
    assert [(s[1], "unreadable" in s[2]) for s in report.skipped] == [(broken.market_id, True)]
    (game,) = report.matches
    assert {link.left.market_id for link in game.links} == {toy_market("CEL", "C").market_id}
    assert "skip" in caplog.text


async def test_toy_venue_is_scanned_end_to_end_with_kalshi(toy_pm) -> None:
    kalshi_markets = _kalshi_game(toy_pm)
    toy_markets = _toy_game()
    toy_yes = toy_markets[0].contracts[0].contract_id
    books = [
        OrderBook(venue="toy", contract_id=toy_yes, asks=((Decimal("0.40"), Decimal("50")),)),
        OrderBook(
            venue="kalshi",
            contract_id=f"{KALSHI_BOS}:no",
            asks=((Decimal("0.50"), Decimal("50")),),
        ),
    ]
    kalshi = type("Kalshi", (MemoryVenue,), {"name": "kalshi"})(kalshi_markets, books[1:])
    toy = get_venue_class(toy_pm, "toy")(toy_markets, books[:1])
    engine = Engine(
        session=LiveSession([toy, kalshi], clock=ReplayClock(START - timedelta(hours=2))),
        matcher=MatchingService.from_plugins(toy_pm),
        strategies=[CrossVenue()],
    )
    await engine.start()
    try:
        engine.evaluate()
        (opportunity,) = engine.opportunities()
    finally:
        await engine.session.aclose()
    legs = {leg.venue: leg.contract_id for leg in opportunity.legs}
    assert legs == {"toy": toy_yes, "kalshi": f"{KALSHI_BOS}:no"}  # Celtics win / Boston NO
    assert opportunity.game_id == "NBA:2026-11-24:BOS@NYK"
    assert opportunity.cost < opportunity.payout


def get_venue_class(pm: ArbkitPluginManager, name: str) -> type[MemoryVenue]:
    from arbkit.registry import get_venues

    cls = get_venues(pm)[name]
    assert issubclass(cls, MemoryVenue)
    return cls


def test_match_output_keys_each_side_by_its_own_venue(toy_pm) -> None:
    """`arbkit match markets --json` rows name the venues they link, a toy one included."""
    from arbkit.cli.match import _match_rows

    poly = load_recordings(toy_pm, sample_dir())["polymarket"].markets
    report = MatchingService.from_plugins(toy_pm).match(
        [*poly, *_kalshi_game(toy_pm), *_toy_game()]
    )
    rows = [r for r in _match_rows(report) if "toy" in r["venues"]]
    assert {tuple(r["venues"]) for r in rows} == {("toy", "kalshi"), ("toy", "polymarket")}
    for row in rows:
        left, right = row["venues"]
        assert set(row) >= {left, right} and row[left]["venue"] == left
        assert row[right]["contract"] and row[left]["outcome"]
    same = next(
        r for r in rows if r["venues"] == ["toy", "kalshi"] and r["kalshi"]["market"] == KALSHI_BOS
        and r["toy"]["outcome"] == "Celtics to win"
    )  # fmt: skip
    assert same["relation"] == "same"
