"""Exact prices and sizes: parse venue strings into Decimal and round on a venue's grid.

Binary floats never enter the trading path: ``0.1 + 0.2 != 0.3`` is a bug when summed over
thousands of fills. Everything that is a price, a size or money is a :class:`Decimal` built from a
string (or an int), and every rounding says which way it goes.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from arbkit.errors import BadResponse

CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """Convert a venue value (string, int or Decimal) into an exact Decimal.

    Floats are converted through ``repr`` so that ``0.1`` becomes ``Decimal("0.1")``; venues
    that send JSON numbers for prices (a few do) still give exact values.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadResponse(f"expected a finite number, got {value!r}")
        return value
    if isinstance(value, bool):
        raise BadResponse(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadResponse(f"expected a finite number, got {value!r}")
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise BadResponse(f"expected a decimal number, got {value!r}") from None
        if not result.is_finite():
            raise BadResponse(f"expected a finite number, got {value!r}")
        return result
    raise BadResponse(f"expected a decimal number, got {value!r}")


# The rounding mode is passed by position: Decimal's C methods parse a keyword argument far more
# slowly (about 200 ns), and these two run many times per sizing decision.


def round_down(value: Decimal, step: Decimal) -> Decimal:
    """Round ``value`` down to a multiple of ``step`` (sizes you can afford, bids)."""
    return (value / step).to_integral_value(ROUND_FLOOR) * step


def round_up(value: Decimal, step: Decimal) -> Decimal:
    """Round ``value`` up to a multiple of ``step`` (fees, asks)."""
    return (value / step).to_integral_value(ROUND_CEILING) * step


def on_grid(value: Decimal, step: Decimal) -> bool:
    """True if ``value`` is an exact multiple of ``step``."""
    return (value % step) == 0


def format_decimal(value: Decimal) -> str:
    """A plain-notation string without exponent or trailing zeros, for JSON output."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
