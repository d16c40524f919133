"""Compact charts made of characters (bar rows, sparklines) and the display formats of figures,
shared by the terminal and the Markdown report."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from arbkit.money import format_decimal

BLOCKS = "▁▂▃▄▅▆▇█"
BAR = "█"


def bar_rows(rows: Sequence[tuple[str, int]], width: int = 30) -> list[str]:
    """One line per ``(label, count)``: the label, a bar scaled to the largest count, the count."""
    if not rows:
        return []
    top = max(count for _, count in rows) or 1
    pad = max(len(label) for label, _ in rows)
    lines = []
    for label, count in rows:
        length = round(count * width / top)
        bar = BAR * length if count == 0 or length else "▏"
        lines.append(f"{label.rjust(pad)} │{bar.ljust(width)} {count}")
    return lines


def sparkline(values: Sequence[Decimal], width: int = 60) -> str:
    """One block character per value, from the lowest (▁) to the highest (█); a longer series
    is sampled at ``width`` evenly spaced points, always ending on its last value."""
    if not values:
        return ""
    if len(values) > width:
        values = [values[(i + 1) * len(values) // width - 1] for i in range(width)]
    low, high = min(values), max(values)
    span = high - low
    if not span:
        return BLOCKS[len(BLOCKS) // 2] * len(values)
    steps = len(BLOCKS) - 1
    return "".join(BLOCKS[int((v - low) * steps / span + Decimal("0.5"))] for v in values)


def money(value: Decimal | None) -> str:
    """Dollars to the cent for reading (the JSON keeps every digit)."""
    if value is None:
        return ""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{cents.copy_abs() if cents.is_zero() else cents:,}"  # no "-0.00"


def dollars(value: Decimal | None) -> str:
    """``$17.92``, ``-$5.98``: the sign before the dollar sign, as a person writes it."""
    if value is None:
        return ""
    text = money(value)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def edge(value: Decimal | None) -> str:
    """A per-contract edge or price to four places."""
    if value is None:
        return ""
    return format_decimal(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


def seconds(value: Decimal | None) -> str:
    """``850 ms``, ``12.5 s``, ``4 min 30 s``, ``2 h 01 min``."""
    if value is None:
        return ""
    if value < 1:
        return f"{int(value * 1000)} ms"
    if value < 60:
        return f"{value.quantize(Decimal('0.1'))} s"
    whole = int(value)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"
