"""The Kalshi websocket decoder: local books from ``orderbook_snapshot`` + ``orderbook_delta``.

Each subscription (``sid``) numbers its messages with ``seq`` (+1 per message). A jump means
deltas were lost: the decoder stops trusting every market of that subscription, emits
:class:`arbkit.ContinuityLost`, drops their deltas, and queues a ``get_snapshot`` command in
``outbox``; the snapshot that answers restores them (:class:`arbkit.ContinuityRestored`).
Deltas *add* ``delta_fp`` to the size at a price (≤ 0 removes it). Both the current format
(dollar strings, ``*_fp`` counts) and the pre-2026 one (integer cents and counts) are accepted.

Bad input is never fatal: a malformed message is logged and dropped. Where the dropped message
may have changed a book (a delta or snapshot of a known market), or a level is impossible (a
price outside (0, 1), a size ≤ 0, a delta taking a size below 0), that market loses continuity
until a fresh snapshot, which is requested once.

The socket itself (auth headers, pings, staleness, reconnect and resubscribe) is core
:class:`arbkit.WebSocketFeed`; this module only decodes.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from arbkit import (
    ArbkitError,
    BadResponse,
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    FeesChanged,
    Fill,
    Market,
    MarketSettled,
    OrderBook,
    StreamEvent,
    TradePrint,
    VenueError,
    from_epoch_ms,
    to_decimal,
)
from arbkit_kalshi.errors import TERMINAL_WS_CODES, ws_error
from arbkit_kalshi.fees import KalshiFees, with_override
from arbkit_kalshi.orders import fill_from_object
from arbkit_kalshi.parse import _levels, possible_price, short  # one ladder parser for REST and WS
from arbkit_kalshi.settle import epoch_seconds, settlement, yes_payout

log = logging.getLogger(__name__)

VENUE = "kalshi"
BOOK_CHANNEL = "orderbook_delta"
PUBLIC_CHANNELS = ("ticker", "trade")
#: Carries ``event_fee_update`` (event-level fee overrides and waivers) and the markets'
#: ``market_lifecycle_v2`` messages (determined, settled...). Subscribed without a market
#: filter (Kalshi supports none on it); messages about other markets are ignored.
LIFECYCLE_CHANNEL = "market_lifecycle_v2"
PRIVATE_CHANNELS = ("fill", "user_orders")
_ONE = Decimal(1)
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
#: 1 − p for every price seen: prices sit on a small grid, so each subtraction is done once.
_COMPLEMENT: dict[Decimal, Decimal] = {}


#: Parsed price strings: a market's prices are a few dozen grid values, parsed once each.
_PRICES: dict[str, Decimal] = {}


def _price(text: str) -> Decimal:
    """Parse and check a price; only possible prices are cached, so a hit needs no check."""
    value = to_decimal(text)
    if not possible_price(value):
        raise _Impossible(f"price {short(text)} outside (0, 1)")
    _PRICES[text] = value
    return value


class _Impossible(ValueError):
    """A level that cannot be: the book it would go into is no longer trusted."""


#: What bad input raises while a message is decoded (anything else is a bug, and raised).
_BAD_INPUT = (ArbkitError, LookupError, TypeError, ValueError, ArithmeticError)


#: Parsed size strings: most deltas repeat a few round sizes; bounded, since sizes vary widely.
_SIZES: dict[str, Decimal] = {}
_SIZES_MAX = 4096


def _size(text: str) -> Decimal:
    value = to_decimal(text)
    if len(_SIZES) < _SIZES_MAX:
        _SIZES[text] = value
    return value


def _complement(price: Decimal) -> Decimal:
    value = _COMPLEMENT.get(price)
    if value is None:
        value = _COMPLEMENT[price] = _ONE - price
    return value


class _Side:
    """One bid ladder: a ready-made level tuple per price (as a bid, and as the other side's
    ask at 1 − p) plus the prices sorted ascending, so a delta touches one price and the
    ladders are rebuilt with C-level ``map`` calls only."""

    __slots__ = ("bid_levels", "ask_levels", "prices", "bids", "asks")

    def __init__(self, levels: Iterable[tuple[Decimal, Decimal]] = ()) -> None:
        self.bid_levels: dict[Decimal, tuple[Decimal, Decimal]] = {}
        self.ask_levels: dict[Decimal, tuple[Decimal, Decimal]] = {}
        for price, size in levels:
            if size > 0:
                self.bid_levels[price] = (price, size)
                self.ask_levels[price] = (_complement(price), size)
        self.prices = sorted(self.bid_levels)
        self.refresh()

    def apply(self, price: Decimal, delta: Decimal) -> None:
        """Add ``delta`` at ``price``; patch the published tuples by slicing (C-level copies)."""
        old = self.bid_levels.get(price)
        new = delta if old is None else old[1] + delta
        if new < 0:  # checked before any change: a refused delta leaves the side as it was
            raise _Impossible(f"delta {delta} takes the size at {price} to {new}")
        prices = self.prices
        if new > 0:
            bid, ask = (price, new), (_complement(price), new)
            self.bid_levels[price], self.ask_levels[price] = bid, ask
            if old is None:
                at = bisect_left(prices, price)
                prices.insert(at, price)
                index = len(prices) - 1 - at  # the tuples run from the highest price down
                self.bids = self.bids[:index] + (bid,) + self.bids[index:]
                self.asks = self.asks[:index] + (ask,) + self.asks[index:]
            else:
                index = len(prices) - 1 - bisect_left(prices, price)
                self.bids = self.bids[:index] + (bid,) + self.bids[index + 1 :]
                self.asks = self.asks[:index] + (ask,) + self.asks[index + 1 :]
        elif old is not None:
            del self.bid_levels[price]
            del self.ask_levels[price]
            at = bisect_left(prices, price)
            index = len(prices) - 1 - at
            del prices[at]
            self.bids = self.bids[:index] + self.bids[index + 1 :]
            self.asks = self.asks[:index] + self.asks[index + 1 :]

    def refresh(self) -> None:
        """Rebuild this side's bids (best first) and the other side's asks (best first)."""
        ordered = self.prices[::-1]
        self.bids = tuple(map(self.bid_levels.__getitem__, ordered))
        self.asks = tuple(map(self.ask_levels.__getitem__, ordered))


class _Book:
    __slots__ = ("yes", "no")

    def __init__(self, yes: _Side, no: _Side) -> None:
        self.yes = yes
        self.no = no


class KalshiStreamDecoder:
    """Decodes one websocket connection's messages for ``tickers`` (all tickers if empty).

    Args:
        tickers: the markets subscribed to.
        private: also subscribe to the account's ``fill`` and ``user_orders`` channels.
        markets: the markets behind ``tickers``; their series fees are the defaults an
            ``event_fee_update`` overrides (no markets: fee updates are ignored).
    """

    def __init__(
        self,
        tickers: Iterable[str] = (),
        *,
        private: bool = False,
        markets: Sequence[Market] = (),
    ) -> None:
        self.tickers = tuple(dict.fromkeys(tickers))
        #: Series (default) fee model and event of each known market, for fee overrides.
        self._default_fees: dict[str, KalshiFees] = {
            m.market_id: m.fees for m in markets if isinstance(m.fees, KalshiFees)
        }
        self._event_of: dict[str, str] = {m.market_id: m.event_id for m in markets}
        self._wanted = frozenset(self.tickers)
        self.private = private
        self.outbox: list[Mapping[str, Any]] = []
        self._books: dict[str, _Book] = {}
        self._seq: dict[int, int] = {}
        self._sid_tickers: dict[int, set[str]] = {}
        self._stale: set[str] = set()
        #: Message types seen and ignored (command answers) or unknown (warned about once).
        self._ignored: set[Any] = {"subscribed", "unsubscribed", "ok", "list_subscriptions"}
        self._next_id = 0
        self._last_ts_ms: Any = None
        self._last_ts: Any = None
        #: Latest ``ticker`` message body per market (top of book, volume).
        self.tops: dict[str, Mapping[str, Any]] = {}
        #: The account's fills and order updates, in arrival order (drained by the caller).
        self.fills: list[Fill] = []
        self.order_updates: list[Mapping[str, Any]] = []
        self.errors: list[VenueError] = []
        #: ticker → (result, settlement value) from its ``determined`` message, used when the
        #: ``settled`` message that makes it final does not repeat them
        self._determined: dict[str, tuple[Any, Any]] = {}
        self._handlers = {
            "orderbook_delta": self._on_delta,
            "orderbook_snapshot": self._on_snapshot,
            "trade": self._on_trade,
            "ticker": self._on_ticker,
            "ticker_v2": self._on_ticker,
            "fill": self._on_fill,
            "user_order": self._on_order,
            "user_orders": self._on_order,
            "event_fee_update": self._on_fee_update,
            "market_lifecycle_v2": self._on_lifecycle,
            "error": self._on_error,
        }

    # -- commands ------------------------------------------------------------------------------

    def _command(self, cmd: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        return {"id": self._next_id, "cmd": cmd, "params": dict(params)}

    def keepalive_message(self) -> dict[str, Any]:
        """An application-level keep-alive: Kalshi's own heartbeats are protocol pings the
        reader never sees, so a quiet market would look like a dead socket. ``list_subscriptions``
        is a documented command whose answer proves the server is still serving us."""
        return self._command("list_subscriptions", {})

    def subscribe_messages(self) -> list[dict[str, Any]]:
        """The subscribe commands to send after every (re)connect."""
        tickers = list(self.tickers)
        messages = [
            self._command("subscribe", {"channels": [BOOK_CHANNEL], "market_tickers": tickers}),
            self._command(
                "subscribe", {"channels": list(PUBLIC_CHANNELS), "market_tickers": tickers}
            ),
        ]
        if self._default_fees or self._event_of:
            messages.append(self._command("subscribe", {"channels": [LIFECYCLE_CHANNEL]}))
        if self.private:
            messages.append(self._command("subscribe", {"channels": list(PRIVATE_CHANNELS)}))
        return messages

    # -- StreamDecoder protocol ----------------------------------------------------------------

    def seed(self, books: Sequence[OrderBook]) -> None:
        """Start local books from REST or recorded snapshots (YES and NO contract books).

        A doubtful book (not ``continuous``: it had an impossible level) starts nothing: its
        market waits for a stream snapshot.
        """
        bids: dict[str, dict[str, tuple[tuple[Decimal, Decimal], ...]]] = {}
        doubtful: set[str] = set()
        for book in books:
            ticker, _, side = book.contract_id.rpartition(":")
            if side in ("yes", "no") and self._accepts(ticker):
                bids.setdefault(ticker, {})[side] = book.bids
                if not book.continuous:
                    doubtful.add(ticker)
        for ticker in doubtful:
            del bids[ticker]
            self._books.pop(ticker, None)
            self._stale.add(ticker)
        for ticker, sides in bids.items():
            self._books[ticker] = _Book(_Side(sides.get("yes", ())), _Side(sides.get("no", ())))
            self._stale.discard(ticker)

    def feed(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        """Decode one message; a malformed one is logged and dropped, never raised."""
        kind = message.get("type") if type(message) is dict else None
        handler = self._handlers.get(kind) if type(kind) is str else None
        if handler is None:
            self._unknown(message, kind)
            return []
        try:
            body = message.get("msg")
            if type(body) is not dict and not isinstance(body, Mapping):
                raise BadResponse("msg is not an object")
            return handler(message)
        except _BAD_INPUT as exc:
            return self._dropped(message, kind, exc)

    def _unknown(self, message: Any, kind: Any) -> None:
        """Warn once per unknown message type (a new type must not flood the log)."""
        if not isinstance(message, Mapping):
            log.warning("kalshi stream: dropping a non-object message %s", short(message))
            return
        key = kind if type(kind) is str else short(kind)
        if key not in self._ignored:
            self._ignored.add(key)
            log.warning("kalshi stream: dropping messages of unknown type %s", key)

    def _dropped(self, message: Mapping[str, Any], kind: str, exc: Exception) -> list[StreamEvent]:
        """Log a dropped message; if it may have changed a book, that book loses continuity."""
        if not isinstance(message, Mapping):
            log.warning("kalshi stream: dropping a non-object message %s", short(message))
            return []
        body = message.get("msg")
        ticker = body.get("market_ticker") if isinstance(body, Mapping) else None
        log.warning("kalshi stream: dropping a malformed %s for %s (%s)", kind, ticker, exc)
        if kind not in ("orderbook_delta", "orderbook_snapshot"):
            return []
        sid = message.get("sid") if type(message.get("sid")) is int else None
        if type(ticker) is str and self._accepts(ticker):
            tickers = [ticker]
        elif sid is not None and sid in self._sid_tickers:  # which market is unknown
            tickers = sorted(self._sid_tickers[sid])
        else:
            return []
        return self._doubt(sid, tickers, f"dropped a malformed {kind} ({exc})")

    def _doubt(self, sid: int | None, tickers: list[str], reason: str) -> list[StreamEvent]:
        """Stop trusting ``tickers``; a re-snapshot is asked only for those newly in doubt, so
        a venue that keeps sending the same bad snapshot is not asked again and again."""
        newly = [t for t in tickers if t not in self._stale]
        return self._lose(sid, newly, reason) if newly else []

    def reset(self) -> list[StreamEvent]:
        """The socket dropped: every book is unknown until its next snapshot."""
        lost = sorted((set(self._books) | self._stale) - self._stale)
        self._stale.update(self._books)
        self._books.clear()
        self._seq.clear()
        self._sid_tickers.clear()
        if not lost:
            return []
        return [ContinuityLost(VENUE, _contract_ids(lost), "websocket disconnected")]

    # -- queries -------------------------------------------------------------------------------

    def books(self, ticker: str, **kwargs: Any) -> tuple[OrderBook, OrderBook] | None:
        """The current (YES, NO) books of ``ticker``, if known and trusted."""
        book = self._books.get(ticker)
        if book is None or ticker in self._stale:
            return None
        return self._build(ticker, book, **kwargs)

    # -- handlers ------------------------------------------------------------------------------

    def _accepts(self, ticker: str) -> bool:
        return not self._wanted or ticker in self._wanted

    def _build(
        self, ticker: str, book: _Book, *, timestamp: Any = None, sequence: int | None = None
    ) -> tuple[OrderBook, OrderBook]:
        yes, no = book.yes, book.no
        return (
            OrderBook(
                venue=VENUE,
                contract_id=ticker + ":yes",
                bids=yes.bids,
                asks=no.asks,
                timestamp=timestamp,
                sequence=sequence,
            ),
            OrderBook(
                venue=VENUE,
                contract_id=ticker + ":no",
                bids=no.bids,
                asks=yes.asks,
                timestamp=timestamp,
                sequence=sequence,
            ),
        )

    def _on_snapshot(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        body = message["msg"]
        ticker = body["market_ticker"]
        if type(ticker) is not str:
            raise BadResponse(f"market_ticker {short(ticker)}")
        if not self._accepts(ticker):
            return []
        sid, seq = _sid_seq(message)
        if "yes_dollars_fp" in body or "no_dollars_fp" in body:
            keys, cents = ("yes_dollars_fp", "no_dollars_fp"), False
        elif "yes_dollars" in body or "no_dollars" in body:
            keys, cents = ("yes_dollars", "no_dollars"), False
        else:  # pre-2026: integer cents
            keys, cents = ("yes", "no"), True
        yes, yes_sound = _levels(body.get(keys[0]), f"{ticker} YES bids", cents=cents)
        no, no_sound = _levels(body.get(keys[1]), f"{ticker} NO bids", cents=cents)
        if sid is not None:
            self._sid_tickers.setdefault(sid, set()).add(ticker)
            if seq is not None:
                self._seq[sid] = seq
        book = self._books[ticker] = _Book(_Side(yes), _Side(no))
        if not (yes_sound and no_sound):
            return self._doubt(sid, [ticker], "snapshot with an impossible level")
        yes_book, no_book = self._build(ticker, book, sequence=seq)
        events: list[StreamEvent] = [BookUpdate(yes_book), BookUpdate(no_book)]
        if ticker in self._stale:
            self._stale.discard(ticker)
            events.append(ContinuityRestored(VENUE, _contract_ids([ticker])))
        return events

    def apply_delta(self, message: Mapping[str, Any]) -> str | list[StreamEvent]:
        """Apply one ``orderbook_delta`` to the local book, without publishing anything.

        Returns the market ticker whose book changed, or the events to emit instead (a
        sequence gap's or a malformed or impossible delta's ContinuityLost; nothing for a
        duplicate or a book awaiting its snapshot). Never raises on bad input.
        """
        try:
            return self._apply_delta(message)
        except _BAD_INPUT as exc:
            return self._dropped(message, "orderbook_delta", exc)

    def _apply_delta(self, message: Mapping[str, Any]) -> str | list[StreamEvent]:
        body = message["msg"]
        ticker = body["market_ticker"]
        if type(ticker) is not str:
            raise BadResponse(f"market_ticker {short(ticker)}")
        if self._wanted and ticker not in self._wanted:
            return []
        sid, seq = message.get("sid"), message.get("seq")
        if type(seq) is not int or type(sid) is not int:  # else both must be None
            sid, seq = _sid_seq(message)
        if sid is not None and seq is not None:
            last = self._seq.get(sid)
            self._seq[sid] = seq
            tickers = self._sid_tickers.get(sid)
            if tickers is None:
                tickers = self._sid_tickers[sid] = set()
            tickers.add(ticker)
            if last is not None and seq != last + 1:
                if seq <= last:  # a replayed or duplicate message: already applied
                    self._seq[sid] = last
                    return []
                reason = f"sequence gap on sid {sid}: {last} → {seq}"
                return self._lose(sid, sorted(tickers), reason)
        book = self._books.get(ticker)
        if ticker in self._stale:
            return []  # waiting for the snapshot that restores this book
        if book is None:
            return self._lose(sid, [ticker], "delta for a market without a snapshot")
        price = body.get("price_dollars")
        if price is not None:
            price = _PRICES.get(price) or _price(price)
            delta = _SIZES.get(body["delta_fp"]) or _size(body["delta_fp"])
        else:  # pre-2026: integer cents and counts
            cents = to_decimal(body["price"])
            price = cents / _HUNDRED if _ZERO < cents < _HUNDRED else _ZERO
            if not possible_price(price):
                raise _Impossible(f"price {cents} cents outside (0, 100)")
            delta = to_decimal(body["delta"])
        side = body["side"]
        if side == "yes":
            book.yes.apply(price, delta)
        elif side == "no":
            book.no.apply(price, delta)
        else:
            raise BadResponse(f"side {side!r}")
        return ticker

    def _on_delta(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        """Apply the delta, then publish the market's YES and NO books."""
        applied = self._apply_delta(message)  # bad input raised: feed drops it and doubts
        if not isinstance(applied, str):
            return applied
        ts_ms = message["msg"].get("ts_ms")
        if ts_ms is None:
            timestamp = None
        elif ts_ms == self._last_ts_ms:  # bursts of deltas share one exchange timestamp
            timestamp = self._last_ts
        else:
            timestamp = self._last_ts = from_epoch_ms(ts_ms)
            self._last_ts_ms = ts_ms
        book = self._books[applied]
        yes_book, no_book = self._build(
            applied, book, timestamp=timestamp, sequence=message.get("seq")
        )
        return [BookUpdate(yes_book), BookUpdate(no_book)]

    def _lose(self, sid: int | None, tickers: list[str], reason: str) -> list[StreamEvent]:
        """Stop trusting ``tickers`` and ask for fresh snapshots of them."""
        newly = [t for t in tickers if t not in self._stale]
        self._stale.update(tickers)
        params: dict[str, Any] = {"market_tickers": tickers, "action": "get_snapshot"}
        if sid is not None:
            params["sids"] = [sid]
        self.outbox.append(self._command("update_subscription", params))
        log.info("kalshi stream: %s; re-snapshot of %d markets requested", reason, len(tickers))
        return [ContinuityLost(VENUE, _contract_ids(newly), reason)] if newly else []

    def _on_trade(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        body = message["msg"]
        ticker = body["market_ticker"]
        if not self._accepts(ticker):
            return []
        price = body.get("yes_price_dollars")
        price = to_decimal(price) if price is not None else to_decimal(body["yes_price"]) / 100
        size = body.get("count_fp", body.get("count"))
        return [TradePrint(VENUE, ticker + ":yes", price, to_decimal(size))]

    def _on_ticker(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        body = message["msg"]
        if self._accepts(body.get("market_ticker", "")):
            self.tops[body["market_ticker"]] = body
        return []

    def _on_fill(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        self.fills.append(fill_from_object(message["msg"]))
        return []

    def _on_order(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        self.order_updates.append(message["msg"])
        return []

    def _on_fee_update(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        """``event_fee_update`` → one :class:`FeesChanged` per resulting fee model.

        The override replaces the series fee of every known market of the event; a cleared
        (``null``) part falls back to the series value.
        """
        body = message["msg"]
        event = body.get("event_ticker")
        by_fees: dict[KalshiFees, list[str]] = {}
        for ticker, default in self._default_fees.items():
            if self._event_of.get(ticker) != event:
                continue
            try:
                fees = with_override(
                    default, body.get("fee_type_override"), body.get("fee_multiplier_override")
                )
            except (ValueError, BadResponse) as exc:  # unreadable: stop trading, never price low
                reason = f"event_fee_update {event}: {exc}"
                tickers = [t for t, e in self._event_of.items() if e == event]
                return [ContinuityLost(VENUE, _contract_ids(tickers), reason)]
            by_fees.setdefault(fees, []).append(ticker)
        reason = f"event_fee_update {event}"
        return [
            FeesChanged(venue=VENUE, market_ids=tuple(tickers), fees=fees, reason=reason)
            for fees, tickers in by_fees.items()
        ]

    def _on_lifecycle(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        """A ``settled`` lifecycle message of a known market → MarketSettled.

        ``determined`` (and ``amended``) only remember the result: until the settlement timer
        ends it can still be disputed, so nothing is paid on it. Other lifecycle events change
        nothing here.
        """
        body = message["msg"]
        ticker = body.get("market_ticker")
        if type(ticker) is not str or ticker not in self._event_of:
            return []
        kind = body.get("event_type")
        value = body.get("settlement_value_dollars", body.get("settlement_value"))
        if kind in ("determined", "amended"):
            self._determined[ticker] = (body.get("result"), value)
            return []
        if kind != "settled":
            return []
        result = body.get("result")
        if result in (None, "") and value in (None, ""):
            result, value = self._determined.get(ticker, (None, None))
        if result == "void":
            log.warning("kalshi stream: %s settled void (returned at cost): not paid", ticker)
            return []
        yes = yes_payout(result, value, cents=True)
        if yes is None:
            log.warning("kalshi stream: %s settled, but no result is known: not paid", ticker)
            return []
        settled_at = epoch_seconds(body.get("settled_ts"))
        return [MarketSettled(settlement(ticker, yes, settled_at, body))]

    def _on_error(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        body = message.get("msg") or {}
        code = body.get("code")
        error = ws_error(code, str(body.get("msg", "")))
        self.errors.append(error)
        log.warning("kalshi stream: %s", error)
        if code not in TERMINAL_WS_CODES:
            return []
        # The subscription is gone: forget its books and subscribe again.
        events = self.reset()
        self.outbox.extend(self.subscribe_messages())
        return events


def _sid_seq(message: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The subscription id and sequence number; anything but an integer is BadResponse (a
    string ``seq`` stored once would break the gap check of every later message)."""
    sid, seq = message.get("sid"), message.get("seq")
    if (sid is not None and type(sid) is not int) or (seq is not None and type(seq) is not int):
        raise BadResponse(f"sid {short(sid)} / seq {short(seq)} not integers")
    return sid, seq


def _contract_ids(tickers: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{ticker}:{side}" for ticker in tickers for side in ("yes", "no"))
