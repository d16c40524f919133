"""Fuzzing the Polymarket parsers and stream decoder (issue 10): mutated real payloads give the
model or an :class:`arbkit.ArbkitError`, never another exception, and never a book with a price
outside (0, 1) or a size of 0 or less.

No example budget is set here: the project's hypothesis profile decides (small in CI). To run
longer, pick a bigger profile, e.g. ``pytest venues/polymarket/tests/test_fuzz.py
--hypothesis-profile=<name>``, or ``--hypothesis-seed`` to replay a failure.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from arbkit_polymarket import parse
from arbkit_polymarket.stream import PolymarketDecoder
from hypothesis import given
from hypothesis import strategies as st

from arbkit import ArbkitError, BookUpdate, Market
from arbkit.testing.fuzz import FIGURES, JSON, assert_sane_book, mutated

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


EVENT = load("polymarket_gamma_event_nfl_game.json")[0]
MARKET = load("polymarket_gamma_market_moneyline.json")[0]
CLOB_BOOK = load("polymarket_clob_book.json")
WS_BOOK = load("polymarket_ws_book.json")
PRICE_CHANGE = load("polymarket_ws_price_change.json")
TRADE_AND_TICK = load("polymarket_ws_last_trade_and_tick_size.json")
TOKENS = [c["asset_id"] for c in PRICE_CHANGE["price_changes"]]


@given(st.one_of(mutated(EVENT), mutated(MARKET), mutated([EVENT, MARKET])))
def test_gamma_payloads_give_markets_or_an_arbkit_error(payload: Any) -> None:
    objects = payload if isinstance(payload, list) else [payload]
    try:
        markets = parse.parse_markets(objects)
    except ArbkitError:
        return
    assert all(isinstance(m, Market) for m in markets)
    for market in markets:
        assert market.start_time is not None or market.game_date is not None


@given(st.one_of(mutated(CLOB_BOOK), mutated(WS_BOOK), mutated([CLOB_BOOK, WS_BOOK])))
def test_books_give_sane_levels_or_an_arbkit_error(payload: Any) -> None:
    try:
        books = parse.parse_books(payload)
    except ArbkitError:
        return
    for book in books:
        assert_sane_book(book)


@given(st.lists(st.one_of(FIGURES, st.floats(), st.integers()), min_size=1, max_size=6))
def test_any_level_figures_give_sane_levels_or_an_arbkit_error(figures: list[Any]) -> None:
    payload = copy.deepcopy(WS_BOOK)
    levels = payload["bids"] + payload["asks"]
    for index, figure in enumerate(figures):
        levels[index % len(levels)]["price" if index % 2 else "size"] = figure
    try:
        book = parse.parse_book(payload)
    except ArbkitError:
        return
    assert_sane_book(book)


def decoder() -> PolymarketDecoder:
    event = copy.deepcopy(EVENT)
    event["markets"][0]["clobTokenIds"] = json.dumps(TOKENS)
    return PolymarketDecoder(parse.parse_markets([event])[:1])


def snapshot(token: str) -> dict[str, Any]:
    return {**copy.deepcopy(WS_BOOK), "asset_id": token}


MESSAGES = st.one_of(
    mutated(snapshot(TOKENS[0])),
    mutated(snapshot(TOKENS[1])),
    mutated(PRICE_CHANGE),
    mutated(PRICE_CHANGE),
    mutated({**TRADE_AND_TICK[0], "asset_id": TOKENS[0]}),
    mutated({**TRADE_AND_TICK[1], "asset_id": TOKENS[1]}),
    st.just(snapshot(TOKENS[0])),
    st.just(PRICE_CHANGE),
    JSON,
)


@given(st.lists(MESSAGES, min_size=1, max_size=8))
def test_stream_never_raises_and_never_publishes_an_impossible_book(messages: list[Any]) -> None:
    feed = decoder()
    feed.feed(snapshot(TOKENS[0]))
    feed.feed(snapshot(TOKENS[1]))
    for message in messages:
        for event in feed.feed(copy.deepcopy(message)):
            if isinstance(event, BookUpdate):
                assert_sane_book(event.book)
        for token in TOKENS:
            if feed.is_live(token):
                assert_sane_book(feed.book(token))
