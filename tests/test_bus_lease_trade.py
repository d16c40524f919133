"""``arbkit trade --live --bus`` against the fake venues, a real redis-server and the matching
service: a second executor waits for the account's lease and only the holder trades; a lease
lost with a leg in flight fences the trader off (no second leg, no more journal writes, entries
halted), and the next holder finishes the trade with no duplicate order and no lone leg."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from bus_helpers import WorkerProcess
from redis_helpers import RedisServer
from redis_helpers import redis_server as real_redis
from test_bus_matcher import ServerThread
from test_trade_live_cli import Background, check_hedged, wait_for
from test_trade_live_cli import home as live_home
from test_trade_live_cli import kalshi as fake_kalshi
from test_trade_live_cli import poly as fake_polymarket
from trade_live_helpers import duplicates, kalshi_creates, pm_posts

from arbkit.bus.lease import TradingLease
from arbkit.plugins import make_plugin_manager
from arbkit.testing import Fault

redis_server = real_redis  # a fresh redis-server on 127.0.0.1 per test
home, kalshi, poly = live_home, fake_kalshi, fake_polymarket  # the live rig's fixtures
ACCOUNT = "default:live"  #: the lease of the venue accounts (no ARBKIT_ACCOUNT set)


@pytest.fixture
def bus(redis_server: Any, home: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The bus URL, with the matching service answering on it from the home's database and
    two ``arbkit worker`` processes running the games (``trade --bus`` shards on them)."""
    monkeypatch.delenv("ARBKIT_ACCOUNT", raising=False)
    with ServerThread(redis_server.url, make_plugin_manager(), home.db):
        workers = [WorkerProcess(redis_server.url, f"w{i}", home.root / f"w{i}.db") for i in (1, 2)]
        try:
            yield redis_server.url
        finally:
            for worker in workers:
                worker.stop()


def trade(home: Any, url: str, minutes: str = "0.04") -> dict[str, Any]:
    return home.json(*trade_args(url, minutes))


def trade_args(url: str, minutes: str) -> list[str]:
    return ["trade", "--live", "--yes", "--duration", minutes, "--json", "--bus", url]


def failed_on_the_bus(result: Any) -> None:
    """``trade --bus`` lost its Redis (the games' streams are on it): one line, exit status 1."""
    assert result.exit_code == 1, result.output
    assert "bus" in str(result.exception) and "\n" not in str(result.exception)


def test_a_second_executor_waits_and_only_the_holder_trades(
    bus: str, home: Any, kalshi: Any, poly: Any
) -> None:
    other = TradingLease(bus, ACCOUNT, ttl=30, owner="the-other-executor")
    token = other.acquire()
    run = Background(lambda: trade(home, bus, "0.06"))
    run.thread.join(1.5)  # it waits for the lease: nothing may happen meanwhile
    assert run.thread.is_alive()
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []  # no order while it waits
    other.release()
    report = run.join()
    check_hedged(report, kalshi, poly)
    assert report["opportunities"]["taken"] == 1
    assert report["bus"]["token"] > token and report["bus"]["lease_lost"] is None
    assert redis.Redis.from_url(bus).get(other.key) is None  # given back at the end


@pytest.mark.parametrize("cause", ["partition", "redis restart"])
def test_a_lease_lost_with_a_leg_in_flight_fences_the_trader_off(
    bus: str,
    redis_server: Any,
    home: Any,
    kalshi: Any,
    poly: Any,
    monkeypatch: pytest.MonkeyPatch,
    cause: str,
) -> None:
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "1")
    poly.inject(Fault(hold=3.0, path="/order"))  # leg 1 (Polymarket) acted on, answer held
    run = Background(lambda: home.run(*trade_args(bus, "0.1")))
    wait_for(lambda: bool(poly.orders), "leg 1 reached Polymarket")
    standby = TradingLease(bus, ACCOUNT, ttl=30, owner="standby")
    if cause == "partition":  # the lease expires in Redis and a standby executor takes it
        redis.Redis.from_url(bus).delete(f"arbkit:lease:{ACCOUNT}")
        standby.acquire(wait=5)
        said = "standby"
    else:  # Redis restarts without persistence: the lease is gone with its data, and so are
        redis_server.restart()  # the games' streams: the run fails (docs/scaling.md)
        said = ""
    result = run.join()
    if said:
        report = json.loads(result.stdout)
        assert report["bus"]["lease_lost"] and said in report["bus"]["lease_lost"]
        assert report["risk"] == "halted"
    else:
        failed_on_the_bus(result)
    assert kalshi_creates(kalshi) == []  # leg 2 was never sent by the fenced-off trader
    assert len(pm_posts(poly)) == 1
    # the journal knows leg 1 only as sent: its answer arrived after the loss, unwritten
    assert home.sql("select state from trades") == [("leg1_sent",)]
    assert home.sql("select status from orders") == [("pending",)]

    standby.release()  # the standby (if any) stops; the next holder finishes the trade
    report = trade(home, bus)
    check_hedged(report, kalshi, poly)
    assert report["opportunities"]["taken"] == 0  # resumed, not entered again
    assert len(kalshi.orders) == 1 and duplicates(kalshi) == {}
    assert len(pm_posts(poly)) == len(poly.orders) == 1
    assert home.sql("select trade_id, state from trades") == [("live/00001", "hedged")]


def test_a_persisted_redis_restart_mid_trade_changes_nothing(
    tmp_path: Any, home: Any, kalshi: Any, poly: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an append-only file (the deployment docs/scaling.md asks for) the lease survives a
    Redis restart: the trade in flight goes on to both legs, each order sent once. The run then
    stops with one line (``--bus`` treats a lost connection as fatal: the games' streams are
    there); the next run resumes the hedged position and enters nothing again."""
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "3")
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        with ServerThread(server.url, make_plugin_manager(), home.db):
            workers = [WorkerProcess(server.url, f"w{i}", home.root / f"w{i}.db") for i in (1, 2)]
            try:
                poly.inject(Fault(hold=3.0, path="/order"))
                run = Background(lambda: home.run(*trade_args(server.url, "0.1")))
                wait_for(lambda: bool(poly.orders), "leg 1 reached Polymarket")
                time.sleep(1.2)  # the append-only file is written once a second
                server.restart()
                failed_on_the_bus(run.join())
                assert home.sql("select trade_id, state from trades") == [("live/00001", "hedged")]
                report = trade(home, server.url)
            finally:
                for worker in workers:
                    worker.stop()
    finally:
        server.stop()
    assert report["bus"]["lease_lost"] is None
    assert report["opportunities"]["taken"] == 0  # resumed, not entered again
    check_hedged(report, kalshi, poly)
    assert len(kalshi.orders) == 1 and duplicates(kalshi) == {}
    assert len(pm_posts(poly)) == len(poly.orders) == 1
    assert home.sql("select trade_id, state from trades") == [("live/00001", "hedged")]
