"""Discovery of a league Gamma does not know is an error naming it, never "0 markets" (issue 10).

Gamma's list endpoints answer an unknown ``tag_id`` with an empty list (Polymarket/py-sdk#84),
so the fake does the same; only the by-id ``/tags/{id}`` read answers 404.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from arbkit import DiscoveryQuery, NotFound
from arbkit.testing.loopback import Fault

NFL = DiscoveryQuery(leagues=frozenset({"NFL"}))


async def discover(make_venue: Any, query: DiscoveryQuery = NFL) -> list[Any]:
    venue = make_venue()
    try:
        return await venue.discover(query)
    finally:
        await venue.aclose()


async def test_deleted_league_tag_is_not_found_naming_the_league(server: Any, make_venue: Any):
    server.tags_gone.add("450")
    with pytest.raises(NotFound) as info:
        await discover(make_venue)
    message = str(info.value)
    assert "NFL" in message and "450" in message and "\n" not in message
    assert any(r.path == "/tags/450" for r in server.requests)


async def test_league_without_games_today_is_zero_markets(server: Any, make_venue: Any) -> None:
    assert await discover(make_venue, DiscoveryQuery(leagues=frozenset({"NBA"}))) == []
    assert any(r.path == "/tags/745" for r in server.requests)  # the tag was checked


async def test_league_with_games_costs_no_tag_lookup(server: Any, make_venue: Any) -> None:
    assert len(await discover(make_venue)) == 3
    assert not any(r.path.startswith("/tags/") for r in server.requests)


async def test_404_on_the_event_list_names_the_league(server: Any, make_venue: Any) -> None:
    server.faults.append(Fault(path="/events/keyset", status=404, body={"error": "not found"}))
    with pytest.raises(NotFound, match="NFL"):
        await discover(make_venue)


async def test_league_missing_from_sports_is_a_warning(
    server: Any, make_venue: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.sports = [s for s in server.sports if s["sport"] != "nba"]
    with caplog.at_level(logging.WARNING):
        assert await discover(make_venue, DiscoveryQuery(leagues=frozenset({"NBA"}))) == []
    assert "no NBA league" in caplog.text
