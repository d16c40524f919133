"""Kalshi Trade API v2 over REST: discovery, books and the portfolio, rate-limited and signed.

Thin on purpose: it returns the venue's JSON bodies and leaves the mapping to the domain model to
``parse.py`` / ``orders.py``. Every call draws 10 tokens from the read or write bucket of the
account's tier (Kalshi bills most requests 10 tokens); reads are retried with back-off by
:class:`arbkit.VenueHttp` (Kalshi's 429 has no Retry-After), writes never are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from arbkit import (
    BadResponse,
    ConfigError,
    NotFound,
    TokenBucket,
    VenueError,
    VenueHttp,
    VenueSettings,
    seconds_option,
)
from arbkit_kalshi.auth import KalshiSigner, require
from arbkit_kalshi.errors import kalshi_error_mapper

PRODUCTION = "https://external-api.kalshi.com/trade-api/v2"
DEMO = "https://external-api.demo.kalshi.co/trade-api/v2"
PRODUCTION_WS = "wss://external-api-ws.kalshi.com/trade-api/ws/v2"
DEMO_WS = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2"

#: Token-bucket budgets (tokens per second: read, write) per usage tier [K5].
TIERS: dict[str, tuple[float, float]] = {
    "basic": (200, 100),
    "advanced": (300, 300),
    "premier": (1000, 1000),
    "paragon": (2000, 2000),
    "prime": (4000, 4000),
}
REQUEST_COST = 10.0
V2_ORDERS = "/portfolio/events/orders"


def _option(settings: VenueSettings, name: str, default: float) -> float:
    """A positive, finite number option; ``"forever"``, ``nan`` or ``-1`` is a ConfigError."""
    value = settings.options.get(name, default)
    try:
        number = seconds_option("[venues.kalshi]", name, value)
    except ConfigError:
        number = 0.0
    if number <= 0:
        raise ConfigError(f"[venues.kalshi] {name} must be a number above 0, got {value!r}")
    return number


def _seconds(settings: VenueSettings, name: str, default: float) -> float:
    """A duration: a finite number ≥ 0 (the config loader's own check, as for ``cache_ttl``)."""
    return seconds_option("[venues.kalshi]", name, settings.options.get(name, default))


def _retries(settings: VenueSettings) -> int:
    value = settings.options.get("max_retries", 4)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        if not (isinstance(value, str) and value.strip().isdigit()):
            raise ConfigError(f"[venues.kalshi] max_retries must be a whole number, got {value!r}")
    return int(value)


def check_options(settings: VenueSettings) -> None:
    """Check every numeric REST option (one-line ConfigError), without building a client."""
    buckets_for(settings)
    _retries(settings)
    _seconds(settings, "backoff_base", 0.25)
    _seconds(settings, "backoff_cap", 8.0)


def buckets_for(settings: VenueSettings) -> dict[str, TokenBucket]:
    """Read/write buckets from ``tier`` (default basic) or ``read_rate``/``write_rate``.

    The write bucket holds two seconds of budget, as Kalshi's does, so short bursts pass.
    """
    tier = str(settings.options.get("tier", "basic")).lower()
    if tier not in TIERS:
        raise ConfigError(f"[venues.kalshi] tier must be one of {', '.join(TIERS)}, got {tier!r}")
    read, write = TIERS[tier]
    read = _option(settings, "read_rate", read)
    write = _option(settings, "write_rate", write)
    return {
        "read": TokenBucket(rate=read, capacity=read),
        "write": TokenBucket(rate=write, capacity=2 * write),
    }


class KalshiClient:
    """REST access to one Kalshi environment (production, or demo with ``sandbox``)."""

    def __init__(self, settings: VenueSettings, signer: KalshiSigner | None = None) -> None:
        self.settings = settings
        self.signer = signer
        self.base_url = settings.url("api", DEMO if settings.sandbox else PRODUCTION)
        self.ws_url = settings.url("ws", DEMO_WS if settings.sandbox else PRODUCTION_WS)
        self.http = VenueHttp(
            venue="kalshi",
            base_url=self.base_url,
            buckets=buckets_for(settings),
            error_mapper=kalshi_error_mapper(),
            proxy=settings.proxy,
            timeout=settings.timeout,
            max_retries=_retries(settings),
            backoff_base=_seconds(settings, "backoff_base", 0.25),
            backoff_cap=_seconds(settings, "backoff_cap", 8.0),
        )
        self._headers = signer.for_base(self.base_url) if signer else None

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        private: bool = False,
        client_order_id: str | None = None,
    ) -> Any:
        if private:
            require(self.signer, f"{method} {path}")
        write = method.upper() != "GET"
        return await self.http.request(
            method,
            path,
            endpoint="write" if write else "read",
            params=params,
            json_body=body,
            headers=self._headers,  # signed whenever keys are set: some public reads want it
            cost=REQUEST_COST,
            client_order_id=client_order_id,
        )

    async def paginate(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, *, private: bool = False
    ) -> AsyncIterator[Mapping[str, Any]]:
        """Every item of a cursor-paginated list; an empty or missing cursor ends it."""
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            page = await self._request("GET", path, params=query, private=private) or {}
            for item in page.get(key) or ():
                yield item
            cursor = page.get("cursor")
            if not cursor or cursor in seen:  # a repeated cursor would loop forever
                return
            seen.add(cursor)
            query["cursor"] = cursor

    # -- market data -------------------------------------------------------------------------

    async def series(self, ticker: str) -> Mapping[str, Any] | None:
        """One series (fee type and multiplier); None if Kalshi says it does not exist.

        A 404 without a Kalshi error code comes from the router (a wrong base URL, a moved
        endpoint), not from Kalshi's series table, and is raised.
        """
        try:
            body = await self._request("GET", f"/series/{ticker}")
        except NotFound as exc:
            if endpoint_missing(exc):
                raise
            return None
        series = body.get("series") if isinstance(body, Mapping) else None
        if not isinstance(series, Mapping):
            raise BadResponse(
                f"GET /series/{ticker}: no series object in the answer", venue="kalshi"
            )
        return series

    async def events(
        self, series_ticker: str, *, status: str | None = "open", limit: int = 200
    ) -> list[Mapping[str, Any]]:
        """Every event of a series, with nested markets."""
        params = {
            "series_ticker": series_ticker,
            "status": status,
            "with_nested_markets": "true",
            "limit": limit,
        }
        return [event async for event in self.paginate("/events", "events", params)]

    async def event_fee_changes(self) -> list[Mapping[str, Any]]:
        """``GET /events/fee_changes``: event-level fee overrides and waivers.

        The list key ``event_fee_change_arr`` (like ``series_fee_change_arr``) is an
        assumption: the OpenAPI page was not available to check it (docs/venues/kalshi.md).
        """
        iterator = self.paginate("/events/fee_changes", "event_fee_change_arr", {"limit": 1000})
        return [change async for change in iterator]

    async def markets(self, **params: Any) -> list[Mapping[str, Any]]:
        """Markets by any ``GET /markets`` filter (``event_ticker``, ``tickers``, ``status``...)."""
        params.setdefault("limit", 1000)
        return [market async for market in self.paginate("/markets", "markets", params)]

    async def market(self, ticker: str) -> Mapping[str, Any]:
        """``GET /markets/{ticker}`` → the market object (empty when the answer has none)."""
        body = await self._request("GET", f"/markets/{ticker}")
        return (body or {}).get("market") or {}

    async def orderbook(self, ticker: str, depth: int | None = None) -> Mapping[str, Any]:
        return await self._request("GET", f"/markets/{ticker}/orderbook", params={"depth": depth})

    # -- portfolio ---------------------------------------------------------------------------

    async def balance(self) -> Mapping[str, Any]:
        return await self._request("GET", "/portfolio/balance", private=True)

    async def positions(self) -> list[Mapping[str, Any]]:
        params = {"limit": 1000, "count_filter": "position"}
        iterator = self.paginate("/portfolio/positions", "market_positions", params, private=True)
        return [item async for item in iterator]

    async def fills(self, **params: Any) -> list[Mapping[str, Any]]:
        params.setdefault("limit", 200)
        iterator = self.paginate("/portfolio/fills", "fills", params, private=True)
        return [item async for item in iterator]

    async def orders(self, **params: Any) -> list[Mapping[str, Any]]:
        params.setdefault("limit", 1000)
        iterator = self.paginate("/portfolio/orders", "orders", params, private=True)
        return [item async for item in iterator]

    async def order(self, order_id: str) -> Mapping[str, Any]:
        body = await self._request("GET", f"/portfolio/orders/{order_id}", private=True)
        return (body or {}).get("order") or {}

    # -- writes: never retried; a lost answer raises OrderStateUnknown ------------------------

    async def create_order_v2(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """``POST /portfolio/events/orders`` (Create Order V2; routed to the ticker's shard)."""
        return await self._request(
            "POST", V2_ORDERS, body=body, private=True, client_order_id=body["client_order_id"]
        )

    async def cancel_order(self, order_id: str, market_ticker: str) -> Mapping[str, Any]:
        """``DELETE /portfolio/events/orders/{id}?market_ticker=…``.

        ``market_ticker`` routes the cancel to the exchange shard holding the order. The answer
        is ``{order_id, client_order_id, reduced_by}`` (not the order object).
        """
        return (
            await self._request(
                "DELETE",
                f"{V2_ORDERS}/{order_id}",
                params={"market_ticker": market_ticker},
                private=True,
            )
            or {}
        )

    async def amend_order(self, order_id: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """``POST /portfolio/events/orders/{id}/amend`` with a V2-style (YES-book) body."""
        return (
            await self._request(
                "POST",
                f"{V2_ORDERS}/{order_id}/amend",
                body=body,
                private=True,
                client_order_id=body.get("updated_client_order_id"),
            )
            or {}
        )


def endpoint_missing(error: VenueError) -> bool:
    """A 404/405 from the router (no Kalshi error code): the endpoint itself does not exist."""
    return error.status_code in (404, 405) and not error.code
