"""The venue-neutral domain model: what every venue plugin parses into and every strategy reads.

Prices are probabilities in [0, 1] and sizes are contracts (1 contract pays $1 if its claim holds),
both as :class:`~decimal.Decimal`, never ``float``. Values are frozen attrs classes; state that
changes over time (positions) is mutable. Raw venue payloads are kept on the objects that come
from them (``raw``) for audit, but nothing outside a venue plugin reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import attrs
from attrs import field, frozen

from arbkit.fees import FeeModel, NoFees
from arbkit.money import to_decimal

#: One price level of a book: ``(price, size)``. A plain tuple keeps book updates allocation-light.
Level = tuple[Decimal, Decimal]

ZERO = Decimal(0)
ONE = Decimal(1)


class MarketType(enum.StrEnum):
    """What question a market asks. Only markets of the same type can ever be equivalent."""

    MONEYLINE = "moneyline"
    SPREAD = "spread"
    TOTAL = "total"
    OTHER = "other"


class Side(enum.StrEnum):
    """Whether an order buys or sells the contract it names."""

    BUY = "buy"
    SELL = "sell"


class TimeInForce(enum.StrEnum):
    GTC = "gtc"  # rests until cancelled
    GTD = "gtd"  # rests until ``expires_at``
    FOK = "fok"  # fills completely at once or not at all
    IOC = "ioc"  # fills what it can at once, the rest is cancelled (Polymarket FAK)


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # sent, not yet acknowledged
    OPEN = "open"  # resting on the book
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"  # the venue's answer was lost: reconcile before doing anything else

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


@frozen(kw_only=True)
class Event:
    """One game as a venue lists it."""

    venue: str
    event_id: str  #: Polymarket event slug, Kalshi event ticker
    title: str
    league: str | None = None  #: canonical league code, e.g. ``"NBA"``
    start_time: datetime | None = None  #: scheduled start, UTC
    game_date: date | None = None  #: the venue's own (US-Eastern) game date
    home: str | None = None  #: home team as the venue labels it
    away: str | None = None
    participants: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(factory=dict, eq=False, repr=False)


@frozen(kw_only=True)
class Contract:
    """One tradable binary claim that pays 1 if its proposition holds.

    A Polymarket outcome token, or one side (YES or NO) of a Kalshi market. ``subject`` is the team
    (as the venue labels it) that the claim is about; ``negated`` says the claim is that this
    subject does *not* win (a Kalshi NO side).
    """

    venue: str
    contract_id: str  #: Polymarket token id; Kalshi ``"<ticker>:yes"`` / ``"<ticker>:no"``
    market_id: str
    outcome: str  #: human label, e.g. ``"Lakers"`` or ``"not Los Angeles L"``
    subject: str | None = None
    negated: bool = False
    complement_id: str | None = None  #: the contract that pays when this one does not


@frozen(kw_only=True)
class GameIdentity:
    """What a venue's own identifiers (ticker, slug) say about a market's game, venue-neutrally.

    The venue plugin's parser fills it; the matcher reads it instead of knowing any venue's
    ticker format. Codes are spelled as THAT venue spells them (league data maps each venue's
    codes to teams, see docs/team-data.md). A field the identifiers do not pin down is None.
    """

    league: str | None = None  #: canonical league code, e.g. ``"NBA"``
    away: str | None = None  #: the away team's code as this venue spells it
    home: str | None = None
    game_date: date | None = None
    start_time: datetime | None = None  #: when the identifier carries one (Kalshi MLB HHMM)
    #: the date may be a UTC date (a Polymarket slug's), not the US-Eastern game date
    utc_date: bool = False
    #: the code of the team a YES/"Yes" contract is about (a Kalshi ticker suffix), if any
    yes: str | None = None
    yes_is_draw: bool = False  #: YES is "the game ends level" (a soccer TIE market)
    market_type: MarketType | None = None  #: what the identifier says the market asks


@frozen(kw_only=True)
class Market:
    """One binary question on one venue, with its tradable contracts and trading rules."""

    venue: str
    market_id: str  #: Polymarket market slug, Kalshi market ticker
    event_id: str
    title: str
    market_type: MarketType = MarketType.MONEYLINE
    league: str | None = None
    start_time: datetime | None = None
    game_date: date | None = None
    home: str | None = None
    away: str | None = None
    line: Decimal | None = field(default=None, converter=_optional_decimal)
    contracts: tuple[Contract, ...] = ()
    tick_size: Decimal = field(default=Decimal("0.01"), converter=to_decimal)
    min_size: Decimal = field(default=ONE, converter=to_decimal)
    size_increment: Decimal = field(default=ONE, converter=to_decimal)
    fees: FeeModel = field(factory=NoFees)
    active: bool = True
    close_time: datetime | None = None
    #: venue-neutral game identity from the venue's identifiers (None: the matcher uses names)
    identity: GameIdentity | None = None
    raw: Mapping[str, Any] = field(factory=dict, eq=False, repr=False)

    def contract(self, contract_id: str) -> Contract:
        for contract in self.contracts:
            if contract.contract_id == contract_id:
                return contract
        raise KeyError(contract_id)


@frozen(kw_only=True)
class OrderBook:
    """A snapshot of one contract's book: bids best (highest) first, asks best (lowest) first.

    ``continuous`` is False while the venue stream's continuity is in doubt (a sequence gap, a
    silent socket): such a book must never be traded on.
    """

    venue: str
    contract_id: str
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    timestamp: datetime | None = None
    sequence: int | None = None
    continuous: bool = True

    @property
    def best_bid(self) -> Level | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> Level | None:
        return self.asks[0] if self.asks else None


@frozen(kw_only=True)
class Quote:
    """Top of book for one contract."""

    venue: str
    contract_id: str
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal = ZERO
    ask_size: Decimal = ZERO
    timestamp: datetime | None = None

    @classmethod
    def from_book(cls, book: OrderBook) -> Quote:
        bid, ask = book.best_bid, book.best_ask
        return cls(
            venue=book.venue,
            contract_id=book.contract_id,
            bid=bid[0] if bid else None,
            ask=ask[0] if ask else None,
            bid_size=bid[1] if bid else ZERO,
            ask_size=ask[1] if ask else ZERO,
            timestamp=book.timestamp,
        )


@frozen(kw_only=True)
class OrderRequest:
    """What arbkit asks a venue to do. ``client_order_id`` makes a retry after a timeout safe."""

    venue: str
    contract_id: str
    side: Side
    price: Decimal = field(converter=to_decimal)
    size: Decimal = field(converter=to_decimal)
    client_order_id: str
    time_in_force: TimeInForce = TimeInForce.GTC
    expires_at: datetime | None = None
    post_only: bool = False


@frozen(kw_only=True)
class Order:
    """An order as the venue reports it."""

    venue: str
    order_id: str | None
    client_order_id: str | None
    contract_id: str
    side: Side
    price: Decimal = field(converter=to_decimal)
    size: Decimal = field(converter=to_decimal)
    filled: Decimal = field(default=ZERO, converter=to_decimal)
    status: OrderStatus = OrderStatus.PENDING
    average_price: Decimal | None = field(default=None, converter=_optional_decimal)
    fee: Decimal = field(default=ZERO, converter=to_decimal)
    created_at: datetime | None = None

    @property
    def remaining(self) -> Decimal:
        return self.size - self.filled


@frozen(kw_only=True)
class Fill:
    """One execution. ``fee`` is in dollars; ``fee_shares`` is a fee taken in contracts instead."""

    venue: str
    fill_id: str
    order_id: str | None
    contract_id: str
    side: Side
    price: Decimal = field(converter=to_decimal)
    size: Decimal = field(converter=to_decimal)
    fee: Decimal = field(default=ZERO, converter=to_decimal)
    fee_shares: Decimal = field(default=ZERO, converter=to_decimal)
    is_taker: bool = True
    timestamp: datetime | None = None


@attrs.define(kw_only=True)
class Position:
    """Contracts held on one venue, with their cost basis. Mutable: fills change it."""

    venue: str
    contract_id: str
    size: Decimal = field(default=ZERO, converter=to_decimal)
    cost: Decimal = field(default=ZERO, converter=to_decimal)  #: dollars paid, fees included
    realized_pnl: Decimal = field(default=ZERO, converter=to_decimal)

    @property
    def average_price(self) -> Decimal | None:
        return self.cost / self.size if self.size else None


@frozen(kw_only=True)
class Leg:
    """One side of an opportunity: buy ``size`` of a contract at ``price`` (the average paid)."""

    venue: str
    market_id: str
    contract_id: str
    outcome: str
    side: Side
    price: Decimal  #: average price paid per contract bought
    size: Decimal  #: contracts bought, and held: every fee is paid in cash on top
    fee: Decimal  #: dollars, paid on top of ``notional``
    worst_price: Decimal  #: the limit price that fills this size
    notional: Decimal = ZERO  #: sum of price × size over the levels walked, before fees


@frozen(kw_only=True)
class Opportunity:
    """A set of legs whose combined payout is guaranteed, bought for less than that payout."""

    strategy: str
    game_id: str
    title: str
    league: str | None
    start_time: datetime | None
    legs: tuple[Leg, ...]
    cost: Decimal  #: total outlay including fees
    payout: Decimal  #: guaranteed payout of the combined legs
    gross_edge: Decimal  #: per contract, before fees, at the average prices
    net_edge: Decimal  #: per contract, after fees
    size: Decimal  #: contracts bought on each leg
    expected_profit: Decimal
    confidence: float
    reasons: tuple[str, ...] = ()
    detected_at: datetime | None = None

    @cached_property  # asked several times per update by the trader and the gate
    def key(self) -> str:
        """Identity across updates: the same legs are the same opportunity."""
        return self.strategy + "|" + "|".join(sorted(leg.contract_id for leg in self.legs))


class SubjectResult(enum.StrEnum):
    """How a game ended, seen from one contract's subject (the team its claim is about)."""

    WINS = "wins"  # the subject won
    LOSES = "loses"  # the other team won
    LEVEL = "level"  # a tie or a draw
    VOID = "void"  # cancelled, no contest: the venue voids or settles "at a fair price"


@frozen(kw_only=True)
class Settlement:
    """A venue's final word on one market: what each of its contracts pays, per contract.

    ``payouts`` maps contract id → dollars paid per contract (1, 0, or 0.5 for a 50-50 void).
    A venue that settles a market "at a fair price" still states that price here.
    """

    venue: str
    market_id: str
    payouts: Mapping[str, Decimal]
    settled_at: datetime | None = None
    void: bool = False  #: resolved 50-50 or cancelled rather than won by one side
    raw: Mapping[str, Any] = field(factory=dict, eq=False, repr=False)


class Relation(enum.StrEnum):
    """How one venue's contract relates to another's."""

    SAME = "same"  # pays in exactly the same outcomes
    OPPOSITE = "opposite"  # pays in exactly the complementary outcomes


@frozen(kw_only=True)
class ContractLink:
    """Two contracts of one game on different venues, and how they relate."""

    left: Contract
    right: Contract
    relation: Relation
    confidence: float
    reasons: tuple[str, ...] = ()


@frozen(kw_only=True)
class MatchResult:
    """The matcher's answer for one game across venues: which markets and contracts line up."""

    game_id: str  #: stable id, e.g. ``"NBA:2026-01-08:MIA@CHI"``
    league: str | None
    game_date: date | None
    start_time: datetime | None
    title: str
    markets: tuple[Market, ...]
    links: tuple[ContractLink, ...]
    confidence: float
    reasons: tuple[str, ...] = ()
    #: the league's games can end level (tie/draw): "A wins" and "B wins" are then no
    #: complements. From the league data (``can_tie``); None = unknown, strategies assume it can.
    can_end_level: bool | None = None
