"""The recorder's storage: batched commits, compressed chunks, retention by age and size, and
the one-line errors of ``arbkit record`` / ``record export``."""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from arbkit.errors import ConfigError, StoreError
from arbkit.record.chunks import decode
from arbkit.record.export import export_replay
from arbkit.record.recorder import Recorder
from arbkit.record.retention import Retention, parse_age, parse_size
from arbkit.store import open_store
from tests.cli_helpers import one_line_error, run_main
from tests.record_helpers import SAMPLE, stream_lines

DAY_MS = 86_400_000
T0 = 1_795_561_200_000  # the sample's captured_at


def sample_messages() -> list[tuple[int, dict]]:
    return [(line["ts"], line["msg"]) for line in stream_lines(SAMPLE, "polymarket")]


def chunks(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT id, venue, kind, first_ms, last_ms, count, raw_bytes, size, data "
            "FROM recorded_chunks ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "rec.db"
    open_store(path).close()
    return path


def test_ten_thousand_messages_are_a_handful_of_commits(db):
    messages = sample_messages()
    recorder = Recorder(db, flush_every=2000, flush_seconds=60).start()
    for i in range(10_000):
        ts, msg = messages[i % len(messages)]
        recorder("polymarket", "stream", ts + i, msg)
    stats = recorder.close()
    rows = chunks(db)
    assert sum(row[5] for row in rows) == 10_000  # every message stored
    assert len(rows) == stats.chunks <= 10  # ~one chunk per 2,000, not one row per message
    assert stats.commits <= 10
    # each chunk holds its messages in order, with their receive times
    decoded = [piece for row in rows for piece in decode(row[1], row[2], row[8])]
    expected = [messages[i % len(messages)][0] + i for i in range(10_000)]
    assert [piece.received_at_ms for piece in decoded] == expected
    assert decoded[5].payload == messages[5][1]


def test_a_quiet_recorder_still_writes_every_second(db):
    recorder = Recorder(db, flush_every=10**9, flush_seconds=0.05).start()
    recorder("kalshi", "stream", T0, {"type": "ticker"})
    deadline = time.monotonic() + 5
    while not chunks(db) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(chunks(db)) == 1  # written by the timer, before close
    recorder.close()


def test_stream_messages_compress_several_times(db):
    recorder = Recorder(db).start()
    for ts, msg in sample_messages():
        recorder("polymarket", "stream", ts, msg)
    stats = recorder.close()
    ((*_, raw, size, data),) = chunks(db)
    # a 16-byte header and the compact JSON of each message
    plain = sum(
        16 + len(json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode())
        for _, msg in sample_messages()
    )
    assert raw == plain == stats.raw_bytes == len(zlib.decompress(data))
    assert size == len(data) and size * 5 < raw


def test_raw_json_bytes_are_stored_as_received(db, tmp_path):
    frame = b'[{"event_type":"book","asset_id":"1","bids":[],"asks":[]},\n {"event_type":"x"}]'
    recorder = Recorder(db).start()
    recorder("polymarket", "events", T0, b'[{"slug": "a", "markets": []}]')
    recorder("polymarket", "stream", T0 + 1, frame)
    recorder.close()
    rows = chunks(db)
    assert frame in zlib.decompress(rows[-1][8])  # byte for byte, newline included
    export_replay(open_store(db), tmp_path / "out")
    lines = stream_lines(tmp_path / "out", "polymarket")
    assert lines == [{"ts": T0 + 1, "msg": m} for m in json.loads(frame)]  # a line per message


def record_days(db: Path, days: int, per_day: int = 50) -> None:
    """One chunk per day, each a separate recorder session (a chunk per close)."""
    messages = sample_messages()
    for day in range(days):
        recorder = Recorder(db).start()
        for i in range(per_day):
            recorder("polymarket", "stream", T0 + day * DAY_MS + i, messages[i % len(messages)][1])
        recorder.close()


def test_keep_deletes_what_is_older_than_the_age_before_the_newest_payload(db):
    record_days(db, 10)
    assert len(chunks(db)) == 10
    stats = Recorder(db, retention=Retention(keep=parse_age("7d"))).start().close()
    rows = chunks(db)
    newest = max(row[4] for row in rows)
    assert all(row[4] >= newest - 7 * DAY_MS for row in rows)
    assert len(rows) == 8 and stats.pruned == 2  # days 2..9 are within 7 days of day 9


def test_max_size_drops_the_oldest_chunks_first(db):
    record_days(db, 6)
    sizes = [row[7] for row in chunks(db)]
    cap = sum(sizes[-3:])  # room for exactly the three newest
    Recorder(db, retention=Retention(max_bytes=cap)).start().close()
    rows = chunks(db)
    assert [row[3] for row in rows] == [T0 + day * DAY_MS for day in (3, 4, 5)]
    assert sum(row[7] for row in rows) <= cap


def test_export_reads_back_what_was_recorded(db, tmp_path):
    recorder = Recorder(db).start()
    recorder("polymarket", "events", T0, [{"slug": "a", "markets": []}])
    recorder("polymarket", "books", T0, {"asset_id": "1", "bids": [], "asks": []}, "1")
    recorder("polymarket", "books", T0 + 5, {"asset_id": "1", "bids": [], "asks": [], "n": 2}, "1")
    for ts, msg in sample_messages()[:20]:
        recorder("polymarket", "stream", ts, msg)
    recorder.close()
    summary = export_replay(open_store(db), tmp_path / "out")
    folder = tmp_path / "out" / "polymarket"
    assert json.loads((folder / "events.json").read_text()) == [{"slug": "a", "markets": []}]
    # the book in effect at the start (captured_at), not the later one
    assert json.loads((folder / "books.json").read_text()) == [
        {"asset_id": "1", "bids": [], "asks": []}
    ]
    assert [(line["ts"], line["msg"]) for line in stream_lines(tmp_path / "out", "polymarket")] == (
        sample_messages()[:20]
    )
    assert summary.messages == 20 and summary.snapshots == 2
    assert summary.first is not None and summary.first.timestamp() * 1000 == T0


def test_a_venue_without_markets_is_left_out_of_the_export(db, tmp_path):
    recorder = Recorder(db).start()
    recorder("polymarket", "events", T0, [{"slug": "a", "markets": []}])
    recorder("kalshi", "stream", T0 + 1, {"type": "ticker"})
    recorder.close()
    summary = export_replay(open_store(db), tmp_path / "out")
    assert summary.venues == ("polymarket",) and summary.skipped == ("kalshi",)
    assert not (tmp_path / "out" / "kalshi").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500MB", 500_000_000),
        ("2GB", 2 * 10**9),
        ("1.5GiB", 3 * 2**29),
        ("800k", 800_000),
        ("2.01kB", 2010),  # not 2009: 2.01 * 1000 in binary floating point is 2009.999…
        ("1.001MB", 1_001_000),
    ],
)
def test_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "5x", "MB", "0MB", "-1MB"])
def test_bad_sizes(text):
    with pytest.raises(ConfigError, match="is not a size"):
        parse_size(text)


def test_ages():
    assert parse_age("7d") == timedelta(days=7)
    assert parse_age("12h") == timedelta(hours=12)
    with pytest.raises(ConfigError, match="is not an age"):
        parse_age("7 days")


def test_an_unusable_database_is_one_store_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="bad.db"):
        Recorder(bad).start()


# -- the command line's bad input: one line each ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["record", "--sample", "--keep", "7 days"], "'7 days' is not an age", 1),
        (["record", "--sample", "--max-size", "lots"], "'lots' is not a size", 1),
        (["record", "--sample", "--replay", "."], "either --sample or --replay", 1),
        (["record", "--sample", "--league", "curling"], "unknown league 'curling'", 1),
        (["record", "export", "OUT"], "nothing was recorded", 1),
        (["record", "export", "--league", "curling", "OUT"], "unknown league 'curling'", 1),
        (
            ["record", "export", "--since", "2026-11-25", "--until", "2026-11-24", "OUT"],
            "is after --until",
            1,
        ),
    ],
)
def test_bad_input_is_one_line(capsys, tmp_path, args, message, status):
    args = [str(tmp_path / "OUT") if a == "OUT" else a for a in args]
    open_store(
        tmp_path / "db.sqlite"
    ).close()  # an empty database (a missing one: test_record_faults)
    result = run_main(capsys, ["--db", str(tmp_path / "db.sqlite"), *args])
    one_line_error(result, message, status)


def test_a_bad_time_is_a_usage_error(capsys, tmp_path):
    result = run_main(
        capsys, ["--db", str(tmp_path / "d.db"), "record", "export", "--until", "soon", "OUT"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--until" in result.output and "'soon'" in result.output


def test_export_refuses_a_directory_that_is_not_empty(capsys, tmp_path):
    db = tmp_path / "d.db"
    assert run_main(capsys, ["-q", "--db", str(db), "record", "--sample"]).exit_code == 0
    target = tmp_path / "full"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    one_line_error(
        run_main(capsys, ["--db", str(db), "record", "export", str(target)]), "is not empty"
    )
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_recording_into_memory_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the store takes a --db :memory: path as a file name
    one_line_error(
        run_main(capsys, ["--db", ":memory:", "record", "--sample"]), "needs a database file"
    )
