"""Every real sample payload parses into the domain model with the right teams, sides and prices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from arbkit_polymarket import parse
from arbkit_polymarket.fees import PolymarketFees

from arbkit import BadResponse, MarketType

D = Decimal


def test_event_sample_gives_game_and_both_markets(sample_event: dict) -> None:
    markets = parse.parse_markets([sample_event])
    assert [m.market_id for m in markets] == [
        "nfl-det-buf-2026-09-18",
        "nfl-det-buf-2026-09-18-spread-home-1pt5",
    ]
    moneyline, spread = markets
    assert moneyline.event_id == "nfl-det-buf-2026-09-18"
    assert moneyline.league == "NFL"
    assert (moneyline.home, moneyline.away) == ("Bills", "Lions")
    # eventDate is the US-Eastern date; the slug carries the UTC date.
    assert moneyline.game_date == date(2026, 9, 17)
    assert moneyline.start_time == datetime(2026, 9, 18, 0, 15, tzinfo=UTC)
    assert moneyline.market_type is MarketType.MONEYLINE
    assert moneyline.tick_size == D("0.01") and moneyline.min_size == D("5")
    assert moneyline.active
    lions, bills = moneyline.contracts
    assert lions.outcome == lions.subject == "Lions" and not lions.negated
    assert lions.contract_id == (
        "35946349809644018221594766900800697897892667107929166603091569173318790894279"
    )
    assert bills.contract_id == (
        "68292865232440391438170820255426555083906992551631182646472978758644386719"
    )
    assert lions.complement_id == bills.contract_id and bills.complement_id == lions.contract_id
    assert spread.market_type is MarketType.SPREAD and spread.line == D("-1.5")
    assert [c.outcome for c in spread.contracts] == ["Bills", "Lions"]


def test_fee_schedule_is_read_per_market(sample_event: dict) -> None:
    market = parse.parse_markets([sample_event])[0]
    assert market.fees == PolymarketFees(
        rate=D("0.05"),
        exponent=1,
        taker_only=True,
        rebate_rate=D("0.15"),
        fee_type="sports_fees_v3",
    )


def test_bare_market_sample_takes_its_event_from_events_field(load) -> None:
    (market,) = parse.parse_markets(load("polymarket_gamma_market_moneyline.json"))
    assert market.market_id == "nfl-phi-ten-2026-09-20"
    assert market.event_id == "nfl-phi-ten-2026-09-20"
    assert market.league == "NFL"
    # No teams[] on the nested event: the title "Eagles vs. Titans" reads away-first in the NFL.
    assert (market.away, market.home) == ("Eagles", "Titans")
    assert market.start_time == datetime(2026, 9, 20, 17, tzinfo=UTC)
    assert [c.outcome for c in market.contracts] == ["Eagles", "Titans"]
    assert market.contracts[0].contract_id.startswith("1092099978280712138")


def test_soccer_title_without_teams_reads_home_first(sample_event: dict) -> None:
    event = {
        "slug": "epl-ars-che-2026-10-03",
        "title": "Arsenal vs. Chelsea",
        "markets": [],
    }
    parsed = parse.parse_event(event)
    assert parsed.league == "EPL"
    assert (parsed.home, parsed.away) == ("Arsenal", "Chelsea")
    assert parsed.game_date == date(2026, 10, 3)


def test_clob_book_sample_is_normalised_best_first(load) -> None:
    book = parse.parse_book(load("polymarket_clob_book.json"))
    assert book.contract_id.startswith("3594634980964401822")
    # The wire lists worst prices first; reading index 0 gives the "ghost" 0.01/0.99 book.
    assert book.best_bid == (D("0.33"), D("11331.24"))
    assert book.best_ask == (D("0.34"), D("135813.37"))
    assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
    assert [p for p, _ in book.asks] == sorted(p for p, _ in book.asks)
    assert book.bids[-1] == (D("0.01"), D("2832.94"))
    assert book.timestamp == datetime.fromtimestamp(1789535977.334, UTC)


def test_ws_book_sample_parses(load) -> None:
    book = parse.parse_book(load("polymarket_ws_book.json"))
    assert book.best_bid == (D("0.50"), D("15"))
    assert book.best_ask == (D("0.52"), D("25"))
    assert len(book.bids) == len(book.asks) == 3


def test_clob_market_info_fees(load) -> None:
    fees = PolymarketFees.from_clob(load("polymarket_clob_market_info.json"))
    assert (fees.rate, fees.exponent, fees.taker_only) == (D("0.04"), D(1), True)


@pytest.mark.parametrize(
    "mutation",
    [
        {"clobTokenIds": '["1"]'},
        {"outcomes": "not json"},
        {"outcomes": 7},
    ],
)
def test_malformed_market_is_a_clear_bad_response(sample_event: dict, mutation: dict) -> None:
    sample_event["markets"][0].update(mutation)
    with pytest.raises(BadResponse, match="nfl-det-buf-2026-09-18"):
        parse.parse_markets([sample_event])


def test_malformed_book_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="asset_id"):
        parse.parse_book({"bids": []})
    with pytest.raises(BadResponse, match="price/size"):
        parse.parse_book({"asset_id": "1", "bids": [{"price": "0.5"}], "asks": []})


def test_markets_without_order_book_are_skipped(sample_event: dict) -> None:
    del sample_event["markets"][1]["clobTokenIds"]
    assert len(parse.parse_markets([sample_event])) == 1


@pytest.mark.parametrize(
    ("version", "reason"),
    [(None, "no Gamma version"), ("v9", "unknown Gamma version 'v9'")],
)
def test_market_without_a_known_version_is_excluded_with_reason(
    sample_event: dict, version: str | None, reason: str, caplog
) -> None:
    market = sample_event["markets"][0]
    if version is None:
        del market["version"]
    else:
        market["version"] = version
    markets = parse.parse_markets([sample_event])
    assert market["slug"] not in [m.market_id for m in markets] and len(markets) == 1
    assert parse.SKIPPED[-1] == (
        market["slug"],
        reason + (": cannot tell which exchange it trades on" if version is None else ""),
    )
    assert reason in caplog.text


def test_v2_market_trades_by_position_ids(sample_event: dict) -> None:
    market = sample_event["markets"][0]
    market["version"] = "v2"
    market["positionIds"] = '["111", "222"]'
    parsed = next(m for m in parse.parse_markets([sample_event]) if m.market_id == market["slug"])
    assert [c.contract_id for c in parsed.contracts] == ["111", "222"]
    assert parse.exchange_version(parsed.raw) == 3
    del market["positionIds"]
    assert market["slug"] not in [m.market_id for m in parse.parse_markets([sample_event])]


def test_trade_fee_is_stated_or_computed_never_assumed_free() -> None:
    from arbkit_polymarket.clob import parse_trade

    trade = {"id": "t1", "asset_id": "1", "side": "BUY", "price": "0.34", "size": "10"}
    fees = PolymarketFees(rate=D("0.05"))
    assert parse_trade(trade, fees=fees)[0].fee == D("0.1122")
    assert parse_trade({**trade, "fee": "0.2"}, fees=fees)[0].fee == D("0.2")
    with pytest.raises(BadResponse, match="no fee model"):
        parse_trade(trade)
