"""What makes a backtest's replay cheap: checked stream lines kept for the first play (each
line decoded once), and a feed that lets the event loop's other tasks in every few messages."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbkit import ConfigError
from arbkit.cli.backtest_run import HOLD_STREAM_BYTES
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import hold_checked_streams, iter_stream_file, read_stream_file, sample_dir


@pytest.fixture
def hold() -> Iterator[None]:
    """Streams held as a backtest holds them, the old limit put back afterwards."""
    previous = hold_checked_streams(HOLD_STREAM_BYTES)
    yield
    hold_checked_streams(previous)


def lines(*stamps: int, tag: str = "a") -> str:
    return "".join(
        json.dumps({"ts": ts, "msg": {"tag": tag, "n": n}}) + "\n" for n, ts in enumerate(stamps)
    )


def test_a_held_stream_plays_the_lines_its_check_decoded_once(tmp_path, hold):
    path = tmp_path / "stream.jsonl"
    path.write_text(lines(1, 2, 3))
    stream = read_stream_file(path)
    path.write_text(lines(7, 8, 9, tag="rewritten"))  # the file changes after the check
    first = list(stream)
    assert [(ts, msg["tag"]) for ts, msg in first] == [(1, "a"), (2, "a"), (3, "a")]
    # Played once, the held lines are let go: a second play reads the file (its checked count).
    assert [msg["tag"] for _, msg in stream] == ["rewritten"] * 3


def test_a_stream_over_the_limit_is_not_held(tmp_path):
    path = tmp_path / "stream.jsonl"
    path.write_text(lines(1, 2))
    previous = hold_checked_streams(path.stat().st_size - 1)
    try:
        stream = read_stream_file(path)
    finally:
        hold_checked_streams(previous)
    path.write_text(lines(5, 6, tag="rewritten"))
    assert [msg["tag"] for _, msg in stream] == ["rewritten", "rewritten"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (lines(1) + "not json\n" + lines(2), "stream.jsonl:2: expected {ts, msg} (not JSON"),
        (lines(1) + '{"ts": 1.5, "msg": {}}\n', "stream.jsonl:2: ts 1.5 is not an integer"),
        (lines(1) + "[1]\n", "stream.jsonl:2: expected {ts, msg} (got [1])"),
    ],
)
def test_a_held_stream_still_fails_before_anything_plays(tmp_path, hold, text, fragment):
    path = tmp_path / "stream.jsonl"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        read_stream_file(path)


def test_a_held_stream_warns_once_and_sorts_an_out_of_order_file(tmp_path, hold, caplog):
    path = tmp_path / "stream.jsonl"
    path.write_text(lines(5, 2) + '{"ts": 3, "msg": 42}\n' + lines(5, tag="b") + '{"ts": 9, "ms')
    with caplog.at_level(logging.WARNING, logger="arbkit.recordings"):
        stream = read_stream_file(path)
        played = [(ts, msg["tag"], msg["n"]) for ts, msg in stream]
    assert played == [(2, "a", 1), (5, "a", 0), (5, "b", 0)]
    assert len(stream) == 3 and stream.first_ms == 2
    assert caplog.text.count("not a JSON object") == 1 and caplog.text.count("cut short") == 1


def test_held_and_streamed_plays_of_the_sample_are_the_same(hold):
    for path in sorted(sample_dir().glob("*/stream.jsonl")):
        assert list(read_stream_file(path)) == list(iter_stream_file(path, warn=False))


def test_a_utf8_bom_line_still_reads(tmp_path, hold):
    path = tmp_path / "stream.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + lines(4).encode())
    assert [ts for ts, _ in read_stream_file(path)] == [4]


def test_the_replay_feed_lets_other_tasks_run_while_it_plays(tmp_path):
    from arbkit_replay.venue import YIELD_EVERY, ReplaySession

    directory = tmp_path / "replay"
    shutil.copytree(sample_dir(), directory)
    for path in directory.glob("*/stream.jsonl"):  # every message four times: a longer evening
        path.write_text("".join(line * 4 for line in path.read_text().splitlines(keepends=True)))
    session = ReplaySession(make_plugin_manager(), directory)
    markets = {v.name: v.recording.markets for v in session.venues}
    messages = sum(len(v.recording.stream) for v in session.venues)
    assert messages >= 2 * YIELD_EVERY  # enough to need several turns

    async def play() -> tuple[int, int]:
        turns = 0
        done = False

        async def other_task() -> None:
            nonlocal turns
            while not done:
                turns += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(other_task())
        await asyncio.sleep(0)
        turns_before = turns
        async for _event in session.events(markets):
            pass
        done = True
        await other
        return turns_before, turns

    before, after = asyncio.run(play())
    # Every YIELD_EVERY messages (or sooner) the feed gave the loop a turn.
    assert after - before >= messages // YIELD_EVERY


def test_hold_limit_is_put_back(tmp_path):
    previous = hold_checked_streams(123)
    assert hold_checked_streams(previous) == 123
    path: Path = tmp_path / "none.jsonl"
    assert len(read_stream_file(path)) == 0
