"""Polymarket tests run from a bare clone: their payloads are the repository's own fixtures.

``tests/test_hermetic.py`` checks every test file for reads outside the repository.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def test_fixtures_are_in_the_repository() -> None:
    fixtures = sorted(p.name for p in (HERE / "fixtures").glob("*.json"))
    assert "polymarket_gamma_event_nfl_game.json" in fixtures
    assert "polymarket_clob_market_info.json" in fixtures


def test_every_fixture_has_a_source_note() -> None:
    notes = (HERE / "fixtures" / "SOURCES.md").read_text()
    for fixture in (HERE / "fixtures").glob("*.json"):
        assert f"`{fixture.name}`" in notes, fixture.name
