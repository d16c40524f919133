"""arbkit's built-in replay venue: recorded raw venue payloads served through each venue's parsers.

Registered through the ``arbkit`` entry-point group like any third-party plugin. ``arbkit scan
--replay DIR`` and ``--sample`` use it; see docs/replay-format.md for the directory layout.
"""

from __future__ import annotations

from collections.abc import Callable

from arbkit import hookimpl
from arbkit_replay.venue import ReplaySession, ReplayVenue

__all__ = ["ReplaySession", "ReplayVenue"]


@hookimpl
def register_venues(register: Callable[[type], None]) -> None:
    register(ReplayVenue)
