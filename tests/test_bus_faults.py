"""Faults on the bus, against a real redis-server: a worker SIGKILLed mid-stream, Redis restarted.

A killed worker's games are taken over by the other worker (XAUTOCLAIM after --reclaim-after),
rebuilt from their snapshots and replayed to their committed positions: every game's changes
are still exactly the single-process run's, so no planted opportunity is lost or reported twice.

A Redis restart (no persistence: the run's streams are gone) fails the run with one line and
exit status 1, and its row in the store says ``failed``: the run never goes on as if nothing
was lost. The workers outlive the restart and serve the next run.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import redis
from bus_helpers import (
    MatcherProcess,
    WorkerProcess,
    by_game,
    loadgen,
    scan,
    start_scan,
    wait_until,
)
from redis_helpers import RedisServer, redis_server  # noqa: F401

GAMES, MESSAGES, WINDOWS = 12, 4000, 10


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list[str]]:
    """The replay, its answer key, and what one process reports on it."""
    out = tmp_path_factory.mktemp("faultload")
    key = loadgen().generate(out, GAMES, MESSAGES, seed=11, windows=WINDOWS)
    single = scan(out / "single.db", "--replay", str(out), "--watch", "--json", "--lookahead", "0")
    assert single.returncode == 0, single.stderr
    return out, key, single.stdout.splitlines()


def _pending(client: redis.Redis) -> dict[str, int]:
    summary = client.xpending("arbkit:assign", "workers")
    return {c["name"].decode(): int(c["pending"]) for c in summary["consumers"] or []}


def test_a_killed_workers_games_are_taken_over(
    redis_server: RedisServer,  # noqa: F811
    load: tuple,
    tmp_path: Path,
) -> None:
    out, key, single = load
    matcher = MatcherProcess(redis_server.url, tmp_path / "matcher.db")
    workers = [
        WorkerProcess(redis_server.url, f"w{i}", tmp_path / f"w{i}.db", snapshot_every=40)
        for i in (1, 2)
    ]
    client = redis.Redis.from_url(redis_server.url)
    args = ["--replay", str(out), "--watch", "--json", "--lookahead", "0", "--speed", "3"]
    run = start_scan(tmp_path / "bus.db", *args, "--bus", redis_server.url)
    try:
        wait_until(lambda: len(_pending(client)) == 2, what="both workers holding games")
        wait_until(
            lambda: any(client.hlen(k) for k in client.keys("arbkit:run:*:snap")),
            what="a snapshot",
        )
        held = _pending(client)
        victim = max(workers, key=lambda w: held.get(w.name, 0))
        victim.kill()  # SIGKILL, mid-stream: its claims stay pending, nobody releases them
        stdout, stderr = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
        said = {w.name: w.stop() for w in workers if w.process.poll() is None}
        matcher.stop()
    assert run.returncode == 0, stderr
    (survivor_said,) = said.values()
    stats = json.loads(survivor_said.splitlines()[-1])
    assert stats["taken_over"] == held[victim.name]  # the games were reclaimed, all of them
    reported = stdout.splitlines()
    assert by_game(reported) == by_game(single)  # exactly once: nothing lost, nothing twice
    verdict = loadgen().check(key, reported)
    assert verdict.caught == WINDOWS and verdict.false_positives == []
    assert _pending(client).get(victim.name, 0) == 0  # the survivor took over and finished


def test_a_redis_restart_fails_the_run_with_one_line(
    redis_server: RedisServer,  # noqa: F811
    load: tuple,
    tmp_path: Path,
) -> None:
    out, _key, _single = load
    matcher = MatcherProcess(redis_server.url, tmp_path / "matcher.db")
    workers = [WorkerProcess(redis_server.url, f"w{i}", tmp_path / f"w{i}.db") for i in (1, 2)]
    db = tmp_path / "bus.db"
    args = ["--replay", str(out), "--watch", "--json", "--lookahead", "0", "--speed", "1"]
    run = start_scan(db, *args, "--bus", redis_server.url)
    try:
        assert run.stdout is not None
        first = run.stdout.readline()  # the run is under way: a change came back from a worker
        assert first.startswith("{"), first
        redis_server.restart()
        stdout, stderr = run.communicate(timeout=30)
        assert run.returncode == 1, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
        assert "bus" in lines[0] and "Traceback" not in stderr
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]
        # the workers outlived the restart and serve the next run
        assert all(w.process.poll() is None for w in workers)
        again = scan(tmp_path / "again.db", "--sample", "--json", "--bus", redis_server.url)
        alone = scan(tmp_path / "alone.db", "--sample", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout) == json.loads(alone.stdout)
    finally:
        if run.poll() is None:
            run.kill()
        for worker in workers:
            worker.stop()
        matcher.stop()


def test_a_stopped_worker_hands_its_games_over_at_once(
    redis_server: RedisServer,  # noqa: F811
    load: tuple,
    tmp_path: Path,
) -> None:
    """SIGTERM: the worker marks its claims idle, so the other takes them on its next
    heartbeat (2 s here), well before --reclaim-after (6 s) would let it."""
    out, _key, single = load
    matcher = MatcherProcess(redis_server.url, tmp_path / "matcher.db")
    workers = [
        WorkerProcess(redis_server.url, f"w{i}", tmp_path / f"w{i}.db", reclaim_after=6)
        for i in (1, 2)
    ]
    client = redis.Redis.from_url(redis_server.url)
    args = ["--replay", str(out), "--watch", "--json", "--lookahead", "0", "--speed", "3"]
    run = start_scan(tmp_path / "bus.db", *args, "--bus", redis_server.url)
    try:
        wait_until(lambda: len(_pending(client)) == 2, what="both workers holding games")
        leaving, staying = workers
        said = leaving.stop()
        wait_until(
            lambda: _pending(client).get(leaving.name, 0) == 0,
            timeout=4.5,
            what=f"the other worker holding every game ({said.strip()})",
        )
        stdout, stderr = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
        staying.stop()
        matcher.stop()
    assert run.returncode == 0, stderr
    assert by_game(stdout.splitlines()) == by_game(single)
