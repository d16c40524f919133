"""The matcher against the labelled dev set: zero false matches, high recall, correct sides."""

from __future__ import annotations

from collections import Counter

import pytest
from matching_devset import markets, pairs, token_id

from arbkit.matching import MatchingService, MatchReport
from arbkit.models import Relation
from arbkit.plugins import make_plugin_manager


@pytest.fixture(scope="module")
def report() -> MatchReport:
    service = MatchingService.from_plugins(make_plugin_manager(load_entrypoints=False))
    return service.match(markets())


def _links(report: MatchReport) -> dict[tuple[str, str], Relation]:
    return {(link.left.contract_id, link.right.contract_id): link.relation for link in report.links}


def _linked_markets(report: MatchReport) -> set[tuple[str, str]]:
    return {(link.left.market_id, link.right.market_id) for link in report.links}


NEGATIVES = [p for p in pairs() if p["label"] == "different"]
POSITIVES = [p for p in pairs() if p["label"] != "different"]


def test_dev_set_covers_every_hard_negative_category() -> None:
    categories = Counter(p["category"] for p in NEGATIVES)
    for needed in (
        "same_city_different_sport",
        "same_name_different_sport",
        "same_team_different_game",
        "same_code_different_league",
        "college_vs_pro",
        "spread_vs_moneyline",
        "swapped_yes_side",
    ):
        assert categories[needed] >= 1, needed
    assert len(POSITIVES) >= 30


@pytest.mark.parametrize("pair", NEGATIVES, ids=[p["id"] for p in NEGATIVES])
def test_no_false_match_on_any_hard_negative(report: MatchReport, pair: dict) -> None:
    if "poly_outcome" in pair:
        key = (token_id(pair["poly"], pair["poly_outcome"]), pair["kalshi"] + ":yes")
        assert key not in _links(report)
    else:  # the record names the side by code only: no token of that market may be linked
        assert (pair["poly"], pair["kalshi"]) not in _linked_markets(report)


def test_recall_on_positives_is_at_least_0_9(report: MatchReport) -> None:
    links = _links(report)
    found = [
        p
        for p in POSITIVES
        if (token_id(p["poly"], p["poly_outcome"]), p["kalshi"] + ":yes") in links
    ]
    assert len(found) / len(POSITIVES) >= 0.9


@pytest.mark.parametrize("pair", POSITIVES, ids=[p["id"] for p in POSITIVES])
def test_relation_is_right_on_every_found_positive(report: MatchReport, pair: dict) -> None:
    relation = _links(report).get(
        (token_id(pair["poly"], pair["poly_outcome"]), pair["kalshi"] + ":yes")
    )
    expected = Relation.SAME if pair["label"] == "same_game_same_side" else Relation.OPPOSITE
    assert relation in (expected, None)


def test_every_link_and_near_miss_has_reasons(report: MatchReport) -> None:
    assert report.links and report.near_misses
    assert all(link.reasons for link in report.links)
    assert all(0 < link.confidence <= 1 for link in report.links)
    assert all(miss.reasons for miss in report.near_misses)


def test_game_ids_are_canonical_away_at_home(report: MatchReport) -> None:
    ids = {match.game_id for match in report.matches}
    assert "NBA:2026-01-10:CHA@UTA" in ids
    assert "NHL:2026-04-23:COL@LAK" in ids  # Kalshi LA / Polymarket lak -> one canonical code
    assert "MLB:2026-04-13:TEX@ATH" in ids  # Kalshi ATH / Polymarket oak


def test_spreads_and_totals_join_their_game_but_are_never_linked(report: MatchReport) -> None:
    game = next(m for m in report.matches if m.game_id == "NBA:2026-01-10:CHA@UTA")
    ids = {m.market_id for m in game.markets}
    assert "nba-cha-uta-2026-01-10-total-224pt5" in ids
    assert "KXNBASPREAD-26JAN10CHAUTA-CHA5" in ids
    assert {link.left.market_id for link in game.links} == {"nba-cha-uta-2026-01-10"}
    assert {link.right.market_id for link in game.links} == {
        "KXNBAGAME-26JAN10CHAUTA-CHA",
        "KXNBAGAME-26JAN10CHAUTA-UTA",
    }


def test_near_misses_explain_series_games_on_other_dates(report: MatchReport) -> None:
    reasons = [
        " ".join(m.reasons) for m in report.near_misses if m.left_market == "nhl-col-lak-2026-04-23"
    ]
    assert any("2026-04-21" in r for r in reasons)
    assert any("2026-04-25" in r for r in reasons)


def test_refused_markets_say_why(report: MatchReport) -> None:
    skipped = {market_id: reason for _venue, market_id, reason in report.skipped}
    assert "code SAS" in skipped["KXNBAGAME-26JAN12SASBOS-SAS"]
    assert "spread" in skipped["nba-dal-chi-2026-01-10-spread-away-1pt5"]
