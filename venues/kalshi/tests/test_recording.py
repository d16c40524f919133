"""``read_recording``: the replay layout of issue 6, built from the real samples."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from arbkit_kalshi.fees import KalshiFees
from arbkit_kalshi.venue import KalshiVenue

from arbkit import ConfigError

from .conftest import sample


def write(path, data) -> None:
    path.write_text(json.dumps(data))


def test_events_series_books_and_stream(tmp_path) -> None:
    event = sample("kalshi_event_nba_game.json")
    write(tmp_path / "events.json", [{**event["event"], "markets": event["markets"]}])
    write(tmp_path / "series.json", [sample("kalshi_series_nfl_game.json")["series"]])
    write(
        tmp_path / "orderbooks.json",
        {"KXNBAGAME-26JUN13NYKSAS-SAS": sample("kalshi_orderbook_fp.json")},
    )
    snap, delta = (
        sample("kalshi_ws_orderbook_snapshot.json"),
        sample("kalshi_ws_orderbook_delta.json"),
    )
    lines = [json.dumps({"ts": 2000, "msg": delta}), "", json.dumps({"ts": 1000, "msg": snap})]
    (tmp_path / "stream.jsonl").write_text("\n".join(lines))
    recording = KalshiVenue.read_recording(tmp_path)
    assert [m.market_id for m in recording.markets] == [
        "KXNBAGAME-26JUN13NYKSAS-SAS",
        "KXNBAGAME-26JUN13NYKSAS-NYK",
    ]
    assert recording.markets[0].fees == KalshiFees()  # no KXNBAGAME in series.json: default
    assert recording.books[0].best_ask == (D("0.7100"), D("80390.47"))
    assert [ts for ts, _ in recording.stream] == [1000, 2000]  # timestamp order
    assert recording.first_timestamp_ms == 1000


def test_markets_json_alone_and_errors(tmp_path) -> None:
    write(tmp_path / "markets.json", [sample("kalshi_market_nfl_game.json")["market"]])
    write(tmp_path / "series.json", [sample("kalshi_series_nfl_game.json")["series"]])
    recording = KalshiVenue.read_recording(tmp_path)
    assert recording.markets[0].fees.fee_type == "quadratic_with_maker_fees"
    assert recording.books == () and recording.stream == ()
    (tmp_path / "stream.jsonl").write_text("{not json\n")
    with pytest.raises(ConfigError, match="stream.jsonl:1"):
        KalshiVenue.read_recording(tmp_path)
    with pytest.raises(ConfigError, match="events.json or markets.json"):
        KalshiVenue.read_recording(tmp_path / "missing")
