"""Building the dashboard for tests: the sample, paused at a fixed moment of its recorded clock.

At the pause the engine has played the sample up to 23:02:51Z: six opportunities are open (one
just changed), one has vanished and is fading, two paper positions are open. Every screen then
draws the same thing on every run, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from arbkit.engine.build import EngineSettings
from arbkit.plugins import ArbkitPluginManager, make_plugin_manager
from arbkit.tui import ArbkitApp, TuiSettings, make_app

PAUSE_AT = datetime(2026, 11, 24, 23, 2, 51, tzinfo=UTC)
SIZE = (120, 40)


@pytest.fixture
def venues_pm() -> ArbkitPluginManager:
    """A manager with the installed venue plugins (the sample plays through the replay venue)."""
    return make_plugin_manager()


def paused_sample_app(pm: Any, **engine: Any) -> ArbkitApp:
    settings = TuiSettings(
        engine=EngineSettings(sample=True, settlements=True, speed=0, **engine),
        pause_at=PAUSE_AT,
        highlight_seconds=30,  # rows changed in the last 30 s of the recording are highlighted
    )
    return make_app(pm, settings)


async def until(pilot: Any, predicate: Any, timeout: float = 30.0) -> None:
    """Let the app run until ``predicate()`` holds (the engine runs on its own thread)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        if pilot.app.runner.done.is_set() and pilot.app.runner.error:
            raise AssertionError(pilot.app.runner.error)
        await pilot.pause(0.02)
    await pilot.pause()


async def paused(pilot: Any) -> None:
    """Wait for the sample to reach the pause and the screen to draw it."""
    await until(pilot, lambda: pilot.app.snapshot.phase == "paused")
