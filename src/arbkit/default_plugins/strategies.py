"""Built-in strategies, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from collections.abc import Callable

from arbkit.hookspecs import hookimpl
from arbkit.scan.strategies import CompleteSet, CrossVenue


@hookimpl
def register_strategies(register: Callable[[type], None]) -> None:
    register(CrossVenue)
    register(CompleteSet)
