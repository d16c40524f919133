"""Exact summary statistics and histograms over Decimals, shared by every section and chart.

Quantiles are nearest-rank (an observed value, never an interpolation), so every figure the
report prints is one that happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from attrs import frozen

from arbkit.money import format_decimal

#: bin widths tried in order for a value histogram: the first giving at most MAX_BINS wins
WIDTHS = tuple(
    Decimal(w) for w in ("0.001", "0.0025", "0.005", "0.01", "0.02", "0.05", "0.1", "0.25", "1")
)
MAX_BINS = 12
MEAN_PLACES = Decimal("0.000001")  #: a mean is a statistic, not money: six places say enough


@frozen
class Summary:
    """Count, extremes, mean and nearest-rank quantiles of a set of values."""

    count: int
    minimum: Decimal | None = None
    median: Decimal | None = None
    p90: Decimal | None = None
    maximum: Decimal | None = None
    mean: Decimal | None = None

    @classmethod
    def of(cls, values: Sequence[Decimal]) -> Summary:
        if not values:
            return cls(0)
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            minimum=ordered[0],
            median=nearest_rank(ordered, Decimal("0.5")),
            p90=nearest_rank(ordered, Decimal("0.9")),
            maximum=ordered[-1],
            mean=(sum(ordered, Decimal(0)) / len(ordered)).quantize(MEAN_PLACES),
        )

    def to_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else format_decimal(value)

        return {
            "count": self.count,
            "min": text(self.minimum),
            "median": text(self.median),
            "p90": text(self.p90),
            "max": text(self.maximum),
            "mean": text(self.mean),
        }


def nearest_rank(ordered: Sequence[Decimal], share: Decimal) -> Decimal:
    """The smallest value with at least ``share`` of the (sorted) values at or below it."""
    rank = int((share * len(ordered)).to_integral_value(rounding="ROUND_CEILING"))
    return ordered[max(rank, 1) - 1]


@frozen
class Bin:
    """``count`` values in [low, high); ``high`` None means no upper bound."""

    label: str
    low: Decimal | None
    high: Decimal | None
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "low": None if self.low is None else format_decimal(self.low),
            "high": None if self.high is None else format_decimal(self.high),
            "count": self.count,
        }


def value_bins(values: Sequence[Decimal]) -> list[Bin]:
    """Equal-width bins over ``values``, the width a round step giving at most MAX_BINS bins."""
    if not values:
        return []
    low, high = min(values), max(values)
    width = next((w for w in WIDTHS if _bin_count(low, high, w) <= MAX_BINS), None)
    if width is None:
        width = (high - low) / (MAX_BINS - 1)
    start = _floor(low, width)
    edges = [start + width * i for i in range(_bin_count(low, high, width) + 1)]
    bins = []
    for left, right in zip(edges, edges[1:], strict=False):
        count = sum(1 for v in values if left <= v < right)
        label = f"{format_decimal(left)}–{format_decimal(right)}"
        bins.append(Bin(label, left, right, count))
    return bins


def edge_bins(values: Sequence[Decimal], edges: Sequence[tuple[str, Decimal]]) -> list[Bin]:
    """Bins with fixed lower edges (``(label, low)``, ascending); the last has no upper bound."""
    bins = []
    for i, (label, low) in enumerate(edges):
        high = edges[i + 1][1] if i + 1 < len(edges) else None
        count = sum(1 for v in values if v >= low and (high is None or v < high))
        bins.append(Bin(label, low, high, count))
    return bins


def _floor(value: Decimal, width: Decimal) -> Decimal:
    return (value / width).to_integral_value(rounding=ROUND_FLOOR) * width


def _bin_count(low: Decimal, high: Decimal, width: Decimal) -> int:
    """Bins of ``width`` from ``low``'s floor needed so that ``high`` falls inside one."""
    return int(((high - _floor(low, width)) / width).to_integral_value(rounding=ROUND_FLOOR)) + 1
