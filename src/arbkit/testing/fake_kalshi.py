"""A fake Kalshi (Trade API v2) on loopback: signed REST, a matching engine and the websocket.

It *verifies* every signature with the test public key (a wrongly signed request gets 401, as
Kalshi answers), serves discovery with cursor pagination, order books and the portfolio, accepts
Create Order V2 (and the legacy endpoint), fills orders against its book (fully, partially, or
resting), and streams ``orderbook_snapshot`` / ``orderbook_delta`` (``sid`` + ``seq``), ``ticker``,
``trade`` and ``fill``. Tests inject faults with :meth:`inject` (429, 5xx, malformed JSON, delays),
:meth:`skip_sequence` (a gap), :meth:`drop_websockets`, ``silent`` and ``order_delay`` (the venue
acts, then its answer is too late: the client's write times out).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from attrs import define, field
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from arbkit.testing.loopback import LoopbackServer, Request, Response

PREFIX = "/trade-api/v2"
WS_PATH = "/trade-api/ws/v2"
ONE = Decimal(1)
ZERO = Decimal(0)
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)

#: ``fees(fills, maker=...)`` → dollars; the plugin's fee model plugs in here.
FeeFunction = Callable[..., Decimal]


def _p(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001")))


def _c(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _error(status: int, code: str, message: str) -> Response:
    return Response({"error": {"code": code, "message": message}}, status=status)


V2_REQUIRED = (
    "ticker",
    "client_order_id",
    "side",
    "count",
    "price",
    "time_in_force",
    "self_trade_prevention_type",
)
TIME_IN_FORCE = ("fill_or_kill", "good_till_canceled", "immediate_or_cancel")


#: What Kalshi answers on the order mutations it retired in June 2026 (venue-notes §00). The
#: exact status is not documented; 410 Gone is used here with the venue's message, and the
#: client treats any answer to these paths as an error (it never calls them).
LEGACY_GONE = (
    410,
    "endpoint_deprecated",
    "This endpoint is deprecated. Please switch to the V2 endpoints.",
)


def _off_grid(market: dict[str, Any], price: Decimal, count: Decimal) -> Response | None:
    """Kalshi's refusal of a price off the step of the ``price_ranges`` band containing it, or
    of a count finer than 0.01 (every market is fractional); None when the order fits."""
    ranges = market.get("price_ranges") or [{"start": "0", "end": "1", "step": "0.01"}]
    for band in ranges:
        start, end, step = (Decimal(band[k]) for k in ("start", "end", "step"))
        if start <= price <= end and (price - start) % step == 0:
            break
    else:
        return _error(400, "invalid_price", f"price {price} is not on the market's tick grid")
    if count % Decimal("0.01"):
        return _error(400, "invalid_count", f"count {count} is not a multiple of 0.01")
    return None


def _direction(book_side: str, legacy: bool) -> dict[str, str]:
    """The direction fields of an order or fill on the YES book (``legacy``: also side/action)."""
    fields = {"outcome_side": "yes", "book_side": book_side}
    if legacy:
        fields.update(side="yes", action="buy" if book_side == "bid" else "sell")
    return fields


@define
class Subscription:
    sid: int
    channel: str
    socket: Any
    tickers: set[str] = field(factory=set)  #: empty: every market
    seq: int = 0

    def covers(self, ticker: str) -> bool:
        return not self.tickers or ticker in self.tickers


class FakeKalshi(LoopbackServer):
    """Kalshi on 127.0.0.1. ``base_url`` / ``websocket_url`` go into VenueSettings.base_urls.

    Args:
        public_key: verifies request signatures.
        key_id: the API key id requests must carry.
        page_size: items per page at most (small, so tests exercise the cursor).
        fees: the fee charged on a taker order's fills (default: none).
    """

    def __init__(
        self,
        public_key: rsa.RSAPublicKey,
        key_id: str,
        *,
        page_size: int = 2,
        fees: FeeFunction | None = None,
    ) -> None:
        super().__init__()
        self.public_key = public_key
        self.key_id = key_id
        self.page_size = page_size
        self.fees = fees or (lambda fills, maker=False: ZERO)
        self.series: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.markets: dict[str, dict[str, Any]] = {}
        #: ticker → {"yes": {price: size}, "no": {price: size}} (bids only, as Kalshi keeps them)
        self.books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.fills: list[dict[str, Any]] = []
        self.positions: dict[str, Decimal] = {}
        self.balance = Decimal("1000.00")
        self.v2_enabled = True
        #: ``GET /events/fee_changes`` entries: event_ticker, fee_type_override,
        #: fee_multiplier_override (null: cleared) and an optional scheduled_ts.
        self.event_fee_changes: list[dict[str, Any]] = []
        #: Also send the deprecated ``side``/``action`` on orders and fills (off: as today).
        self.legacy_direction_fields = False
        self.order_delay = 0.0
        #: test knob: refuse every new order (400 ``insufficient_balance`` with this message)
        self.reject_orders: str | None = None
        #: test knob: refuse this many of the next sell (``ask``) orders, then take them again
        self.refuse_asks = 0
        self.auth_failures = 0
        self.subscriptions: list[Subscription] = []
        self.commands: list[dict[str, Any]] = []
        self.commands_answered = 0  #: keep-alive (list_subscriptions) answers sent
        self._sids = itertools.count(1)
        self._routes_added()

    @property
    def base_url(self) -> str:
        return self.http_url + PREFIX

    @property
    def websocket_url(self) -> str:
        return self.ws_url + WS_PATH

    # -- set-up ------------------------------------------------------------------------------

    def add_series(self, series: dict[str, Any]) -> None:
        self.series[series["ticker"]] = series

    def add_event(self, event: dict[str, Any]) -> None:
        """An event object with nested ``markets`` (stored apart, as Kalshi does)."""
        event = dict(event)
        for market in event.pop("markets", []):
            self.markets[market["ticker"]] = dict(market)
        self.events[event["event_ticker"]] = event

    def set_book(
        self,
        ticker: str,
        yes: Iterable[tuple[str, str]] = (),
        no: Iterable[tuple[str, str]] = (),
    ) -> None:
        with self.lock:
            self.books[ticker] = {
                "yes": {Decimal(p): Decimal(s) for p, s in yes},
                "no": {Decimal(p): Decimal(s) for p, s in no},
            }

    # -- auth ----------------------------------------------------------------------------------

    def verify(self, method: str, path: str, headers: dict[str, str]) -> str | None:
        """None if the request is correctly signed, else why not."""
        key = headers.get("kalshi-access-key")
        stamp = headers.get("kalshi-access-timestamp")
        signature = headers.get("kalshi-access-signature")
        if not (key and stamp and signature):
            return "missing authentication headers"
        if key != self.key_id:
            return "unknown API key"
        if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 60_000:
            return "timestamp too far from server time"
        message = (stamp + method.upper() + path).encode()
        try:
            self.public_key.verify(base64.b64decode(signature), message, _PSS, hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "invalid signature"
        return None

    def _auth(self, request: Request, *, private: bool) -> Response | None:
        signed = "kalshi-access-signature" in request.headers
        if not (private or signed):
            return None
        problem = self.verify(request.method, request.path, request.headers)
        if problem is None:
            return None
        self.auth_failures += 1
        return _error(401, "authentication_error", problem)

    # -- routes --------------------------------------------------------------------------------

    def _routes_added(self) -> None:
        def public(method: str, pattern: str, private: bool = False) -> Callable[..., Any]:
            def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
                def guarded(request: Request, **groups: str) -> Any:
                    refused = self._auth(request, private=private)
                    return refused or handler(request, **groups)

                self.route(method, PREFIX + pattern)(guarded)
                return handler

            return decorate

        def private(method: str, pattern: str) -> Callable[..., Any]:
            return public(method, pattern, private=True)

        public("GET", "/series/(?P<ticker>[^/]+)")(self._get_series)
        public("GET", "/events")(self._list_events)
        public("GET", "/events/fee_changes")(self._list_fee_changes)
        public("GET", "/events/(?P<ticker>[^/]+)")(self._get_event)
        public("GET", "/markets")(self._list_markets)
        public("GET", "/markets/(?P<ticker>[^/]+)")(self._get_market)
        public("GET", "/markets/(?P<ticker>[^/]+)/orderbook")(self._get_orderbook)
        private("GET", "/portfolio/balance")(self._get_balance)
        private("GET", "/portfolio/positions")(self._list_positions)
        private("GET", "/portfolio/fills")(self._list_fills)
        private("GET", "/portfolio/orders")(self._list_orders)
        private("GET", "/portfolio/orders/(?P<order_id>[^/]+)")(self._get_order)
        private("DELETE", "/portfolio/events/orders/(?P<order_id>[^/]+)")(self._cancel_order)
        private("POST", "/portfolio/events/orders/(?P<order_id>[^/]+)/amend")(self._amend_order)
        private("POST", "/portfolio/events/orders")(self._create_order_v2)
        for method, legacy in (
            ("POST", "/portfolio/orders"),
            ("POST", "/portfolio/orders/batched"),
            ("DELETE", "/portfolio/orders/batched"),
            ("DELETE", "/portfolio/orders/(?P<order_id>[^/]+)"),
            ("POST", "/portfolio/orders/(?P<order_id>[^/]+)/amend"),
            ("POST", "/portfolio/orders/(?P<order_id>[^/]+)/decrease"),
        ):
            private(method, legacy)(self._legacy_gone)

    def _page(self, request: Request, items: Sequence[Any], key: str) -> dict[str, Any]:
        limit = min(int(request.arg("limit", "100") or 100), self.page_size)
        cursor = request.arg("cursor") or ""
        start = int(cursor[1:]) if cursor.startswith("c") else 0
        end = start + limit
        return {key: list(items[start:end]), "cursor": f"c{end}" if end < len(items) else ""}

    def _list_fee_changes(self, request: Request) -> Any:
        """``GET /events/fee_changes``: event-level overrides (``event_fee_change_arr``)."""
        wanted = request.arg("event_ticker")
        items = [c for c in self.event_fee_changes if wanted in (None, c["event_ticker"])]
        return self._page(request, items, "event_fee_change_arr")

    def _get_series(self, request: Request, ticker: str) -> Any:
        if ticker not in self.series:
            return _error(404, "not_found", f"series {ticker} not found")
        return {"series": self.series[ticker]}

    def _event_markets(self, event_ticker: str) -> list[dict[str, Any]]:
        return [m for m in self.markets.values() if m["event_ticker"] == event_ticker]

    def _list_events(self, request: Request) -> Any:
        series = request.arg("series_ticker")
        status = request.arg("status")
        nested = request.arg("with_nested_markets") == "true"
        events = []
        for event in self.events.values():
            if series and event.get("series_ticker") != series:
                continue
            markets = self._event_markets(event["event_ticker"])
            if status == "open" and not any(m.get("status") == "active" for m in markets):
                continue
            events.append({**event, "markets": markets} if nested else event)
        return self._page(request, events, "events")

    def _get_event(self, request: Request, ticker: str) -> Any:
        if ticker not in self.events:
            return _error(404, "not_found", f"event {ticker} not found")
        return {"event": self.events[ticker], "markets": self._event_markets(ticker)}

    def _list_markets(self, request: Request) -> Any:
        markets = list(self.markets.values())
        if request.arg("event_ticker"):
            wanted = set(request.arg("event_ticker", "").split(","))
            markets = [m for m in markets if m["event_ticker"] in wanted]
        if request.arg("tickers"):
            wanted = set(request.arg("tickers", "").split(","))
            markets = [m for m in markets if m["ticker"] in wanted]
        return self._page(request, markets, "markets")

    def _get_market(self, request: Request, ticker: str) -> Any:
        if ticker not in self.markets:
            return _error(404, "not_found", f"market {ticker} not found")
        return {"market": self.markets[ticker]}

    def _levels(self, ticker: str, side: str) -> list[list[str]]:
        book = self.books.get(ticker, {}).get(side, {})
        return [[_p(price), _c(size)] for price, size in sorted(book.items())]

    def _get_orderbook(self, request: Request, ticker: str) -> Any:
        if ticker not in self.markets:
            return _error(404, "not_found", f"market {ticker} not found")
        with self.lock:
            yes, no = self._levels(ticker, "yes"), self._levels(ticker, "no")
        return {"orderbook_fp": {"yes_dollars": yes, "no_dollars": no}}

    def _get_balance(self, request: Request) -> Any:
        cents = int((self.balance * 100).to_integral_value())
        return {"balance": cents, "balance_dollars": _p(self.balance), "portfolio_value": 0}

    def _list_positions(self, request: Request) -> Any:
        rows = [
            {
                "ticker": ticker,
                "position_fp": _c(size),
                "market_exposure_dollars": "0.0000",
                "realized_pnl_dollars": "0.0000",
                "fees_paid_dollars": "0.0000",
            }
            for ticker, size in self.positions.items()
            if size
        ]
        return self._page(request, rows, "market_positions")

    def _list_fills(self, request: Request) -> Any:
        return self._page(request, self.fills, "fills")

    def _list_orders(self, request: Request) -> Any:
        orders = list(self.orders.values())
        if request.arg("ticker"):
            orders = [o for o in orders if o["ticker"] == request.arg("ticker")]
        if request.arg("status"):
            orders = [o for o in orders if o["status"] == request.arg("status")]
        return self._page(request, orders, "orders")

    def _get_order(self, request: Request, order_id: str) -> Any:
        if order_id not in self.orders:
            return _error(404, "not_found", f"order {order_id} not found")
        return {"order": self.orders[order_id]}

    # -- the matching engine -----------------------------------------------------------------

    def _create_order_v2(self, request: Request) -> Any:
        if not self.v2_enabled:
            return Response({"error": "not found"}, status=404)
        if self.reject_orders:
            return _error(400, "insufficient_balance", self.reject_orders)
        body = request.json()
        missing = [k for k in V2_REQUIRED if k not in body]
        if missing:
            return _error(400, "missing_parameters", f"missing {', '.join(missing)}")
        # V2 quotes the YES book only: "yes"/"no" or "buy"/"sell" are not sides here.
        if body["side"] not in ("bid", "ask"):
            return _error(400, "invalid_parameters", f"side must be bid or ask: {body['side']!r}")
        if body["time_in_force"] not in TIME_IN_FORCE:
            return _error(400, "invalid_parameters", f"time_in_force {body['time_in_force']!r}")
        if body["self_trade_prevention_type"] not in ("taker_at_cross", "maker"):
            return _error(400, "invalid_parameters", "unknown self_trade_prevention_type")
        expiring = body.get("expiration_time") is not None
        if expiring and body["time_in_force"] != "good_till_canceled":
            return _error(400, "invalid_parameters", "expiration_time needs good_till_canceled")
        if not isinstance(body["price"], str) or not isinstance(body["count"], str):
            return _error(400, "invalid_parameters", "price and count are strings")
        with self.lock:
            refuse = body["side"] == "ask" and self.refuse_asks > 0
            self.refuse_asks -= refuse
        if refuse:
            return _error(400, "insufficient_balance", "refused by the test (refuse_asks)")
        result = self._execute(
            body["ticker"],
            body["client_order_id"],
            body["side"],
            Decimal(body["price"]),
            Decimal(body["count"]),
            body["time_in_force"],
        )
        if isinstance(result, Response):
            return result
        order, fills = result
        filled = Decimal(order["fill_count_fp"])
        answer = {
            "order_id": order["order_id"],
            "client_order_id": order["client_order_id"],
            "fill_count": order["fill_count_fp"],
            "remaining_count": order["remaining_count_fp"],
            "ts_ms": int(time.time() * 1000),
        }
        if filled:
            paid = sum(Decimal(f["yes_price_dollars"]) * Decimal(f["count_fp"]) for f in fills)
            answer["average_fill_price"] = _p(paid / filled)
            fee = Decimal(order["taker_fees_dollars"])
            answer["average_fee_paid"] = str((fee / filled).quantize(Decimal("0.000001")))
        if self.order_delay:
            time.sleep(self.order_delay)
        return answer

    def _legacy_gone(self, request: Request, **_: str) -> Any:
        return _error(*LEGACY_GONE)

    def _execute(
        self,
        ticker: str,
        client_order_id: str,
        book_side: str,
        price: Decimal,
        count: Decimal,
        time_in_force: str,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | Response:
        """Match a YES-book order against the opposite bids; rest or cancel the remainder."""
        market = self.markets.get(ticker)
        if market is None:
            return _error(404, "market_not_found", f"market {ticker} not found")
        if market.get("status") != "active":
            return _error(400, "market_closed", f"market {ticker} is not open")
        if not (ZERO < price < ONE) or count <= 0:
            return _error(400, "invalid_order", "price must be in (0, 1) and count positive")
        refused = _off_grid(market, price, count)
        if refused is not None:
            return refused
        with self.lock:
            if any(o["client_order_id"] == client_order_id for o in self.orders.values()):
                return _error(409, "order_already_exists", "client_order_id already used")
            book = self.books.setdefault(ticker, {"yes": {}, "no": {}})
            buying = book_side == "bid"
            # A YES bid at p takes NO bids at q with 1 − q ≤ p; a YES ask takes YES bids ≥ p.
            against = book["no"] if buying else book["yes"]
            levels = sorted(against.items(), reverse=True)
            takes: list[tuple[Decimal, Decimal, Decimal]] = []  # (book price, yes price, size)
            left = count
            for level_price, size in levels:
                yes_price = ONE - level_price if buying else level_price
                if left <= 0 or (yes_price > price if buying else yes_price < price):
                    break
                take = min(size, left)
                takes.append((level_price, yes_price, take))
                left -= take
            if time_in_force == "fill_or_kill" and left > 0:
                takes, left = [], count
            order_id = str(uuid.uuid4())
            deltas: list[tuple[str, Decimal, Decimal]] = []
            fills = []
            for level_price, yes_price, take in takes:
                side_name = "no" if buying else "yes"
                against[level_price] -= take
                if against[level_price] <= 0:
                    del against[level_price]
                deltas.append((side_name, level_price, -take))
                fills.append(self._fill(order_id, ticker, buying, yes_price, take, taker=True))
            filled = count - left
            fee = self.fees([(f[1], f[2]) for f in takes]) if takes else ZERO
            if fills:
                fills[0]["fee_cost"] = _p(fee)
            rests = left > 0 and time_in_force == "good_till_canceled"
            if rests:
                rest_side, rest_price = ("yes", price) if buying else ("no", ONE - price)
                book[rest_side][rest_price] = book[rest_side].get(rest_price, ZERO) + left
                deltas.append((rest_side, rest_price, left))
            order = {
                "order_id": order_id,
                "client_order_id": client_order_id,
                "ticker": ticker,
                **_direction("bid" if buying else "ask", self.legacy_direction_fields),
                "status": "resting" if rests else ("executed" if not left else "canceled"),
                "yes_price_dollars": _p(price),
                "no_price_dollars": _p(ONE - price),
                "initial_count_fp": _c(count),
                "fill_count_fp": _c(filled),
                "remaining_count_fp": _c(left if rests else ZERO),
                "taker_fees_dollars": _p(fee),
                "maker_fees_dollars": "0.0000",
                "created_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            self.orders[order_id] = order
            self.balance -= sum((y if buying else ONE - y) * s for _, y, s in takes) + fee
        self._publish(ticker, deltas, fills, client_order_id)
        return order, fills

    def _fill(
        self,
        order_id: str,
        ticker: str,
        buying: bool,
        yes_price: Decimal,
        size: Decimal,
        *,
        taker: bool,
    ) -> dict[str, Any]:
        fill = {
            "fill_id": str(uuid.uuid4()),
            "trade_id": str(uuid.uuid4()),
            "order_id": order_id,
            "ticker": ticker,
            "market_ticker": ticker,
            **_direction("bid" if buying else "ask", self.legacy_direction_fields),
            "count_fp": _c(size),
            "yes_price_dollars": _p(yes_price),
            "no_price_dollars": _p(ONE - yes_price),
            "is_taker": taker,
            "fee_cost": "0.0000",
            "created_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "ts": int(time.time()),
        }
        self.fills.append(fill)
        self.positions[ticker] = self.positions.get(ticker, ZERO) + (size if buying else -size)
        return fill

    def fill_resting(self, order_id: str, size: str | Decimal) -> dict[str, Any]:
        """A counterparty takes ``size`` of a resting order (a maker fill)."""
        size = Decimal(size)
        with self.lock:
            order = self.orders[order_id]
            remaining = Decimal(order["remaining_count_fp"])
            size = min(size, remaining)
            buying = order["book_side"] == "bid"
            yes_price = Decimal(order["yes_price_dollars"])
            rest_side, rest_price = ("yes", yes_price) if buying else ("no", ONE - yes_price)
            level = self.books[order["ticker"]][rest_side]
            level[rest_price] -= size
            if level[rest_price] <= 0:
                del level[rest_price]
            fill = self._fill(order_id, order["ticker"], buying, yes_price, size, taker=False)
            fee = self.fees([(yes_price, size)], maker=True)
            fill["fee_cost"] = _p(fee)
            order["fill_count_fp"] = _c(Decimal(order["fill_count_fp"]) + size)
            order["remaining_count_fp"] = _c(remaining - size)
            order["maker_fees_dollars"] = _p(Decimal(order["maker_fees_dollars"]) + fee)
            if remaining - size <= 0:
                order["status"] = "executed"
        self._publish(order["ticker"], [(rest_side, rest_price, -size)], [fill], None)
        return fill

    def _withdraw(self, order: dict[str, Any]) -> tuple[str, Decimal, Decimal]:
        """Take a resting order's remainder off the book (lock held): ``(side, price, left)``."""
        left = Decimal(order["remaining_count_fp"])
        yes_price = Decimal(order["yes_price_dollars"])
        buying = order["book_side"] == "bid"
        side, price = ("yes", yes_price) if buying else ("no", ONE - yes_price)
        level = self.books[order["ticker"]][side]
        level[price] -= left
        if level[price] <= 0:
            del level[price]
        return side, price, left

    def _cancel_order(self, request: Request, order_id: str) -> Any:
        """V2 cancel: ``market_ticker`` must name the order's market (its shard)."""
        ticker = request.arg("market_ticker")
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or ticker != order["ticker"]:
                return _error(404, "not_found", f"order {order_id} not found in {ticker}")
            if order["status"] != "resting":
                return _error(400, "order_not_resting", "order is not resting")
            side, price, left = self._withdraw(order)
            order.update(status="canceled", remaining_count_fp="0.00")
        self._publish(order["ticker"], [(side, price, -left)], [], None)
        return {
            "order_id": order_id,
            "client_order_id": order["client_order_id"],
            "reduced_by": _c(left),
        }

    def _amend_order(self, request: Request, order_id: str) -> Any:
        """V2 amend: a YES-book ``side``/``price`` and the new total ``count``."""
        body = request.json()
        missing = [k for k in ("ticker", "side", "price", "count") if k not in body]
        if missing:
            return _error(400, "missing_parameters", f"missing {', '.join(missing)}")
        price, total = Decimal(body["price"]), Decimal(body["count"])
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order["status"] != "resting" or body["ticker"] != order["ticker"]:
                return _error(404, "not_found", f"no resting order {order_id}")
            if body["side"] != order["book_side"]:
                return _error(400, "invalid_parameters", "amend cannot change the side")
            refused = _off_grid(self.markets[order["ticker"]], price, total)
            count = total - Decimal(order["fill_count_fp"])
            if refused is not None or count <= 0:
                return refused or _error(400, "invalid_parameters", "count below the filled")
            side, old_price, left = self._withdraw(order)
            rest_price = price if side == "yes" else ONE - price
            book = self.books[order["ticker"]][side]
            book[rest_price] = book.get(rest_price, ZERO) + count
            order.update(
                yes_price_dollars=_p(price),
                no_price_dollars=_p(ONE - price),
                remaining_count_fp=_c(count),
                initial_count_fp=_c(total),
                client_order_id=body.get("updated_client_order_id", order["client_order_id"]),
            )
        self._publish(
            order["ticker"], [(side, old_price, -left), (side, rest_price, count)], [], None
        )
        return {"order_id": order_id, "client_order_id": order["client_order_id"]}

    # -- websocket ----------------------------------------------------------------------------

    async def on_websocket(self, socket: Any) -> None:
        request = socket.request
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        problem = self.verify("GET", request.path.split("?")[0], headers)
        if problem is not None:
            self.auth_failures += 1
            await socket.close(code=4001, reason="unauthorized")
            return
        try:
            async for raw in socket:
                try:
                    command = json.loads(raw)
                except ValueError:
                    await self.send(
                        socket, {"type": "error", "msg": {"code": 1, "msg": "bad json"}}
                    )
                    continue
                self.commands.append(command)
                await self._command(socket, command)
        finally:
            self.subscriptions = [s for s in self.subscriptions if s.socket is not socket]

    async def _command(self, socket: Any, command: dict[str, Any]) -> None:
        cmd, params, cid = command.get("cmd"), command.get("params") or {}, command.get("id")
        if cmd == "subscribe":
            tickers = set(params.get("market_tickers") or [])
            if params.get("market_ticker"):
                tickers.add(params["market_ticker"])
            for channel in params.get("channels") or []:
                sub = Subscription(next(self._sids), channel, socket, tickers)
                self.subscriptions.append(sub)
                reply = {
                    "id": cid,
                    "type": "subscribed",
                    "msg": {"channel": channel, "sid": sub.sid},
                }
                await self.send(socket, reply)
                if channel == "orderbook_delta":
                    for ticker in sorted(tickers):
                        await self._snapshot(sub, ticker)
        elif cmd == "update_subscription" and params.get("action") == "get_snapshot":
            for sub in self.subscriptions:
                if sub.sid in (params.get("sids") or []) and sub.socket is socket:
                    for ticker in params.get("market_tickers") or sorted(sub.tickers):
                        await self._snapshot(sub, ticker)
        elif cmd == "unsubscribe":
            sids = set(params.get("sids") or [])
            self.subscriptions = [s for s in self.subscriptions if s.sid not in sids]
        elif cmd == "list_subscriptions":
            self.commands_answered += 1
            listed = [
                {"sid": s.sid, "channel": s.channel, "market_tickers": sorted(s.tickers)}
                for s in self.subscriptions
                if s.socket is socket
            ]
            await self.send(socket, {"id": cid, "type": "ok", "msg": {"subscriptions": listed}})
        else:
            await self.send(
                socket, {"id": cid, "type": "error", "msg": {"code": 8, "msg": "unknown command"}}
            )

    async def _snapshot(self, sub: Subscription, ticker: str) -> None:
        sub.seq += 1
        with self.lock:
            yes, no = self._levels(ticker, "yes"), self._levels(ticker, "no")
        body = {
            "market_ticker": ticker,
            "market_id": ticker,
            "yes_dollars_fp": yes,
            "no_dollars_fp": no,
        }
        message = {"type": "orderbook_snapshot", "sid": sub.sid, "seq": sub.seq, "msg": body}
        await self.send(sub.socket, message)

    async def _deliver(
        self,
        ticker: str,
        deltas: Sequence[tuple[str, Decimal, Decimal]],
        fills: Sequence[dict[str, Any]],
        client_order_id: str | None,
    ) -> None:
        now_ms = int(time.time() * 1000)
        for sub in list(self.subscriptions):
            if sub.channel == "orderbook_delta" and sub.covers(ticker):
                for side, price, delta in deltas:
                    sub.seq += 1
                    body = {
                        "market_ticker": ticker,
                        "market_id": ticker,
                        "price_dollars": _p(price),
                        "delta_fp": _c(delta),
                        "side": side,
                        "ts_ms": now_ms,
                    }
                    if client_order_id:
                        body["client_order_id"] = client_order_id
                    await self.send(
                        sub.socket,
                        {"type": "orderbook_delta", "sid": sub.sid, "seq": sub.seq, "msg": body},
                    )
            elif sub.channel == "fill":
                for fill in fills:
                    sub.seq += 1
                    await self.send(sub.socket, {"type": "fill", "sid": sub.sid, "msg": fill})

    def _publish(
        self,
        ticker: str,
        deltas: Sequence[tuple[str, Decimal, Decimal]],
        fills: Sequence[dict[str, Any]],
        client_order_id: str | None,
    ) -> None:
        if self._loop is not None and (deltas or fills):
            self._call(self._deliver(ticker, deltas, fills, client_order_id))

    # -- test controls ---------------------------------------------------------------------------

    def push_delta(self, ticker: str, side: str, price: str, delta: str) -> None:
        """Change the book and stream the ``orderbook_delta``."""
        price_d, delta_d = Decimal(price), Decimal(delta)
        with self.lock:
            book = self.books.setdefault(ticker, {"yes": {}, "no": {}})[side]
            book[price_d] = book.get(price_d, ZERO) + delta_d
            if book[price_d] <= 0:
                del book[price_d]
        self._call(self._deliver(ticker, [(side, price_d, delta_d)], [], None))

    def skip_sequence(self, ticker: str, count: int = 1) -> None:
        """Lose ``count`` messages: the next delta's ``seq`` jumps (a gap)."""
        for sub in self.subscriptions:
            if sub.channel == "orderbook_delta" and sub.covers(ticker):
                sub.seq += count

    def push_trade(self, ticker: str, yes_price: str, count: str) -> None:
        async def deliver() -> None:
            for sub in list(self.subscriptions):
                if sub.channel == "trade" and sub.covers(ticker):
                    sub.seq += 1
                    body = {
                        "trade_id": str(uuid.uuid4()),
                        "market_ticker": ticker,
                        "yes_price_dollars": yes_price,
                        "no_price_dollars": _p(ONE - Decimal(yes_price)),
                        "count_fp": count,
                        "taker_side": "yes",
                        "ts": int(time.time()),
                    }
                    await self.send(
                        sub.socket, {"type": "trade", "sid": sub.sid, "seq": sub.seq, "msg": body}
                    )

        self._call(deliver())

    def push_fee_update(
        self, event_ticker: str, fee_type: str | None, multiplier: str | None
    ) -> None:
        """An ``event_fee_update`` on ``market_lifecycle_v2`` (``None`` parts: override cleared)."""

        async def deliver() -> None:
            for sub in list(self.subscriptions):
                if sub.channel == "market_lifecycle_v2":
                    sub.seq += 1
                    body = {
                        "event_ticker": event_ticker,
                        "fee_type_override": fee_type,
                        "fee_multiplier_override": multiplier,
                    }
                    message = {"type": "event_fee_update", "sid": sub.sid, "seq": sub.seq}
                    await self.send(sub.socket, {**message, "msg": body})

        self._call(deliver())

    def send_error(self, code: int, message: str) -> None:
        """A websocket ``error`` message to every socket (10 and 25 end the subscription)."""
        self.broadcast({"type": "error", "msg": {"code": code, "msg": message}})

    def wait_for_command(self, cmd: str, action: str | None = None, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for command in list(self.commands):
                params = command.get("params") or {}
                if command.get("cmd") == cmd and (action is None or params.get("action") == action):
                    return True
            time.sleep(0.01)
        return False
