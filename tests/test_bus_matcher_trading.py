"""A paper trader on the shared matcher (``trade --bus``'s wiring) while the service goes away:
entries stop, the position already held keeps its books, marks and exits, nothing is matched
locally, and entries come back with the service. Then the lease changes hands: the gate halts
and the status line says so."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_helpers import redis_server as real_redis
from test_bus_matcher import ServerThread

from arbkit.bus.lease import LeaseLost
from arbkit.bus.trading import MATCHER_DOWN, BusTrading
from arbkit.cli.tradeview import StatusLine
from arbkit.cli.trading_run import TradingPipeline
from arbkit.engine import EngineSettings
from arbkit.matching.service import MatchingService
from arbkit.plugins import make_plugin_manager
from arbkit.registry import get_exits
from arbkit.store import open_store
from arbkit.trading.exits import ExitManager, build_exit_rules
from arbkit.trading.model import Mode, PositionStatus, Reject, RiskState
from arbkit.trading.setup import TradeSettings

redis_server = real_redis  # the fixture: a fresh redis-server on 127.0.0.1 per test


def test_service_down_stops_entries_and_keeps_managing_positions(
    redis_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pm = make_plugin_manager()
    db = tmp_path / "arbkit.db"
    store = open_store(db)
    service = ServerThread(redis_server.url, pm, db)
    clock = [0.0]

    async def scenario() -> None:
        pipeline = TradingPipeline.open(
            pm,
            store,
            EngineSettings(sample=True, settlements=True),
            command="trade",
            book_id="paper:sample#1",
            options={},
        )
        engine = pipeline.engine
        bus = BusTrading(
            redis_server.url,
            account="test",
            lease_ttl=0.6,
            matcher_timeout=0.5,
            matcher_reset=5,
        )
        bus.acquire()
        remote = bus.use_remote_matcher(engine)
        remote.breaker.clock = lambda: clock[0]
        engine.attach(bus)
        trader = pipeline.arm(pm, TradeSettings(mode=Mode.PAPER, latency=timedelta(0)))
        bus.guard(trader)
        # play the evening until the trader holds a position
        await engine.start()
        async for _change in engine.watch():
            if trader.positions.open_positions():
                break
        held = trader.positions.open_positions()
        watched = set(engine.shards)
        assert held and {p.game_id for p in held} <= watched

        service.__exit__()  # the matching service goes away (a second exit does nothing)
        monkeypatch.setattr(MatchingService, "match", _no_local_matching)
        assert await engine.scanner.refresh() == []
        assert remote.breaker.is_open
        assert trader.gate.state is RiskState.REDUCING
        assert MATCHER_DOWN.upper() in bus.status()
        line = StatusLine(trader, source="sample", enabled=False, bus=bus.status).render()
        assert MATCHER_DOWN.upper() in line.plain and "lease #" in line.plain
        # the games watched stay watched: the held position's books are still there
        assert set(engine.shards) == watched
        assert all(trader.book(c) is not None for p in held for c in p.legs)
        # no new entry: any open opportunity in a game not held is refused
        now = engine.now()
        fresh = [o for o in engine.opportunities() if o.game_id not in {p.game_id for p in held}]
        assert fresh  # the sample has other games' opportunities open at this moment
        for opportunity in fresh:
            decision, plan = trader.gate.evaluate(
                opportunity, engine.shards[opportunity.game_id].state, now, trade_id="t"
            )
            assert plan is None and decision.reason is Reject.REDUCING
        # ...but the position is still marked and exited: a rule that wants out sells it
        trader.exits = ExitManager(
            build_exit_rules(
                get_exits(pm),
                {
                    "min_hold": {"enabled": False},
                    "stop_loss": {"dollars": "0"},
                    "take_profit": {"dollars": "0"},
                },
            )
        )
        trader.tick(now)
        assert all(trader.positions.get(p.game_id).status is PositionStatus.CLOSED for p in held)

        # the service is back: after the breaker's pause one call tries, and entries resume
        again = ServerThread(redis_server.url, pm, db)
        again.__enter__()
        try:
            monkeypatch.undo()
            clock[0] = 6.0
            await engine.scanner.refresh()
            assert not remote.breaker.is_open
            assert trader.gate.state is RiskState.ACTIVE
            assert set(engine.shards) == watched

            # the lease changes hands behind the trader's back: the gate halts on the loss
            redis.Redis.from_url(redis_server.url).set(bus.lease.key, "thief#99")
            for _ in range(300):  # wait on state: the renewal thread reports, the loop acts
                if trader.gate.state is RiskState.HALTED:
                    break
                await asyncio.sleep(0.01)
            assert trader.gate.state is RiskState.HALTED
            assert (
                "LEASE LOST"
                in StatusLine(trader, source="sample", enabled=False, bus=bus.status).render().plain
            )
            with pytest.raises(LeaseLost):  # and the journal takes no write
                trader.journal.plan(_a_plan(trader), engine.now())
        finally:
            again.__exit__()
            bus.close()
            await engine.close(engine.end or _end())

    with service:
        asyncio.run(scenario())


def _a_plan(trader: Any) -> Any:
    """Any stored plan of this run (what a next write would be about)."""
    ((plan, _state), *_) = trader.journal.trades()
    return plan


def _no_local_matching(self: Any, markets: Any) -> Any:
    raise AssertionError("a local matcher was asked while the service was down")


def _end() -> Any:
    from arbkit.engine import RunEnd, RunStatus

    return RunEnd(RunStatus.INTERRUPTED, "test")
