"""PolymarketVenue: the codec class methods and the live API behind arbkit's Venue surface."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from attrs import define, evolve

from arbkit import (
    AuthenticationError,
    Backoff,
    BadRequest,
    BadResponse,
    Clock,
    ConfigError,
    Contract,
    DiscoveryQuery,
    DuplicateOrderId,
    Fill,
    InvalidOrder,
    Market,
    NotFound,
    Order,
    OrderBook,
    OrderRequest,
    OrderStateUnknown,
    OrderStatus,
    Position,
    Recording,
    Secret,
    Settlement,
    Side,
    StreamEvent,
    SubjectResult,
    TimeInForce,
    VenueSettings,
    WebSocketFeed,
    read_json_file,
    read_stream_file,
    seconds_option,
    to_decimal,
)
from arbkit import Venue as _Venue
from arbkit_polymarket import auth, parse, settle, signing
from arbkit_polymarket.clob import ClobClient, parse_order, parse_trade
from arbkit_polymarket.errors import map_error, order_refusal
from arbkit_polymarket.fees import PolymarketFees
from arbkit_polymarket.gamma import GammaClient
from arbkit_polymarket.stream import PING, PolymarketDecoder, subscribe_message

if TYPE_CHECKING:  # the HTTP client (httpx) loads with the first live venue, not with a replay
    from arbkit import TokenBucket

log = logging.getLogger(__name__)

URLS = {
    "gamma": "https://gamma-api.polymarket.com",
    "clob": "https://clob.polymarket.com",
    "data": "https://data-api.polymarket.com",
    "ws": "wss://ws-subscriptions-clob.polymarket.com/ws/market",
}
_TIF = {
    TimeInForce.GTC: "GTC",
    TimeInForce.GTD: "GTD",
    TimeInForce.FOK: "FOK",
    TimeInForce.IOC: "FAK",
}
#: GTD expirations need a one-minute security margin on top of the wanted life.
GTD_MARGIN_SECONDS = 60


#: Numeric ``[venues.polymarket]`` options (seconds) → (default, whether 0 is allowed).
SECONDS_OPTIONS: dict[str, tuple[float, bool]] = {
    "cache_ttl": (300.0, True),
    "retry_backoff": (0.25, True),
    "ping_interval": (10.0, False),
    "stale_after": (30.0, False),
    "reconnect_backoff": (0.5, True),
    "reconnect_backoff_cap": (30.0, True),
    "reconcile_grace": (30.0, True),
}


def _read_seconds(options: Mapping[str, Any]) -> dict[str, float]:
    """Every numeric option, checked once at start-up: "forever", nan or -1 is a one-line error.

    Options can come from the SDK as well as the config file, so the venue checks them itself
    (with the config loader's rule). A keep-alive or silence limit of 0 would spin, so those
    must be positive.
    """
    where = "[venues.polymarket]"
    values: dict[str, float] = {}
    for name, (default, zero_ok) in SECONDS_OPTIONS.items():
        value = options.get(name, default)
        number = seconds_option(where, name, value)
        if not zero_ok and number == 0:
            raise ConfigError(f"{where} {name} must be more than 0 seconds, got {value!r}")
        values[name] = number
    return values


def _signature_type(value: Any) -> int:
    """0 EOA, 1 proxy, 2 Safe, 3 deposit wallet (a digit string from the environment too)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value not in (
        signing.EOA,
        signing.POLY_PROXY,
        signing.POLY_GNOSIS_SAFE,
        signing.POLY_1271,
    ) or isinstance(value, bool):
        raise ConfigError(
            f"[venues.polymarket] signature_type must be 0, 1, 2 or 3, got {value!r:.40}"
        )
    return int(value)


def _buckets(limits: Mapping[str, tuple[float, float]]) -> dict[str, TokenBucket]:
    """``{class: (per second, burst)}`` → buckets; figures from the docs' per-10 s limits."""
    from arbkit import TokenBucket

    return {name: TokenBucket(rate=rate, capacity=burst) for name, (rate, burst) in limits.items()}


@define
class _Sent:
    """What arbkit remembers of an order it sent: the API has no client-order-id field."""

    request: OrderRequest
    sent_at: datetime
    order_id: str | None = None


class PolymarketVenue(_Venue):
    """Polymarket: Gamma discovery, CLOB books and V2 orders, the market websocket."""

    name: ClassVar[str] = "polymarket"
    title: ClassVar[str] = "Polymarket"
    leagues: ClassVar[tuple[str, ...]] = tuple(sorted(set(parse.LEAGUE_CODES.values())))
    credential_names: ClassVar[tuple[str, ...]] = (
        "private_key",
        "api_key",
        "api_secret",
        "api_passphrase",
    )

    def __init__(self, settings: VenueSettings | None = None, *, clock: Clock | None = None):
        from arbkit import VenueHttp

        super().__init__(settings, clock=clock)
        s = self.settings
        options = s.options
        self._seconds = _read_seconds(options)
        self._gamma_http = VenueHttp(
            venue=self.name,
            base_url=s.url("gamma", URLS["gamma"]),
            # Gamma: 4,000/10 s overall, /events 500/10 s.
            buckets=_buckets({"gamma": (400, 400), "events": (50, 50)}),
            error_mapper=map_error,
            proxy=options.get("gamma_proxy"),
            timeout=s.timeout,
            backoff_base=self._seconds["retry_backoff"],
        )
        self._clob_http = VenueHttp(
            venue=self.name,
            base_url=s.url("clob", URLS["clob"]),
            # Only the order API is geo-restricted, so the proxy applies to the CLOB alone.
            buckets=_buckets(
                {
                    "clob": (900, 900),
                    "book": (150, 150),
                    "books": (50, 50),
                    "order": (60, 350),  # 36,000/10 min sustained, 3,500/10 s burst
                    "cancel": (50, 300),
                    "balance": (20, 20),
                    "auth": (10, 10),
                }
            ),
            error_mapper=map_error,
            proxy=s.proxy,
            timeout=s.timeout,
            backoff_base=self._seconds["retry_backoff"],
        )
        self._data_http = VenueHttp(
            venue=self.name,
            base_url=s.url("data", URLS["data"]),
            buckets=_buckets({"data": (20, 20)}),
            error_mapper=map_error,
            timeout=s.timeout,
        )
        self.gamma = GammaClient(self._gamma_http, ttl=self._seconds["cache_ttl"])
        self.clob = ClobClient(self._clob_http)
        self._key: Secret | None = s.credential("private_key")
        self._creds: auth.ApiCredentials | None = None
        api_key = s.credential("api_key")
        secret, passphrase = s.credential("api_secret"), s.credential("api_passphrase")
        if api_key and secret and passphrase:
            self._creds = auth.ApiCredentials(api_key=api_key, secret=secret, passphrase=passphrase)
        self.signature_type = _signature_type(options.get("signature_type", signing.EOA))
        self._funder: str | None = options.get("funder")
        self._sent: dict[str, _Sent] = {}
        self._client_ids: dict[str, str] = {}
        self._neg_risk: dict[str, bool] = {}
        self._clob_fees: dict[str, PolymarketFees] = {}  #: condition id → model from ``fd``
        self._fees: dict[str, PolymarketFees] = {}  #: token → its market's fee model
        #: token → exchange domain version; an undiscovered token is a clobTokenId (V2, "2")
        self._exchange_versions: dict[str, int] = {}
        self._ticks: dict[str, Decimal] = {}
        #: the recording tap (``arbkit record``): every raw Gamma event, book and stream message
        self.tap: Any = None

    # -- codec -----------------------------------------------------------------------------------

    @classmethod
    def parse_markets(
        cls, objects: Iterable[Mapping[str, Any]], *, context: Mapping[str, Any] | None = None
    ) -> list[Market]:
        return parse.parse_markets(objects)

    @classmethod
    def parse_books(cls, payload: Any, markets: Sequence[Market] = ()) -> list[OrderBook]:
        return parse.parse_books(payload)

    @classmethod
    def stream_decoder(cls, markets: Sequence[Market]) -> PolymarketDecoder:
        return PolymarketDecoder(markets)

    @classmethod
    def parse_settlements(cls, objects: Iterable[Mapping[str, Any]]) -> list[Settlement]:
        """Resolved Gamma markets (``closed``, final ``outcomePrices``); others are skipped."""
        return settle.parse_settlements(objects)

    @classmethod
    def settlement_payout(
        cls, market: Market, contract: Contract, result: SubjectResult
    ) -> Decimal | None:
        """Polymarket resolves a cancelled game 50-50, and a tie 50-50 in a two-team market.

        A two-team moneyline (the tokens are the teams, as in the NFL) pays 0.5 per token on a
        tie or a void (venue-notes §00). A Yes/No market pays 0.5 on a void, and on a tie its
        "No" token pays (the "Yes" claim did not happen), unless "Yes" is the draw itself.
        """
        if result is SubjectResult.VOID:
            return _HALF
        if _is_yes_no(market):
            said_yes = contract.outcome.strip().lower() == "yes"
            if market.identity is not None and market.identity.yes_is_draw:
                return _ONE if (result is SubjectResult.LEVEL) == said_yes else _ZERO
            if result is SubjectResult.LEVEL:
                return _ZERO if said_yes else _ONE
        elif result is SubjectResult.LEVEL and len(market.contracts) == 2:
            return _HALF
        return super().settlement_payout(market, contract, result)

    @classmethod
    def valid_size(
        cls,
        market: Market,
        side: Side,
        price: Decimal,
        size: Decimal,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> Decimal:
        """GTC/GTD: the 0.01 grid and ``min_size``; FOK/FAK: also the amount precision the
        exchange enforces on immediate orders (:func:`signing.immediate_size`)."""
        valid = super().valid_size(market, side, price, size, time_in_force)
        if not valid or time_in_force not in (TimeInForce.FOK, TimeInForce.IOC):
            return valid
        try:
            valid = signing.immediate_size(side, price, valid, market.tick_size)
        except InvalidOrder:
            return _ZERO
        return valid if valid >= market.min_size else _ZERO

    @classmethod
    def read_recording(cls, directory: Path) -> Recording:
        """``events.json``, ``books.json`` and optional ``stream.jsonl`` (docs/replay-format.md).

        Raises:
            ConfigError: a file that is not readable JSON of the right shape or holds a record
                the parsers refuse (one line, naming the file), or two records of one
                ``asset_id`` in ``books.json``.
        """
        events_path = directory / "events.json"
        events = _read_nested_safe(events_path, list)
        try:
            markets = parse.parse_markets(events)
        except BadResponse as exc:
            raise ConfigError(f"{events_path}: {exc}") from None
        books_path = directory / "books.json"
        books: list[OrderBook] = []
        if books_path.exists():
            books = _unique_books(books_path, _read_nested_safe(books_path, list))
        stream_path = directory / "stream.jsonl"
        try:
            stream = read_stream_file(stream_path)
        except RecursionError:
            raise ConfigError(f"{stream_path}: not readable JSON (nested too deeply)") from None
        stamps = [int(b.timestamp.timestamp() * 1000) for b in books if b.timestamp]
        if stream.first_ms is not None:
            stamps.append(stream.first_ms)
        resolved_path = directory / "resolved.json"
        settlements: list[Settlement] = []
        if resolved_path.exists():
            settlements = settle.parse_settlements(_read_nested_safe(resolved_path, list))
        return Recording(
            markets=tuple(markets),
            books=tuple(books),
            stream=stream,
            first_timestamp_ms=min(stamps) if stamps else None,
            settlements=tuple(settlements),
        )

    # -- market data -----------------------------------------------------------------------------

    async def discover(self, query: DiscoveryQuery | None = None) -> list[Market]:
        query = query or DiscoveryQuery()
        tags = await self.gamma.league_tags()
        wanted = sorted(query.leagues) if query.leagues else sorted(tags)
        markets: list[Market] = []
        for league in wanted:
            tag = tags.get(league)
            if tag is None:
                log.warning("polymarket: /sports lists no %s league: no %s games", league, league)
                continue
            events = await self._league_events(league, tag, query.include_closed)
            if self.tap is not None:
                self._record("events", events, "slug")
            for event in events:
                await self._load_clob_fees(event)
                try:
                    found = parse.parse_markets([event], self._clob_fees)
                except BadResponse as exc:
                    log.warning("skipping Gamma event %s: %s", event.get("slug"), exc)
                    continue
                markets.extend(m for m in found if m.league in (league, None))
        for market in markets:
            self._remember(market)
        return markets

    async def _league_events(self, league: str, tag: str, include_closed: bool) -> list[Any]:
        """A league's game events; a league Gamma does not know is an error, not "0 games".

        Raises:
            NotFound: the league's tag (or its event list) answered 404.
        """
        try:
            events = await self.gamma.game_events(tag, include_closed=include_closed)
            if not events:
                await self.gamma.tag(tag)  # no games today, or no such league any more?
        except NotFound as exc:
            raise NotFound(
                f"Gamma has no {league} league (tag {tag}): {exc}", venue=self.name
            ) from None
        return events

    async def _load_clob_fees(self, event: Mapping[str, Any]) -> None:
        """Fetch ``/clob-markets`` fee parameters for fee-enabled markets without a schedule."""
        for market in event.get("markets") or ():
            if isinstance(market, Mapping) and parse.needs_clob_fees(market):
                await self._clob_fee_model(str(market.get("conditionId")))

    async def _clob_fee_model(self, condition_id: str) -> PolymarketFees | None:
        """The market's fee model from its CLOB ``fd``; None when the CLOB has none."""
        if condition_id in self._clob_fees:
            return self._clob_fees[condition_id]
        try:
            info = await self.clob.market_info(condition_id)
        except (NotFound, BadRequest, BadResponse) as exc:
            log.warning("polymarket: no CLOB fee parameters for %s: %s", condition_id, exc)
            return None
        fd = info.get("fd") if isinstance(info, Mapping) else None
        if not isinstance(fd, Mapping) or "r" not in fd:
            log.warning("polymarket: /clob-markets/%s has no fd", condition_id)
            return None
        self._clob_fees[condition_id] = PolymarketFees.from_clob(info)
        return self._clob_fees[condition_id]

    def _remember(self, market: Market) -> None:
        for contract in market.contracts:
            self._neg_risk[contract.contract_id] = bool(market.raw.get("negRisk", False))
            self._exchange_versions[contract.contract_id] = parse.exchange_version(market.raw)
            self._ticks[contract.contract_id] = market.tick_size
            if isinstance(market.fees, PolymarketFees):
                self._fees[contract.contract_id] = market.fees

    async def fetch_books(self, markets: Sequence[Market]) -> dict[str, OrderBook]:
        tokens = [c.contract_id for m in markets for c in m.contracts]
        on_body = None if self.tap is None else partial(self._record, "books", key="asset_id")
        return {book.contract_id: book for book in await self.clob.books(tokens, on_body=on_body)}

    def _record(self, kind: str, objects: Iterable[Any], key: str) -> None:
        """Hand the tap raw REST objects, each keyed by its ``key`` field (slug, asset_id)."""
        received_ms = int(self.clock.now().timestamp() * 1000)  # the venue's clock: wall time
        for item in objects:
            if isinstance(item, Mapping):
                self.tap(self.name, kind, received_ms, item, str(item.get(key)))

    async def stream_books(self, markets: Sequence[Market]) -> AsyncIterator[StreamEvent]:
        """Market-channel updates; see :class:`PolymarketDecoder` for the continuity rules."""
        options = self.settings.options
        decoder = PolymarketDecoder(markets, verify_top=bool(options.get("verify_top", True)))
        # One tick table: a tick_size_change seen on the stream also governs the orders we sign.
        self._ticks.update(decoder.tick_sizes)
        decoder.tick_sizes = self._ticks
        feed = WebSocketFeed(
            venue=self.name,
            url=self.settings.url("ws", URLS["ws"]),
            decoder=decoder,
            subscribe=lambda: [subscribe_message(decoder.tokens)],
            ping=lambda: PING,
            ping_interval=self._seconds["ping_interval"],
            stale_after=self._seconds["stale_after"],
            backoff=Backoff(
                base=self._seconds["reconnect_backoff"],
                cap=self._seconds["reconnect_backoff_cap"],
            ),
            tap=self.tap,
        )
        self._feed = feed
        try:
            async for event in feed.events():
                yield event
        finally:
            feed.stop()

    # -- trading ---------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        if self._key is None:
            raise ConfigError("polymarket trading needs private_key in [venues.polymarket]")
        return signing.address_of(self._key)

    async def _ensure_auth(self) -> None:
        """Derive L2 credentials from the wallet key when none are configured."""
        if self.clob.auth is not None:
            return
        address = self.address
        if self._creds is None:
            assert self._key is not None
            self._creds = await self._create_or_derive(address)
        self.clob.auth = auth.l2_signer(self._creds, address, lambda: int(time.time()))

    async def _create_or_derive(self, address: str) -> auth.ApiCredentials:
        """``POST /auth/api-key`` (a new account's first key), else ``GET /auth/derive-api-key``.

        Derive only re-computes a key that exists; create fails once one does.
        """
        assert self._key is not None
        headers = auth.l1_headers(self._key, address, int(time.time()))
        try:
            body = await self._clob_http.request(
                "POST", "/auth/api-key", endpoint="auth", headers=headers
            )
            return auth.ApiCredentials.from_response(body)
        except (BadRequest, AuthenticationError, BadResponse) as exc:
            log.info("polymarket: creating an API key failed (%s); deriving the existing one", exc)
        headers = auth.l1_headers(self._key, address, int(time.time()))
        body = await self._clob_http.request(
            "GET", "/auth/derive-api-key", endpoint="auth", headers=headers
        )
        return auth.ApiCredentials.from_response(body)

    def _maker_and_signer(self) -> tuple[str, str]:
        """(maker, signer) of our orders: for a deposit wallet (type 3) both are the wallet."""
        if self.signature_type == signing.POLY_1271:
            if not self._funder:
                raise ConfigError("signature_type 3 (deposit wallet) needs funder = wallet address")
            return self._funder, self._funder
        return self._funder or self.address, self.address

    async def place_order(self, request: OrderRequest) -> Order:
        """Sign and send one V2 order.

        Raises:
            OrderStateUnknown: no answer, or a 5xx: the order may exist. Call
                ``get_order(client_order_id=...)`` to reconcile; never re-send blindly.
            OrderRejected: the venue refused it (a subclass says why).
        """
        await self._ensure_auth()
        assert self._creds is not None and self._key is not None
        if request.client_order_id in self._sent:
            raise DuplicateOrderId(f"client order id {request.client_order_id!r} already used")
        token = request.contract_id
        tick = self._ticks.get(token) or await self._tick_size(token)
        request = _immediate_precision(request, tick)
        maker_amount, taker_amount = signing.amounts(
            request.side, request.price, request.size, tick
        )
        maker, signer = self._maker_and_signer()
        expiration = 0
        if request.time_in_force is TimeInForce.GTD:
            if request.expires_at is None:
                raise InvalidOrder("a GTD order needs expires_at", venue=self.name)
            expiration = int(request.expires_at.timestamp()) + GTD_MARGIN_SECONDS
        unsigned = signing.UnsignedOrder(
            salt=signing.new_salt(),
            maker=maker,
            signer=signer,
            token_id=token,
            maker_amount=maker_amount,
            taker_amount=taker_amount,
            side=0 if request.side is Side.BUY else 1,
            signature_type=self.signature_type,
            timestamp_ms=int(time.time() * 1000),
            expiration=expiration,
        )
        neg_risk = self._neg_risk.get(token)
        if neg_risk is None:  # not discovered here: ask, as the official client does
            neg_risk = await self._neg_risk_of(token)
        signature = signing.sign_order(
            unsigned,
            self._key,
            neg_risk=neg_risk,
            exchange_version=self._exchange_versions.get(token, 2),
        )
        body = {
            "order": signing.order_body(unsigned, signature),
            "owner": self._creds.api_key.reveal(),
            "orderType": _TIF[request.time_in_force],
            "deferExec": False,
            "postOnly": request.post_only,
        }
        sent = _Sent(request=request, sent_at=self.clock.now())
        self._sent[request.client_order_id] = sent
        # VenueHttp raises OutcomeUnknown for a 5xx or a lost answer once the order has left.
        answer = await self.clob.post_order(body, request.client_order_id)
        if not isinstance(answer, Mapping):
            raise OrderStateUnknown(
                "POST /order: unreadable answer",
                venue=self.name,
                client_order_id=request.client_order_id,
            )
        if not answer.get("success", True) or not answer.get("orderID"):
            del self._sent[request.client_order_id]
            raise order_refusal(str(answer.get("errorMsg") or "order refused"))
        sent.order_id = str(answer["orderID"])
        self._client_ids[sent.order_id] = request.client_order_id
        return _ack_order(request, sent.order_id, answer, sent.sent_at)

    async def _tick_size(self, token: str) -> Decimal:
        book = await self._clob_http.request(
            "GET", "/tick-size", endpoint="clob", params={"token_id": token}
        )
        tick = to_decimal(book.get("minimum_tick_size", "0.01"))
        self._ticks[token] = tick
        return tick

    async def _neg_risk_of(self, token: str) -> bool:
        """``GET /neg-risk``: neg-risk markets sign against the neg-risk exchange."""
        body = await self._clob_http.request(
            "GET", "/neg-risk", endpoint="clob", params={"token_id": token}
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("neg_risk"), bool):
            raise BadResponse("/neg-risk: no neg_risk flag", venue=self.name)
        self._neg_risk[token] = body["neg_risk"]
        return body["neg_risk"]

    async def cancel_order(self, order_id: str) -> Order:
        await self._ensure_auth()
        await self.clob.cancel(order_id)
        return await self.get_order(order_id=order_id)

    async def get_order(
        self, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order:
        """An order by venue id, or by the client id arbkit gave it (reconciling if needed)."""
        await self._ensure_auth()
        if order_id is None and client_order_id is not None:
            sent = self._sent.get(client_order_id)
            if sent is None:
                raise NotFound(f"no order sent with client id {client_order_id!r}")
            if sent.order_id is None:
                return await self._reconcile(client_order_id, sent)
            order_id = sent.order_id
        if order_id is None:
            raise ValueError("give order_id or client_order_id")
        body = await self.clob.order(order_id)
        return parse_order(body, self._client_ids.get(order_id, client_order_id))

    async def _reconcile(self, client_order_id: str, sent: _Sent) -> Order:
        """Find an order whose answer was lost, among open orders, then among trades."""
        request = sent.request
        claimed = set(self._client_ids)
        for obj in await self.clob.open_orders(request.contract_id):
            candidate = parse_order(obj)
            if (
                candidate.order_id not in claimed
                and candidate.side is request.side
                and candidate.price == request.price
                and candidate.size == request.size
                and (candidate.created_at is None or candidate.created_at >= _floor(sent.sent_at))
            ):
                return self._adopt(client_order_id, sent, candidate)
        filled = Decimal(0)
        order_id: str | None = None
        for obj in await self.clob.trades(request.contract_id):
            for fill in parse_trade(obj, None, await self._fee_model_of(obj)):
                if (
                    fill.is_taker
                    and fill.order_id not in claimed
                    and fill.side is request.side
                    and (fill.timestamp is None or fill.timestamp >= _floor(sent.sent_at))
                    and (order_id is None or fill.order_id == order_id)
                ):
                    order_id = fill.order_id
                    filled += fill.size
        if order_id is not None:
            status = OrderStatus.FILLED if filled >= request.size else OrderStatus.PARTIALLY_FILLED
            if (
                request.time_in_force in (TimeInForce.FOK, TimeInForce.IOC)
                and filled < request.size
            ):
                status = OrderStatus.CANCELLED
            order = Order(
                venue=self.name,
                order_id=order_id,
                client_order_id=client_order_id,
                contract_id=request.contract_id,
                side=request.side,
                price=request.price,
                size=request.size,
                filled=filled,
                status=status,
            )
            return self._adopt(client_order_id, sent, order)
        # Nothing on the venue matches: still UNKNOWN inside the grace period (an order can
        # surface late), afterwards it never became an order.
        grace = self._seconds["reconcile_grace"]
        age = (self.clock.now() - sent.sent_at).total_seconds()
        status = OrderStatus.UNKNOWN if age < grace else OrderStatus.REJECTED
        return Order(
            venue=self.name,
            order_id=None,
            client_order_id=client_order_id,
            contract_id=request.contract_id,
            side=request.side,
            price=request.price,
            size=request.size,
            status=status,
        )

    def _adopt(self, client_order_id: str, sent: _Sent, order: Order) -> Order:
        assert order.order_id is not None
        sent.order_id = order.order_id
        self._client_ids[order.order_id] = client_order_id
        return evolve(order, client_order_id=client_order_id)

    async def open_orders(self) -> list[Order]:
        await self._ensure_auth()
        return [
            parse_order(obj, self._client_ids.get(str(obj.get("id"))))
            for obj in await self.clob.open_orders()
        ]

    async def fills(self) -> list[Fill]:
        await self._ensure_auth()
        owner = self._creds.api_key.reveal() if self._creds else None
        fills = []
        for obj in await self.clob.trades():
            fees = await self._fee_model_of(obj)
            fills.extend(parse_trade(obj, owner, fees))
        return fills

    async def _fee_model_of(self, trade: Mapping[str, Any]) -> PolymarketFees | None:
        """The fee model of a trade's market: discovered, else from ``/clob-markets``."""
        known = self._fees.get(str(trade.get("asset_id")))
        if known is not None or not trade.get("market"):
            return known
        return await self._clob_fee_model(str(trade["market"]))

    async def positions(self) -> list[Position]:
        """Positions from the public Data API (by the funder's address)."""
        body = await self._data_http.request(
            "GET", "/positions", endpoint="data", params={"user": self._funder or self.address}
        )
        if not isinstance(body, list):
            raise BadResponse("/positions: expected a list", venue=self.name)
        result = []
        for row in body:
            try:
                size = to_decimal(row["size"])
                cost = size * to_decimal(row.get("avgPrice", 0))
                result.append(
                    Position(venue=self.name, contract_id=str(row["asset"]), size=size, cost=cost)
                )
            except (KeyError, TypeError):
                raise BadResponse("/positions: row without asset/size", venue=self.name) from None
        return result

    async def balance(self) -> Decimal:
        await self._ensure_auth()
        return await self.clob.balance(self.signature_type)

    async def aclose(self) -> None:
        for http in (self._gamma_http, self._clob_http, self._data_http):
            await http.aclose()


_ZERO = Decimal(0)
_HALF = Decimal("0.5")
_ONE = Decimal(1)
_YES_NO = frozenset({"yes", "no"})


def _is_yes_no(market: Market) -> bool:
    """A market whose two tokens are "Yes" and "No" (a claim and its negation), not two teams."""
    outcomes = {c.outcome.strip().lower() for c in market.contracts}
    return outcomes == _YES_NO


def _read_nested_safe(path: Path, kind: type) -> Any:
    """:func:`arbkit.read_json_file`, with a file nested too deeply for the parser one line too."""
    try:
        return read_json_file(path, kind)
    except RecursionError:
        raise ConfigError(f"{path}: not readable JSON (nested too deeply)") from None


def _unique_books(path: Path, records: list[Any]) -> list[OrderBook]:
    """The recorded books; one asset recorded twice is an error naming both records.

    Even identical duplicates are refused: a recorder writes each book once, so a repeat
    means the file was edited or concatenated, and which copy the replay starts from would
    otherwise be a silent choice.
    """
    try:
        books = parse.parse_books(records)
    except BadResponse as exc:
        raise ConfigError(f"{path}: {exc}") from None
    first: dict[str, int] = {}
    for index, book in enumerate(books):
        seen = first.setdefault(book.contract_id, index)
        if seen != index:
            same = "identical" if records[seen] == records[index] else "different"
            raise ConfigError(
                f"{path}: records {seen} and {index} (0-based) both hold asset_id "
                f"{book.contract_id} ({same} books); keep one"
            )
    return books


def _immediate_precision(request: OrderRequest, tick: Decimal) -> OrderRequest:
    """A FOK/FAK request resized to the largest size whose amounts the exchange accepts.

    The returned order's ``size`` is what was sent; a reduction is logged as a warning.
    """
    if request.time_in_force not in (TimeInForce.FOK, TimeInForce.IOC):
        return request
    size = signing.immediate_size(request.side, request.price, request.size, tick)
    if size == request.size:
        return request
    log.warning(
        "polymarket %s %s: FOK/FAK amount precision allows %s of the %s requested at %s",
        request.client_order_id,
        request.side.value,
        size,
        request.size,
        request.price,
    )
    return evolve(request, size=size)


def _floor(moment: datetime) -> datetime:
    """Venue timestamps are whole seconds: compare against the start of the send second."""
    return moment.replace(microsecond=0)


def _ack_order(
    request: OrderRequest, order_id: str, answer: Mapping[str, Any], at: datetime
) -> Order:
    """The order as ``POST /order`` acknowledged it (``live`` rests; it is not a fill)."""
    status_word = str(answer.get("status", "")).lower()
    making = to_decimal(answer.get("makingAmount") or 0)
    taking = to_decimal(answer.get("takingAmount") or 0)
    filled = taking if request.side is Side.BUY else making
    if status_word == "live":
        status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.OPEN
    elif status_word == "matched":
        if filled >= request.size:
            status = OrderStatus.FILLED
        elif request.time_in_force in (TimeInForce.FOK, TimeInForce.IOC):
            status = OrderStatus.CANCELLED
        else:
            status = OrderStatus.PARTIALLY_FILLED
    elif status_word == "unmatched":
        status = OrderStatus.CANCELLED
    else:
        status = OrderStatus.PENDING  # "delayed": matching deferred (in-play sports delay)
    average = None
    if filled:
        paid = making if request.side is Side.BUY else taking
        average = paid / filled
    return Order(
        venue="polymarket",
        order_id=order_id,
        client_order_id=request.client_order_id,
        contract_id=request.contract_id,
        side=request.side,
        price=request.price,
        size=request.size,
        filled=filled,
        status=status,
        average_price=average,
        created_at=at,
    )
