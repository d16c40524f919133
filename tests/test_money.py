"""Exact money: parsing venue values and rounding on a grid, each in a stated direction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arbkit import BadResponse, format_decimal, round_down, round_up, to_decimal
from arbkit.money import on_grid


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.55", "0.55"), (" 0.10 ", "0.10"), (3, "3"), (0.1, "0.1"), (Decimal("1.5"), "1.5")],
)
def test_to_decimal(value: object, expected: str) -> None:
    assert to_decimal(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", True, None, [1]])
def test_to_decimal_refuses(value: object) -> None:
    with pytest.raises(BadResponse):
        to_decimal(value)


def test_float_sum_stays_exact() -> None:
    assert to_decimal(0.1) + to_decimal(0.2) == Decimal("0.3")


@pytest.mark.parametrize(
    ("value", "step", "down", "up"),
    [
        ("0.5549", "0.01", "0.55", "0.56"),
        ("0.55", "0.01", "0.55", "0.55"),
        ("7.9", "1", "7", "8"),
        ("0.1234", "0.001", "0.123", "0.124"),
    ],
)
def test_rounding_directions(value: str, step: str, down: str, up: str) -> None:
    assert round_down(Decimal(value), Decimal(step)) == Decimal(down)
    assert round_up(Decimal(value), Decimal(step)) == Decimal(up)


def test_on_grid() -> None:
    assert on_grid(Decimal("0.55"), Decimal("0.01"))
    assert not on_grid(Decimal("0.555"), Decimal("0.01"))


@pytest.mark.parametrize(
    ("value", "text"), [("1.500", "1.5"), ("100", "100"), ("1E+2", "100"), ("-0.00", "0")]
)
def test_format_decimal(value: str, text: str) -> None:
    assert format_decimal(Decimal(value)) == text


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("-Infinity"), "nan"],
)
def test_a_non_finite_number_is_never_a_price(value) -> None:
    with pytest.raises(BadResponse, match="finite"):
        to_decimal(value)
