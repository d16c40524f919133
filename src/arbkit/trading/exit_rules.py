"""The built-in exit rules (registered by :mod:`arbkit.default_plugins.exits`, through the
same hook a third-party plugin uses).

Options come from the config's ``[exits.<name>]`` table and are checked when the rule is built
(a bad one is one ConfigError). Profit figures are the position's whole P&L if it were closed
now (:class:`arbkit.trading.positions.CloseValue.total`): fees already paid count, so a "take
profit" never sells at a loss. A rule that needs prices says nothing while a held leg cannot be
sold whole into a usable book.

A rule whose answer changes with time alone says when with ``next_change(position, now)``:
the first moment after ``now`` its answer could differ for the same legs, books and markets
(None: never). The trader's once-a-second pass does not ask a position again before then
while nothing else changed (:meth:`arbkit.trading.exits.ExitManager.quiet_until`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from arbkit.config import seconds_option
from arbkit.errors import BadResponse, ConfigError
from arbkit.exits import ExitRule
from arbkit.models import Market, OrderBook
from arbkit.money import format_decimal, to_decimal
from arbkit.trading.model import GamePosition
from arbkit.trading.positions import CloseValue, close_value


def _where(rule: ExitRule) -> str:
    return f"[exits.{rule.name}]"


def _decimal(rule: ExitRule, key: str, default: str | None) -> Decimal | None:
    """A dollar amount or percentage option, 0 or more (None: not set and no default)."""
    value = rule.options.get(key, default)
    if value is None:
        return None
    try:
        number = to_decimal(value)
    except (BadResponse, TypeError, ValueError):
        number = None
    if number is None or number < 0:
        raise ConfigError(f"{_where(rule)} {key} must be a number (0 or more), got {value!r}")
    return number


def _seconds(rule: ExitRule, key: str, default: float) -> timedelta:
    return timedelta(seconds=seconds_option(_where(rule), key, rule.options.get(key, default)))


def _money(value: Decimal) -> str:
    return format_decimal(value)


class MinHold(ExitRule):
    """Vetoes every exit in a position's first ``seconds`` (default 15): a fresh arbitrage
    is never sold on the noise of its own fills."""

    name = "min_hold"
    description = "No exit in the first N seconds of a position (default 15)."

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.hold = _seconds(self, "seconds", 15)

    def holds(self, position: GamePosition, now: datetime) -> str | None:
        if now - position.opened_at < self.hold:
            return f"held under the minimum {_money(Decimal(self.hold.total_seconds()))} s"
        return None

    def next_change(self, position: GamePosition, now: datetime) -> datetime | None:
        """The hold ends once, at ``opened_at + seconds`` (None: it has ended)."""
        end = position.opened_at + self.hold
        return end if now < end else None


class Convergence(ExitRule):
    """Sells both legs once their bids bring more than they cost (after every fee, both ways)
    by at least ``min_profit`` dollars (default 0.01): the arbitrage's profit taken early."""

    name = "convergence"
    description = "Sell when the legs can be sold for more than they cost, after fees."
    timeless = True  # a function of the close value alone

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.min_profit = _decimal(self, "min_profit", "0.01")

    def should_exit(
        self,
        position: GamePosition,
        books: Mapping[str, OrderBook],
        markets: Mapping[str, Market],
        now: datetime,
    ) -> str | None:
        value = close_value(position, books, markets)
        if value is None or self.min_profit is None:
            return None
        if value.total > 0 and value.total >= self.min_profit:
            return f"selling now makes {_money(value.total)} after fees"
        return None


class _Threshold(ExitRule):
    """A dollar (``dollars``) and/or percent-of-cost (``percent``) threshold on the P&L: a
    profit to take, or with ``loss`` a loss to stop."""

    loss: ClassVar[bool] = False
    timeless = True  # a function of the close value alone

    def should_exit(
        self,
        position: GamePosition,
        books: Mapping[str, OrderBook],
        markets: Mapping[str, Market],
        now: datetime,
    ) -> str | None:
        value = close_value(position, books, markets)
        hit = None if value is None else self.reached(value, loss=self.loss)
        if value is None or hit is None:
            return None
        if self.loss:
            return f"loss {_money(-value.total)} reached {_money(hit)}"
        return f"profit {_money(value.total)} reached {_money(hit)}"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.dollars = _decimal(self, "dollars", None)
        self.percent = _decimal(self, "percent", None)
        if self.dollars is None and self.percent is None:
            raise ConfigError(f"{_where(self)} needs dollars or percent")

    def reached(self, value: CloseValue, loss: bool) -> Decimal | None:
        """The smallest threshold the close value's P&L reaches (a profit of at least it, or
        with ``loss`` a loss of at least it), or None; the dollar one first on a tie."""
        total = value.total
        if loss and total > 0 or not loss and total <= 0:
            return None  # thresholds are 0 or more: a profit is no loss, and the reverse
        hit = None
        if self.dollars is not None and (total <= -self.dollars if loss else total >= self.dollars):
            hit = self.dollars
        if self.percent is not None:
            share = value.cost * self.percent / 100
            if (total <= -share if loss else total >= share) and (hit is None or share < hit):
                hit = share
        return hit


class TakeProfit(_Threshold):
    """Sells once closing would make at least ``dollars``, or ``percent`` of the cost."""

    name = "take_profit"
    description = "Sell when the P&L reaches X dollars or X % of the cost."
    loss = False


class StopLoss(_Threshold):
    """Sells once closing would lose at least ``dollars``, or ``percent`` of the cost."""

    name = "stop_loss"
    description = "Sell when the P&L falls to −X dollars or −X % of the cost."
    loss = True


class PreStartCutoff(ExitRule):
    """Sells ``minutes`` (default 5) before the game's start; no start time, no exit."""

    name = "pre_start_cutoff"
    description = "Sell N minutes before the game starts (default 5)."

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        minutes = seconds_option(_where(self), "minutes", self.options.get("minutes", 5))
        self.lead = timedelta(minutes=minutes)

    def should_exit(
        self,
        position: GamePosition,
        books: Mapping[str, OrderBook],
        markets: Mapping[str, Market],
        now: datetime,
    ) -> str | None:
        start = position.start_time
        if start is None or now < start - self.lead:
            return None
        return f"the game starts at {start.isoformat()}"

    def next_change(self, position: GamePosition, now: datetime) -> datetime | None:
        """It says "exit" from ``minutes`` before the start on (None: no start, or from now)."""
        start = position.start_time
        if start is None or now >= start - self.lead:
            return None
        return start - self.lead


class HoldToSettlement(ExitRule):
    """Never sells: a true arbitrage pays $1 a pair at settlement, whoever wins.

    Its presence documents the intent. The other enabled rules still apply (``convergence``
    takes an early profit, ``stop_loss`` if configured); with ``exclusive = true`` it vetoes
    every exit, so the position is only ever paid by the venues.
    """

    name = "hold_to_settlement"
    description = "Keep the position until the venues settle it (the arbitrage default)."

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        exclusive = self.options.get("exclusive", False)
        if not isinstance(exclusive, bool):
            raise ConfigError(f"{_where(self)} exclusive must be true or false, got {exclusive!r}")
        self.exclusive = exclusive

    def holds(self, position: GamePosition, now: datetime) -> str | None:
        return "held to settlement" if self.exclusive else None

    def next_change(self, position: GamePosition, now: datetime) -> datetime | None:
        return None  # the same answer at any time


#: In evaluation order: the first rule with a reason names the exit.
BUILT_INS: tuple[type[ExitRule], ...] = (
    MinHold,
    PreStartCutoff,
    StopLoss,
    TakeProfit,
    Convergence,
    HoldToSettlement,
)
