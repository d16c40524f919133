"""``arbkit record`` end to end: record a replayed session, export it, and the export plays the
same as its source — byte for byte in ``trade --json`` and ``scan --json`` — for the whole
evening, a time range and one league."""

from __future__ import annotations

import importlib.util
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from arbkit.clock import from_epoch_ms, parse_timestamp
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import load_recordings
from tests.record_helpers import SAMPLE, invoke, ok, ok_json, stream_lines

VENUES = ("kalshi", "polymarket")
CAPTURED = parse_timestamp(json.loads((SAMPLE / "manifest.json").read_text())["captured_at"])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The sample, recorded once (``record --sample --json``) into a fresh database."""
    db = tmp_path_factory.mktemp("rec") / "rec.db"
    summary = ok_json(db, "record", "--sample", "--json")
    return db, summary


def export(db: Path, target: Path, *args: str) -> dict:
    return ok_json(db, "record", "export", *args, "--json", str(target))


def test_record_json_counts_every_payload_of_the_sample(recorded):
    _db, summary = recorded
    files = sum(len(list((SAMPLE / v).glob("*.json"))) for v in VENUES)
    lines = sum(len(stream_lines(SAMPLE, v)) for v in VENUES)
    assert summary["status"] == "completed"
    assert summary["messages"] == files + lines
    assert summary["first"] == "2026-11-24T23:00:00.000Z"  # the snapshots: captured_at
    last = max(line["ts"] for v in VENUES for line in stream_lines(SAMPLE, v))
    assert parse_timestamp(summary["last"]) == from_epoch_ms(last)
    assert summary["commits"] < summary["messages"] / 50  # batched: never one per message
    assert summary["stored_bytes"] * 4 < summary["raw_bytes"]  # compressed


def test_the_export_trades_and_scans_byte_identically_to_its_source(recorded, tmp_path):
    db, _ = recorded
    target = tmp_path / "export"
    summary = export(db, target)
    assert summary["venues"] == list(VENUES)
    for venue in VENUES:  # every stream message, in order, with its receive time
        assert stream_lines(target, venue) == stream_lines(SAMPLE, venue)
    for command in (["trade"], ["scan"]):
        source = ok(tmp_path / "a.db", *command, "--replay", str(SAMPLE), "--json")
        played = ok(tmp_path / "b.db", *command, "--replay", str(target), "--json")
        assert played == source
        assert json.loads(played)  # a real result, not two empty outputs


@pytest.mark.skipif(
    importlib.util.find_spec("arbkit.cli.backtest") is None, reason="arbkit backtest not built"
)
def test_a_backtest_of_the_export_equals_a_backtest_of_the_source(recorded, tmp_path):
    db, _ = recorded
    target = tmp_path / "export"
    export(db, target)
    source = ok(tmp_path / "a.db", "backtest", "--replay", str(SAMPLE), "--json")
    assert ok(tmp_path / "b.db", "backtest", "--replay", str(target), "--json") == source


def test_recording_an_export_again_exports_the_same_directory(recorded, tmp_path):
    db, _ = recorded
    first = tmp_path / "first"
    export(db, first)
    ok(tmp_path / "again.db", "record", "--replay", str(first), "--json")
    second = tmp_path / "second"
    export(tmp_path / "again.db", second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_until_cuts_the_streams_and_settlements_stay(recorded, tmp_path):
    db, _ = recorded
    until = CAPTURED + timedelta(minutes=2)
    target = tmp_path / "until"
    summary = export(db, target, "--until", until.isoformat())
    cut = (until - from_epoch_ms(0)) // timedelta(milliseconds=1)
    for venue in VENUES:
        expected = [line for line in stream_lines(SAMPLE, venue) if line["ts"] <= cut]
        assert stream_lines(target, venue) == expected
    assert summary["messages"] == sum(len(stream_lines(target, v)) for v in VENUES)
    assert parse_timestamp(summary["last"]) <= until
    # the settlement files were received at captured_at, inside the range
    assert (target / "polymarket" / "resolved.json").exists()
    assert (target / "kalshi" / "settled.json").exists()


def test_since_moves_now_and_keeps_the_books_catching_up(recorded, tmp_path):
    db, _ = recorded
    since = CAPTURED + timedelta(minutes=1)
    target = tmp_path / "since"
    summary = export(db, target, "--since", since.isoformat())
    manifest = json.loads((target / "manifest.json").read_text())
    assert parse_timestamp(manifest["captured_at"]) == since == parse_timestamp(summary["first"])
    # the book snapshots are from captured_at, so the stream plays from there to bring them
    # up to date by `since` (docs/recording.md)
    for venue in VENUES:
        assert stream_lines(target, venue) == stream_lines(SAMPLE, venue)
    played = ok_json(tmp_path / "c.db", "scan", "--replay", str(target), "--json")
    assert played["as_of"].startswith(since.isoformat()[:19])


def test_a_range_with_nothing_recorded_is_one_line(recorded, tmp_path):
    db, _ = recorded
    result = invoke(db, "record", "export", "--until", "2026-11-24T22:00Z", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "nothing was recorded until 2026-11-24T22:00:00.000Z" in str(result.exception)
    assert not (tmp_path / "x").exists()


def test_a_league_export_holds_only_that_league_and_trades_like_the_source_filtered(
    recorded, tmp_path
):
    db, _ = recorded
    target = tmp_path / "ncaab"
    export(db, target, "--league", "ncaab")
    pm = make_plugin_manager()
    source = load_recordings(pm, SAMPLE)
    exported = load_recordings(pm, target)
    for venue in VENUES:
        ours = {m.market_id for m in source[venue].markets if m.league == "NCAAB"}
        assert ours  # the sample has college games on both venues
        assert {m.market_id for m in exported[venue].markets} == ours
        others = {
            c.contract_id for m in source[venue].markets if m.league != "NCAAB" for c in m.contracts
        }
        assert not others & {b.contract_id for b in exported[venue].books}
        assert len(stream_lines(target, venue)) < len(stream_lines(SAMPLE, venue))
    args = ("--league", "ncaab", "--json")
    source_scan = ok(tmp_path / "a.db", "scan", "--replay", str(SAMPLE), *args)
    assert ok(tmp_path / "b.db", "scan", "--replay", str(target), *args) == source_scan
    # The same trades; only the clock ends earlier: at the league's last settlement, not at another
    # league's, which the source still plays (its settlements are not filtered by league).
    source_trade = json.loads(ok(tmp_path / "c.db", "trade", "--replay", str(SAMPLE), *args))
    played = json.loads(ok(tmp_path / "d.db", "trade", "--replay", str(target), *args))
    assert played.pop("as_of") <= source_trade.pop("as_of")
    assert played == source_trade
    assert played["positions"]  # college games were traded


def test_duration_stops_a_recording_cleanly_with_what_it_had(tmp_path):
    db = tmp_path / "short.db"
    summary = ok_json(db, "record", "--sample", "--speed", "1", "--duration", "0.01", "--json")
    files = sum(len(list((SAMPLE / v).glob("*.json"))) for v in VENUES)
    lines = sum(len(stream_lines(SAMPLE, v)) for v in VENUES)
    assert summary["status"] == "completed"
    assert files <= summary["messages"] < files + lines  # the snapshots, and a second of stream
    target = tmp_path / "short"
    export(db, target)
    assert ok_json(tmp_path / "s.db", "scan", "--replay", str(target), "--json")["games_matched"]


def test_ctrl_c_writes_what_was_queued_and_says_so(tmp_path):
    """SIGINT (a user's Ctrl-C) ends the recording: the queue is written, the summary printed."""
    db = tmp_path / "int.db"
    command = [sys.executable, "-m", "arbkit", "--db", str(db), "record", "--sample"]
    child = subprocess.Popen(
        [*command, "--speed", "1", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _chunks(db):  # the snapshots are in
        time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert "Interrupted." in err and "Traceback" not in err
    summary = json.loads(out)
    assert summary["status"] == "interrupted"
    assert summary["messages"] == sum(count for (count,) in _chunks(db, "count"))
    export(db, tmp_path / "part")  # what was recorded exports


def _chunks(db: Path, column: str = "id") -> list[tuple]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(f"SELECT {column} FROM recorded_chunks").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
