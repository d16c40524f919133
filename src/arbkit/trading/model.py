"""The trading domain shared by the risk gate, the executors, the position book and the CLI.

An :class:`~arbkit.Opportunity` that passes the risk gate becomes a sized :class:`TradePlan`:
equal contracts on each leg, each leg with a limit price. An executor (paper or live) turns a
plan into fills; the :class:`TradeState` of a two-leg entry is stored before every next action,
so a restart resumes it instead of guessing. Every price, size and dollar amount is a Decimal.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal

from attrs import define, field, frozen

from arbkit.models import Side

ZERO = Decimal(0)


class Mode(enum.StrEnum):
    PAPER = "paper"
    LIVE = "live"


class RiskState(enum.StrEnum):
    """ACTIVE trades; REDUCING only exits and hedges (no new entries); HALTED likewise, set by
    the kill switch or the daily loss limit. Cancels, hedges and exits always go through."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class Reject(enum.StrEnum):
    """Why the risk gate (or sizing) refused an opportunity: stored with every refusal."""

    HALTED = "halted"
    REDUCING = "reducing"
    LOW_CONFIDENCE = "low_confidence"
    PRICE_ABOVE_MAX = "price_above_max"
    EDGE_BELOW_MIN = "edge_below_min"
    DOUBTFUL_BOOK = "doubtful_book"  #: stale, continuity lost, or missing
    STARTS_SOON = "starts_soon"
    SETTLEMENT_MISMATCH = "settlement_mismatch"  #: does not pay $1 in every outcome
    NOT_PERSISTED = "not_persisted"  #: seen for less than the minimum time
    ALREADY_HELD = "already_held"  #: a position (or a trade in flight) in this game
    EXPOSURE_GAME = "exposure_game"
    EXPOSURE_VENUE = "exposure_venue"
    EXPOSURE_LEAGUE = "exposure_league"
    EXPOSURE_TOTAL = "exposure_total"
    MAX_POSITIONS = "max_positions"
    NO_CASH = "no_cash"  #: the bankroll on a leg's venue cannot pay for it
    TOO_SMALL = "too_small"  #: sizing left less than a venue's minimum order
    VENUE_BLOCKED = "venue_blocked"  #: an unknown-outcome write or a position drift there


@frozen(kw_only=True)
class RiskLimits:
    """The user's limits (``[trade]`` in the config, flags on ``arbkit trade``)."""

    min_confidence: float = 0.9
    max_entry_price: Decimal = Decimal("0.85")  #: no leg is bought above this
    min_edge: Decimal = Decimal("0.01")  #: net edge per contract after fees, dollars
    max_book_age: timedelta | None = timedelta(seconds=30)
    start_cutoff: timedelta = timedelta(minutes=5)  #: no entry this close to the start
    min_persist: timedelta = timedelta(seconds=0)  #: an opportunity must be seen this long
    max_per_game: Decimal = Decimal(200)  #: dollars at risk per game
    max_per_venue: Decimal = Decimal(1000)
    max_per_league: Decimal = Decimal(500)
    max_total: Decimal = Decimal(2000)
    max_open_positions: int = 20
    daily_loss_limit: Decimal = Decimal(100)  #: realized loss in one day that halts entries
    #: per-venue cash, dollars (cash sits on each venue separately)
    bankroll: dict[str, Decimal] = field(factory=dict)
    kelly_fraction: Decimal = Decimal("0.25")
    #: probability that the venues settle a game differently when their rules do not fix it
    void_probability: Decimal = Decimal("0.002")
    #: probability that the second leg misses (the hedge retry then pays slippage)
    leg_miss_probability: Decimal = Decimal("0.05")


@frozen(kw_only=True)
class Decision:
    """The gate's verdict on one opportunity at one moment."""

    key: str  #: the opportunity's key
    game_id: str
    strategy: str
    accepted: bool
    at: datetime
    reason: Reject | None = None
    detail: str = ""
    size: Decimal = ZERO  #: contracts per leg after sizing (accepted only)


@frozen(kw_only=True)
class LegPlan:
    """One order of a plan: ``side`` ``size`` contracts of ``contract_id``, no worse than
    ``limit_price``; ``expected_price`` and ``expected_fee`` are what the book showed."""

    venue: str
    market_id: str
    contract_id: str
    outcome: str
    side: Side
    size: Decimal
    limit_price: Decimal
    expected_price: Decimal
    expected_fee: Decimal = ZERO


class PlanKind(enum.StrEnum):
    ENTRY = "entry"  #: buy both legs of an opportunity
    EXIT = "exit"  #: sell what a position holds


@frozen(kw_only=True)
class TradePlan:
    """A sized, approved two-leg trade: what an executor is asked to do."""

    trade_id: str  #: unique; client order ids derive from it (``<trade_id>-<leg>-<attempt>``)
    kind: PlanKind
    mode: Mode
    game_id: str
    league: str | None
    strategy: str
    opportunity_key: str
    legs: tuple[LegPlan, ...]
    size: Decimal  #: contracts per leg
    decided_at: datetime
    confidence: float = 1.0
    start_time: datetime | None = None
    expected_cost: Decimal = ZERO  #: entries: dollars out, fees included
    expected_profit: Decimal = ZERO
    reason: str = ""  #: exits: the exit rule's reason


class TradeState(enum.StrEnum):
    """The stored state machine of a two-leg trade (docs/trading.md has the diagram)."""

    PLANNED = "planned"
    LEG1_SENT = "leg1_sent"
    LEG1_FILLED = "leg1_filled"
    LEG1_PARTIAL = "leg1_partial"
    LEG2_SENT = "leg2_sent"
    HEDGED = "hedged"  #: both legs hold equal contracts: done
    UNWINDING = "unwinding"  #: leg 2 missed for good: selling leg 1 back
    BROKEN = "broken"  #: one-legged and could not be fixed: a person must look
    MISSED = "missed"  #: leg 1 filled nothing: no position, nothing to do
    FLAT = "flat"  #: unwound: no position left

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({TradeState.HEDGED, TradeState.BROKEN, TradeState.MISSED, TradeState.FLAT})


@frozen(kw_only=True)
class TradeFill:
    """One execution of one leg of a plan, as a position records it."""

    trade_id: str
    leg: int  #: index into the plan's legs
    venue: str
    market_id: str
    contract_id: str
    side: Side
    price: Decimal
    size: Decimal
    fee: Decimal
    at: datetime
    client_order_id: str = ""
    order_id: str | None = None
    fill_id: str = ""  #: the venue's fill id (live), ``<client_order_id>:<n>`` (paper)


class PositionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"  #: sold back
    SETTLED = "settled"  #: paid out by the venues


@define
class LegPosition:
    """Contracts of one contract held in one game, built from fills."""

    venue: str
    market_id: str
    contract_id: str
    outcome: str
    size: Decimal = ZERO  #: contracts held now
    bought: Decimal = ZERO  #: contracts ever bought
    cost: Decimal = ZERO  #: dollars paid for them, before fees
    proceeds: Decimal = ZERO  #: dollars received from sales and settlement, before fees
    fees: Decimal = ZERO
    fills: list[TradeFill] = field(factory=list)

    @property
    def avg_price(self) -> Decimal | None:
        return self.cost / self.bought if self.bought else None


@define
class GamePosition:
    """Everything held in one game: the two legs of an arbitrage, seen whole by exit rules."""

    game_id: str
    league: str | None
    strategy: str
    mode: Mode
    opened_at: datetime
    start_time: datetime | None = None
    legs: dict[str, LegPosition] = field(factory=dict)  #: by contract id
    status: PositionStatus = PositionStatus.OPEN
    exit_reason: str | None = None
    closed_at: datetime | None = None
    unrealized_pnl: Decimal = ZERO  #: marked to the books (sell-now value minus cost, fees)
    marked_at: datetime | None = None

    @property
    def cost(self) -> Decimal:
        return sum((leg.cost for leg in self.legs.values()), ZERO)

    @property
    def proceeds(self) -> Decimal:
        return sum((leg.proceeds for leg in self.legs.values()), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((leg.fees for leg in self.legs.values()), ZERO)

    @property
    def is_open(self) -> bool:
        return self.status is _OPEN


_OPEN = PositionStatus.OPEN  #: a module constant: ``is_open`` is on the marking hot path
