"""arbkit's built-in replay venue: recorded raw venue payloads served through each venue's parsers.

Registered through the ``arbkit`` entry-point group like any third-party plugin. ``arbkit scan
--replay DIR`` and ``--sample`` use it; see docs/replay-format.md for the directory layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arbkit import hookimpl

__all__ = ["ReplaySession", "ReplayVenue"]


@hookimpl
def register_venues(register: Callable[[type], None]) -> None:
    from arbkit_replay.venue import ReplayVenue  # imported when venues are asked for

    register(ReplayVenue)


def __getattr__(name: str) -> Any:
    if name in __all__:
        from arbkit_replay import venue

        return getattr(venue, name)
    raise AttributeError(f"module 'arbkit_replay' has no attribute {name!r}")
