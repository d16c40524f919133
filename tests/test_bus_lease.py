"""The trading lease over a real redis-server: one holder per account, fencing tokens that
grow, renewals from a thread, and a journal that refuses an order written without the lease
(expired during a partition or a pause, taken over, or lost with a restarted Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_helpers import RedisServer
from redis_helpers import redis_server as real_redis

from arbkit.bus.lease import LeaseHeld, LeaseLost, TradingLease
from arbkit.models import OrderRequest, Side, TimeInForce
from arbkit.store import open_store
from arbkit.trading.journal import TradeJournal
from arbkit.trading.model import LegPlan, Mode, PlanKind, TradePlan

redis_server = real_redis  # the fixture: a fresh redis-server on 127.0.0.1 per test

NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def plan(trade_id: str) -> TradePlan:
    leg = LegPlan(
        venue="kalshi",
        market_id="KX-MIN",
        contract_id="KX-MIN:yes",
        outcome="MIN",
        side=Side.BUY,
        size=Decimal(10),
        limit_price=Decimal("0.48"),
        expected_price=Decimal("0.48"),
    )
    return TradePlan(
        trade_id=trade_id,
        kind=PlanKind.ENTRY,
        mode=Mode.LIVE,
        game_id="NBA:2026-11-24:DEN@MIN",
        league="NBA",
        strategy="cross_venue",
        opportunity_key="k",
        legs=(leg, leg),
        size=Decimal(10),
        decided_at=NOW,
    )


def order(trade_id: str) -> OrderRequest:
    return OrderRequest(
        venue="kalshi",
        contract_id="KX-MIN:yes",
        side=Side.BUY,
        price="0.48",
        size="10",
        client_order_id=f"{trade_id}-0-1",
        time_in_force=TimeInForce.FOK,
    )


def journal(path: Path, run_id: str, lease: TradingLease) -> TradeJournal:
    return TradeJournal(open_store(path), run_id=run_id, mode=Mode.LIVE, fence=lease.check)


def orders_by_run(path: Path) -> list[str]:
    rows = open_store(path).db.execute("SELECT run_id FROM orders ORDER BY rowid").fetchall()
    return [row[0] for row in rows]


def test_one_holder_at_a_time_and_tokens_grow(redis_server: Any) -> None:
    first = TradingLease(redis_server.url, "live", ttl=5, owner="first")
    second = TradingLease(redis_server.url, "live", ttl=5, owner="second")
    other_account = TradingLease(redis_server.url, "other", ttl=5, owner="second")
    token = first.acquire()
    assert first.held and first.holder() == f"first#{token}"
    assert not second.try_acquire()
    with pytest.raises(LeaseHeld, match=f"held by first#{token}"):
        second.acquire(wait=0.2, poll=0.05)
    assert other_account.try_acquire()  # a lease per account
    first.release()
    assert second.acquire(wait=1) > token
    with pytest.raises(LeaseLost):
        first.check()  # released: not ours


def test_a_lease_not_renewed_expires_and_its_journal_refuses(
    redis_server: Any, tmp_path: Path
) -> None:
    db = tmp_path / "arbkit.db"
    old = TradingLease(redis_server.url, "live", ttl=0.6, owner="old")
    old.acquire()
    old_journal = journal(db, "old", old)
    old_journal.plan(plan("live/00001"), NOW)
    old_journal.order_intent(plan("live/00001"), 0, order("live/00001"), NOW)
    time.sleep(0.55)  # no renewal: a partition, or a paused process
    assert not old.held  # by its own deadline, before Redis lets the key go
    new = TradingLease(redis_server.url, "live", ttl=5, owner="new")
    new.acquire(wait=2, poll=0.05)  # once Redis expired the key
    with pytest.raises(LeaseLost, match="not renewed"):
        old_journal.order_intent(plan("live/00001"), 1, order("live/00001-b"), NOW)
    with pytest.raises(LeaseLost):
        old_journal.transition("live/00001", plan_state(), NOW)
    journal(db, "new", new).order_intent(plan("live/00001"), 1, order("live/00001-b"), NOW)
    assert orders_by_run(db) == ["old", "new"]
    assert new.token is not None and old.token is not None and new.token > old.token


def plan_state() -> Any:
    from arbkit.trading.model import TradeState

    return TradeState.LEG1_SENT


def test_a_stale_token_is_refused_before_its_deadline(redis_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    holder = TradingLease(redis_server.url, "live", ttl=30, owner="holder")
    holder.acquire()
    writes = journal(db, "holder", holder)
    writes.plan(plan("live/00001"), NOW)
    # Redis restarted without persistence: the key is gone, and someone else takes it
    redis_server.restart()
    thief = TradingLease(redis_server.url, "live", ttl=30, owner="thief")
    thief.acquire(wait=1)
    assert holder.held  # its own deadline has not passed...
    with pytest.raises(LeaseLost, match=r"stale \(held by thief#"):
        writes.order_intent(plan("live/00001"), 0, order("live/00001"), NOW)  # ...the fence knows
    assert orders_by_run(db) == []
    assert "LEASE LOST" in holder.describe()


def test_renewals_keep_it_and_a_takeover_is_heard(redis_server: Any) -> None:
    holder = TradingLease(redis_server.url, "live", ttl=0.6, owner="holder")
    holder.acquire()
    heard: list[str] = []
    holder.keep(heard.append)
    time.sleep(1.5)  # more than twice the lease: renewed all along
    assert holder.held and heard == []
    holder.check()
    assert not TradingLease(redis_server.url, "live", ttl=1, owner="other").try_acquire()
    client = redis.Redis.from_url(redis_server.url)
    client.set(holder.key, "intruder#999")  # the key changed hands behind its back
    deadline = time.monotonic() + 3
    while not heard and time.monotonic() < deadline:
        time.sleep(0.05)
    assert heard and "taken over" in heard[0]
    assert holder.lost is not None and not holder.held
    holder.stop()


def test_a_persisted_redis_restart_keeps_the_lease(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=True)
    server.start()
    try:
        holder = TradingLease(server.url, "live", ttl=3, owner="holder")
        token = holder.acquire()
        holder.keep(lambda why: None)
        time.sleep(1.2)  # the append-only file is written every second
        server.restart()
        time.sleep(1.5)  # a renewal or two after the restart
        holder.check()
        assert holder.held and holder.token == token and holder.lost is None
        holder.stop()
    finally:
        server.stop()


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_bus_lease import journal, order, plan, NOW
    from arbkit.bus.lease import LeaseLost, TradingLease

    url, owner, db, count = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    lease = TradingLease(url, "live", ttl=1.0, owner=owner)
    lease.acquire(poll=0.05)
    lease.keep(lambda why: None)
    print("acquired", lease.token, flush=True)
    writes = journal(db, owner, lease)
    for i in range(count):
        trade = f"{{owner}}/{{i:05d}}"
        try:
            writes.plan(plan(trade), NOW)
            writes.order_intent(plan(trade), 0, order(trade), NOW)
        except LeaseLost as exc:
            print("refused", exc, flush=True)
            sys.exit(3)
        print("wrote", i, flush=True)
        time.sleep(0.1)
    lease.release()
    print("released", flush=True)
    """
)


def child(url: str, owner: str, db: Path, count: int) -> subprocess.Popen[str]:
    code = CHILD.format(tests=str(Path(__file__).parent))
    return subprocess.Popen(
        [sys.executable, "-c", code, url, owner, str(db), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ARBKIT_LOG": "error"},
    )


def wait_for(process: subprocess.Popen[str], word: str, timeout: float = 20) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(word):
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(
        f"no {word!r} line; stderr: {process.stderr.read() if process.stderr else ''}"
    )


def test_two_processes_contend_and_only_the_holder_writes(
    redis_server: Any, tmp_path: Path
) -> None:
    db = tmp_path / "arbkit.db"
    open_store(db)
    one = child(redis_server.url, "one", db, 8)
    wait_for(one, "acquired")
    two = child(redis_server.url, "two", db, 8)
    assert one.wait(30) == 0 and two.wait(30) == 0
    runs = orders_by_run(db)
    assert runs == ["one"] * 8 + ["two"] * 8  # never interleaved: one writer at a time


def test_a_paused_holder_is_fenced_off_after_its_lease_moved_on(
    redis_server: Any, tmp_path: Path
) -> None:
    db = tmp_path / "arbkit.db"
    open_store(db)
    paused = child(redis_server.url, "paused", db, 1000)
    wait_for(paused, "acquired")
    standby = child(redis_server.url, "standby", db, 3)
    wait_for(paused, "wrote")
    paused.send_signal(signal.SIGSTOP)  # right after a write, in its sleep
    try:
        wait_for(standby, "acquired")  # the lease expired in Redis: the standby has it
        assert standby.wait(30) == 0
    finally:
        paused.send_signal(signal.SIGCONT)
    assert "lease lost" in wait_for(paused, "refused")
    assert paused.wait(30) == 3
    runs = orders_by_run(db)
    first_standby = runs.index("standby")
    assert runs[first_standby:] == ["standby"] * 3  # nothing from the paused one after it


def test_trade_bus_refusals_are_one_line(invoke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from arbkit.errors import ConfigError

    result = invoke(["trade", "--sample", "--bus", "redis://127.0.0.1:1/0"])
    assert isinstance(result.exception, ConfigError)  # main() prints it as one line
    assert "--bus redis://127.0.0.1:1/0: Redis does not answer" in str(result.exception)
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "soon")
    result = invoke(["trade", "--sample", "--bus", "redis://127.0.0.1:1/0"])
    assert isinstance(result.exception, ConfigError)
    assert (
        str(result.exception)
        == "ARBKIT_LEASE_SECONDS='soon': expected a positive number of seconds"
    )
    result = invoke(["trade", "--sample", "--bus", "http://127.0.0.1:1"])
    assert result.exit_code == 2 and "not a redis:// URL" in result.output
