"""arbkit's built-in Kalshi venue plugin: hook implementations only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arbkit import hookimpl


@hookimpl
def register_venues(register: Callable[[type[Any]], None]) -> None:
    from arbkit_kalshi.venue import KalshiVenue

    register(KalshiVenue)
