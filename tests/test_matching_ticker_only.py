"""A Kalshi market with nothing but its ticker: matched from its identifiers, or skipped alone.

Today's real payloads (the shipped sample) go through the real venue parsers; one market loses its
title, ``yes_sub_title`` and event, as a bare ``/markets`` row without them would arrive.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from arbkit import Market, MatchingService, Relation
from arbkit.plugins import ArbkitPluginManager, make_plugin_manager
from arbkit.recordings import load_recordings, sample_dir
from arbkit.registry import get_venue

BOS = "KXNBAGAME-26NOV24BOSNYK-BOS"
NYK = "KXNBAGAME-26NOV24BOSNYK-NYK"


@pytest.fixture
def venues_pm(monkeypatch: pytest.MonkeyPatch) -> ArbkitPluginManager:
    """The built-in venue plugins: their real parsers read the raw payloads."""
    monkeypatch.setenv("ARBKIT_LOAD_PLUGINS", "polymarket,kalshi,replay")
    return make_plugin_manager()


def _bare_kalshi_markets() -> list[dict[str, Any]]:
    events = json.loads((sample_dir() / "kalshi" / "events.json").read_text())
    return [copy.deepcopy(m) for event in events for m in event.get("markets", [])]


def _ticker_only(market: dict[str, Any], ticker: str | None = None) -> dict[str, Any]:
    for key in ("title", "yes_sub_title", "no_sub_title", "subtitle"):
        market.pop(key, None)
    if ticker is not None:
        market["ticker"] = ticker
        market["event_ticker"] = ticker.rsplit("-", 1)[0]
    return market


def _batch(pm: ArbkitPluginManager, kalshi_rows: list[dict[str, Any]]) -> list[Market]:
    poly = load_recordings(pm, sample_dir())["polymarket"].markets
    return [*poly, *get_venue(pm, "kalshi").parse_markets(kalshi_rows)]


def _links(report: Any) -> dict[tuple[str, str], Relation]:
    return {(link.left.outcome, link.right.contract_id): link.relation for link in report.links}


def test_ticker_only_market_is_matched_from_its_identifiers(venues_pm) -> None:
    rows = _bare_kalshi_markets()
    service = MatchingService.from_plugins(venues_pm)
    full = service.match(_batch(venues_pm, rows))
    for row in rows:
        if row["ticker"] == BOS:
            _ticker_only(row)
    bare = service.match(_batch(venues_pm, rows))
    assert bare.skipped == full.skipped
    assert len(bare.matches) == len(full.matches) > 5
    links = _links(bare)
    assert links[("Celtics", f"{BOS}:yes")] is Relation.SAME
    assert links[("Knicks", f"{BOS}:yes")] is Relation.OPPOSITE
    assert links[("Knicks", f"{NYK}:yes")] is Relation.SAME
    assert links == _links(full)


def test_unresolvable_ticker_only_market_is_skipped_with_a_reason(venues_pm) -> None:
    rows = _bare_kalshi_markets()
    service = MatchingService.from_plugins(venues_pm)
    full = service.match(_batch(venues_pm, rows))
    odd = _ticker_only(copy.deepcopy(rows[0]), "KXNBAGAME-26NOV24BOSXQZ-XQZ")
    report = service.match(_batch(venues_pm, [*rows, odd]))
    reasons = {market_id: why for _venue, market_id, why in report.skipped}
    assert "KXNBAGAME-26NOV24BOSXQZ-XQZ" in reasons
    assert "team" in reasons["KXNBAGAME-26NOV24BOSXQZ-XQZ"]
    assert _links(report) == _links(full)


def test_ticker_only_market_carries_its_identity(venues_pm) -> None:
    row = _ticker_only(_bare_kalshi_markets()[0], "KXEPLGAME-26NOV28ARSCHE-ARS")
    (market,) = get_venue(venues_pm, "kalshi").parse_markets([row])
    identity = market.identity
    assert identity is not None
    assert (identity.league, identity.home, identity.away, identity.yes) == (
        "EPL",
        "ARS",
        "CHE",
        "ARS",
    )
    tie = _ticker_only(_bare_kalshi_markets()[0], "KXEPLGAME-26NOV28ARSCHE-TIE")
    (market,) = get_venue(venues_pm, "kalshi").parse_markets([tie])
    assert market.identity is not None and market.identity.yes_is_draw
    assert market.identity.yes is None and market.identity.home is None
