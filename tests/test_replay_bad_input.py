"""Bad recordings: a one-line ConfigError naming the file and line, or a warning and a skip.

Issue 10 item 3 (the core reader's part): deeply nested JSON, a stream line cut short by a
recorder killed mid-write, a ``msg`` that is no object, a ``ts`` that is no epoch ms.
"""

from __future__ import annotations

import itertools
import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from arbkit import ConfigError
from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import iter_stream_file, read_json_file, read_stream_file, sample_dir

GOOD = '{"ts": 1795561200200, "msg": {"type": "ticker"}}\n'
CUT = '{"ts": 1795561201000, "msg": {"ty'


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def one_line(exc: pytest.ExceptionInfo[ConfigError], *fragments: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


# -- whole JSON files ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000])
def test_deeply_nested_json_file_is_one_line_error(tmp_path, text):
    path = write(tmp_path / "events.json", text)
    with pytest.raises(ConfigError) as exc:
        read_json_file(path, list)
    one_line(exc, str(path), "nested too deeply")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not readable JSON"),
        (b"", "not readable JSON"),
        (b'{"a": 1}', "expected a JSON list"),
    ],
)
def test_unreadable_or_wrongly_shaped_json_file(tmp_path, content, fragment):
    path = write(tmp_path / "books.json", content)
    with pytest.raises(ConfigError) as exc:
        read_json_file(path, list)
    one_line(exc, str(path), fragment)


def test_a_folder_in_place_of_a_json_file(tmp_path):
    (tmp_path / "books.json").mkdir()
    with pytest.raises(ConfigError) as exc:
        read_json_file(tmp_path / "books.json")
    one_line(exc, "books.json", "not readable")


# -- stream.jsonl --------------------------------------------------------------------------------


def test_truncated_last_line_is_a_warning_and_the_rest_plays(tmp_path, caplog):
    path = write(tmp_path / "stream.jsonl", GOOD * 3 + CUT)
    with caplog.at_level(logging.WARNING, logger="arbkit.recordings"):
        stream = read_stream_file(path)
    assert [ts for ts, _ in stream] == [1795561200200] * 3
    [record] = caplog.records
    assert f"{path}:4" in record.getMessage() and "cut short" in record.getMessage()


def test_truncated_inside_a_multibyte_character_is_still_a_cut_line(tmp_path, caplog):
    cut = '{"ts": 1795561201000, "msg": {"title": "Montréal'.encode()[:-5]
    path = write(tmp_path / "stream.jsonl", GOOD.encode() + cut)
    with caplog.at_level(logging.WARNING, logger="arbkit.recordings"):
        assert len(read_stream_file(path)) == 1
    assert "stream.jsonl:2" in caplog.text


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + CUT + "\n" + GOOD, 2, "not JSON"),  # a bad line in the middle
        (GOOD + CUT + "\n", 2, "not JSON"),  # a whole (newline-ended) bad last line
        (GOOD + "x", 2, "not JSON"),  # not the start of a stream line at all
        (GOOD + "[" * 100_000 + "\n", 2, "nested too deeply"),
        (GOOD + "[" * 100_000, 2, "nested too deeply"),
        (GOOD + "[1, 2]\n", 2, "got [1, 2]"),
        (GOOD + '{"ts": 1795561200200}\n', 2, "expected {ts, msg}"),
        (GOOD + '{"msg": {}}\n', 2, "expected {ts, msg}"),
    ],
)
def test_bad_stream_line_is_an_error_naming_it(tmp_path, text, line, fragment):
    path = write(tmp_path / "stream.jsonl", text)
    with pytest.raises(ConfigError) as exc:
        read_stream_file(path)
    one_line(exc, f"{path}:{line}:", fragment)


@pytest.mark.parametrize(
    "ts",
    [
        "1795561200200.5",
        "1.7955612e12",
        "NaN",
        "Infinity",
        "-Infinity",
        "true",
        '"1795561200200"',
        "null",
        "-1",
        "1" + "0" * 30,
    ],
)
def test_ts_that_is_not_integer_epoch_ms_is_an_error_naming_the_line(tmp_path, ts):
    path = write(tmp_path / "stream.jsonl", GOOD + f'{{"ts": {ts}, "msg": {{}}}}\n')
    with pytest.raises(ConfigError) as exc:
        read_stream_file(path)
    one_line(exc, f"{path}:2:", "is not an integer epoch ms")


@pytest.mark.parametrize("msg", ["42", '"book"', "null", "[]", '[{"type": "ticker"}]', "true"])
def test_msg_that_is_not_an_object_is_a_warning_and_skipped(tmp_path, caplog, msg):
    bad = f'{{"ts": 1795561200300, "msg": {msg}}}\n'
    path = write(tmp_path / "stream.jsonl", GOOD + bad + GOOD)
    with caplog.at_level(logging.WARNING, logger="arbkit.recordings"):
        stream = read_stream_file(path)
    assert [ts for ts, _ in stream] == [1795561200200, 1795561200200]
    assert f"{path}:2: msg" in caplog.text and "not a JSON object" in caplog.text


def test_stream_is_read_lazily_one_line_at_a_time(tmp_path):
    path = write(tmp_path / "stream.jsonl", GOOD + "not json\n")
    lines = iter_stream_file(path)
    assert next(lines)[0] == 1795561200200  # the bad line 2 has not been read yet
    with pytest.raises(ConfigError, match="stream.jsonl:2:"):
        next(lines)


def test_stream_is_ordered_by_ts_keeping_file_order_for_equal_stamps(tmp_path):
    lines = [f'{{"ts": {ts}, "msg": {{"n": {n}}}}}' for n, ts in enumerate((3, 1, 3), 1)]
    path = write(tmp_path / "stream.jsonl", "\n".join(lines) + "\n\n")
    assert read_stream_file(path) == ((1, {"n": 2}), (3, {"n": 1}), (3, {"n": 3}))


# -- end to end: a replay whose recorder was killed mid-write ------------------------------------


def watch(directory: Path) -> str:
    pm = make_plugin_manager()
    args = ["scan", "--replay", str(directory), "--watch", "--json", "--no-store"]
    result = CliRunner().invoke(make_cli(pm), args, obj=AppState(pm=pm))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout


def test_a_replay_cut_mid_write_plays_everything_before_the_cut(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    shutil.copytree(sample_dir(), whole)
    shutil.copytree(sample_dir(), cut)
    for venue in ("kalshi", "polymarket"):
        stream = cut / venue / "stream.jsonl"
        last = stream.read_text().splitlines()[-1]
        stream.write_text(stream.read_text() + last[: len(last) // 2])
    expected = watch(whole)
    assert '"change"' in expected  # the sample's stream does change games
    assert watch(cut) == expected


def test_a_stream_file_is_checked_once_and_played_from_disk(tmp_path):
    """Issue 12: a recording is read as a stream, never held in memory whole."""
    import json as json_module
    import tracemalloc

    path = tmp_path / "stream.jsonl"
    line = {"type": "orderbook_delta", "msg": {"market_ticker": "K-1", "price_dollars": "0.40"}}
    with path.open("w") as out:
        for ts in range(20_000):
            out.write(json_module.dumps({"ts": ts, "msg": {**line, "seq": ts}}) + "\n")
    size = path.stat().st_size
    tracemalloc.start()
    stream = read_stream_file(path)
    checked = tracemalloc.get_traced_memory()[1]
    played = sum(1 for _ in stream)
    tracemalloc.stop()
    assert played == len(stream) == 20_000 and stream.first_ms == 0
    assert checked < size / 10  # the check kept no messages (the file is ~2 MB)
    assert [msg["seq"] for _, msg in itertools.islice(stream, 3)] == [0, 1, 2]


def test_an_out_of_order_stream_file_still_plays_in_time_order(tmp_path):
    path = tmp_path / "stream.jsonl"
    path.write_text(
        '{"ts": 5, "msg": {"n": 1}}\n{"ts": 2, "msg": {"n": 2}}\n{"ts": 5, "msg": {"n": 3}}\n'
    )
    stream = read_stream_file(path)
    assert [(ts, m["n"]) for ts, m in stream] == [(2, 2), (5, 1), (5, 3)]
    assert stream.first_ms == 2
