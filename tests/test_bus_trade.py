"""``arbkit trade --bus`` and ``arbkit backtest --bus`` with two ``arbkit worker`` processes
trade exactly what one process trades, and every fill is on the ``arbkit:fills`` stream.

A real redis-server on 127.0.0.1, the matching service and two workers (subprocesses); the same
sample paper-traded once in one process and once over the bus. The whole JSON result must be
the same (positions, fills, P&L, rejections), but for the ``bus`` key only the bus run has.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from bus_helpers import MatcherProcess, WorkerProcess, arbkit
from redis_helpers import RedisServer, redis_server  # noqa: F401

from arbkit.bus.wire import SCHEMA_VERSION, decode


@pytest.fixture
def workers(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[list[WorkerProcess]]:
    """Two workers and the matching service."""
    for name in ("ARBKIT_BUS", "ARBKIT_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    matcher = MatcherProcess(redis_server.url, tmp_path / "matcher.db")
    started = [WorkerProcess(redis_server.url, f"w{i}", tmp_path / f"w{i}.db") for i in (1, 2)]
    yield started
    for worker in started:
        worker.stop()
    matcher.stop()


def run_json(db: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(arbkit(db, *args), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stream_fills(url: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url)
    try:
        entries = client.xrange("arbkit:fills")
    finally:
        client.close()
    fills = []
    for _entry_id, fields in entries:
        assert fields[b"v"] == str(SCHEMA_VERSION).encode()  # every entry says its version
        kind, body = decode(fields)
        assert kind == "fill"
        fills.append(body)
    return fills


def fill_key(venue: str, contract: str, fill: dict[str, Any]) -> tuple[Any, ...]:
    """A fill's venue, contract, side, price, size, fee and time, its decimals as values."""
    money = tuple(Decimal(fill[k]) for k in ("price", "size", "fee"))
    return (venue, contract, fill["side"], *money, fill["at"])


def report_fills(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every fill of the report's positions."""
    return sorted(
        fill_key(leg["venue"], leg["contract"], f)
        for position in report["positions"]
        for leg in position["legs"]
        for f in leg["fills"]
    )


def published_fills(fills: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(fill_key(b["venue"], b["contract_id"], b) for b in fills)


def same_without_bus(single: dict[str, Any], over_bus: dict[str, Any]) -> None:
    assert "bus" not in single
    assert {k: v for k, v in over_bus.items() if k != "bus"} == single


def test_trade_over_the_bus_trades_what_one_process_trades(
    redis_server: RedisServer,  # noqa: F811
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    single = run_json(tmp_path / "single.db", "trade", "--sample", "--json")
    over_bus = run_json(
        tmp_path / "bus.db", "trade", "--sample", "--json", "--bus", redis_server.url
    )
    assert single["positions"] and single["rejections"]  # not a comparison of two empties
    same_without_bus(single, over_bus)

    published = stream_fills(redis_server.url)
    assert over_bus["bus"]["fills_published"] == len(published)
    for body in published:  # decimals cross as strings, exactly
        assert all(isinstance(body[k], str) for k in ("price", "size", "fee", "fee_shares"))
    assert published_fills(published) == report_fills(single)
    assert len({b["client_order_id"] for b in published}) == len(published)  # one per order
    stopped = [json.loads(w.stop().splitlines()[-1]) for w in workers]
    assert all(line["messages"] > 0 for line in stopped), stopped  # both workers had games


def test_backtest_over_the_bus_and_no_sweep_with_it(
    redis_server: RedisServer,  # noqa: F811
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    single = run_json(tmp_path / "single.db", "backtest", "--sample", "--json")
    over_bus = run_json(
        tmp_path / "bus.db", "backtest", "--sample", "--json", "--bus", redis_server.url
    )
    assert single["positions"]
    same_without_bus(single, over_bus)
    assert published_fills(stream_fills(redis_server.url)) == report_fills(single)

    sweep = subprocess.run(
        arbkit(tmp_path / "bus.db", "backtest", "--sample", "--sweep", "latency=0,1")
        + ["--bus", redis_server.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sweep.returncode == 2
    assert "--bus spreads ONE backtest" in sweep.stderr and "Traceback" not in sweep.stderr
