"""Snapshots of every dashboard screen on the sample, paused at 23:02:51Z on its recorded clock.

Nothing on screen comes from the wall clock, so the SVGs are the same on every run. After a
deliberate change to a screen: review the report, then ``pytest tests/test_tui_snapshots.py
--snapshot-update`` (and copy the SVGs to docs/tui/ if the look changed).
"""

from __future__ import annotations

from typing import Any

import pytest
from tui_helpers import SIZE, paused, paused_sample_app, venues_pm

from arbkit.plugins import ArbkitPluginManager

__all__ = ["venues_pm"]  # the fixture, imported for pytest


@pytest.mark.parametrize(
    "key", ["1", "2", "3", "4", "5"], ids=["opportunities", "matches", "positions", "orders", "log"]
)
def test_screen(snap_compare: Any, venues_pm: ArbkitPluginManager, key: str) -> None:
    async def at_the_pause(pilot: Any) -> None:
        await paused(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(paused_sample_app(venues_pm), terminal_size=SIZE, run_before=at_the_pause)
