"""Fuzzing the Kalshi parsers and stream decoder (issue 10).

Recorded payloads (``fixtures/``) with a few values swapped for junk or removed, and made-up
delta sequences, must give the model or an :class:`arbkit.ArbkitError` (never another exception),
and never a book with a price outside (0, 1) or a size of 0 or less.

The example budget is the suite's hypothesis profile (small and derandomized in CI); run longer
with ``HYPOTHESIS_PROFILE=long pytest venues/kalshi/tests/test_fuzz.py``.
"""

from __future__ import annotations

import copy
from typing import Any

from arbkit_kalshi import parse
from arbkit_kalshi.stream import KalshiStreamDecoder
from arbkit_kalshi.venue import KalshiVenue
from hypothesis import given
from hypothesis import strategies as st

from arbkit import ArbkitError, BookUpdate, ContinuityLost, Market
from arbkit.testing.fuzz import FIGURES, JSON, SCALARS, assert_sane_book, mutated

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

# -- REST and recorded payloads ----------------------------------------------------------------


@given(
    st.one_of(mutated([NBA]), mutated([NFL_MARKET]), mutated([NBA, {"market": NFL_MARKET}])),
    st.one_of(st.just([NFL_SERIES]), mutated([NFL_SERIES]), mutated({"KXNFLGAME": NFL_SERIES})),
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
        mutated({"T": BOOK_FP}),
        mutated({"T": BOOK_LEGACY}),
        mutated({"orderbooks": [{"ticker": "T", **BOOK_FP}]}),
    )
)
def test_books_parse_sane_or_raise_an_arbkit_error(payload: Any) -> None:
    try:
        books = KalshiVenue.parse_books(payload)
    except ArbkitError:
        return
    for book in books:
        assert_sane_book(book)


@given(
    st.lists(
        st.tuples(SCALARS, SCALARS),
        max_size=6,
    ),
    st.booleans(),
)
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
        assert_sane_book(book)


# -- the stream decoder ------------------------------------------------------------------------


def fresh_decoder() -> KalshiStreamDecoder:
    decoder = KalshiStreamDecoder()
    decoder.feed(copy.deepcopy(WS_SNAPSHOT))
    assert decoder.books(TICKER) is not None
    return decoder


def check(decoder: KalshiStreamDecoder, events: list[Any]) -> None:
    for event in events:
        if isinstance(event, BookUpdate):
            assert_sane_book(event.book)
    books = decoder.books(TICKER)
    for book in books or ():
        assert_sane_book(book)


MESSAGES = st.one_of(
    mutated(WS_SNAPSHOT),
    mutated(WS_DELTA),
    mutated(WS_DELTA),
    mutated(WS_TICKER),
    mutated(WS_TRADE),
    st.just(WS_DELTA),
    JSON,
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
