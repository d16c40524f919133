"""Clocks: every time-based rule asks a clock for "now", so a replay runs on its recorded time.

Look-ahead windows, start cut-offs and staleness checks never call ``datetime.now()`` directly;
they ask the :class:`Clock` they were given. Live runs use :class:`WallClock`; a replay uses a
:class:`ReplayClock` that starts at the recording's ``captured_at`` and moves with the stream.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from attrs import define


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class WallClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@define
class ReplayClock:
    """A clock that only moves when the replay says so."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance_to(self, moment: datetime) -> None:
        if moment > self.current:
            self.current = moment

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def from_epoch_ms(value: int | float | str) -> datetime:
    """A venue's epoch-milliseconds timestamp as aware UTC."""
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def parse_timestamp(value: str) -> datetime:
    """Parse the ISO-ish timestamps venues send (``Z``, ``+00``, space separator) into aware UTC."""
    text = value.strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) >= 3 and text[-3] in "+-" and text[-2:].isdigit() and "T" in text:
        # "+00" without minutes, as Polymarket's gameStartTime has it.
        text += ":00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_optional_timestamp(value: Any) -> datetime | None:
    """An optional venue time field: ISO text, or epoch seconds/milliseconds as digits.

    Missing, empty, zero or unreadable values are None: an optional field never fails a parse.
    """
    if value in (None, "", 0, "0") or isinstance(value, bool):
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            number = int(text)
            return from_epoch_ms(number if number > 10**11 else number * 1000)
        return parse_timestamp(text)
    except (ValueError, OverflowError, OSError):
        return None
