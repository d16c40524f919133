"""What the dashboard shows, as immutable snapshots built on the engine's thread.

The engine, the trader and the store live on the engine's thread; the app only ever sees a
:class:`Snapshot`, a frozen copy of what matters, so the UI never reads state that is being
changed under it. Every time in a snapshot is the engine's clock (a replay's recorded time),
which keeps the screens of a replay the same on every run.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from arbkit.bus.state import BusState
from arbkit.models import Opportunity, OrderBook

ZERO = Decimal(0)


class RowState(enum.StrEnum):
    """How an opportunity row is drawn: highlighted while new or just changed, faded once gone."""

    NEW = "new"
    CHANGED = "changed"
    STEADY = "steady"
    VANISHED = "vanished"


@frozen(kw_only=True)
class OpportunityRow:
    opportunity: Opportunity
    state: RowState
    since: datetime | None  #: when it appeared, changed or vanished (engine clock)

    @property
    def key(self) -> str:
        return self.opportunity.key


@frozen(kw_only=True)
class LinkRow:
    """One contract link of a matched game (or the pair of a near-miss)."""

    left_venue: str
    left_contract: str
    left_outcome: str
    right_venue: str
    right_contract: str
    right_outcome: str
    relation: str | None  #: None for a near-miss (the user picks one to confirm it)
    confidence: float
    reasons: tuple[str, ...]


@frozen(kw_only=True)
class MatchRow:
    """A matched game or a near-miss, as the Matches screen lists it."""

    key: str
    game: str
    league: str | None
    when: str
    confidence: float
    near_miss: bool
    links: tuple[LinkRow, ...]
    reasons: tuple[str, ...]
    decision: str = ""  #: a stored override: "confirmed", "rejected" or ""


@frozen(kw_only=True)
class LegRow:
    venue: str
    outcome: str
    bought: Decimal
    held: Decimal
    avg_price: Decimal | None
    fees: Decimal


@frozen(kw_only=True)
class PositionRow:
    game: str
    league: str | None
    status: str
    legs: tuple[LegRow, ...]
    cost: Decimal
    fees: Decimal
    realized: Decimal
    unrealized: Decimal
    marked_at: datetime | None
    exit_reason: str
    closed_at: datetime | None


@frozen(kw_only=True)
class OrderRow:
    """One two-leg trade: its plan and the state it is in."""

    trade_id: str
    kind: str
    game: str
    state: str
    legs: str
    decided_at: datetime
    detail: str
    attention: bool


@frozen(kw_only=True)
class LogEntry:
    at: datetime | None  #: engine clock (None before the engine has one)
    level: str  #: INFO, WARNING, ERROR
    source: str
    message: str


@frozen(kw_only=True)
class VenueStatus:
    name: str
    connected: bool
    detail: str  #: why not connected, or how continuity stands
    continuity: bool


@frozen(kw_only=True)
class Snapshot:
    """Everything the screens draw, as of ``as_of`` on the engine's clock."""

    version: int
    as_of: datetime | None
    mode: str  #: "paper" or "live"
    source: str
    phase: str  #: starting, running, paused, ended, failed
    risk: str  #: active, reducing, halted
    risk_reason: str = ""
    venues: tuple[VenueStatus, ...] = ()
    opportunities: tuple[OpportunityRow, ...] = ()
    books: Mapping[str, OrderBook] = field(factory=dict)
    matches: tuple[MatchRow, ...] = ()
    #: watched games the stream does not update (confirmed during a replay)
    unstreamed: frozenset[str] = frozenset()
    positions: tuple[PositionRow, ...] = ()
    realized: Decimal = ZERO
    unrealized: Decimal = ZERO
    pnl_series: tuple[Decimal, ...] = ()  #: cumulative P&L, one point per engine-clock step
    orders: tuple[OrderRow, ...] = ()
    log: tuple[LogEntry, ...] = ()
    seen: int = 0
    taken: int = 0
    rejected: Mapping[str, int] = field(factory=dict)
    note: str = ""  #: how the run ended, or why it failed
    bus: BusState | None = None  #: ``--bus``: the trading lease and the matching service

    @property
    def live(self) -> bool:
        return self.mode == "live"


def starting(mode: str, source: str) -> Snapshot:
    """What the screens show before the engine's first snapshot."""
    return Snapshot(version=0, as_of=None, mode=mode, source=source, phase="starting", risk="-")
