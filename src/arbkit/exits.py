"""The exit-rule contract: look at an open position and say whether (and why) to close it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from arbkit.models import OrderBook, Position


class ExitRule:
    """Base class of exit plugins. ``options`` come from the config's ``[exits.<name>]``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    def should_exit(
        self,
        position: Position,
        books: Mapping[str, OrderBook],
        now: datetime,
        *,
        start_time: datetime | None = None,
    ) -> str | None:
        """A reason to close ``position`` now, or None to keep it."""
        raise NotImplementedError
