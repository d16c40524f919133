"""The options every trading command shares (``trade``, ``backtest``): limits, sizing, paper fills.

Spelled once so ``arbkit backtest --min-edge 0.02`` means exactly what ``arbkit trade
--min-edge 0.02`` means, and :func:`limits_from` reads them (with the config's ``[trade]``
section) into one :class:`~arbkit.trading.model.RiskLimits`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import click

from arbkit.cli.options import FiniteFloat, decimal_at_least, non_negative_decimal
from arbkit.errors import ConfigError
from arbkit.trading.model import RiskLimits

_price = decimal_at_least(Decimal(0), inclusive=False, why="a price > 0")
_dollars = decimal_at_least(Decimal(0), inclusive=True, why="dollars ≥ 0")

_OPTIONS = [
    click.option(
        "--min-edge",
        metavar="DOLLARS",
        callback=non_negative_decimal,
        help="Minimum net edge per contract after fees [0.01].",
    ),
    click.option(
        "--max-entry-price", metavar="PRICE", callback=_price, help="No leg above this [0.85]."
    ),
    click.option(
        "--min-confidence", type=FiniteFloat(0, 1), help="Minimum match confidence [0.9]."
    ),
    click.option(
        "--kelly", metavar="FRACTION", callback=_price, help="Fraction of full Kelly [0.25]."
    ),
    click.option(
        "--bankroll",
        "bankrolls",
        multiple=True,
        metavar="VENUE=DOLLARS",
        help="Paper cash on a venue (repeatable) [1000 each].",
    ),
    click.option(
        "--max-per-game", metavar="DOLLARS", callback=_dollars, help="Dollars at risk per game."
    ),
    click.option(
        "--latency",
        type=FiniteFloat(low=0),
        default=0.25,
        show_default=True,
        help="Paper: seconds from decision to fill (the book at that later moment is used).",
    ),
]


def trade_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared limit, sizing and paper-fill options to ``command``."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def limits_from(opts: dict[str, Any], config: Any) -> RiskLimits:
    """Risk limits: the defaults, then the config's ``[trade]`` section, then the flags."""
    values: dict[str, Any] = {}
    section = config.section("trade") if config is not None else {}
    for key, value in section.items():
        where = f"[trade] {key}"
        if key == "min_confidence":
            number = float(_decimal(where, value))
            if number > 1:
                raise ConfigError(f"{where}: {value!r} must be between 0 and 1")
            values[key] = number
        elif key == "max_open_positions":
            values[key] = int(_decimal(where, value))
        elif key == "start_cutoff_minutes":
            values["start_cutoff"] = timedelta(minutes=float(_decimal(where, value)))
        elif key == "min_persist_seconds":
            values["min_persist"] = timedelta(seconds=float(_decimal(where, value)))
        elif key in _DECIMAL_LIMITS:
            values[key] = _decimal(where, value)
    flags = {
        "min_edge": opts["min_edge"],
        "max_entry_price": opts["max_entry_price"],
        "min_confidence": opts["min_confidence"],
        "kelly_fraction": opts["kelly"],
        "max_per_game": opts["max_per_game"],
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    bankroll = {}
    for item in opts["bankrolls"]:
        venue, sep, amount = item.partition("=")
        if not sep or not venue.strip():
            raise click.BadParameter(f"{item!r} is not VENUE=DOLLARS", param_hint="--bankroll")
        bankroll[venue.strip()] = _decimal("--bankroll", amount)
    if bankroll:
        values["bankroll"] = bankroll
    return RiskLimits(**values)


_DECIMAL_LIMITS = {
    "min_edge",
    "max_entry_price",
    "max_per_game",
    "max_per_venue",
    "max_per_league",
    "max_total",
    "daily_loss_limit",
    "kelly_fraction",
}


def _decimal(where: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not a number")
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if not result.is_finite() or result < 0:
        raise ConfigError(f"{where}: {value!r} must be a finite number ≥ 0")
    return result
