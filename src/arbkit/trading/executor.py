"""The one interface behind which paper and live execution sit.

The trader hands an executor approved :class:`~arbkit.trading.model.TradePlan` objects and
tells it about every stream event (a paper executor fills on them; a live one ignores them).
The executor reports back through an :class:`ExecutionListener`: every fill, and every state a
two-leg trade passes through. Nothing else in arbkit talks to a venue's order endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from arbkit.models import OrderBook
from arbkit.streaming import StreamEvent
from arbkit.trading.model import LegPlan, Mode, TradeFill, TradePlan, TradeState

#: The current book of a contract id (the engine's), or None if it has none.
BookLookup = Callable[[str], OrderBook | None]


def miss_prone_leg(plan: TradePlan, depth_of: Callable[[LegPlan], Decimal]) -> int:
    """The leg-order policy both executors follow: the leg more likely to miss goes first
    (as fill-or-kill), i.e. the one with less depth within its limit per contract asked
    (``depth_of``: what the executor can see there); a tie goes to the plan's first leg."""
    a, b = plan.legs
    # depth_b / size_b < depth_a / size_a, without dividing
    return 1 if depth_of(b) * a.size < depth_of(a) * b.size else 0


class ExecutionListener(Protocol):
    """What the trader hears from an executor (called on the engine's task)."""

    def filled(self, plan: TradePlan, fill: TradeFill) -> None:
        """A leg of ``plan`` executed (part of) its order."""
        ...

    def trade_state(
        self, plan: TradePlan, state: TradeState, detail: str, at: datetime | None = None
    ) -> None:
        """``plan`` moved to ``state`` (already stored by a live executor) at ``at``: the
        executor's moment (a paper fill's due time), else the engine clock's now."""
        ...


class Executor(Protocol):
    """Paper or live. ``mode`` is shown everywhere so that the two cannot be confused."""

    mode: Mode

    def submit(self, plan: TradePlan) -> None:
        """Start executing ``plan``; results arrive through the listener."""
        ...

    def on_event(self, event: StreamEvent, at: datetime) -> None:
        """A stream event, before the engine applies it (the paper executor's clock tick)."""
        ...

    def busy(self, game_id: str) -> bool:
        """Whether a plan for ``game_id`` is still being executed."""
        ...

    async def drain(self) -> None:
        """Finish or settle everything in flight (end of a replay, shutdown)."""
        ...
