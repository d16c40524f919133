"""How the dashboard writes numbers and times: exact decimals, the engine's clock, no wall time."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from arbkit.money import format_decimal


def num(value: Decimal | None) -> str:
    """A decimal as it is (no exponent, no trailing zeros); ``-`` for none."""
    return "-" if value is None else format_decimal(value)


def money(value: Decimal) -> str:
    """Dollars to the cent, signed when negative: ``$76.29``, ``-$1.05``."""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"-${-cents:,}" if cents < 0 else f"${cents:,}"


def price(value: Decimal | None, places: int = 4) -> str:
    if value is None:
        return "-"
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)}"


def clock(moment: datetime | None) -> str:
    """An engine-clock time, UTC, to the second: ``2026-11-24 23:05:10Z``."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


def short_clock(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%H:%M:%S")


def short_game(game_id: str) -> str:
    """``NCAAB:2026-11-24:DUKE@MICH`` → ``NCAAB DUKE@MICH`` (the date is in the header)."""
    parts = game_id.split(":")
    return f"{parts[0]} {parts[-1]}" if len(parts) >= 3 else game_id


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
