"""Bad venue input (issue 10): a warning and a skip, or a one-line error; never a crash or a
figure that is not there. Impossible levels, unreadable stream messages, unreadable start times,
broken recordings, bad numeric options and a league the venue does not know."""

from __future__ import annotations

import copy
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from arbkit_polymarket import parse
from arbkit_polymarket.stream import PolymarketDecoder
from arbkit_polymarket.venue import PolymarketVenue

from arbkit import (
    BadResponse,
    BookUpdate,
    ConfigError,
    ContinuityLost,
    ContinuityRestored,
    VenueSettings,
)
from arbkit.config import Config

D = Decimal
OTHER = "52114319501245915516055106046884209969926127482827954674443846427813813222426"


def live_decoder(load: Any) -> tuple[PolymarketDecoder, dict[str, Any]]:
    """A decoder following the sample market whose first token has had its snapshot."""
    book = load("polymarket_ws_book.json")
    event = load("polymarket_gamma_event_nfl_game.json")[0]
    event["markets"][0]["clobTokenIds"] = json.dumps([book["asset_id"], OTHER])
    decoder = PolymarketDecoder(parse.parse_markets([event])[:1])
    assert decoder.feed(copy.deepcopy(book))[0].book.continuous
    return decoder, book


def change(token: str, price: Any, size: Any, side: str = "BUY", **extra: Any) -> dict[str, Any]:
    return {
        "event_type": "price_change",
        "market": "0x" + "ab" * 32,
        "timestamp": "1757908892400",
        "price_changes": [{"asset_id": token, "price": price, "size": size, "side": side, **extra}],
    }


# -- item 1: impossible prices and sizes ------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "level"),
    [
        ("asks", {"price": "0", "size": "10"}),  # an ask of 0 divided by zero downstream
        ("bids", {"price": "1.7", "size": "10"}),
        ("asks", {"price": "1", "size": "10"}),
        ("bids", {"price": "-0.2", "size": "10"}),
        ("bids", {"price": "0.40", "size": "-5"}),
        ("asks", {"price": "0.60", "size": "0"}),
    ],
)
def test_rest_book_drops_impossible_level_and_is_doubtful(
    load: Any, caplog: pytest.LogCaptureFixture, side: str, level: dict[str, str]
) -> None:
    payload = load("polymarket_clob_book.json")
    payload[side].append(level)
    good = parse.parse_book(load("polymarket_clob_book.json"))
    with caplog.at_level(logging.WARNING):
        book = parse.parse_book(payload)
    assert not book.continuous
    assert (book.bids, book.asks) == (good.bids, good.asks)  # only the bad level is gone
    assert payload["asset_id"] in caplog.text and f"{side}" in caplog.text
    assert level["price"] in caplog.text


def test_clean_book_stays_continuous(load: Any) -> None:
    assert parse.parse_book(load("polymarket_clob_book.json")).continuous


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", None, [1]])
def test_unreadable_level_is_a_one_line_bad_response(load: Any, value: Any) -> None:
    payload = load("polymarket_clob_book.json")
    payload["bids"][0]["price"] = value
    with pytest.raises(BadResponse) as info:
        parse.parse_book(payload)
    assert payload["asset_id"] in str(info.value) and "\n" not in str(info.value)


def test_stream_snapshot_with_impossible_level_loses_the_token(
    load: Any, caplog: pytest.LogCaptureFixture
) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    bad = copy.deepcopy(book)
    bad["asks"].append({"price": "0", "size": "100"})
    with caplog.at_level(logging.WARNING):
        events = decoder.feed(bad)
    assert [type(e) for e in events] == [ContinuityLost]
    assert events[0].contract_ids == (token,)
    assert not decoder.is_live(token) and not decoder.outbox  # no resubscribe loop
    assert token in caplog.text
    # Price changes are not applied to a doubtful book; the next clean snapshot restores it.
    assert decoder.feed(change(token, "0.49", "5")) == []
    events = decoder.feed(copy.deepcopy(book))
    assert isinstance(events[0], BookUpdate) and events[1] == ContinuityRestored(
        "polymarket", (token,)
    )


@pytest.mark.parametrize(
    ("price", "size"),
    [("0", "10"), ("1.7", "10"), ("1", "3"), ("-0.1", "3"), ("0.49", "-1"), ("0.49", "NaN")],
)
def test_stream_price_change_with_impossible_figure_loses_the_token(
    load: Any, caplog: pytest.LogCaptureFixture, price: str, size: str
) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    with caplog.at_level(logging.WARNING):
        events = decoder.feed(change(token, price, size))
    assert events == [ContinuityLost("polymarket", (token,), events[0].reason)]
    assert token in events[0].reason and not decoder.is_live(token)
    assert decoder.outbox  # a fresh snapshot is asked for
    assert "out of sync" in caplog.text


def test_price_change_size_zero_still_removes_the_level(load: Any) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    (update,) = decoder.feed(change(token, "0.50", "0", best_bid="0.49"))
    assert update.book.continuous
    assert D("0.50") not in [p for p, _ in update.book.bids]
    assert update.book.bids[0][0] == D("0.49")


# -- item 2: one bad stream message is skipped --------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [42, "x", None, [1, 2], {"event_type": "who_knows"}, {"event_type": "book", "bids": []}],
)
def test_non_object_or_unknown_message_is_dropped(
    load: Any, caplog: pytest.LogCaptureFixture, message: Any
) -> None:
    decoder, book = live_decoder(load)
    with caplog.at_level(logging.WARNING):
        assert decoder.feed(message) == []
    assert "dropping" in caplog.text
    assert decoder.is_live(book["asset_id"])  # it said nothing about the book


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.update(price="zero.5"),
        lambda c: c.update(size="lots"),
        lambda c: c.update(size=None),
        lambda c: c.update(price=["0.5"]),
        lambda c: c.update(side="SIDEWAYS"),
        lambda c: c.pop("price"),
    ],
)
def test_unreadable_price_change_for_a_known_asset_loses_it(load: Any, mutate: Any) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    message = change(token, "0.49", "5")
    mutate(message["price_changes"][0])
    (event,) = decoder.feed(message)
    assert isinstance(event, ContinuityLost) and event.contract_ids == (token,)
    assert token in event.reason and not decoder.is_live(token)


def test_change_without_asset_id_loses_the_markets_books(load: Any) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    message = change(token, "0.49", "5")
    del message["price_changes"][0]["asset_id"]
    message["market"] = load("polymarket_gamma_event_nfl_game.json")[0]["markets"][0]["conditionId"]
    (event,) = decoder.feed(message)
    assert isinstance(event, ContinuityLost) and event.contract_ids == (token,)


def test_bad_change_does_not_spoil_the_other_assets_update(load: Any) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    other = copy.deepcopy(book) | {"asset_id": OTHER}
    decoder.feed(other)
    message = change(token, "0.49", "5")
    message["price_changes"].append({"asset_id": OTHER, "price": "2", "size": "1", "side": "BUY"})
    events = decoder.feed(message)
    assert [type(e) for e in events] == [BookUpdate, ContinuityLost]
    assert events[0].book.contract_id == token and events[1].contract_ids == (OTHER,)


@pytest.mark.parametrize(
    "message",
    [
        {"event_type": "price_change", "price_changes": 7},
        {"event_type": "price_change", "price_changes": [3, "x"]},
        {"event_type": "price_change"},
        {"event_type": "book", "asset_id": ["x"]},
        {"event_type": "last_trade_price", "price": "0.5"},
        {"event_type": "tick_size_change", "asset_id": 5},
    ],
)
def test_malformed_messages_never_raise(load: Any, message: dict[str, Any]) -> None:
    decoder, _ = live_decoder(load)
    for event in decoder.feed(message):
        assert isinstance(event, ContinuityLost)


def test_impossible_trade_and_tick_are_ignored_with_a_warning(
    load: Any, caplog: pytest.LogCaptureFixture
) -> None:
    decoder, book = live_decoder(load)
    token = book["asset_id"]
    tick = decoder.tick_sizes[token]
    trade = {"event_type": "last_trade_price", "asset_id": token, "price": "1.5", "size": "3"}
    ticks = {"event_type": "tick_size_change", "asset_id": token, "new_tick_size": "nan"}
    with caplog.at_level(logging.WARNING):
        assert decoder.feed(trade) == [] and decoder.feed(ticks) == []
    assert decoder.tick_sizes[token] == tick and decoder.is_live(token)
    assert "impossible trade" in caplog.text and "tick size" in caplog.text


def test_doubtful_seed_book_is_not_trusted(load: Any) -> None:
    payload = load("polymarket_ws_book.json")
    payload["asks"].append({"price": "0", "size": "1"})
    event = load("polymarket_gamma_event_nfl_game.json")[0]
    event["markets"][0]["clobTokenIds"] = json.dumps([payload["asset_id"], OTHER])
    decoder = PolymarketDecoder(parse.parse_markets([event])[:1])
    decoder.seed([parse.parse_book(payload)])
    assert not decoder.is_live(payload["asset_id"])


# -- item 4: start times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("market", "gameStartTime", "tonight-ish"),
        ("market", "gameStartTime", "2026-13-45 99:00:00+00"),
        ("event", "startTime", "soon"),
        ("event", "startTime", 12.5),
        ("event", "eventDate", "17/09/2026"),
    ],
)
def test_unreadable_start_excludes_the_market(
    sample_event: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    where: str,
    key: str,
    value: Any,
) -> None:
    target = sample_event["markets"][0] if where == "market" else sample_event
    target[key] = value
    with caplog.at_level(logging.WARNING):
        markets = parse.parse_markets([sample_event])
    slug = sample_event["markets"][0]["slug"]
    assert slug not in [m.market_id for m in markets]
    assert f"excluding market {slug}" in caplog.text and key in caplog.text
    if where == "event":
        assert markets == []  # every market of the game shares its start


def test_unreadable_start_on_a_bare_market_row_excludes_it(sample_event: dict[str, Any]) -> None:
    market = sample_event["markets"][0]
    market["events"] = [{k: v for k, v in sample_event.items() if k != "markets"}]
    assert [m.market_id for m in parse.parse_markets([market])] == [market["slug"]]
    market["events"][0]["startTime"] = "later"
    assert parse.parse_markets([market]) == []


def test_market_with_no_start_at_all_is_never_a_future_game(sample_event: dict[str, Any]) -> None:
    for key in ("startTime", "eventDate"):
        sample_event.pop(key, None)
    sample_event["slug"] = sample_event["ticker"] = "nfl-det-buf"  # no date in the slug either
    for market in sample_event["markets"]:
        market.pop("gameStartTime", None)
    assert parse.parse_markets([sample_event]) == []
    assert parse.SKIPPED[-1][1].startswith("no start time")


# -- item 3: recordings -------------------------------------------------------------------------


def write_recording(directory: Path, load: Any, books: list[Any]) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "events.json").write_text(json.dumps(load("polymarket_gamma_event_nfl_game.json")))
    (directory / "books.json").write_text(json.dumps(books))
    return directory


@pytest.mark.parametrize("name", ["events.json", "books.json", "stream.jsonl"])
def test_deeply_nested_recording_is_one_line_config_error(
    tmp_path: Path, load: Any, name: str
) -> None:
    directory = write_recording(tmp_path / "pm", load, [load("polymarket_clob_book.json")])
    deep = "[" * 200_000 + "]" * 200_000
    if name == "stream.jsonl":
        deep = json.dumps({"ts": 1, "msg": {}})[:-1] + ', "x": ' + deep + "}"
    (directory / name).write_text(deep)
    with pytest.raises(ConfigError) as info:
        PolymarketVenue.read_recording(directory)
    message = str(info.value)
    assert name in message and "nested too deeply" in message and "\n" not in message


@pytest.mark.parametrize("identical", [False, True])
def test_duplicate_asset_in_recorded_books_names_both_records(
    tmp_path: Path, load: Any, identical: bool
) -> None:
    book = load("polymarket_clob_book.json")
    other = copy.deepcopy(book)
    if not identical:
        other["bids"][0]["size"] = "1"
    directory = write_recording(
        tmp_path / "pm", load, [book, load("polymarket_ws_book.json"), other]
    )
    with pytest.raises(ConfigError) as info:
        PolymarketVenue.read_recording(directory)
    message = str(info.value)
    assert "records 0 and 2" in message and book["asset_id"] in message
    assert ("identical" if identical else "different") in message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("events.json", [1, "x", None]),
        ("events.json", [{"slug": "e", "markets": {"not": "a list"}}]),
        ("books.json", [{"asset_id": "1", "bids": "0.5", "asks": []}]),
        ("books.json", [{"asset_id": "1", "bids": [[1, 2, 3]], "asks": []}]),
        ("books.json", ["a string"]),
    ],
)
def test_wrongly_typed_recording_is_one_line_config_error_naming_the_file(
    tmp_path: Path, load: Any, name: str, content: Any
) -> None:
    directory = write_recording(tmp_path / "pm", load, [load("polymarket_clob_book.json")])
    (directory / name).write_text(json.dumps(content))
    with pytest.raises(ConfigError) as info:
        PolymarketVenue.read_recording(directory)
    assert str(directory / name) in str(info.value) and "\n" not in str(info.value)


def test_recording_with_distinct_books_reads(tmp_path: Path, load: Any) -> None:
    books = [load("polymarket_clob_book.json"), load("polymarket_ws_book.json")]
    recording = PolymarketVenue.read_recording(write_recording(tmp_path / "pm", load, books))
    assert len(recording.books) == 2 and recording.markets


# -- item 6: numeric options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["ping_interval", "stale_after", "retry_backoff", "reconnect_backoff", "cache_ttl"],
)
@pytest.mark.parametrize("value", ["forever", "nan", -1, float("inf"), True, None, [1]])
def test_bad_numeric_option_is_one_line_config_error(name: str, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        PolymarketVenue(VenueSettings(options={name: value}))
    message = str(info.value)
    assert name in message and "[venues.polymarket]" in message and "\n" not in message


@pytest.mark.parametrize("name", ["ping_interval", "stale_after"])
def test_keepalive_of_zero_would_spin_and_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        PolymarketVenue(VenueSettings(options={name: 0}))


@pytest.mark.parametrize("value", ["x", 7, 1.5, False])
def test_bad_signature_type_is_one_line_config_error(value: Any) -> None:
    with pytest.raises(ConfigError, match="signature_type"):
        PolymarketVenue(VenueSettings(options={"signature_type": value}))


def test_good_numeric_options_are_read(tmp_path: Path) -> None:
    venue = PolymarketVenue(
        VenueSettings(options={"cache_ttl": "60", "ping_interval": 5, "signature_type": "3"})
    )
    assert venue.gamma.ttl == 60.0 and venue.signature_type == 3


def test_bad_option_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[venues.polymarket]\nping_interval = "forever"\n')
    settings = Config.load(path).venue_settings("polymarket", PolymarketVenue.credential_names)
    with pytest.raises(ConfigError, match="ping_interval"):
        PolymarketVenue(settings)


def test_change_without_asset_id_of_an_unknown_market_is_dropped_with_a_warning(
    load: Any, caplog: pytest.LogCaptureFixture
) -> None:
    decoder, book = live_decoder(load)
    message = change(book["asset_id"], "0.49", "5")
    del message["price_changes"][0]["asset_id"]
    message["market"] = "0xnot-followed"
    with caplog.at_level(logging.WARNING):
        assert decoder.feed(message) == []
    assert "without an asset_id" in caplog.text and decoder.is_live(book["asset_id"])
