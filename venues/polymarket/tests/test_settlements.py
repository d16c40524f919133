"""Settlement from Polymarket's own signals: resolved Gamma markets and ``market_resolved``,
the venue's tie and void payouts, and FOK/FAK-valid sizes.

The resolved markets are the recorded moneyline sample (``polymarket_gamma_market_moneyline``)
with the fields Gamma changes on resolution set by each test.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from arbkit_polymarket import parse
from arbkit_polymarket.stream import PolymarketDecoder, subscribe_message
from arbkit_polymarket.venue import PolymarketVenue

from arbkit.errors import ConfigError
from arbkit.models import Market, Side, SubjectResult, TimeInForce
from arbkit.streaming import MarketSettled

from .conftest import load

MONEYLINE = "polymarket_gamma_market_moneyline.json"
UTC_CLOSED = "2026-09-21T00:13:19+00:00"


def resolved(prices: tuple[str, str] = ("1", "0"), **fields: Any) -> dict[str, Any]:
    """The sample moneyline as Gamma shows it after resolution (fields override)."""
    market = load(MONEYLINE)[0]
    market.update(
        closed=True,
        acceptingOrders=False,
        outcomePrices=json.dumps(list(prices)),
        closedTime="2026-09-21 00:13:19+00",
        umaEndDate="2026-09-20T23:27:48Z",
        umaResolutionStatus="resolved",
    )
    market.update(fields)
    return market


def tokens(market: dict[str, Any]) -> list[str]:
    return json.loads(market["clobTokenIds"])


def parsed_market(market: dict[str, Any]) -> Market:
    obj = dict(market, closed=False)
    return parse.parse_market(obj)


# --------------------------------------------------------------------------- Gamma objects


def test_a_resolved_moneyline_pays_the_winning_token() -> None:
    market = resolved(("0", "1"))
    [settlement] = PolymarketVenue.parse_settlements([market])
    eagles, titans = tokens(market)
    assert settlement.venue == "polymarket"
    assert settlement.market_id == "nfl-phi-ten-2026-09-20"
    assert settlement.payouts == {eagles: D(0), titans: D(1)}
    assert not settlement.void
    assert settlement.settled_at is not None
    assert settlement.settled_at.isoformat() == UTC_CLOSED


def test_payouts_are_keyed_by_the_contract_ids_the_market_parser_uses() -> None:
    for version, field in (("v1", "clobTokenIds"), ("v2", "positionIds")):
        market = resolved(version=version)
        [settlement] = PolymarketVenue.parse_settlements([market])
        contract_ids = [c.contract_id for c in parsed_market(market).contracts]
        raw = market[field]
        ids = json.loads(raw) if isinstance(raw, str) else [str(t) for t in raw]
        assert list(settlement.payouts) == contract_ids == ids, version


def test_a_50_50_resolution_is_a_void_paying_half_each() -> None:
    [settlement] = PolymarketVenue.parse_settlements([resolved(("0.5", "0.5"))])
    assert settlement.void
    assert set(settlement.payouts.values()) == {D("0.5")}


@pytest.mark.parametrize(
    "fields",
    [
        {"closed": False},
        {"closed": "true"},  # not the JSON true Gamma sends
        {"outcomePrices": json.dumps(["0.9995", "0.0005"])},
        {"outcomePrices": json.dumps(["1", "1"])},
        {"outcomePrices": json.dumps(["0", "0"])},
        {"outcomePrices": json.dumps(["0.5", "0.4"])},
        {"umaResolutionStatus": "proposed"},
        {"umaResolutionStatus": "disputed"},
    ],
)
def test_a_market_that_is_not_final_is_skipped_quietly(
    fields: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert PolymarketVenue.parse_settlements([resolved(**fields)]) == []
    assert caplog.text == ""


def test_settled_at_falls_back_to_the_uma_end_date_never_to_end_date(
    caplog: pytest.LogCaptureFixture,
) -> None:
    market = resolved()
    del market["closedTime"]
    [settlement] = PolymarketVenue.parse_settlements([market])
    assert settlement.settled_at is not None
    assert settlement.settled_at.isoformat() == "2026-09-20T23:27:48+00:00"
    del market["umaEndDate"]
    assert market.get("endDate")  # present, but a game's endDate is its start, not its result
    [settlement] = PolymarketVenue.parse_settlements([market])
    assert settlement.settled_at is None
    with caplog.at_level(logging.WARNING):
        [settlement] = PolymarketVenue.parse_settlements([resolved(closedTime="soon")])
    assert settlement.settled_at is not None
    assert settlement.settled_at.isoformat() == "2026-09-20T23:27:48+00:00"
    assert "closedTime" in caplog.text


def test_an_event_with_nested_markets_settles_each_final_market() -> None:
    event = load("polymarket_gamma_event_nfl_game.json")[0]
    first, second = event["markets"][:2]
    first.update(closed=True, outcomePrices=json.dumps(["1", "0"]))
    second.update(closed=False)
    settlements = PolymarketVenue.parse_settlements([event])
    assert [s.market_id for s in settlements] == [first["slug"]]


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (42, "not a Gamma object"),
        ({"markets": "none"}, "not a list"),
        ({"slug": None, "closed": True}, "without a slug"),
        ({"outcomePrices": "not json"}, "not a JSON list"),
        ({"outcomePrices": json.dumps(["1", "0", "0"])}, "3 outcomePrices for 2 tokens"),
        ({"outcomePrices": json.dumps([["1"], "0"])}, "not a decimal string"),
        ({"outcomePrices": json.dumps(["NaN", "0"])}, "not finite"),
        ({"outcomePrices": json.dumps(["one", "0"])}, "nfl-phi-ten"),
        ({"version": "v9"}, "unknown Gamma version"),
        ({"version": None}, "no Gamma version"),
        ({"clobTokenIds": 7}, "clobTokenIds"),
    ],
)
def test_bad_input_is_a_warning_and_a_skip(
    bad: Any, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    obj = resolved(**bad) if isinstance(bad, dict) and "markets" not in bad else bad
    good = resolved()
    with caplog.at_level(logging.WARNING):
        settlements = PolymarketVenue.parse_settlements([obj, good])
    assert [s.market_id for s in settlements] == [good["slug"]]
    assert words in caplog.text


# --------------------------------------------------------------------------- market channel


def decoder_for(market: dict[str, Any]) -> tuple[PolymarketDecoder, Market]:
    parsed = parsed_market(market)
    return PolymarketDecoder([parsed]), parsed


def market_resolved(gamma: dict[str, Any], winner: Any, **fields: Any) -> dict[str, Any]:
    """A ``market_resolved`` message with the fields the market channel documents."""
    message = {
        "event_type": "market_resolved",
        "id": gamma["id"],
        "market": gamma["conditionId"],
        "slug": gamma["slug"],
        "assets_ids": tokens(gamma),
        "outcomes": json.loads(gamma["outcomes"]),
        "winning_asset_id": winner,
        "winning_outcome": "Titans",
        "timestamp": "1790036000123",
    }
    message.update(fields)
    return message


def test_market_resolved_settles_the_winner_at_one() -> None:
    market = load(MONEYLINE)[0]
    decoder, parsed = decoder_for(market)
    eagles, titans = tokens(market)
    [event] = decoder.feed(market_resolved(market, titans))
    assert isinstance(event, MarketSettled)
    settlement = event.settlement
    assert settlement.market_id == parsed.market_id
    assert settlement.payouts == {eagles: D(0), titans: D(1)}
    assert settlement.settled_at is not None
    assert settlement.settled_at.timestamp() == 1790036000.123


def test_market_resolved_is_found_by_asset_ids_without_a_condition_id() -> None:
    market = load(MONEYLINE)[0]
    decoder, _ = decoder_for(market)
    eagles, _titans = tokens(market)
    [event] = decoder.feed(market_resolved(market, eagles, market=None))
    assert isinstance(event, MarketSettled)
    assert event.settlement.payouts[eagles] == D(1)


def test_market_resolved_for_another_market_is_ignored() -> None:
    market = load(MONEYLINE)[0]
    decoder, _ = decoder_for(market)
    other = market_resolved(market, "123", market="0xother", assets_ids=["123", "456"])
    assert decoder.feed(other) == []


@pytest.mark.parametrize(
    ("fields", "settles"),
    [
        ({"winning_asset_id": "999"}, False),  # not a token of the market
        ({"winning_asset_id": None}, False),
        ({"winning_asset_id": 5}, False),
        ({"timestamp": "soon"}, True),  # settles, without a time
        ({"timestamp": None}, True),
        ({"assets_ids": "all", "market": 3}, False),  # cannot tell which market: ignored
    ],
)
def test_a_malformed_market_resolved_never_crashes(
    fields: dict[str, Any], settles: bool, caplog: pytest.LogCaptureFixture
) -> None:
    market = load(MONEYLINE)[0]
    decoder, _ = decoder_for(market)
    message = market_resolved(market, tokens(market)[0])
    message.update(fields)
    with caplog.at_level(logging.WARNING):
        events = decoder.feed(message)
    assert [type(e) for e in events] == ([MarketSettled] if settles else [])
    if settles:
        assert events[0].settlement.settled_at is None  # type: ignore[union-attr]


def test_the_subscription_asks_for_market_resolved() -> None:
    assert subscribe_message(["1"])["custom_feature_enabled"] is True


# --------------------------------------------------------------------------- payout rules


def yes_no_market() -> Market:
    market = load(MONEYLINE)[0]
    market.update(outcomes=json.dumps(["Yes", "No"]), slug="nfl-phi-ten-2026-09-20-phi")
    return parsed_market(market)


def test_a_two_team_moneyline_pays_half_on_a_tie_and_on_a_void() -> None:
    market = parsed_market(load(MONEYLINE)[0])
    pay = PolymarketVenue.settlement_payout
    for contract in market.contracts:
        assert pay(market, contract, SubjectResult.WINS) == D(1)
        assert pay(market, contract, SubjectResult.LOSES) == D(0)
        assert pay(market, contract, SubjectResult.LEVEL) == D("0.5")
        assert pay(market, contract, SubjectResult.VOID) == D("0.5")


def test_a_yes_no_market_pays_no_on_a_tie_and_half_on_a_void() -> None:
    market = yes_no_market()
    yes, no = market.contracts
    assert (yes.outcome, no.outcome) == ("Yes", "No")
    pay = PolymarketVenue.settlement_payout
    assert pay(market, yes, SubjectResult.LEVEL) == D(0)
    assert pay(market, no, SubjectResult.LEVEL) == D(1)
    assert pay(market, yes, SubjectResult.VOID) == pay(market, no, SubjectResult.VOID) == D("0.5")
    assert pay(market, yes, SubjectResult.WINS) == D(1)
    assert pay(market, yes, SubjectResult.LOSES) == D(0)


def test_a_draw_market_pays_yes_on_a_tie_only() -> None:
    gamma = load(MONEYLINE)[0]
    gamma.update(outcomes=json.dumps(["Yes", "No"]), slug="nfl-phi-ten-2026-09-20-draw")
    market = parsed_market(gamma)
    assert market.identity is not None and market.identity.yes_is_draw
    yes, no = market.contracts
    pay = PolymarketVenue.settlement_payout
    assert (pay(market, yes, SubjectResult.LEVEL), pay(market, no, SubjectResult.LEVEL)) == (1, 0)
    for result in (SubjectResult.WINS, SubjectResult.LOSES):
        assert (pay(market, yes, result), pay(market, no, result)) == (0, 1)
    assert pay(market, yes, SubjectResult.VOID) == D("0.5")


# --------------------------------------------------------------------------- order sizes


def test_gtc_sizes_follow_the_cent_grid_and_the_minimum() -> None:
    market = parsed_market(load(MONEYLINE)[0])
    size = PolymarketVenue.valid_size
    assert market.min_size == D(5)
    assert size(market, Side.BUY, D("0.57"), D("10.019")) == D("10.01")
    assert size(market, Side.BUY, D("0.57"), D("4.99")) == D(0)


def test_fok_sizes_meet_the_immediate_amount_precision() -> None:
    market = parsed_market(load(MONEYLINE)[0])
    size = PolymarketVenue.valid_size
    # BUY 10.01 at 0.57 costs 5.7057 pUSD: more than 2 decimals, refused as FOK; 10.00 costs 5.70.
    assert size(market, Side.BUY, D("0.57"), D("10.01"), TimeInForce.FOK) == D("10.00")
    assert size(market, Side.BUY, D("0.57"), D("10.01"), TimeInForce.GTC) == D("10.01")
    assert size(market, Side.BUY, D("0.50"), D("10.01"), TimeInForce.IOC) == D("10.00")
    # SELL 10.01 at 0.57: 10.01 shares (2 decimals) for 5.7057 pUSD (4 decimals) is valid.
    assert size(market, Side.SELL, D("0.57"), D("10.01"), TimeInForce.FOK) == D("10.01")
    # Off the tick grid, or nothing above the minimum: none is valid.
    assert size(market, Side.BUY, D("0.575"), D("10"), TimeInForce.FOK) == D(0)
    assert size(market, Side.BUY, D("0.57"), D("4"), TimeInForce.FOK) == D(0)


# --------------------------------------------------------------------------- recordings


def recording_dir(tmp_path: Path, resolved_payload: Any) -> Path:
    directory = tmp_path / "polymarket"
    directory.mkdir()
    (directory / "events.json").write_text(json.dumps(load("polymarket_gamma_event_nfl_game.json")))
    (directory / "resolved.json").write_text(json.dumps(resolved_payload))
    return directory


def test_read_recording_reads_resolved_json(tmp_path: Path) -> None:
    event = load("polymarket_gamma_event_nfl_game.json")[0]
    market = dict(event["markets"][0], closed=True, outcomePrices=json.dumps(["0", "1"]))
    recording = PolymarketVenue.read_recording(recording_dir(tmp_path, [market]))
    assert [s.market_id for s in recording.settlements] == [market["slug"]]
    assert {c.contract_id for m in recording.markets for c in m.contracts} >= set(
        recording.settlements[0].payouts
    )


def test_read_recording_refuses_a_resolved_json_that_is_no_list(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="resolved.json"):
        PolymarketVenue.read_recording(recording_dir(tmp_path, {"markets": []}))
