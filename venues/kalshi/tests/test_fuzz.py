"""Fuzzing the Kalshi parsers and stream decoder (issue 10).

Recorded payloads (``fixtures/``) with a few values swapped for junk or removed, and made-up
delta sequences, must give the model or an :class:`arbkit.ArbkitError` (never another exception),
and never a book with a price outside (0, 1) or a size of 0 or less.

The example budget is the suite's hypothesis profile (small and derandomized in CI); run longer
with ``HYPOTHESIS_PROFILE=long pytest venues/kalshi/tests/test_fuzz.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from arbkit_kalshi import parse
from arbkit_kalshi.stream import KalshiStreamDecoder
from arbkit_kalshi.venue import KalshiVenue
from hypothesis import given
from hypothesis import strategies as st

from arbkit import ArbkitError, BookUpdate, ContinuityLost, Market, OrderBook

from .conftest import active_nba_event, sample

NBA = active_nba_event()
NFL_MARKET = sample("kalshi_market_nfl_game.json")["market"]
NFL_SERIES = sample("kalshi_series_nfl_game.json")["series"]
BOOK_FP = sample("kalshi_orderbook_fp.json")
BOOK_LEGACY = sample("kalshi_orderbook_legacy_and_fp.json")
WS_SNAPSHOT = sample("kalshi_ws_orderbook_snapshot.json")
WS_DELTA = sample("kalshi_ws_orderbook_delta.json")
WS_TICKER, WS_TRADE = sample("kalshi_ws_ticker_and_trade.json")[:2]
TICKER = WS_SNAPSHOT["msg"]["market_ticker"]

#: Strings a broken venue or recorder puts where a price, size or count belongs.
FIGURES = st.sampled_from(
    ["0", "1", "1.5", "1.7", "-0.5", "0.0000", "100", "150", "1e999999", "-1e-999999", "NaN",
     "Infinity", "sNaN", "", "  ", "x", "0.40", "0.9999", "-54.00", "1e-40", "0b1", "٣"]
)  # fmt: skip
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats()
    | st.text(max_size=8)
    | FIGURES
)
ANY_JSON = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def places(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside ``value`` (itself included)."""
    yield at
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from places(child, (*at, key))


@st.composite
def mutant(draw: st.DrawFn, original: Any) -> Any:
    """``original`` with one to three values replaced by junk, or (in objects) removed."""
    value = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(places(value))))
        junk = draw(ANY_JSON)
        if not path:
            value = junk
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            parent.pop(path[-1])
        else:
            parent[path[-1]] = junk
    return value


def sane(book: OrderBook) -> None:
    for price, size in book.bids + book.asks:
        assert isinstance(price, Decimal) and isinstance(size, Decimal)
        assert 0 < price < 1, (book.contract_id, price)
        assert size > 0, (book.contract_id, size)


# -- REST and recorded payloads ----------------------------------------------------------------


@given(
    st.one_of(mutant([NBA]), mutant([NFL_MARKET]), mutant([NBA, {"market": NFL_MARKET}])),
    st.one_of(st.just([NFL_SERIES]), mutant([NFL_SERIES]), mutant({"KXNFLGAME": NFL_SERIES})),
)
def test_markets_parse_or_raise_an_arbkit_error(objects: Any, series: Any) -> None:
    try:
        markets = KalshiVenue.parse_markets(
            objects if isinstance(objects, list) else [objects], context={"series": series}
        )
    except ArbkitError:
        return
    for market in markets:
        assert isinstance(market, Market)
        assert market.league is None or market.game_date is not None  # a dated game, or none
        assert market.fees.multiplier >= 0


@given(
    st.one_of(
        mutant({"T": BOOK_FP}),
        mutant({"T": BOOK_LEGACY}),
        mutant({"orderbooks": [{"ticker": "T", **BOOK_FP}]}),
    )
)
def test_books_parse_sane_or_raise_an_arbkit_error(payload: Any) -> None:
    try:
        books = KalshiVenue.parse_books(payload)
    except ArbkitError:
        return
    for book in books:
        sane(book)


@given(st.lists(st.tuples(FIGURES | LEAVES, FIGURES | LEAVES), max_size=6), st.booleans())
def test_any_level_figures_give_sane_books(levels: list[tuple[Any, Any]], legacy: bool) -> None:
    raw = [list(level) for level in levels]
    body = (
        {"orderbook": {"yes": raw, "no": raw}} if legacy else {"orderbook_fp": {"no_dollars": raw}}
    )
    try:
        books = parse.parse_orderbook("T", body)
    except ArbkitError:
        return
    for book in books:
        sane(book)


# -- the stream decoder ------------------------------------------------------------------------


def fresh_decoder() -> KalshiStreamDecoder:
    decoder = KalshiStreamDecoder()
    decoder.feed(copy.deepcopy(WS_SNAPSHOT))
    assert decoder.books(TICKER) is not None
    return decoder


def check(decoder: KalshiStreamDecoder, events: list[Any]) -> None:
    for event in events:
        if isinstance(event, BookUpdate):
            sane(event.book)
    books = decoder.books(TICKER)
    for book in books or ():
        sane(book)


MESSAGES = st.one_of(
    mutant(WS_SNAPSHOT),
    mutant(WS_DELTA),
    mutant(WS_DELTA),
    mutant(WS_TICKER),
    mutant(WS_TRADE),
    st.just(WS_DELTA),
    ANY_JSON,
)


@given(st.lists(MESSAGES, min_size=1, max_size=8))
def test_stream_never_raises_and_never_holds_an_impossible_book(messages: list[Any]) -> None:
    decoder = fresh_decoder()
    for message in messages:
        check(decoder, decoder.feed(copy.deepcopy(message)))


DELTA = st.tuples(
    st.sampled_from(["yes", "no"]),
    FIGURES | st.sampled_from(["0.0800", "0.2200", "0.5400", "0.5600", "0.30"]),
    FIGURES | st.sampled_from(["-300.00", "-20.00", "5", "-5", "0.01"]),
)


@given(st.lists(DELTA, min_size=1, max_size=12))
def test_delta_sequences_keep_books_sane_or_lose_continuity(deltas: list[Any]) -> None:
    decoder = fresh_decoder()
    seq = WS_SNAPSHOT["seq"]
    lost = False
    for side, price, amount in deltas:
        seq += 1
        body = {"market_ticker": TICKER, "price_dollars": price, "delta_fp": amount, "side": side}
        events = decoder.feed({"type": "orderbook_delta", "sid": 2, "seq": seq, "msg": body})
        check(decoder, events)
        lost = lost or any(isinstance(e, ContinuityLost) for e in events)
        assert (decoder.books(TICKER) is None) == lost  # never silently wrong, never lost twice
