"""Settlement from Kalshi's own signals: finalized market objects and ``market_lifecycle_v2``.

The market objects are the recorded NFL market (``kalshi_market_nfl_game``) with the fields
Kalshi fills in on settlement set by each test.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from arbkit_kalshi import parse
from arbkit_kalshi.stream import LIFECYCLE_CHANNEL, KalshiStreamDecoder
from arbkit_kalshi.venue import KalshiVenue

from arbkit.errors import ConfigError
from arbkit.streaming import MarketSettled

from .conftest import sample as load

TICKER = "KXNFLGAME-26SEP20PHITEN-PHI"
YES, NO = f"{TICKER}:yes", f"{TICKER}:no"


def settled(**fields: Any) -> dict[str, Any]:
    """The sample market after settlement (fields override): PHI won."""
    market = load("kalshi_market_nfl_game.json")["market"]
    market.update(
        status="finalized",
        result="yes",
        settlement_value_dollars="1.0000",
        settlement_ts="2026-09-21T00:31:37Z",
    )
    market.update(fields)
    return market


# --------------------------------------------------------------------------- market objects


def test_yes_result_pays_yes_and_no_pays_nothing() -> None:
    [settlement] = KalshiVenue.parse_settlements([settled()])
    assert settlement.venue == "kalshi" and settlement.market_id == TICKER
    assert settlement.payouts == {YES: D(1), NO: D(0)}
    assert not settlement.void
    assert settlement.settled_at is not None
    assert settlement.settled_at.isoformat() == "2026-09-21T00:31:37+00:00"


def test_no_result_pays_no() -> None:
    [settlement] = KalshiVenue.parse_settlements(
        [settled(result="no", settlement_value_dollars="0.0000")]
    )
    assert settlement.payouts == {YES: D(0), NO: D(1)}


def test_a_result_alone_or_a_value_alone_is_enough() -> None:
    [by_result] = KalshiVenue.parse_settlements([settled(settlement_value_dollars=None)])
    [by_value] = KalshiVenue.parse_settlements([settled(result="")])
    assert by_result.payouts == by_value.payouts == {YES: D(1), NO: D(0)}


def test_a_fair_price_settlement_is_a_void_at_that_price() -> None:
    [settlement] = KalshiVenue.parse_settlements(
        [settled(result="scalar", settlement_value_dollars="0.4300")]
    )
    assert settlement.void
    assert settlement.payouts == {YES: D("0.43"), NO: D("0.57")}


def test_contract_ids_are_the_parsers() -> None:
    market = settled()
    [settlement] = KalshiVenue.parse_settlements([market])
    [parsed] = parse.parse_markets([dict(market, status="active")])
    assert list(settlement.payouts) == [c.contract_id for c in parsed.contracts]


@pytest.mark.parametrize("status", ["active", "closed", "determined", "disputed", "amended"])
def test_a_market_that_is_not_final_is_skipped_quietly(
    status: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert KalshiVenue.parse_settlements([settled(status=status)]) == []
    assert caplog.text == ""


def test_an_open_market_without_a_result_is_skipped() -> None:
    market = load("kalshi_market_nfl_game.json")["market"]
    del market["status"]
    assert KalshiVenue.parse_settlements([market]) == []


def test_a_void_market_is_not_paid_at_a_guess(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        found = KalshiVenue.parse_settlements(
            [settled(result="void", settlement_value_dollars=None)]
        )
    assert found == []
    assert "void" in caplog.text and TICKER in caplog.text


def test_every_response_shape_is_read() -> None:
    market = settled()
    event = {"event_ticker": market["event_ticker"], "markets": [market]}
    for obj in (market, {"market": market}, event, {"event": event}):
        assert [s.market_id for s in KalshiVenue.parse_settlements([obj])] == [TICKER]


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"result": "yes", "settlement_value_dollars": "0.0000"}, "result yes but"),
        ({"settlement_value_dollars": "1.5000"}, "outside [0, 1]"),
        ({"settlement_value_dollars": "-0.1"}, "outside [0, 1]"),
        ({"settlement_value_dollars": "NaN"}, "finite"),
        ({"settlement_value_dollars": "abc"}, "decimal"),
        ({"settlement_value_dollars": [1]}, "not a number"),
        ({"settlement_value_dollars": True}, "not a number"),
        ({"result": "maybe"}, "pays no known amount"),
        ({"result": 1}, "pays no known amount"),
        ({"ticker": None}, "not a market with a ticker"),
    ],
)
def test_bad_input_is_a_warning_and_a_skip(
    bad: dict[str, Any], words: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = settled(ticker="KXNFLGAME-26SEP20PHITEN-TEN", result="no", settlement_value_dollars="0")
    with caplog.at_level(logging.WARNING):
        found = KalshiVenue.parse_settlements([settled(**bad), 17, good])
    assert [s.market_id for s in found] == ["KXNFLGAME-26SEP20PHITEN-TEN"]
    assert words in caplog.text


def test_an_unreadable_settlement_time_still_settles_without_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        [settlement] = KalshiVenue.parse_settlements([settled(settlement_ts="later")])
    assert settlement.settled_at is None
    assert "settlement_ts" in caplog.text


# --------------------------------------------------------------------------- websocket


def decoder() -> KalshiStreamDecoder:
    markets = parse.parse_markets([dict(settled(), status="active")])
    return KalshiStreamDecoder([TICKER], markets=markets)


def lifecycle(event_type: str, ticker: str = TICKER, **fields: Any) -> dict[str, Any]:
    return {
        "type": "market_lifecycle_v2",
        "sid": 3,
        "msg": {"market_ticker": ticker, "event_type": event_type, **fields},
    }


def test_the_lifecycle_channel_is_subscribed_for_known_markets() -> None:
    channels = [m["params"]["channels"] for m in decoder().subscribe_messages()]
    assert [LIFECYCLE_CHANNEL] in channels


def test_determined_pays_nothing_and_settled_pays_its_result() -> None:
    stream = decoder()
    determined = lifecycle(
        "determined", result="no", settlement_value="0.0000", determination_ts=1790037000
    )
    assert stream.feed(determined) == []
    [event] = stream.feed(lifecycle("settled", settled_ts=1790037097))
    assert isinstance(event, MarketSettled)
    assert event.settlement.payouts == {YES: D(0), NO: D(1)}
    assert event.settlement.settled_at is not None
    assert event.settlement.settled_at.timestamp() == 1790037097


def test_a_settled_message_with_its_own_result_needs_no_determination() -> None:
    [event] = decoder().feed(lifecycle("settled", result="yes", settled_ts=1790037097))
    assert isinstance(event, MarketSettled)
    assert event.settlement.payouts == {YES: D(1), NO: D(0)}


def test_legacy_integer_cents_and_fair_prices() -> None:
    stream = decoder()
    stream.feed(lifecycle("determined", settlement_value=37))
    [event] = stream.feed(lifecycle("settled"))
    assert isinstance(event, MarketSettled)
    assert event.settlement.void
    assert event.settlement.payouts == {YES: D("0.37"), NO: D("0.63")}
    assert event.settlement.settled_at is None


def test_an_amended_result_replaces_the_determined_one() -> None:
    stream = decoder()
    stream.feed(lifecycle("determined", result="yes"))
    stream.feed(lifecycle("amended", result="no"))
    [event] = stream.feed(lifecycle("settled"))
    assert isinstance(event, MarketSettled)
    assert event.settlement.payouts[NO] == D(1)


@pytest.mark.parametrize(
    "messages",
    [
        [lifecycle("settled")],  # no result known
        [lifecycle("settled", result="void")],
        [lifecycle("settled", result="maybe")],
        [lifecycle("settled", result="yes", settled_ts="noon")],
        [lifecycle("settled", result="yes", settlement_value="0")],  # they disagree
        [lifecycle("settled", result="yes", ticker="KXNFLGAME-OTHER")],  # not followed
        [lifecycle("settled", result="yes", ticker=["x"])],
        [lifecycle("closed"), lifecycle("deactivated", is_deactivated=True)],
        [{"type": "market_lifecycle_v2", "msg": "settled"}],
    ],
)
def test_nothing_is_paid_on_a_doubtful_or_foreign_message(
    messages: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    stream = decoder()
    with caplog.at_level(logging.WARNING):
        events = [event for message in messages for event in stream.feed(message)]
    assert events == []


# --------------------------------------------------------------------------- recordings


def recording_dir(tmp_path: Path, payload: Any) -> Path:
    directory = tmp_path / "kalshi"
    directory.mkdir()
    market = dict(settled(), status="active", result="", settlement_value_dollars=None)
    (directory / "markets.json").write_text(json.dumps([market]))
    (directory / "settled.json").write_text(json.dumps(payload))
    return directory


def test_read_recording_reads_settled_json(tmp_path: Path) -> None:
    recording = KalshiVenue.read_recording(recording_dir(tmp_path, [settled()]))
    [settlement] = recording.settlements
    assert set(settlement.payouts) == {c.contract_id for c in recording.markets[0].contracts}


def test_read_recording_refuses_a_settled_json_that_is_no_list(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="settled.json"):
        KalshiVenue.read_recording(recording_dir(tmp_path, {"markets": []}))
