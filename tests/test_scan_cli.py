"""``arbkit scan`` end to end on recorded data, through the real venue parsers and matcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager

REAL = Path(__file__).parent / "data" / "replay-real"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("ARBKIT_DB", str(tmp_path / "scan.db"))
    pm = make_plugin_manager()

    def invoke(*args: str):
        result = CliRunner().invoke(make_cli(pm), list(args), obj=AppState(pm=pm))
        return result

    return invoke


def test_replay_of_only_real_payloads_matches_the_real_pair(run):
    result = run("scan", "--replay", str(REAL), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["as_of"] == "2026-09-19T12:00:00+00:00"  # the manifest's clock, not the wall
    # Lions at Bills started before captured_at: skipped; Eagles at Titans is matched.
    assert [g["id"] for g in payload["games"]] == ["NFL:2026-09-20:PHI@TEN"]
    assert payload["opportunities"] == []  # no Polymarket book for that game was recorded


def test_lookahead_on_the_recorded_clock_excludes_far_games(run):
    result = run("scan", "--replay", str(REAL), "--json", "--lookahead", "12")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["games"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replay", "/nonexistent/dir"], "does not exist"),
        (["--sample", "--replay", "."], "either --sample or --replay"),
        (["--replay", str(REAL), "--venues", "betfair"], "unknown venue"),
        (["--replay", str(REAL), "--strategy", "nope"], "unknown strategy"),
        (["--replay", str(REAL), "--league", "curling"], "unknown league 'curling'"),
    ],
)
def test_bad_input_is_one_clear_error(args, message, tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setenv("ARBKIT_DB", str(tmp_path / "x.db"))
    proc = subprocess.run(
        [sys.executable, "-m", "arbkit", "scan", *args], capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_min_edge_is_a_usage_error(run):
    result = run("scan", "--replay", str(REAL), "--min-edge", "abc")
    assert result.exit_code == 2
    assert "not a decimal number" in result.output


def test_opportunity_found_hook_fires_and_record_stores_markets_and_books(tmp_path):
    import sqlite_utils

    from arbkit import hookimpl

    seen = []

    class Listener:
        @hookimpl
        def opportunity_found(self, opportunity):
            seen.append(opportunity)

    pm = make_plugin_manager()
    pm.register(Listener(), name="listener")
    db_path = tmp_path / "rec.db"
    result = CliRunner().invoke(
        make_cli(pm),
        ["--db", str(db_path), "scan", "--sample", "--record", "--json"],
        obj=AppState(pm=pm),
    )
    assert result.exit_code == 0, result.output
    reported = json.loads(result.stdout)["opportunities"]
    assert len(seen) == len(reported) > 0
    assert {o.key for o in seen} == {
        row["key"] for row in sqlite_utils.Database(db_path)["opportunities"].rows
    }
    db = sqlite_utils.Database(db_path)
    assert db["markets"].count > 0
    # every contract of every matched game had its recorded book stored
    assert db["book_snapshots"].count >= 2 * json.loads(result.stdout)["games_matched"]


@pytest.mark.integration
@pytest.mark.parametrize(("signal_name", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_and_sigterm_stop_watch_cleanly(tmp_path, signal_name, status):
    import os
    import signal
    import subprocess
    import sys

    env = dict(os.environ, ARBKIT_DB=str(tmp_path / "w.db"))
    args = ["-m", "arbkit", "-q", "scan", "--sample", "--watch", "--speed", "1"]
    proc = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        first = proc.stdout.readline()  # the initial opportunities are printed at once
        assert "appeared" in first
        # the recorded stream would run for minutes at speed 1
        proc.send_signal(getattr(signal, signal_name))
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert "stopped;" in out
    assert "Traceback" not in err and "…" not in err  # -q: no progress lines either
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "w.db")  # the run marker says how it ended
    [run] = list(db["runs"].rows)
    assert run["status"] == {130: "interrupted", 143: "terminated"}[status]
    assert run["ended_at"] and run["changes"] >= 1
    assert {r["run_id"] for r in db["opportunity_changes"].rows} == {run["run_id"]}


def test_record_during_watch_stores_every_streamed_book(tmp_path):
    import sqlite_utils

    from arbkit.recordings import sample_dir

    pm = make_plugin_manager()
    db_path = tmp_path / "watch.db"
    result = CliRunner().invoke(
        make_cli(pm),
        ["--db", str(db_path), "scan", "--sample", "--watch", "--record", "--json"],
        obj=AppState(pm=pm),
    )
    assert result.exit_code == 0, result.output
    lines = (sample_dir() / "polymarket" / "stream.jsonl").read_text().splitlines()
    db = sqlite_utils.Database(db_path)
    recorded = db["book_snapshots"].count
    initial = db.execute(
        "select count(*) from book_snapshots where observed_at = ?", ["2026-11-24T23:00:00+00:00"]
    ).fetchone()[0]
    # the streamed updates come on top of the books recorded at the start
    assert recorded - initial >= len(lines)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "the recording has no time"),
        ({"manifest.json": '{"captured_at": "yesterday"}'}, "is not ISO 8601"),
        (
            {
                "manifest.json": '{"captured_at": "2026-11-24T23:00:00Z"}',
                "kalshi/stream.jsonl": "x",
            },
            "kalshi/stream.jsonl:1: expected {ts, msg}",
        ),
        (
            {
                "manifest.json": '{"captured_at": "2026-11-24T23:00:00Z"}',
                "polymarket/events.json": "{not json",
            },
            "polymarket/events.json: not readable JSON",
        ),
    ],
)
def test_a_broken_replay_directory_is_one_clear_error(tmp_path, files, message):
    directory = tmp_path / "replay"
    for venue in ("polymarket", "kalshi"):
        (directory / venue).mkdir(parents=True)
        (directory / venue / "events.json").write_text("[]")
    for name, text in files.items():
        (directory / name).write_text(text)
    pm = make_plugin_manager()
    result = CliRunner().invoke(
        make_cli(pm),
        ["--db", str(tmp_path / "x.db"), "scan", "--replay", str(directory)],
        obj=AppState(pm=pm),
        standalone_mode=False,
    )
    assert result.exception is not None and message in str(result.exception)


def test_an_empty_but_valid_replay_is_zero_games_not_an_error(tmp_path):
    directory = tmp_path / "replay"
    for venue in ("polymarket", "kalshi"):
        (directory / venue).mkdir(parents=True)
        (directory / venue / "events.json").write_text("[]")
    (directory / "manifest.json").write_text('{"captured_at": "2026-11-24T23:00:00Z"}')
    (directory / "notes.txt").write_text("extra files are ignored")
    pm = make_plugin_manager()
    result = CliRunner().invoke(
        make_cli(pm),
        ["--db", str(tmp_path / "x.db"), "scan", "--replay", str(directory), "--json"],
        obj=AppState(pm=pm),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["games_matched"] == 0
