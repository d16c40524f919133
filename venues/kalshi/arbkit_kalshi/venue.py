"""KalshiVenue, the plugin's :class:`arbkit.Venue`: codec, discovery, books, stream, trading.

Discovery walks the game series of each supported league (fee type and multiplier come from the
series), then the series' open events with nested markets. Trading is opt-in (credentials needed)
and never re-sends a write: a lost answer is reconciled by ``client_order_id``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from attrs import evolve

from arbkit import (
    Backoff,
    BadResponse,
    Clock,
    ConfigError,
    DiscoveryQuery,
    Fill,
    InvalidOrder,
    Market,
    NotFound,
    NotSupported,
    Order,
    OrderBook,
    OrderRequest,
    OrderStateUnknown,
    Position,
    Recording,
    Settlement,
    StreamEvent,
    Venue,
    VenueError,
    VenueSettings,
    WebSocketFeed,
    parse_optional_timestamp,
    read_json_file,
    read_stream_file,
    round_up,
    seconds_option,
    to_decimal,
)
from arbkit_kalshi import parse, settle
from arbkit_kalshi.fees import CENT, KalshiFees, with_override
from arbkit_kalshi.orders import (
    ONE,
    ZERO,
    PriceBand,
    as_requested,
    balance_from_body,
    check_price,
    fill_from_object,
    order_from_object,
    order_from_v2,
    position_from_object,
    price_bands,
    snap_price,
    split_contract,
    v2_order_body,
)
from arbkit_kalshi.stream import KalshiStreamDecoder

if TYPE_CHECKING:  # the HTTP client and the signer load with the first live venue
    from arbkit_kalshi.auth import KalshiSigner
    from arbkit_kalshi.client import KalshiClient

log = logging.getLogger(__name__)


def _read_json(path: Path, kinds: tuple[type, ...]) -> Any:
    """A recorded JSON file of one of ``kinds``; deep nesting is a ConfigError, not a crash."""
    try:
        data = read_json_file(path)
    except RecursionError:
        raise ConfigError(f"{path}: not readable JSON (nested too deeply)") from None
    if not isinstance(data, kinds):
        wanted = " or ".join("a JSON object" if k is dict else "a JSON list" for k in kinds)
        raise ConfigError(f"{path}: expected {wanted}, got {type(data).__name__}")
    return data


#: The websocket's duration options (seconds) → (default, whether 0 is allowed).
STREAM_OPTIONS: dict[str, tuple[float, bool]] = {
    "ws_keepalive": (10.0, False),
    "ws_stale_after": (30.0, False),
    "ws_backoff_base": (0.5, True),
    "ws_backoff_cap": (30.0, True),
}


def stream_options(options: Mapping[str, Any]) -> dict[str, float]:
    """The websocket options, checked with the config loader's own rule (as ``cache_ttl`` is):
    "forever", nan or -1 is a one-line ConfigError. A keep-alive or silence limit of 0 would
    spin, so those must be positive."""
    values: dict[str, float] = {}
    for name, (default, zero_ok) in STREAM_OPTIONS.items():
        value = options.get(name, default)
        number = seconds_option("[venues.kalshi]", name, value)
        if number == 0 and not zero_ok:
            raise ConfigError(f"[venues.kalshi] {name} must be a number above 0, got {value!r}")
        values[name] = number
    return values


def _by_ticker(objects: Any, key: str = "ticker") -> dict[str, Mapping[str, Any]]:
    """Series or events given as a list, a ``{ticker: obj}`` mapping or single-object wrappers."""
    if not objects:
        return {}
    if isinstance(objects, Mapping):
        if key in objects:
            return {str(objects[key]): objects}
        return {str(k): v.get("series", v) for k, v in objects.items() if isinstance(v, Mapping)}
    if not isinstance(objects, list | tuple):
        raise BadResponse(f"expected a list or an object of {key}s, got {type(objects).__name__}")
    found = {}
    for item in objects:
        obj = item.get("series", item) if isinstance(item, Mapping) else None
        if isinstance(obj, Mapping) and obj.get(key):
            found[str(obj[key])] = obj
    return found


class KalshiVenue(Venue):
    """Kalshi (Trade API v2): sports game markets, order books, websocket stream and orders."""

    has_sandbox: ClassVar[bool] = True  # the demo environment

    name: ClassVar[str] = "kalshi"
    title: ClassVar[str] = "Kalshi"
    leagues: ClassVar[tuple[str, ...]] = tuple(parse.GAME_SERIES)
    credential_names: ClassVar[tuple[str, ...]] = ("api_key_id", "private_key")

    def __init__(
        self, settings: VenueSettings | None = None, *, clock: Clock | None = None
    ) -> None:
        super().__init__(settings, clock=clock)
        from arbkit_kalshi.client import check_options

        check_options(self.settings)  # at start-up: a bad option fails before any request
        self._stream_options = stream_options(self.settings.options)
        self._client: KalshiClient | None = None
        self._signer: KalshiSigner | None = None
        #: Each known market's ``price_ranges`` bands, by ticker (from discovery or a lookup).
        self._bands: dict[str, tuple[PriceBand, ...]] = {}
        #: the recording tap (``arbkit record``): raw series, events, order books and the
        #: public stream's messages
        self.tap: Any = None

    @property
    def client(self) -> KalshiClient:
        if self._client is None:
            from arbkit_kalshi.auth import KalshiSigner
            from arbkit_kalshi.client import KalshiClient

            self._signer = KalshiSigner.from_settings(self.settings)
            self._client = KalshiClient(self.settings, self._signer)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    # -- codec ---------------------------------------------------------------------------------

    @classmethod
    def parse_markets(
        cls, objects: Iterable[Mapping[str, Any]], *, context: Mapping[str, Any] | None = None
    ) -> list[Market]:
        """Events with nested markets and/or market objects (any response shape).

        ``context`` may carry ``series`` (objects or ``{ticker: object}``, for fees) and
        ``events`` (event objects, to name home and away for bare markets).
        """
        context = context or {}
        return parse.parse_markets(
            objects,
            series=_by_ticker(context.get("series") or ()),
            events=_by_ticker(context.get("events") or (), key="event_ticker"),
        )

    @classmethod
    def parse_books(cls, payload: Any, markets: Sequence[Market] = ()) -> list[OrderBook]:
        return parse.parse_books(payload)

    @classmethod
    def stream_decoder(cls, markets: Sequence[Market]) -> KalshiStreamDecoder:
        return KalshiStreamDecoder((market.market_id for market in markets), markets=markets)

    @classmethod
    def snap_price(
        cls, market: Market, contract_id: str, price: Decimal, *, up: bool = False
    ) -> Decimal:
        """``price`` on the step of its ``price_ranges`` band (multi-band grids are finer at
        the edges). A NO price is the YES book's 1 − p, snapped the other way round."""
        bands = price_bands(market.raw) if market.raw else ()
        if not bands:
            return super().snap_price(market, contract_id, price, up=up)
        _, outcome = split_contract(contract_id)
        if outcome == "yes":
            return snap_price(bands, price, up=up)
        return ONE - snap_price(bands, ONE - price, up=not up)

    @classmethod
    def parse_settlements(cls, objects: Iterable[Mapping[str, Any]]) -> list[Settlement]:
        """Finalized market objects (``result``, ``settlement_value_dollars``); the default
        :meth:`settlement_payout` already encodes Kalshi's rules."""
        return settle.parse_settlements(objects)

    @classmethod
    def read_recording(cls, directory: Path) -> Recording:
        """``events.json`` or ``markets.json``, optional ``series.json``, ``orderbooks.json``,
        ``stream.jsonl`` (one ``{"ts": epoch ms, "msg": ...}`` per line) and ``settled.json``
        (market objects after settlement).

        Raises:
            ConfigError: a file that is not JSON or has the wrong shape, in one line naming the
                file and the record (index, or ticker for order books).
        """
        series_path = directory / "series.json"
        series = _read_json(series_path, (list, dict)) if series_path.exists() else ()
        sources = [directory / name for name in ("events.json", "markets.json")]
        if not any(path.exists() for path in sources):
            raise ConfigError(f"{directory}: needs events.json or markets.json")
        markets: list[Market] = []
        for path in sources:
            if path.exists():
                data = _read_json(path, (list, dict))
                for index, obj in enumerate(data if isinstance(data, list) else [data]):
                    try:
                        markets += cls.parse_markets([obj], context={"series": series})
                    except BadResponse as exc:
                        raise ConfigError(f"{path}: record {index}: {exc.args[0]}") from None
        books_path = directory / "orderbooks.json"
        books: tuple[OrderBook, ...] = ()
        if books_path.exists():
            try:
                books = tuple(parse.parse_books(_read_json(books_path, (dict,))))
            except BadResponse as exc:
                raise ConfigError(f"{books_path}: {exc.args[0]}") from None
        stream = read_stream_file(directory / "stream.jsonl")
        settled_path = directory / "settled.json"
        settlements: list[Settlement] = []
        if settled_path.exists():
            settlements = settle.parse_settlements(_read_json(settled_path, (list,)))
        return Recording(
            markets=tuple(markets),
            books=books,
            stream=stream,
            first_timestamp_ms=stream.first_ms,
            settlements=tuple(settlements),
        )

    # -- market data ---------------------------------------------------------------------------

    async def discover(self, query: DiscoveryQuery | None = None) -> list[Market]:
        """Every game market of the requested leagues (all supported leagues by default)."""
        query = query or DiscoveryQuery()
        leagues = sorted(query.leagues) if query.leagues else list(parse.GAME_SERIES)
        unknown = [league for league in leagues if league not in parse.GAME_SERIES]
        if unknown:
            raise ConfigError(
                f"kalshi: unsupported league {', '.join(unknown)} "
                f"(supported: {', '.join(parse.GAME_SERIES)})"
            )
        status = None if query.include_closed else "open"
        results = await _all(
            self._discover_series(parse.GAME_SERIES[league], status) for league in leagues
        )
        missing = [
            parse.GAME_SERIES[lg] for lg, got in zip(leagues, results, strict=True) if got is None
        ]
        if missing and (query.leagues or len(missing) == len(leagues)):
            # Asked for by name, or none exists at all: an error, never "0 markets".
            raise NotFound(f"series {', '.join(missing)} not found", venue=self.name)
        for series_ticker in missing:
            log.info("kalshi: series %s not listed; skipped", series_ticker)
        found = [market for markets in results if markets for market in markets]
        return await self._apply_fee_changes(found)

    async def _apply_fee_changes(self, markets: list[Market]) -> list[Market]:
        """Markets with the event-level fee overrides in force now (``GET /events/fee_changes``).

        An entry whose ``scheduled_ts`` is still ahead is not in force yet and is skipped; a
        cleared (``null``) part keeps the series value.
        """
        if not markets:
            return markets
        now = self.clock.now()
        overrides: dict[str, Mapping[str, Any]] = {}
        for change in await self.client.event_fee_changes():
            if not isinstance(change, Mapping) or not isinstance(change.get("event_ticker"), str):
                log.warning("kalshi: unreadable event fee change %s skipped", parse.short(change))
                continue
            when = parse_optional_timestamp(change.get("scheduled_ts"))
            if when is not None and when > now:
                log.info(
                    "kalshi: fee change for %s pending until %s", change.get("event_ticker"), when
                )
                continue
            overrides[str(change.get("event_ticker"))] = change
        priced = []
        for market in markets:
            try:
                priced.append(_overridden(market, overrides.get(market.event_id)))
            except (ValueError, BadResponse) as exc:  # an override we cannot price: excluded
                log.warning("kalshi: %s excluded: fee override %s", market.market_id, exc)
        return priced

    async def _discover_series(self, series_ticker: str, status: str | None) -> list[Market] | None:
        """The series' markets; None if Kalshi says the series does not exist."""
        series = await self.client.series(series_ticker)
        if series is None:
            return None
        events = await self.client.events(series_ticker, status=status)
        if self.tap is not None:
            self._record("series", [(series_ticker, series)])
            self._record("events", [(str(e.get("event_ticker")), e) for e in events])
        markets = parse.parse_markets(events, series={series_ticker: series})
        for market in markets:
            self._bands[market.market_id] = price_bands(market.raw)
        return [m for m in markets if status is None or m.active]

    async def fetch_books(self, markets: Sequence[Market]) -> dict[str, OrderBook]:
        tickers = list(dict.fromkeys(market.market_id for market in markets))
        bodies = await _all(self.client.orderbook(ticker) for ticker in tickers)
        if self.tap is not None:
            answered = [(t, {t: b}) for t, b in zip(tickers, bodies, strict=True) if b]
            self._record("orderbooks", answered)
        now = self.clock.now()
        books: dict[str, OrderBook] = {}
        for ticker, body in zip(tickers, bodies, strict=True):
            for book in parse.parse_orderbook(ticker, body or {}, timestamp=now):
                books[book.contract_id] = book
        return books

    def stream_feed(self, markets: Sequence[Market], *, private: bool = False) -> WebSocketFeed:
        """The reconnecting, authenticated websocket feed for ``markets``."""
        client = self.client
        decoder = KalshiStreamDecoder(
            (m.market_id for m in markets), private=private, markets=markets
        )
        signer = self._signer
        ws_path = parse_path(client.ws_url)
        options = self._stream_options
        return WebSocketFeed(
            venue=self.name,
            url=client.ws_url,
            decoder=decoder,
            subscribe=decoder.subscribe_messages,
            # Kalshi's 10 s heartbeats are protocol pings (answered by websockets, invisible to
            # the reader), so a documented command keeps a quiet subscription visibly alive.
            ping=decoder.keepalive_message,
            ping_interval=options["ws_keepalive"],
            stale_after=options["ws_stale_after"],
            headers=(lambda: signer.headers("GET", ws_path)) if signer else None,
            backoff=Backoff(base=options["ws_backoff_base"], cap=options["ws_backoff_cap"]),
            tap=None if private else self.tap,  # fills on the private channel are not market data
        )

    def _record(self, kind: str, pieces: Iterable[tuple[str, Any]]) -> None:
        """Hand the tap raw REST answers as ``(key, payload)`` pieces."""
        received_ms = int(self.clock.now().timestamp() * 1000)  # the venue's clock: wall time
        for key, payload in pieces:
            if isinstance(payload, Mapping):
                self.tap(self.name, kind, received_ms, payload, key)

    async def stream_books(self, markets: Sequence[Market]) -> AsyncIterator[StreamEvent]:
        """The live book stream; without an API key Kalshi's websocket refuses the connection,
        so this raises NotSupported and the scanner polls the public REST books instead."""
        self.client  # noqa: B018 - builds the signer from the settings
        if self._signer is None:
            raise NotSupported(
                "the websocket needs an API key; polling REST books", venue=self.name
            )
        feed = self.stream_feed(markets)
        try:
            async for event in feed.events():
                yield event
        finally:
            feed.stop()

    # -- trading -------------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> Order:
        """Create an order with Create Order V2, reconciling a lost answer.

        Raises:
            OrderStateUnknown: the answer was lost and no order with this client_order_id
                could be found yet; look it up again before doing anything else.
        """
        if not request.client_order_id:
            raise InvalidOrder("a Kalshi order needs a client_order_id", venue=self.name)
        wire = v2_order_body(request)  # wire precision first: refused, never rounded
        await self._check_price(request.contract_id, request.price)
        try:
            body = await self.client.create_order_v2(wire)
            return await self._with_charged_fee(order_from_v2(request, body))
        except OrderStateUnknown as exc:  # VenueHttp: sent, then no answer or a 5xx
            return await self._reconcile(request, exc)

    async def _with_charged_fee(self, order: Order) -> Order:
        """``order`` with the fee Kalshi charged (``taker_fees_dollars`` + ``maker_fees_dollars``).

        The V2 acknowledgement only has ``average_fee_paid``, a rounded per-contract average,
        so a filled order is read back. If that read fails, the average × filled is kept,
        rounded up to the cent (the venue charges whole cents), and a warning logged.
        """
        if not order.filled or order.order_id is None:
            return order
        try:
            charged = await self.client.order(order.order_id)
        except VenueError as exc:
            log.warning("kalshi: order %s fee not read back (%s)", order.order_id, exc)
            charged = {}
        fees = [charged.get(k) for k in ("taker_fees_dollars", "maker_fees_dollars")]
        if any(value is not None for value in fees):
            fee = sum((to_decimal(v) for v in fees if v is not None), ZERO)
        else:
            fee = round_up(order.fee, CENT)
        return evolve(order, fee=fee)

    async def _check_price(self, contract_id: str, price: Decimal) -> None:
        """Refuse a price off the step of the market's band that contains it (InvalidOrder)."""
        ticker, outcome = split_contract(contract_id)
        bands = self._bands.get(ticker)
        if bands is None:
            bands = self._bands[ticker] = price_bands(await self.client.market(ticker))
        check_price(bands, price if outcome == "yes" else ONE - price)

    async def _reconcile(self, request: OrderRequest, error: OrderStateUnknown) -> Order:
        ticker, _ = split_contract(request.contract_id)
        try:
            found = await self._find_order(request.client_order_id, ticker=ticker)
        except NotFound:
            raise error from None
        except VenueError as exc:
            raise error from exc
        log.info("kalshi: order %s reconciled after a lost answer", request.client_order_id)
        return as_requested(found, request)

    async def _find_order(self, client_order_id: str, *, ticker: str | None = None) -> Order:
        for obj in await self.client.orders(ticker=ticker):
            if obj.get("client_order_id") == client_order_id:
                return order_from_object(obj)
        raise NotFound(f"no order with client_order_id {client_order_id}", venue=self.name)

    async def get_order(
        self, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order:
        if order_id:
            obj = await self.client.order(order_id)
            if not obj:
                raise BadResponse(f"order {order_id}: empty answer", venue=self.name)
            return order_from_object(obj)
        if client_order_id:
            return await self._find_order(client_order_id)
        raise InvalidOrder("get_order needs order_id or client_order_id", venue=self.name)

    async def cancel_order(self, order_id: str, *, market_ticker: str | None = None) -> Order:
        """Cancel with the V2 endpoint, then read the order back (the answer is only ids).

        ``market_ticker`` routes the cancel to the order's exchange shard; when not given it
        is looked up with ``GET /portfolio/orders/{id}`` first.
        """
        if market_ticker is None:
            known = await self.get_order(order_id=order_id)
            market_ticker, _ = split_contract(known.contract_id)
        try:
            await self.client.cancel_order(order_id, market_ticker)
        except OrderStateUnknown:
            pass  # the cancel may or may not have landed: the read below says which
        return await self.get_order(order_id=order_id)

    async def amend_order(
        self, order: Order, *, price: Decimal, size: Decimal, client_order_id: str
    ) -> Order:
        """Change a resting order's price and/or total size (V2 amend, YES-book terms).

        ``price`` is the price of the order's own contract; ``size`` its new total count.
        """
        if order.order_id is None:
            raise InvalidOrder("amend needs the venue's order_id", venue=self.name)
        request = OrderRequest(
            venue=self.name,
            contract_id=order.contract_id,
            side=order.side,
            price=price,
            size=size,
            client_order_id=order.client_order_id or client_order_id,
        )
        v2 = v2_order_body(request)
        await self._check_price(order.contract_id, price)
        body = {
            "ticker": v2["ticker"],
            "side": v2["side"],
            "price": v2["price"],
            "count": v2["count"],
            "client_order_id": order.client_order_id,
            "updated_client_order_id": client_order_id,
        }
        try:
            await self.client.amend_order(order.order_id, body)
        except OrderStateUnknown:
            pass  # read the order back to learn whether the amend landed
        return await self.get_order(order_id=order.order_id)

    async def open_orders(self) -> list[Order]:
        return [order_from_object(obj) for obj in await self.client.orders(status="resting")]

    async def fills(self) -> list[Fill]:
        return [fill_from_object(obj) for obj in await self.client.fills()]

    async def positions(self) -> list[Position]:
        found = (position_from_object(obj) for obj in await self.client.positions())
        return [position for position in found if position is not None]

    async def balance(self) -> Decimal:
        return balance_from_body(await self.client.balance() or {})


def _overridden(market: Market, change: Mapping[str, Any] | None) -> Market:
    """``market`` with ``change``'s event-level fee override applied (unchanged without one)."""
    if change is None or not isinstance(market.fees, KalshiFees):
        return market
    fees = with_override(
        market.fees, change.get("fee_type_override"), change.get("fee_multiplier_override")
    )
    return evolve(market, fees=fees)


async def _all(coroutines: Iterable[Any]) -> list[Any]:
    """Run concurrently; the first failure cancels the rest (no orphan requests)."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def parse_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
