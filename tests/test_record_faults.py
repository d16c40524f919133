"""``record export`` and retention when things go wrong: a damaged or foreign chunk, a target it
cannot write, Ctrl-C half way, a database that is missing, a range with nothing replayable, ages
out of range, and retention that must not delete the snapshots the kept streams need.

Every failure is one line, and an export that fails leaves nothing half written behind (the
target was new or empty, so whatever is in it then is the export's own)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from arbkit.record import export as export_module
from arbkit.record.export import export_replay
from arbkit.record.recorder import Recorder
from arbkit.record.retention import Retention
from arbkit.store import open_store
from tests.cli_helpers import one_line_error, run_main
from tests.record_helpers import stream_lines

DAY_MS = 86_400_000
T0 = 1_795_561_200_000  # the sample's captured_at


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``record --sample`` once; tests damage copies of it."""
    db = tmp_path_factory.mktemp("rec") / "rec.db"
    recorder = Recorder(_fresh(db)).start()
    recorder("polymarket", "events", T0, [{"slug": "a", "markets": []}], "a")
    recorder("polymarket", "books", T0, {"asset_id": "1", "bids": [], "asks": []}, "1")
    for i in range(30):
        recorder("polymarket", "stream", T0 + 1000 * i, {"event_type": "x", "n": i})
    recorder.close()
    return db


def _fresh(db: Path) -> Path:
    open_store(db).close()  # the store's migrations create recorded_chunks
    return db


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    target.write_bytes(source.read_bytes())
    return target


def _stream_chunk_id(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id FROM recorded_chunks WHERE kind = 'stream'").fetchone()[0]
    finally:
        conn.close()


def _set_data(db: Path, data: bytes) -> int:
    chunk = _stream_chunk_id(db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE recorded_chunks SET data = ? WHERE id = ?", [data, chunk])
    conn.close()
    return chunk


def _export(capsys, db: Path, *args: str):
    return run_main(capsys, ["--db", str(db), "record", "export", *args])


def _good_blob(db: Path) -> bytes:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT data FROM recorded_chunks WHERE id = ?", [_stream_chunk_id(db)]
        ).fetchone()[0]
    finally:
        conn.close()


def _damaged(kind: str, good: bytes) -> bytes:
    raw = zlib.decompress(good)
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "older format":  # plain JSON text, no compression
        return b'[{"ts": 1, "msg": {}}]'
    if kind == "bad json":
        return zlib.compress(struct.pack("<qII", T0, 0xFFFFFFFF, 5) + b"{bad}")
    if kind == "short record":  # a header that promises more than the chunk holds
        return zlib.compress(raw[:-3])
    return zlib.compress(raw[:7])  # half a header


@pytest.mark.parametrize(
    "damage", ["truncated", "older format", "bad json", "short record", "half a header"]
)
def test_a_damaged_chunk_is_one_line_naming_it_and_nothing_is_left_behind(
    capsys, recorded, tmp_path, damage
):
    db = _copy(recorded, tmp_path)
    chunk = _set_data(db, _damaged(damage, _good_blob(db)))
    target = tmp_path / "out"
    result = _export(capsys, db, str(target))
    one_line_error(result, f"chunk {chunk}")
    assert "polymarket stream" in result.output
    assert not target.exists()


def test_a_failed_export_into_an_empty_directory_leaves_it_empty(capsys, recorded, tmp_path):
    db = _copy(recorded, tmp_path)
    _set_data(db, b"garbage")
    target = tmp_path / "empty"
    target.mkdir()
    one_line_error(_export(capsys, db, str(target)), "is unreadable")
    assert target.is_dir() and list(target.iterdir()) == []


def test_ctrl_c_during_an_export_leaves_no_half_written_replay(
    capsys, recorded, tmp_path, monkeypatch
):
    def interrupted(path: Path, value: object) -> None:
        raise KeyboardInterrupt  # the user presses Ctrl-C as the manifest is written

    monkeypatch.setattr(export_module, "_write_json", interrupted)
    target = tmp_path / "out"
    result = _export(capsys, recorded, str(target))
    assert result.exit_code == 130 and "Traceback" not in result.output
    assert not target.exists()  # a replay without its manifest would mislead a later run


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_sigterm_during_an_export_leaves_no_half_written_replay(
    capsys, recorded, tmp_path, monkeypatch
):
    written: list[str] = []

    def killed(path: Path, value: object) -> None:
        written.append(path.name)
        os.kill(os.getpid(), signal.SIGTERM)  # `kill PID` as the manifest is written

    monkeypatch.setattr(export_module, "_write_json", killed)
    target = tmp_path / "out"
    before = signal.getsignal(signal.SIGTERM)
    result = _export(capsys, recorded, str(target))
    assert written == ["books.json"]  # the first file: the signal ended the export there
    assert result.exit_code == 128 + signal.SIGTERM and "Traceback" not in result.output
    assert not target.exists()
    assert signal.getsignal(signal.SIGTERM) is before  # put back after the export


def test_a_target_that_cannot_be_created_is_one_line(capsys, recorded, tmp_path):
    target = Path("/proc/arbkit-no-such-folder/out")  # not even root may create it
    one_line_error(_export(capsys, recorded, str(target)), "cannot write")
    assert not target.parent.exists()


def test_a_missing_database_is_one_line_and_is_not_created(capsys, tmp_path):
    db = tmp_path / "nowhere.db"
    one_line_error(_export(capsys, db, str(tmp_path / "out")), "no database at")
    assert not db.exists() and not (tmp_path / "out").exists()


def test_a_range_with_no_replayable_venue_is_an_error_not_an_empty_replay(capsys, tmp_path):
    db = _fresh(tmp_path / "streams.db")
    recorder = Recorder(db).start()
    for i in range(5):
        recorder("kalshi", "stream", T0 + i, {"type": "ticker", "n": i})
    recorder.close()
    target = tmp_path / "out"
    one_line_error(_export(capsys, db, str(target)), "no venue can be replayed")
    assert not target.exists()


def test_a_league_the_recording_does_not_hold_is_one_line_naming_it(capsys, tmp_path):
    db = tmp_path / "sample.db"
    assert run_main(capsys, ["-q", "--db", str(db), "record", "--sample"]).exit_code == 0
    target = tmp_path / "out"
    result = _export(capsys, db, "--league", "wnba", str(target))  # the sample has no WNBA
    one_line_error(result, "the recording holds no wnba events or markets of kalshi, polymarket")
    assert not target.exists()


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_an_age_beyond_the_calendar_is_a_usage_error(capsys, recorded, tmp_path, option):
    result = _export(capsys, recorded, option, "99999999d", str(tmp_path / "out"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert option in result.output


def test_an_unknown_kind_from_another_version_is_not_written_into_the_replay(recorded, tmp_path):
    db = _copy(recorded, tmp_path)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "INSERT INTO recorded_chunks (venue, kind, first_ms, last_ms, count, raw_bytes, "
            "size, data) VALUES ('polymarket', 'future_kind', ?, ?, 1, 2, 2, ?)",
            [T0, T0, b"\x00\x01"],
        )
    conn.close()
    export_replay(open_store(db), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "polymarket").iterdir()) == [
        "books.json",
        "events.json",
        "stream.jsonl",
    ]


# -- retention keeps what the kept streams need ----------------------------------------------


def _ten_days(db: Path) -> None:
    """Snapshots once, at the start; then a day of stream per recorder session, 10 days."""
    recorder = Recorder(db).start()
    recorder("polymarket", "events", T0, [{"slug": "a", "markets": []}], "a")
    recorder("polymarket", "books", T0, {"asset_id": "1", "bids": [], "asks": []}, "1")
    recorder.close()
    for day in range(10):
        recorder = Recorder(db).start()
        for i in range(40):
            recorder("polymarket", "stream", T0 + day * DAY_MS + i, {"day": day, "i": i, "p": "x"})
        recorder.close()


def _kinds(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT kind FROM recorded_chunks ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.parametrize("rule", ["keep", "max_size"])
def test_retention_keeps_the_snapshots_the_remaining_streams_start_from(tmp_path, rule):
    db = _fresh(tmp_path / "r.db")
    _ten_days(db)
    conn = sqlite3.connect(db)
    sizes = conn.execute("SELECT kind, size FROM recorded_chunks ORDER BY id").fetchall()
    conn.close()
    stream_sizes = [size for kind, size in sizes if kind == "stream"]
    snapshot_bytes = sum(size for kind, size in sizes if kind != "stream")
    if rule == "keep":
        retention = Retention(keep=timedelta(days=3))
    else:  # room for the snapshots and three days of stream
        retention = Retention(max_bytes=sum(stream_sizes[-3:]) + snapshot_bytes)
    stats = Recorder(db, retention=retention).start().close()
    assert stats.pruned > 0
    kinds = _kinds(db)
    assert "events" in kinds and "books" in kinds  # what every export of the rest starts from
    assert 3 <= kinds.count("stream") < 10
    summary = export_replay(open_store(db), tmp_path / "out")
    assert summary.venues == ("polymarket",)
    days = {line["msg"]["day"] for line in stream_lines(tmp_path / "out", "polymarket")}
    assert 9 in days and 0 not in days
    books = json.loads((tmp_path / "out" / "polymarket" / "books.json").read_text())
    assert books == [{"asset_id": "1", "bids": [], "asks": []}]


def test_a_newer_snapshot_of_the_same_key_lets_the_older_one_go(tmp_path):
    db = _fresh(tmp_path / "r.db")
    for day in range(10):
        recorder = Recorder(db).start()
        recorder("polymarket", "events", T0 + day * DAY_MS, [{"slug": "a", "v": day}], "a")
        recorder("polymarket", "stream", T0 + day * DAY_MS + 1, {"day": day})
        recorder.close()
    Recorder(db, retention=Retention(keep=timedelta(days=3))).start().close()
    kinds = _kinds(db)
    # the cut-off is 3 days before day 9's stream message, just after day 6's snapshot: days
    # 6..9 of the stream are kept, and of the older snapshots only day 6's, the newest of "a"
    assert kinds.count("events") == 4 and kinds.count("stream") == 4


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--keep", "99999999999w", "is longer than any recording"),
        ("--max-size", "0.0000001kB", "is less than a byte"),
    ],
)
def test_a_retention_option_out_of_range_is_one_line_and_deletes_nothing(
    capsys, recorded, tmp_path, option, text, message
):
    db = _copy(recorded, tmp_path)
    before = _kinds(db)
    result = run_main(capsys, ["--db", str(db), "record", "--sample", option, text])
    one_line_error(result, message)
    assert _kinds(db) == before
