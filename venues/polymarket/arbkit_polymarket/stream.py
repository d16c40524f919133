"""The market-channel decoder: local books from ``book`` snapshots and ``price_change`` updates.

Polymarket streams carry no sequence numbers, so continuity is judged three ways: a token is
trusted only after a full ``book`` arrived for it since the last (re)connect; a dropped or silent
socket (the core :class:`arbkit.WebSocketFeed` notices both) loses every token; and each
``price_change`` carries the venue's own best bid/ask, which must agree with the local book after
the change is applied. A disagreement or an unreadable update loses that token and asks for a
fresh snapshot by resubscribing it.

``market_resolved`` (a ``custom_feature_enabled`` message) for a followed market becomes a
:class:`~arbkit.streaming.MarketSettled`: its ``winning_asset_id`` pays 1, the other token 0.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from arbkit import (
    ArbkitError,
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    Market,
    MarketSettled,
    OrderBook,
    StreamEvent,
    TradePrint,
    from_epoch_ms,
)
from arbkit_polymarket.parse import VENUE, parse_book
from arbkit_polymarket.settle import settlement_from_resolved

log = logging.getLogger(__name__)

_ZERO = Decimal(0)
_ONE = Decimal(1)
#: Keep-alive the venue documents: a text frame, answered by ``PONG``.
PING = "PING"


class _Side:
    """One side of a local book: sizes by price, prices sorted, and the published levels cached.

    An update touches one level, so the published tuple is patched by slicing (a C-level copy)
    instead of being rebuilt level by level: this keeps apply-and-publish within a few µs.
    """

    __slots__ = ("descending", "levels", "prices", "sizes")

    def __init__(self, levels: Iterable[tuple[Decimal, Decimal]] = (), *, descending: bool) -> None:
        self.descending = descending
        self.sizes: dict[Decimal, Decimal] = dict(levels)
        self.prices: list[Decimal] = sorted(self.sizes)
        ordered = reversed(self.prices) if descending else self.prices
        self.levels: tuple[tuple[Decimal, Decimal], ...] = tuple(
            [(p, self.sizes[p]) for p in ordered]
        )

    def set(self, price: Decimal, size: Decimal) -> None:
        """Absolute size at ``price``; zero removes the level."""
        prices, levels = self.prices, self.levels
        index = bisect_left(prices, price)
        exists = index < len(prices) and prices[index] == price
        # Position in the published order (bids are published highest first).
        at = (
            (len(prices) - 1 - index if exists else len(prices) - index)
            if self.descending
            else index
        )
        if size:
            self.sizes[price] = size
            if exists:
                self.levels = levels[:at] + ((price, size),) + levels[at + 1 :]
            else:
                prices.insert(index, price)
                self.levels = levels[:at] + ((price, size),) + levels[at:]
        elif exists:
            del self.sizes[price]
            del prices[index]
            self.levels = levels[:at] + levels[at + 1 :]


_PRICES: dict[str, Decimal] = {}


def _finite(text: Any, what: str) -> Decimal:
    """A finite decimal from a wire string; ValueError (never a Decimal NaN) otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{what} {text!r:.40} is not a string")
    try:
        value = Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation
        raise ValueError(f"{what} {text!r:.40} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} {text!r:.40} is not finite")
    return value


def _price(text: str) -> Decimal:
    """Prices come from a small set (the tick grid), so their Decimals are parsed once.

    Raises:
        ValueError: not a finite decimal string (nothing is cached then).
    """
    value = _PRICES.get(text)
    if value is None:
        value = _finite(text, "price")
        if len(_PRICES) < 100_000:
            _PRICES[text] = value
    return value


def _size(text: Any) -> Decimal:
    """An absolute level size: finite and not negative (0 removes the level)."""
    size = _finite(text, "size")
    if size < _ZERO:
        raise ValueError(f"impossible size {text!r:.40}")
    return size


#: Message types that carry nothing for the books (``custom_feature_enabled`` extras).
_IGNORED = frozenset({"best_bid_ask", "new_market"})
_SIDES = {"BUY": True, "SELL": False}


def subscribe_message(tokens: Sequence[str]) -> dict[str, Any]:
    """The first message on a market-channel connection."""
    return {"assets_ids": list(tokens), "type": "market", "custom_feature_enabled": True}


def resubscribe_message(tokens: Sequence[str]) -> dict[str, Any]:
    """Ask for fresh snapshots of ``tokens`` on an open connection."""
    return {"operation": "subscribe", "assets_ids": list(tokens)}


class PolymarketDecoder:
    """A :class:`arbkit.StreamDecoder` for the market channel of a set of markets.

    Args:
        markets: the markets whose tokens are followed (other tokens are ignored).
        verify_top: compare each ``price_change``'s ``best_bid``/``best_ask`` to the local book.
    """

    def __init__(self, markets: Sequence[Market], *, verify_top: bool = True) -> None:
        self.tokens: tuple[str, ...] = tuple(c.contract_id for m in markets for c in m.contracts)
        self._followed = frozenset(self.tokens)
        #: condition id → its tokens: a change without a readable asset id loses the market
        self._by_condition: dict[str, tuple[str, ...]] = {
            str(m.raw.get("conditionId")): tuple(c.contract_id for c in m.contracts)
            for m in markets
            if isinstance(m.raw, Mapping) and m.raw.get("conditionId")
        }
        #: token → its market, to settle a ``market_resolved`` (condition id or asset ids)
        self._market_of: dict[str, Market] = {
            c.contract_id: m for m in markets for c in m.contracts
        }
        self.tick_sizes: dict[str, Decimal] = {
            c.contract_id: m.tick_size for m in markets for c in m.contracts
        }
        self.verify_top = verify_top
        self.outbox: list[Mapping[str, Any]] = []
        self._bids: dict[str, _Side] = {}
        self._asks: dict[str, _Side] = {}
        self._last_stamp: tuple[Any, Any] = (None, None)

    # -- StreamDecoder -------------------------------------------------------------------------

    def seed(self, books: Sequence[OrderBook]) -> None:
        """Start from REST or recorded snapshots: those tokens are trusted at once."""
        for book in books:
            if not book.continuous:
                continue  # an impossible level was dropped: wait for a stream snapshot
            self._bids[book.contract_id] = _Side(book.bids, descending=True)
            self._asks[book.contract_id] = _Side(book.asks, descending=False)

    def feed(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        """One decoded message → events; a bad message is logged and dropped, never raised.

        Where the dropped message may have changed a followed book, that book loses
        continuity until its next ``book`` snapshot.
        """
        if not isinstance(message, Mapping):
            log.warning("polymarket stream: dropping a non-object message %r", message)
            return []
        kind = message.get("event_type")
        try:
            if kind == "price_change":
                return self._price_change(message)
            if kind == "book":
                return self._book(message)
            if kind == "last_trade_price":
                return self._trade(message)
            if kind == "market_resolved":
                return self._resolved(message)
            if kind == "tick_size_change":
                self._tick_size(message)
            elif kind not in _IGNORED:
                log.warning("polymarket stream: dropping a message of unknown type %r", kind)
        except (ArbkitError, LookupError, TypeError, ValueError, ArithmeticError) as exc:
            if kind in ("tick_size_change", "last_trade_price", "market_resolved"):
                log.warning("polymarket stream: dropping an unreadable %s: %s", kind, exc)
                return []
            return self._lose(self._mentioned(message), f"unreadable {kind}: {exc}")
        return []

    def _mentioned(self, message: Mapping[str, Any]) -> list[str]:
        """The followed tokens a (possibly malformed) message may concern."""
        tokens = [message.get("asset_id")]
        changes = message.get("price_changes")
        if isinstance(changes, list):
            tokens += [c.get("asset_id") for c in changes if isinstance(c, Mapping)]
        market = message.get("market")
        if isinstance(market, str):
            tokens += self._by_condition.get(market, ())
        return list(dict.fromkeys(t for t in tokens if isinstance(t, str) and t in self._bids))

    def reset(self) -> list[StreamEvent]:
        """The socket dropped: every book is in doubt until its next snapshot."""
        lost = tuple(token for token in self.tokens if token in self._bids)
        self._bids.clear()
        self._asks.clear()
        self.outbox.clear()
        if not lost:
            return []
        return [ContinuityLost(VENUE, lost, "stream disconnected")]

    # -- helpers --------------------------------------------------------------------------------

    def is_live(self, token: str) -> bool:
        return token in self._bids

    def book(self, token: str, timestamp: Any = None) -> OrderBook:
        """The current local book of ``token`` (best first)."""
        return OrderBook(
            venue=VENUE,
            contract_id=token,
            bids=self._bids[token].levels,
            asks=self._asks[token].levels,
            timestamp=self._stamp(timestamp),
        )

    def _stamp(self, timestamp: Any) -> Any:
        """Epoch-ms string → datetime, memoised: one frame's updates share a timestamp."""
        if not timestamp:
            return None
        if timestamp != self._last_stamp[0]:
            self._last_stamp = (timestamp, from_epoch_ms(timestamp))
        return self._last_stamp[1]

    def _book(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        token = message.get("asset_id")
        if not isinstance(token, str) or not token:
            log.warning("polymarket stream: dropping a book without an asset_id")
            return []
        if token not in self._followed:
            return []
        snapshot = parse_book(message)
        if not snapshot.continuous:
            # An impossible level: the snapshot is not the venue's book. Wait for the next one
            # (no resubscribe, which would only fetch the same bad snapshot again).
            return self._lose([token], "book snapshot with an impossible level", resubscribe=False)
        restored = token not in self._bids
        self._bids[token] = _Side(snapshot.bids, descending=True)
        self._asks[token] = _Side(snapshot.asks, descending=False)
        tick = message.get("tick_size")
        if tick:
            self._set_tick(token, tick)
        events: list[StreamEvent] = [BookUpdate(snapshot)]
        if restored:
            events.append(ContinuityRestored(VENUE, (token,)))
        return events

    def _price_change(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        changed: dict[str, Mapping[str, Any]] = {}
        lost: list[str] = []
        problems: list[str] = []
        changes = message["price_changes"]
        if not isinstance(changes, list):
            raise ValueError("price_changes is not a list")
        for change in changes:
            problem = self._apply(change, changed)
            if problem is not None:
                problems.append(problem[1])
                if problem[0] is not None:
                    lost.append(problem[0])
                else:  # no readable asset id: any book of this market may now be wrong
                    lost.extend(self._mentioned(message))
        events: list[StreamEvent] = []
        stamp = message.get("timestamp")
        for token, change in changed.items():
            if token in lost:
                continue
            if self.verify_top and not self._top_agrees(token, change):
                lost.append(token)
                problems.append("local book disagrees with the venue's best bid/ask")
                continue
            events.append(BookUpdate(self.book(token, stamp)))
        if problems:
            if not lost:
                log.warning("polymarket stream: dropping price change: %s", problems[0])
            else:
                events.extend(self._lose(list(dict.fromkeys(lost)), "; ".join(problems[:3])))
        return events

    def _apply(
        self, change: Any, changed: dict[str, Mapping[str, Any]]
    ) -> tuple[str | None, str] | None:
        """Apply one level change; (token or None, why) when it is unreadable or impossible."""
        if not isinstance(change, Mapping):
            return None, f"change {change!r:.40} is not an object"
        token = change.get("asset_id")
        if not isinstance(token, str):
            return None, f"change without an asset_id: {change!r:.80}"
        bids = self._bids.get(token)
        if bids is None:
            return None  # not followed, or waiting for a snapshot: nothing to apply it to
        buy = _SIDES.get(change.get("side"))  # type: ignore[arg-type]
        try:
            price = _price(change["price"])
            size = _size(change["size"])
        except (KeyError, TypeError, ValueError) as exc:
            level = f"{change.get('price')!r:.20} x {change.get('size')!r:.20}"
            return token, f"{token}: unreadable level {level} ({exc})"
        if buy is None:
            return token, f"{token}: unknown side {change.get('side')!r:.20}"
        if not _ZERO < price < _ONE:
            return token, f"{token}: impossible price {price} (size {size})"
        (bids if buy else self._asks[token]).set(price, size)
        changed[token] = change
        return None

    def _top_agrees(self, token: str, change: Mapping[str, Any]) -> bool:
        best_bid, best_ask = change.get("best_bid"), change.get("best_ask")
        if best_bid is not None:
            prices = self._bids[token].prices
            if (prices[-1] if prices else _ZERO) != _price(best_bid):
                return False
        if best_ask is not None:
            prices = self._asks[token].prices
            if (prices[0] if prices else _ONE) != _price(best_ask):
                return False
        return True

    def _trade(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        token = str(message["asset_id"])
        if token not in self._followed:
            return []
        price, size = _price(message["price"]), _size(message["size"])
        if not (_ZERO < price < _ONE and size > _ZERO):
            raise ValueError(f"impossible trade {price} x {size}")
        return [TradePrint(VENUE, token, price, size)]

    def _resolved(self, message: Mapping[str, Any]) -> list[StreamEvent]:
        """``market_resolved`` for a followed market → MarketSettled (others are ignored)."""
        market = None
        condition = message.get("market")
        if isinstance(condition, str) and condition in self._by_condition:
            market = self._market_of[self._by_condition[condition][0]]
        else:
            assets = message.get("assets_ids")
            for token in assets if isinstance(assets, list) else ():
                if isinstance(token, str) and token in self._market_of:
                    market = self._market_of[token]
                    break
        if market is None:
            return []
        settlement = settlement_from_resolved(message, market)
        return [] if settlement is None else [MarketSettled(settlement)]

    def _tick_size(self, message: Mapping[str, Any]) -> None:
        token = str(message["asset_id"])
        if token in self._followed:
            self._set_tick(token, message["new_tick_size"])

    def _set_tick(self, token: str, value: Any) -> None:
        """A new tick size, if it is one (a bad one is logged and the old tick kept)."""
        try:
            tick = Decimal(str(value))
            if not tick.is_finite() or not _ZERO < tick < _ONE:
                raise ValueError
        except (ValueError, ArithmeticError):
            log.warning("polymarket stream: ignoring impossible tick size %r for %s", value, token)
            return
        self.tick_sizes[token] = tick

    def _lose(
        self, tokens: Sequence[str], reason: str, *, resubscribe: bool = True
    ) -> list[StreamEvent]:
        doubtful = tuple(t for t in tokens if t in self._followed)
        if not doubtful:
            log.warning("polymarket stream: %s", reason)
            return []
        for token in doubtful:
            self._bids.pop(token, None)
            self._asks.pop(token, None)
        log.warning("polymarket stream: %s; %d book(s) out of sync", reason, len(doubtful))
        if resubscribe:
            self.outbox.append(resubscribe_message(doubtful))
        return [ContinuityLost(VENUE, doubtful, reason)]
