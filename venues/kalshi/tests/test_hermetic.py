"""The Kalshi tests run from a lone clone: they read only the repository's own fixtures."""

from __future__ import annotations

from pathlib import Path

from .conftest import SAMPLES

HERE = Path(__file__).resolve().parent


def test_fixtures_live_in_the_repository() -> None:
    # tests/test_hermetic.py checks every test file for reads outside the repository.
    assert SAMPLES == HERE / "fixtures" and (SAMPLES / "SOURCES.md").is_file()


def test_every_fixture_has_a_source_note() -> None:
    notes = (SAMPLES / "SOURCES.md").read_text()
    for fixture in SAMPLES.glob("*.json"):
        assert f"`{fixture.name}`" in notes, fixture.name
