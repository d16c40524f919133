"""Polymarket tests run from a bare clone: nothing reads the shared workspace notes or samples."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
FAKE = ROOT / "src" / "arbkit" / "testing" / "fake_polymarket.py"
OUTSIDE = ("../" + "shared", "/work/" + "shared", "venue-" + "samples")


@pytest.mark.parametrize("path", [*sorted(HERE.glob("*.py")), FAKE], ids=lambda p: p.name)
def test_no_reads_outside_the_repository(path: Path) -> None:
    text = path.read_text()
    assert not [marker for marker in OUTSIDE if marker in text]


def test_fixtures_are_in_the_repository() -> None:
    fixtures = sorted(p.name for p in (HERE / "fixtures").glob("*.json"))
    assert "polymarket_gamma_event_nfl_game.json" in fixtures
    assert "polymarket_clob_market_info.json" in fixtures
