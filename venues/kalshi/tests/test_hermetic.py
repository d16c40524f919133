"""The Kalshi tests read only the repository's own fixtures (tests/test_hermetic.py greps the
test files for reads outside the repository; this checks the fixtures themselves)."""

from __future__ import annotations

from pathlib import Path

from .conftest import SAMPLES


def test_samples_are_the_repository_fixtures_with_source_notes() -> None:
    assert SAMPLES == Path(__file__).resolve().parent / "fixtures"
    notes = (SAMPLES / "SOURCES.md").read_text()
    fixtures = list(SAMPLES.glob("*.json"))
    assert fixtures
    for fixture in fixtures:
        assert f"`{fixture.name}`" in notes, fixture.name
