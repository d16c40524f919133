"""``arbkit scan --bus`` with two ``arbkit worker`` processes reports what one process reports.

A real redis-server on 127.0.0.1; the same replay scanned once in one process and once over
the bus. Each game's changes must be the same, in the same order (games may interleave
differently, since two workers run them side by side), and so must the one-shot snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bus_helpers import MatcherProcess, WorkerProcess, by_game, loadgen, scan
from redis_helpers import RedisServer, redis_server  # noqa: F401

from arbkit.recordings import sample_dir


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("busload")
    key = loadgen().generate(out, 12, 3000, seed=5, windows=8)
    return out, key


@pytest.fixture
def workers(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> Iterator[list[WorkerProcess]]:
    """Two workers and the matching service."""
    matcher = MatcherProcess(redis_server.url, tmp_path / "matcher.db")
    started = [WorkerProcess(redis_server.url, f"w{i}", tmp_path / f"w{i}.db") for i in (1, 2)]
    yield started
    for worker in started:
        worker.stop()
    matcher.stop()


def test_watch_over_the_bus_reports_what_one_process_reports(
    redis_server: RedisServer,  # noqa: F811
    workers: list[WorkerProcess],
    load: tuple,
    tmp_path: Path,
) -> None:
    out, key = load
    args = ["--replay", str(out), "--watch", "--json", "--lookahead", "0"]
    single = scan(tmp_path / "single.db", *args)
    assert single.returncode == 0, single.stderr
    bus = scan(tmp_path / "bus.db", *args, "--bus", redis_server.url)
    assert bus.returncode == 0, bus.stderr
    expected = by_game(single.stdout.splitlines())
    assert loadgen().check(key, single.stdout.splitlines()).caught == 8  # every planted window
    assert len(expected) == len({w["game"] for w in key["windows"]})
    assert by_game(bus.stdout.splitlines()) == expected
    stopped = [json.loads(w.stop().splitlines()[-1]) for w in workers]
    assert all(line["messages"] > 0 for line in stopped), stopped  # both workers had games


def test_the_sample_over_the_bus(
    redis_server: RedisServer,  # noqa: F811
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    watch = ["--sample", "--watch", "--json"]
    single = scan(tmp_path / "single.db", *watch)
    bus = scan(tmp_path / "bus.db", *watch, "--bus", redis_server.url)
    assert bus.returncode == 0, bus.stderr
    assert by_game(bus.stdout.splitlines()) == by_game(single.stdout.splitlines())
    one_shot = scan(tmp_path / "single.db", "--replay", str(sample_dir()), "--json")
    over_bus = scan(
        tmp_path / "bus.db", "--replay", str(sample_dir()), "--json", "--bus", redis_server.url
    )
    assert over_bus.returncode == 0, over_bus.stderr
    assert json.loads(over_bus.stdout) == json.loads(one_shot.stdout)
    assert json.loads(one_shot.stdout)["opportunities"]  # the comparison is not of two empties


def test_a_run_leaves_no_keys_behind(
    redis_server: RedisServer,  # noqa: F811
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    import redis

    done = scan(tmp_path / "bus.db", "--sample", "--json", "--bus", redis_server.url)
    assert done.returncode == 0, done.stderr
    client = redis.Redis.from_url(redis_server.url)
    assert [k for k in client.keys("arbkit:run:*")] == []
    pending = client.xpending("arbkit:assign", "workers")
    assert pending["pending"] == 0  # every game's assignment was acked when it was released


def test_bus_refuses_what_is_not_a_redis_url(tmp_path: Path) -> None:
    done = scan(tmp_path / "x.db", "--sample", "--bus", "http://localhost:6379")
    assert done.returncode == 2
    assert "is not a redis:// URL" in done.stderr
