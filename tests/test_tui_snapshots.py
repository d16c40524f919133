"""Snapshots of every dashboard screen on the sample, paused at 23:02:51Z on its recorded clock.

Nothing on screen comes from the wall clock, so the SVGs are the same on every run. After a
deliberate change to a screen: review the report, then ``pytest tests/test_tui_snapshots.py
--snapshot-update`` (and copy the SVGs to docs/tui/ if the look changed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from tui_helpers import SIZE, paused, paused_sample_app, until, venues_pm

from arbkit.plugins import ArbkitPluginManager
from arbkit.tui.messages import SnapshotReady

__all__ = ["venues_pm"]  # the fixture, imported for pytest


SCREEN_NAMES = ["opportunities", "matches", "positions", "orders", "log"]


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5"], ids=SCREEN_NAMES)
def test_screen(snap_compare: Any, venues_pm: ArbkitPluginManager, key: str) -> None:
    async def at_the_pause(pilot: Any) -> None:
        await paused(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(paused_sample_app(venues_pm), terminal_size=SIZE, run_before=at_the_pause)


def test_live_header(snap_compare: Any, venues_pm: ArbkitPluginManager) -> None:
    """What LIVE looks like: the same screen with a live snapshot (the sample cannot trade live)."""

    async def live(pilot: Any) -> None:
        await paused(pilot)
        app = pilot.app
        app.post_message(SnapshotReady(evolve(app.snapshot, mode="live")))
        await until(pilot, lambda: app.screen.has_class("-live"))

    assert snap_compare(paused_sample_app(venues_pm), terminal_size=SIZE, run_before=live)


def test_the_docs_show_the_snapshots() -> None:
    """docs/tui.md's pictures are the reviewed snapshots, not an older look."""
    here = Path(__file__).parent
    snapshots = here / "__snapshots__" / "test_tui_snapshots"
    docs = here.parent / "docs"
    page = (docs / "tui.md").read_text(encoding="utf-8")
    pictures = {f"test_screen[{name}].svg": f"{name}.svg" for name in SCREEN_NAMES}
    pictures["test_live_header.svg"] = "live.svg"
    for snapshot, picture in pictures.items():
        assert f"](tui/{picture})" in page
        assert (docs / "tui" / picture).read_bytes() == (snapshots / snapshot).read_bytes()
