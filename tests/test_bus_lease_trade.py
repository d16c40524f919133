"""``arbkit trade --live --bus`` against the fake venues, a real redis-server and the matching
service: a second executor waits for the account's lease and only the holder trades; a lease
lost with a leg in flight fences the trader off (no second leg, no more journal writes, entries
halted), and the next holder finishes the trade with no duplicate order and no lone leg."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
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
    """The bus URL, with the matching service answering on it from the home's database."""
    monkeypatch.delenv("ARBKIT_ACCOUNT", raising=False)
    with ServerThread(redis_server.url, make_plugin_manager(), home.db):
        yield redis_server.url


def trade(home: Any, url: str, minutes: str = "0.04") -> dict[str, Any]:
    return home.json("trade", "--live", "--yes", "--duration", minutes, "--json", "--bus", url)


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
    run = Background(lambda: trade(home, bus, "0.1"))
    wait_for(lambda: bool(poly.orders), "leg 1 reached Polymarket")
    standby = TradingLease(bus, ACCOUNT, ttl=30, owner="standby")
    if cause == "partition":  # the lease expires in Redis and a standby executor takes it
        redis.Redis.from_url(bus).delete(f"arbkit:lease:{ACCOUNT}")
        standby.acquire(wait=5)
        said = "standby"
    else:  # Redis restarts without persistence: the lease is gone with its data
        redis_server.restart()
        said = "nobody holds it"
    report = run.join()
    assert report["bus"]["lease_lost"] and said in report["bus"]["lease_lost"]
    assert report["risk"] == "halted"
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
    Redis restart: the trade goes on to both legs, each order sent once."""
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "3")
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        with ServerThread(server.url, make_plugin_manager(), home.db):
            poly.inject(Fault(hold=3.0, path="/order"))
            run = Background(lambda: trade(home, server.url, "0.1"))
            wait_for(lambda: bool(poly.orders), "leg 1 reached Polymarket")
            time.sleep(1.2)  # the append-only file is written once a second
            server.restart()
            report = run.join()
    finally:
        server.stop()
    assert report["bus"]["lease_lost"] is None
    check_hedged(report, kalshi, poly)
    assert len(kalshi.orders) == 1 and duplicates(kalshi) == {}
    assert len(pm_posts(poly)) == len(poly.orders) == 1
    assert home.sql("select trade_id, state from trades") == [("live/00001", "hedged")]
