"""Issue 10 for Kalshi: bad input is a one-line error or a warning and a skip, never a crash and
never a figure (impossible levels, bad stream messages, wrongly typed recordings, bad dates,
unknown series, bad numeric options)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from arbkit_kalshi import parse
from arbkit_kalshi.client import KalshiClient
from arbkit_kalshi.stream import KalshiStreamDecoder
from arbkit_kalshi.venue import KalshiVenue

from arbkit import (
    BadResponse,
    BookUpdate,
    ConfigError,
    ContinuityLost,
    ContinuityRestored,
    DiscoveryQuery,
    NotFound,
    VenueSettings,
)
from arbkit.testing.fake_kalshi import FakeKalshi

from .conftest import NBA_SAS, active_nba_event, make_settings, sample

T = "KXNBAGAME-26JUN13NYKSAS-NYK"
BOTH = (f"{T}:yes", f"{T}:no")


def snapshot(seq: int, yes: Any = (), no: Any = (), sid: int = 1) -> dict[str, Any]:
    body = {"market_ticker": T, "yes_dollars_fp": list(yes), "no_dollars_fp": list(no)}
    return {"type": "orderbook_snapshot", "sid": sid, "seq": seq, "msg": body}


def delta(seq: Any, price: Any, amount: Any, side: str = "yes", sid: int = 1) -> dict[str, Any]:
    body = {"market_ticker": T, "price_dollars": price, "delta_fp": amount, "side": side}
    return {"type": "orderbook_delta", "sid": sid, "seq": seq, "msg": body}


def synced() -> KalshiStreamDecoder:
    """A decoder holding a trusted book of T (YES bid 0.40 x 10, NO bid 0.55 x 5)."""
    decoder = KalshiStreamDecoder()
    events = decoder.feed(snapshot(1, [["0.40", "10"]], [["0.55", "5"]]))
    assert [type(e) for e in events] == [BookUpdate, BookUpdate]
    return decoder


def in_range(book: Any) -> bool:
    return all(0 < p < 1 and q > 0 for p, q in book.bids + book.asks)


# -- 1. impossible prices and sizes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "level"),
    [
        ("no_dollars", ["1.5", "100"]),  # a NO bid of 1.5 would be a YES ask of -0.5
        ("yes_dollars", ["1.7", "10"]),
        ("yes_dollars", ["0", "10"]),
        ("no_dollars", ["-0.2", "10"]),
        ("yes_dollars", ["0.40", "0"]),
        ("yes_dollars", ["0.40", "-3"]),
        ("yes_dollars", ["1e-40", "5"]),  # its NO ask, 1 - 1e-40, rounds to 1
    ],
)
def test_rest_book_drops_an_impossible_level_and_is_doubtful(side, level, caplog) -> None:
    body = {"orderbook_fp": {"yes_dollars": [["0.30", "4"]], "no_dollars": [["0.60", "2"]]}}
    body["orderbook_fp"][side] = body["orderbook_fp"][side] + [level]
    with caplog.at_level(logging.WARNING):
        yes, no = parse.parse_orderbook(T, body)
    assert not yes.continuous and not no.continuous
    assert yes.bids == ((D("0.30"), D("4")),) and yes.asks == ((D("0.40"), D("2")),)
    assert in_range(yes) and in_range(no)
    (record,) = caplog.records
    assert T in record.getMessage() and level[0] in record.getMessage()


def test_a_sound_rest_book_stays_continuous() -> None:
    yes, no = parse.parse_orderbook(T, sample("kalshi_orderbook_fp.json"))
    assert yes.continuous and no.continuous


@pytest.mark.parametrize("figure", [float("nan"), float("inf")])
def test_a_non_finite_json_number_in_a_book_is_a_bad_response(figure) -> None:
    with pytest.raises(BadResponse, match="finite"):
        parse.parse_orderbook(T, {"orderbook_fp": {"no_dollars": [["0.40", figure]]}})


def test_legacy_cents_out_of_range_are_dropped() -> None:
    yes, _ = parse.parse_orderbook(T, {"orderbook": {"yes": [[40, 10], [150, 3]], "no": []}})
    assert yes.bids == ((D("0.40"), D("10")),) and not yes.continuous


@pytest.mark.parametrize("level", [["1.7", "10"], ["0.40", "0"], ["0", "5"]])
def test_stream_snapshot_with_an_impossible_level_loses_continuity(level, caplog) -> None:
    decoder = KalshiStreamDecoder()
    with caplog.at_level(logging.WARNING):
        events = decoder.feed(snapshot(1, [["0.40", "10"], level]))
    assert events == [ContinuityLost("kalshi", BOTH, "snapshot with an impossible level")]
    assert decoder.books(T) is None
    assert decoder.outbox[-1]["params"]["action"] == "get_snapshot"
    assert any(T in r.getMessage() and level[0] in r.getMessage() for r in caplog.records)
    asked = len(decoder.outbox)
    assert decoder.feed(snapshot(2, [level])) == []  # the same bad answer: not asked again
    assert len(decoder.outbox) == asked
    assert decoder.feed(delta(3, "0.40", "1")) == []  # deltas wait for a fresh snapshot
    restored = decoder.feed(snapshot(4, [["0.41", "3"]]))
    assert restored[-1] == ContinuityRestored("kalshi", BOTH)
    assert restored[0].book.bids == ((D("0.41"), D("3")),)


@pytest.mark.parametrize(
    ("price", "amount", "side"),
    [
        ("1.7", "10", "yes"),  # a YES bid of 1.7 once printed a 1.2008 edge
        ("0", "10", "no"),
        ("-0.1", "10", "yes"),
        ("1e-40", "10", "yes"),
        ("0.40", "-11", "yes"),  # 10 - 11: a negative size
        ("0.33", "-1", "no"),  # removing a level that is not there
    ],
)
def test_stream_delta_that_is_impossible_loses_continuity(price, amount, side) -> None:
    decoder = synced()
    (lost,) = decoder.feed(delta(2, price, amount, side))
    assert isinstance(lost, ContinuityLost) and lost.contract_ids == BOTH
    assert decoder.books(T) is None
    assert decoder.outbox[-1]["params"] == {
        "market_tickers": [T],
        "action": "get_snapshot",
        "sids": [1],
    }


def test_legacy_delta_in_cents_out_of_range_loses_continuity() -> None:
    decoder = synced()
    body = {"market_ticker": T, "price": 170, "delta": 3, "side": "yes"}
    (lost,) = decoder.feed({"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": body})
    assert isinstance(lost, ContinuityLost)


# -- 2. one bad stream message is skipped ------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        42,
        "text",
        [1, 2],
        None,
        {"type": "no_such_type", "msg": {}},
        {"type": ["unhashable"], "msg": {}},
        {"type": "ticker", "msg": 42},
        {"type": "trade", "msg": {"market_ticker": T, "yes_price_dollars": "x"}},
        {"type": "error", "msg": {"code": [1]}},
        {"type": "orderbook_snapshot", "msg": 42},
        {"type": "orderbook_snapshot", "sid": 9, "seq": 1, "msg": {"market_ticker": 5}},
    ],
)
def test_a_bad_message_is_dropped_and_the_book_stays(message, caplog) -> None:
    decoder = synced()
    with caplog.at_level(logging.WARNING):
        assert decoder.feed(message) == []
    assert caplog.records  # warned, not silent
    assert decoder.books(T) is not None
    assert len(decoder.feed(delta(2, "0.40", "1"))) == 2  # still in sequence, still trusted


@pytest.mark.parametrize(
    "message",
    [
        {"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": 42},
        {"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": {"nonsense": True}},
        delta(2, "0.40", "lots"),
        delta(2, "0.40", None),
        delta(2, ["0.40"], "1"),
        delta(2, "abc", "1"),
        delta(2, "0.40", "1", side="maybe"),
        delta("2", "0.40", "1"),
        delta(2.5, "0.40", "1"),
        {"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": {"market_ticker": T}},
    ],
)
def test_a_dropped_delta_of_a_known_market_loses_continuity(message, caplog) -> None:
    decoder = synced()
    with caplog.at_level(logging.WARNING):
        (lost,) = decoder.feed(message)
    assert isinstance(lost, ContinuityLost) and lost.contract_ids == BOTH
    assert "dropping a malformed orderbook_delta" in caplog.text
    assert decoder.books(T) is None
    assert decoder.outbox[-1]["params"]["action"] == "get_snapshot"
    # The next good message neither crashes on a stored bad seq nor republishes the doubtful book.
    assert decoder.feed(delta(3, "0.40", "1")) == []
    assert decoder.feed(snapshot(4, [["0.40", "2"]]))[-1] == ContinuityRestored("kalshi", BOTH)
    assert len(decoder.feed(delta(5, "0.40", "1"))) == 2


def test_unknown_types_are_warned_about_once_and_command_answers_not_at_all(caplog) -> None:
    decoder = synced()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            decoder.feed({"type": "brand_new", "msg": {}})
        decoder.feed({"type": "subscribed", "id": 1, "msg": {"channel": "ticker", "sid": 2}})
    assert [r.getMessage() for r in caplog.records] == [
        "kalshi stream: dropping messages of unknown type brand_new"
    ]


# -- 3. wrongly typed recordings ---------------------------------------------------------------


def recording(tmp_path: Path, **files: Any) -> Path:
    if "events.json" not in files and "events.json!" not in files:
        files["events.json"] = [active_nba_event()]
    for name, data in files.items():
        text = data if isinstance(data, str) and name.endswith("!") else json.dumps(data)
        (tmp_path / name.rstrip("!")).write_text(text)
    return tmp_path


def one_line_error(directory: Path, pattern: str) -> str:
    with pytest.raises(ConfigError, match=pattern) as caught:
        KalshiVenue.read_recording(directory)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    return message


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("files", "pattern"),
    [
        ({"events.json": [1, "x", None]}, r"events\.json: record 0: .*got int"),
        ({"events.json": [active_nba_event(), "x"]}, r"events\.json: record 1: .*got str"),
        ({"events.json": "just text"}, r"events\.json: expected .*got str"),
        ({"events.json": 5}, r"events\.json: expected .*got int"),
        (
            {"events.json": [{**active_nba_event(), "markets": {"a": 1}}]},
            r"events\.json: record 0: event KXNBAGAME-26JUN13NYKSAS: markets must be a list",
        ),
        (
            {"events.json": [{**active_nba_event(), "markets": [1]}]},
            r"events\.json: record 0: market: expected an object",
        ),
        (
            {"events.json": [{**active_nba_event(), "title": ["x"]}]},
            r"events\.json: record 0: market .*: title must be a string",
        ),
        ({"events.json!": nested(100_000)}, r"events\.json: .*nested too deeply"),
        ({"series.json": "KXNBAGAME"}, r"series\.json: expected a JSON list or a JSON object"),
        ({"orderbooks.json": "a string"}, r"orderbooks\.json: expected a JSON object, got str"),
        ({"orderbooks.json": {NBA_SAS: "a string"}}, rf"orderbooks\.json: order book {NBA_SAS}"),
        (
            {"orderbooks.json": {NBA_SAS: {"orderbook_fp": {"yes_dollars": [1, 2, 3]}}}},
            rf"orderbooks\.json: {NBA_SAS} YES bids: level 1 is not \[price, size\]",
        ),
        (
            {"orderbooks.json": {NBA_SAS: {"orderbook_fp": {"no_dollars": [[1, 2, 3]]}}}},
            rf"orderbooks\.json: {NBA_SAS} NO bids: level \[1, 2, 3\] is not",
        ),
        (
            {"orderbooks.json": {NBA_SAS: {"orderbook_fp": {"yes_dollars": {"0.4": "1"}}}}},
            r"orderbooks\.json: .* YES bids: expected a list of \[price, size\], got dict",
        ),
        (
            {"orderbooks.json": {NBA_SAS: {"orderbook_fp": {"yes_dollars": [{"p": 1}]}}}},
            r"YES bids: level \{'p': 1\} is not \[price, size\]",
        ),
        (
            {"orderbooks.json": {NBA_SAS: {"orderbook_fp": {"yes_dollars": [["x", "1"]]}}}},
            r"YES bids: level \['x', '1'\]: expected a decimal number",
        ),
    ],
)
def test_a_wrongly_typed_recording_is_a_one_line_error(tmp_path, files, pattern) -> None:
    message = one_line_error(recording(tmp_path, **files), pattern)
    assert str(tmp_path) in message


def test_a_recorded_impossible_level_is_dropped_and_the_book_doubtful(tmp_path) -> None:
    body = {"orderbook_fp": {"yes_dollars": [["0.70", "5"]], "no_dollars": [["1.5", "100"]]}}
    directory = recording(tmp_path, **{"orderbooks.json": {NBA_SAS: body}})
    yes, no = KalshiVenue.read_recording(directory).books
    assert yes.asks == () and not yes.continuous and not no.continuous


# -- 4. start (game) dates ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["26FEB30", "26XYZ13", "99JUN"])
def test_a_game_with_an_unreadable_date_is_excluded_with_a_warning(bad, caplog) -> None:
    good = active_nba_event()
    broken = active_nba_event()
    new = f"KXNBAGAME-{bad}NYKSAS"
    broken["event_ticker"] = new
    for market in broken["markets"]:
        market["event_ticker"] = new
        market["ticker"] = market["ticker"].replace("KXNBAGAME-26JUN13NYKSAS", new)
    with caplog.at_level(logging.WARNING):
        markets = parse.parse_markets([good, broken])
    assert {m.event_id for m in markets} == {"KXNBAGAME-26JUN13NYKSAS"}
    assert all(m.game_date is not None for m in markets)
    assert sum(new in r.getMessage() and "excluded" in r.getMessage() for r in caplog.records) == 2


def test_ticker_date_of_impossible_dates_is_none() -> None:
    assert parse.ticker_date("KXNBAGAME-26FEB30NYKSAS") is None  # no 30 February
    assert parse.ticker_date("KXNBAGAME-26FEB28NYKSAS") is not None


# -- 5. a series the venue does not know --------------------------------------------------------


async def test_an_unknown_series_asked_for_is_an_error(venue: KalshiVenue) -> None:
    with pytest.raises(NotFound, match="series KXNHLGAME not found") as caught:
        await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL", "NHL"})))
    assert "\n" not in str(caught.value)


async def test_unlisted_series_are_skipped_when_discovering_everything(venue: KalshiVenue) -> None:
    markets = await venue.discover()
    assert {m.league for m in markets} == {"NBA", "NFL"}


async def test_no_series_at_all_is_an_error(fake: FakeKalshi, pem: str, key_id: str) -> None:
    fake.series.clear()
    venue = KalshiVenue(make_settings(fake, pem, key_id))
    try:
        with pytest.raises(NotFound, match="series KXNBAGAME, .*, KXNCAAMBGAME not found"):
            await venue.discover()
    finally:
        await venue.aclose()


async def test_a_router_404_is_not_an_unknown_series(fake: FakeKalshi, pem: str, key_id) -> None:
    settings = make_settings(fake, pem, key_id)
    wrong = VenueSettings(
        base_urls={"api": fake.http_url + "/nowhere"},
        credentials=settings.credentials,
        options=settings.options,
    )
    venue = KalshiVenue(wrong)
    try:
        with pytest.raises(NotFound) as caught:
            await venue.discover(DiscoveryQuery(leagues=frozenset({"NBA"})))
        assert caught.value.code is None  # the router's, passed on as it is
    finally:
        await venue.aclose()


# -- 6. numeric options ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ws_keepalive", "ws_stale_after", "ws_backoff_base"])
@pytest.mark.parametrize("value", ["forever", "nan", -1, True, "inf"])
def test_a_bad_stream_option_is_a_one_line_error(name, value) -> None:
    with pytest.raises(ConfigError, match=rf"\[venues\.kalshi\] {name} must be a number"):
        KalshiVenue(VenueSettings(options={name: value}))  # at start-up, before any request


@pytest.mark.parametrize("name", ["ws_keepalive", "ws_stale_after"])
def test_a_keepalive_of_zero_would_spin_and_is_refused(name) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a number above 0, got 0"):
        KalshiVenue(VenueSettings(options={name: 0}))


def test_good_stream_options_reach_the_feed(fake, pem, key_id, market) -> None:
    venue = KalshiVenue(make_settings(fake, pem, key_id, ws_keepalive="2.5", ws_backoff_base=0))
    feed = venue.stream_feed([market])
    assert feed.ping_interval == 2.5 and feed.stale_after == 1.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("backoff_base", "forever"),
        ("backoff_cap", "nan"),
        ("read_rate", -1),
        ("write_rate", 0),
        ("read_rate", "nan"),
        ("max_retries", "many"),
        ("max_retries", -2),
    ],
)
def test_a_bad_rest_option_is_a_one_line_error(name, value) -> None:
    with pytest.raises(ConfigError, match=rf"\[venues\.kalshi\] {name} must be"):
        KalshiVenue(VenueSettings(options={name: value}))
    with pytest.raises(ConfigError, match=rf"\[venues\.kalshi\] {name} must be"):
        KalshiClient(VenueSettings(options={name: value}))


@pytest.fixture
def market() -> Any:
    return next(m for m in parse.parse_markets([active_nba_event()]) if m.market_id == NBA_SAS)


def test_fee_multiplier_below_zero_is_refused() -> None:
    with pytest.raises(BadResponse, match="fee multiplier -1 is negative"):
        parse.fees_from_series({"ticker": "KXNBAGAME", "fee_multiplier": -1})


def test_a_doubtful_rest_book_does_not_seed_the_stream() -> None:
    body = {"orderbook_fp": {"yes_dollars": [["0.40", "10"]], "no_dollars": [["1.5", "100"]]}}
    decoder = KalshiStreamDecoder()
    decoder.seed(parse.parse_orderbook(T, body))
    assert decoder.books(T) is None
    assert decoder.feed(delta(2, "0.40", "1")) == []  # waits for a snapshot
    assert decoder.feed(snapshot(3, [["0.40", "10"]]))[-1] == ContinuityRestored("kalshi", BOTH)


@pytest.mark.parametrize("multiplier", ["-1", "lots", [2]])
def test_an_unreadable_fee_update_stops_trading_the_event(multiplier) -> None:
    (market,) = [m for m in parse.parse_markets([active_nba_event()]) if m.market_id == T]
    decoder = KalshiVenue.stream_decoder([market])
    body = {"event_ticker": market.event_id, "fee_multiplier_override": multiplier}
    (lost,) = decoder.feed({"type": "event_fee_update", "sid": 3, "msg": body})
    assert isinstance(lost, ContinuityLost) and set(lost.contract_ids) == set(BOTH)


def test_a_series_with_an_unknown_fee_type_excludes_its_markets(caplog) -> None:
    series = {"KXNBAGAME": {"ticker": "KXNBAGAME", "fee_type": "per_minute", "fee_multiplier": 1}}
    with caplog.at_level(logging.WARNING):
        assert parse.parse_markets([active_nba_event()], series=series) == []
    assert "unknown fee type 'per_minute'" in caplog.text
