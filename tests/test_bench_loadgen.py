"""The end-to-end bench's load is a valid replay, and its planted windows are what arbkit reports.

Not a timing test: it makes bench/bench_e2e.py's catch check trustworthy. A small load (10 games,
2,000 messages, 6 windows) is generated, checked for the stream rules of docs/replay-format.md,
then scanned by the real command in a subprocess; every planted pair must be reported while its
window is open and nothing else may be reported.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
GAMES, MESSAGES, WINDOWS = 10, 2000, 6


def _loadgen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_loadgen", ROOT / "bench" / "loadgen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


loadgen = _loadgen()


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("load")
    key = loadgen.generate(out, GAMES, MESSAGES, seed=3, windows=WINDOWS)
    return out, key


def _stream(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_streams_follow_the_replay_format(load: tuple[Path, dict]) -> None:
    out, _ = load
    pm, kalshi = (
        _stream(out / "polymarket" / "stream.jsonl"),
        _stream(out / "kalshi" / "stream.jsonl"),
    )
    assert len(pm) + len(kalshi) == MESSAGES
    stamps = sorted(line["ts"] for line in pm + kalshi)
    assert len(set(stamps)) == MESSAGES  # unique stamps: the merged order is unambiguous
    assert {line["msg"]["event_type"] for line in pm} == {"book", "price_change"}
    assert {line["msg"]["type"] for line in kalshi} == {"orderbook_snapshot", "orderbook_delta"}
    seqs: dict[int, list[int]] = defaultdict(list)
    for line in kalshi:
        seqs[line["msg"]["sid"]].append(line["msg"]["seq"])
    assert len(seqs) == GAMES
    assert all(s == list(range(1, len(s) + 1)) for s in seqs.values())
    first = {}
    for line in kalshi:
        first.setdefault(line["msg"]["msg"]["market_ticker"], line["msg"]["type"])
    assert set(first.values()) == {"orderbook_snapshot"}  # every market starts from a snapshot


def test_same_seed_same_bytes(load: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = load
    loadgen.generate(tmp_path, GAMES, MESSAGES, seed=3, windows=WINDOWS)
    for name in ("polymarket/stream.jsonl", "kalshi/events.json", "answer_key.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_scan_reports_exactly_the_planted_windows(load: tuple[Path, dict], tmp_path: Path) -> None:
    out, key = load
    assert len(key["windows"]) == WINDOWS
    assert all(w["open_ts"] < w["close_ts"] for w in key["windows"])
    assert {w["game"].split(":")[0] for w in key["windows"]} >= {"NBA", "NHL", "NFL", "NCAAF"}
    command = [sys.executable, "-m", "arbkit", "-q", "--db", str(tmp_path / "bench.db"), "scan"]
    command += ["--replay", str(out), "--watch", "--json", "--min-edge", "0", "--lookahead", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    verdict = loadgen.check(key, done.stdout.splitlines())
    assert verdict.false_positives == []
    assert verdict.pairs_caught == verdict.pairs == sum(len(w["pairs"]) for w in key["windows"])
    assert verdict.caught == WINDOWS


def test_check_flags_a_report_outside_every_window(load: tuple[Path, dict]) -> None:
    _, key = load
    w = key["windows"][0]
    legs = [{"contract": c} for c in w["pairs"][0]]
    late = {"at": "2099-01-01T00:00:00+00:00", "change": "appeared", "game": w["game"]}
    line = json.dumps(late | {"opportunity": {"legs": legs}})
    verdict = loadgen.check(key, [line])
    assert len(verdict.false_positives) == 1 and verdict.caught == 0
