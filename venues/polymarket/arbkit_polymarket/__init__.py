"""arbkit's built-in Polymarket venue plugin (hookimpls only; the code lives in the modules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arbkit import hookimpl


@hookimpl
def register_venues(register: Callable[[type[Any]], None]) -> None:
    """Offer :class:`~arbkit_polymarket.venue.PolymarketVenue` as ``polymarket``."""
    from arbkit_polymarket.venue import PolymarketVenue

    register(PolymarketVenue)
