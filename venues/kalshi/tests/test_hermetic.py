"""The Kalshi tests run from a lone clone: they read only the repository's own fixtures."""

from __future__ import annotations

from pathlib import Path

from .conftest import SAMPLES

HERE = Path(__file__).resolve().parent


def test_no_test_reads_outside_the_repository() -> None:
    outside = ("shared/venue-samples", "../shared", "/work/shared")
    for path in HERE.glob("*.py"):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text()
        assert not [marker for marker in outside if marker in text], path.name
    assert SAMPLES == HERE / "fixtures" and (SAMPLES / "SOURCES.md").is_file()


def test_every_fixture_has_a_source_note() -> None:
    notes = (SAMPLES / "SOURCES.md").read_text()
    for fixture in SAMPLES.glob("*.json"):
        assert f"`{fixture.name}`" in notes, fixture.name
