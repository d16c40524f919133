"""Every real Kalshi sample parses into the domain model (current and legacy formats)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from arbkit_kalshi import parse
from arbkit_kalshi.fees import KalshiFees
from arbkit_kalshi.orders import order_from_v2
from arbkit_kalshi.stream import KalshiStreamDecoder
from arbkit_kalshi.venue import KalshiVenue

from arbkit import BadResponse, BookUpdate, MarketType, TradePrint

from .conftest import sample


def test_event_with_nested_markets() -> None:
    series = {"KXNBAGAME": {"ticker": "KXNBAGAME", "fee_type": "quadratic", "fee_multiplier": 1}}
    markets = KalshiVenue.parse_markets(
        [sample("kalshi_event_nba_game.json")], context={"series": list(series.values())}
    )
    by_id = {m.market_id: m for m in markets}
    sas = by_id["KXNBAGAME-26JUN13NYKSAS-SAS"]
    assert (sas.league, sas.event_id, sas.market_type) == (
        "NBA",
        "KXNBAGAME-26JUN13NYKSAS",
        "moneyline",
    )
    assert (sas.away, sas.home) == ("New York", "San Antonio")  # "Game 5: New York at San Antonio"
    assert sas.game_date == date(2026, 6, 13)
    assert sas.start_time is None
    assert sas.close_time == datetime(2026, 6, 14, 3, 31, 47, tzinfo=UTC)
    assert sas.active is False  # finalized
    assert sas.tick_size == D("0.01")
    assert sas.size_increment == sas.min_size == D("0.01")  # fractional_trading_enabled
    assert sas.fees == KalshiFees("quadratic", D(1))
    yes, no = sas.contracts
    assert (yes.contract_id, yes.outcome, yes.subject, yes.negated) == (
        "KXNBAGAME-26JUN13NYKSAS-SAS:yes",
        "San Antonio",
        "San Antonio",
        False,
    )
    assert (no.contract_id, no.outcome, no.subject, no.negated) == (
        "KXNBAGAME-26JUN13NYKSAS-SAS:no",
        "not San Antonio",
        "San Antonio",
        True,
    )
    assert yes.complement_id == no.contract_id and no.complement_id == yes.contract_id
    assert by_id["KXNBAGAME-26JUN13NYKSAS-NYK"].contracts[0].subject == "New York"


def test_current_market_without_event() -> None:
    (market,) = KalshiVenue.parse_markets(
        [sample("kalshi_market_nfl_game.json")],
        context={"series": [sample("kalshi_series_nfl_game.json")]},
    )
    assert market.market_id == "KXNFLGAME-26SEP20PHITEN-PHI"
    assert (market.league, market.game_date, market.active) == ("NFL", date(2026, 9, 20), True)
    assert market.contracts[0].outcome == "Philadelphia"
    # `fractional_trading_enabled` (removed from the schema 2026-07-09) means nothing since
    # 2026-04-17: every market trades in 0.01 contracts.
    assert market.size_increment == D("0.01") and market.min_size == D("0.01")
    assert market.fees == KalshiFees("quadratic_with_maker_fees", D(1))
    assert market.raw["ticker"] == market.market_id


def test_market_with_its_event_names_home_and_away() -> None:
    event = {
        "event_ticker": "KXNFLGAME-26SEP20PHITEN",
        "series_ticker": "KXNFLGAME",
        "title": "Philadelphia at Tennessee",
        "sub_title": "PHI at TEN (Sep 20)",
    }
    (market,) = KalshiVenue.parse_markets(
        [sample("kalshi_market_nfl_game.json")], context={"events": [event]}
    )
    assert (market.away, market.home) == ("Philadelphia", "Tennessee")


def test_legacy_cents_market_soccer_home_first() -> None:
    (market,) = KalshiVenue.parse_markets([sample("kalshi_market_legacy_cents_and_dollars.json")])
    assert (market.league, market.home, market.away) == ("UCL", "PSG", "Chelsea")
    assert market.contracts[0].subject == "PSG"
    assert market.tick_size == D("0.01")
    assert market.game_date == date(2026, 3, 10)


def test_yes_side_comes_from_the_field_and_the_ticker_is_only_checked(caplog) -> None:
    event = sample("kalshi_event_nba_game.json")
    market = dict(event["markets"][0], yes_sub_title="New York")  # ticker says SAS
    with caplog.at_level(logging.WARNING):
        (parsed,) = parse.parse_markets([{"event": event["event"], "markets": [market]}])
    assert parsed.contracts[0].subject == "New York"
    assert "trusting the field" in caplog.text
    missing = dict(event["markets"][0], yes_sub_title="")
    (parsed,) = parse.parse_markets([{"event": event["event"], "markets": [missing]}])
    assert parsed.contracts[0].subject == "San Antonio"  # from the SAS code in "NYK at SAS"


def test_nhl_style_code_and_nickname_labels_are_consistent(caplog) -> None:
    event = sample("kalshi_event_nba_game.json")
    market = dict(event["markets"][0], yes_sub_title="SAS Spurs")  # "{CODE} {Nickname}" (NHL)
    with caplog.at_level(logging.WARNING):
        (parsed,) = parse.parse_markets([{"event": event["event"], "markets": [market]}])
    assert parsed.contracts[0].subject == "SAS Spurs"
    assert "other team" not in caplog.text
    clash = dict(event["markets"][0], yes_sub_title="NYK Knicks")  # the other team's code
    with caplog.at_level(logging.WARNING):
        parse.parse_markets([{"event": event["event"], "markets": [clash]}])
    assert "names the other team" in caplog.text


def test_unknown_shape_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parse.parse_markets([{"hello": 1}])


def test_series_kinds_and_dates() -> None:
    assert parse.series_kind("KXNCAAMBGAME") == ("NCAAB", MarketType.MONEYLINE)
    assert parse.series_kind("KXNFLSPREAD") == ("NFL", MarketType.SPREAD)
    assert parse.series_kind("KXINX") == (None, MarketType.OTHER)
    assert parse.ticker_date("KXMLBGAME-26APR291840COLCIN") == date(2026, 4, 29)
    assert parse.ticker_date("KXNBAGAME-26XYZ13AB") is None


def test_orderbook_fp_inverts_into_asks() -> None:
    yes, no = parse.parse_orderbook("T", sample("kalshi_orderbook_fp.json"))
    assert yes.contract_id == "T:yes" and no.contract_id == "T:no"
    assert yes.bids[0] == (D("0.7000"), D("359.00"))  # best (last on the wire) first
    assert yes.bids[-1] == (D("0.6600"), D("293.00"))
    assert yes.asks[0] == (D("0.7100"), D("80390.47"))  # 1 − best NO bid 0.29, its size
    assert [p for p, _ in yes.asks] == sorted(p for p, _ in yes.asks)
    assert no.bids[0] == (D("0.2900"), D("80390.47"))
    assert no.asks[0] == (D("0.3000"), D("359.00"))  # 1 − best YES bid 0.70


def test_legacy_and_fp_orderbook_agree_with_the_market() -> None:
    body = sample("kalshi_orderbook_legacy_and_fp.json")
    yes, _ = parse.parse_orderbook("T", body)
    # SOURCES.md: best YES bid 0.70 × 61957, YES ask 0.72 × 212771 as in the market sample
    assert yes.best_bid == (D("0.7000"), D("61957.00"))
    assert yes.best_ask == (D("0.7200"), D("212771.00"))
    legacy_only = {"orderbook": {k: v for k, v in body["orderbook"].items() if k in ("yes", "no")}}
    legacy_yes, legacy_no = parse.parse_orderbook("T", legacy_only)
    assert legacy_yes.best_bid == (D("0.70"), D("61957"))
    assert legacy_no.best_ask == (D("0.30"), D("61957"))


def test_books_payload_keyed_by_ticker() -> None:
    books = KalshiVenue.parse_books({"A": sample("kalshi_orderbook_fp.json")})
    assert [b.contract_id for b in books] == ["A:yes", "A:no"]


def test_ws_samples_decode() -> None:
    decoder = KalshiStreamDecoder()
    snapshot = decoder.feed(sample("kalshi_ws_orderbook_snapshot.json"))
    assert isinstance(snapshot[0], BookUpdate)
    assert snapshot[0].book.bids[0] == (D("0.2200"), D("333.00"))
    assert snapshot[0].book.asks[0] == (D("0.4400"), D("146.00"))
    delta = sample("kalshi_ws_orderbook_delta.json")  # seq 3 after the snapshot's 2
    delta["msg"]["price_dollars"] = "0.2200"
    (yes, no) = (e.book for e in decoder.feed(delta))
    assert yes.bids[0] == (D("0.2200"), D("279.00"))  # 333 − 54
    assert no.asks[0] == (D("0.7800"), D("279.00"))
    assert yes.sequence == 3 and yes.timestamp == datetime(2022, 11, 22, 20, 44, 1, tzinfo=UTC)
    ticker, trade = sample("kalshi_ws_ticker_and_trade.json")
    assert decoder.feed(ticker) == []
    assert decoder.tops["FED-23DEC-T3.00"]["yes_bid_dollars"] == "0.4500"
    assert decoder.feed(trade) == [
        TradePrint("kalshi", "HIGHNY-22DEC23-B53.5:yes", D("0.3600"), D("136.00"))
    ]
    assert decoder.feed(sample("kalshi_ws_commands.json")[1]) == []  # "subscribed"


def test_create_order_v2_response() -> None:
    from arbkit import OrderRequest, OrderStatus, Side

    request = OrderRequest(
        venue="kalshi",
        contract_id="T:yes",
        side=Side.BUY,
        price="0.5",
        size="1",
        client_order_id="22a6012f-2330-4622-b032-287bd20b5519",
    )
    order = order_from_v2(request, sample("kalshi_create_order_v2_response.json"))
    assert order.order_id == "01a0cc76-5048-77ac-83a7-9feea42d55bc"
    assert (order.status, order.filled, order.remaining) == (OrderStatus.OPEN, 0, 1)
