"""The Venue SDK surface every venue plugin implements.

A venue plugin subclasses :class:`Venue`. The *codec* class methods turn the venue's raw payloads
into the domain model without any network, which is what lets the replay venue, the sample data
and ``arbkit match --polymarket FILE`` run the very same parsers as live trading. The async
instance methods talk to the venue. Anything a venue does not offer raises
:class:`~arbkit.errors.NotSupported` (the default here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from attrs import field, frozen

from arbkit.clock import Clock, WallClock
from arbkit.errors import ConfigError, NotSupported
from arbkit.models import (
    ONE,
    ZERO,
    Contract,
    Fill,
    Market,
    Order,
    OrderBook,
    OrderRequest,
    Position,
    Settlement,
    Side,
    SubjectResult,
    TimeInForce,
)
from arbkit.secrets import Secret

if TYPE_CHECKING:
    from arbkit.streaming import StreamDecoder, StreamEvent


@frozen(kw_only=True)
class VenueSettings:
    """Per-venue configuration, from the config file's ``[venues.<name>]`` section and env vars.

    Credentials are :class:`~arbkit.secrets.Secret` values, never plain strings.
    """

    base_urls: Mapping[str, str] = field(factory=dict)
    proxy: str | None = None
    timeout: float = 10.0
    sandbox: bool = False
    credentials: Mapping[str, Secret] = field(factory=dict)
    options: Mapping[str, Any] = field(factory=dict)

    def url(self, name: str, default: str) -> str:
        return self.base_urls.get(name, default)

    def credential(self, name: str) -> Secret | None:
        return self.credentials.get(name)


@frozen(kw_only=True)
class DiscoveryQuery:
    """What to discover: leagues (canonical codes, e.g. ``{"NBA"}``; empty = all supported)."""

    leagues: frozenset[str] = frozenset()
    include_closed: bool = False


@frozen(kw_only=True)
class Recording:
    """A venue's recorded payloads, parsed: markets, book snapshots and the timed stream."""

    markets: tuple[Market, ...] = ()
    books: tuple[OrderBook, ...] = ()
    #: ``(epoch ms, raw stream message)`` in time order: a tuple, or a
    #: :class:`arbkit.recordings.StreamFile` that reads the file as it plays.
    stream: Iterable[tuple[int, Mapping[str, Any]]] = ()
    first_timestamp_ms: int | None = None
    #: recorded settlements (``polymarket/resolved.json``, ``kalshi/settled.json``), played at
    #: their ``settled_at`` on the replay's clock
    settlements: tuple[Settlement, ...] = ()


class Venue:
    """Base class of every venue plugin.

    Class attributes:
        name: the venue id used everywhere (config sections, the DB, ``--venues``).
        title: a human name.
        leagues: canonical league codes this venue plugin can discover.
        credential_names: the credentials it reads (``arbkit config`` masks them).
        has_sandbox: the venue offers a test environment that ``sandbox`` settings select.
        plays_recordings: the venue plays replay directories (:meth:`open_session`); the engine
            finds the replay player by this capability, never by its name.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    leagues: ClassVar[tuple[str, ...]] = ()
    credential_names: ClassVar[tuple[str, ...]] = ()
    has_sandbox: ClassVar[bool] = False
    plays_recordings: ClassVar[bool] = False

    def __init__(
        self, settings: VenueSettings | None = None, *, clock: Clock | None = None
    ) -> None:
        settings = settings or VenueSettings()
        if settings.sandbox and not self.has_sandbox:
            # Asked for a test environment that does not exist: never fall through to production.
            raise ConfigError(
                f"{self.name or type(self).__name__} has no sandbox; "
                "drop --sandbox (or sandbox = true) for it, or leave it out with --venues"
            )
        self.settings = settings
        self.clock: Clock = clock or WallClock()

    # -- codec: raw payloads → domain model, no network -------------------------------------

    @classmethod
    def parse_markets(
        cls, objects: Iterable[Mapping[str, Any]], *, context: Mapping[str, Any] | None = None
    ) -> list[Market]:
        """Parse the venue's raw event or market objects (as its public API returns them)."""
        raise NotSupported("parsing markets", venue=cls.name)

    @classmethod
    def parse_books(cls, payload: Any, markets: Sequence[Market] = ()) -> list[OrderBook]:
        """Parse recorded book responses into one :class:`OrderBook` per contract."""
        raise NotSupported("parsing books", venue=cls.name)

    @classmethod
    def stream_decoder(cls, markets: Sequence[Market]) -> StreamDecoder:
        """A decoder for this venue's stream messages about ``markets``."""
        raise NotSupported("streaming", venue=cls.name)

    @classmethod
    def parse_settlements(cls, objects: Iterable[Mapping[str, Any]]) -> list[Settlement]:
        """Parse resolved/settled market objects (as the venue's API returns them)."""
        raise NotSupported("parsing settlements", venue=cls.name)

    @classmethod
    def settlement_payout(
        cls, market: Market, contract: Contract, result: SubjectResult
    ) -> Decimal | None:
        """What ``contract`` pays per contract if the game ends ``result`` for its subject.

        None means the venue's rules do not fix the amount in advance (Kalshi settles a
        cancelled game "at a fair price"). The default is a plain "subject wins" claim: a tie
        pays nothing (its negation pays 1) and a void is unknown. Venues override it with
        their own rules (Polymarket resolves a tied or cancelled NFL game 50-50).
        """
        if result is SubjectResult.VOID:
            return None
        wins = result is SubjectResult.WINS
        return ZERO if wins == contract.negated else ONE

    @classmethod
    def valid_size(
        cls,
        market: Market,
        side: Side,
        price: Decimal,
        size: Decimal,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> Decimal:
        """The largest order size ≤ ``size`` this venue accepts at ``price`` (0 if none).

        The default floors to the market's ``size_increment`` and refuses less than its
        ``min_size``. Venues with stricter rules override it (Polymarket FOK/FAK amounts have
        their own precision), so that a two-leg trade can be sized to one size valid on both.
        """
        step = market.size_increment
        valid = (size // step) * step if step > 0 else size
        return valid if valid >= market.min_size and valid > 0 else ZERO

    @classmethod
    def snap_price(
        cls, market: Market, contract_id: str, price: Decimal, *, up: bool = False
    ) -> Decimal:
        """``price`` on the market's price grid: down (a buy's limit, never worse than asked)
        or ``up`` (a sell's). The default grid is ``tick_size``; venues with finer, banded
        grids (Kalshi's ``price_ranges``) override it."""
        tick = market.tick_size
        steps = (price / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
        return steps * tick

    @classmethod
    def read_recording(cls, directory: Path) -> Recording:
        """Read this venue's part of a replay directory (see docs/replay-format.md)."""
        raise NotSupported("replay", venue=cls.name)

    @classmethod
    def open_session(cls, pm: Any, directory: Path, *, speed: float = 0.0) -> Any:
        """Open a replay directory as an :class:`arbkit.engine.Session` (replay players only)."""
        raise NotSupported("playing recordings", venue=cls.name)

    # -- market data ----------------------------------------------------------------------------

    async def discover(self, query: DiscoveryQuery | None = None) -> list[Market]:
        """List the venue's game markets (all market types; callers filter)."""
        raise NotSupported("discovery", venue=self.name)

    async def fetch_books(self, markets: Sequence[Market]) -> dict[str, OrderBook]:
        """Current books of every contract of ``markets``, keyed by contract id."""
        raise NotSupported("order books", venue=self.name)

    def stream_books(self, markets: Sequence[Market]) -> AsyncIterator[StreamEvent]:
        """Live book updates for ``markets``; raise NotSupported to be polled instead."""
        raise NotSupported("streaming", venue=self.name)

    # -- trading (opt-in) -----------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> Order:
        raise NotSupported("placing orders", venue=self.name)

    async def cancel_order(self, order_id: str) -> Order:
        raise NotSupported("cancelling orders", venue=self.name)

    async def get_order(
        self, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order:
        raise NotSupported("order status", venue=self.name)

    async def open_orders(self) -> list[Order]:
        raise NotSupported("listing orders", venue=self.name)

    async def fills(self) -> list[Fill]:
        raise NotSupported("listing fills", venue=self.name)

    async def positions(self) -> list[Position]:
        raise NotSupported("positions", venue=self.name)

    async def balance(self) -> Decimal:
        raise NotSupported("balance", venue=self.name)

    async def aclose(self) -> None:
        """Release connections."""
