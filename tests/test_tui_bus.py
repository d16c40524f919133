"""``arbkit tui --bus``: the dashboard trades as ``arbkit trade --bus`` does, and says so.

A real redis-server on 127.0.0.1, one ``arbkit worker`` and ``arbkit serve matcher``
(subprocesses), the sample played behind the app with Pilot: the header's bus line shows the
lease held with its token while the run trades exactly what one process trades; a lease taken
over mid-run shows LOST and the gate HALTED, and nothing is entered after; the matching service
going away shows MATCHING SERVICE UNAVAILABLE and the gate REDUCING while the positions held
are still managed to settlement.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from attrs import frozen
from bus_helpers import MatcherProcess, WorkerProcess, arbkit
from redis_helpers import RedisServer, free_port
from tui_helpers import PAUSE_AT, SIZE, until

from arbkit.bus import streams
from arbkit.bus.fills import FILLS
from arbkit.bus.lease import TradingLease
from arbkit.bus.state import LeaseState
from arbkit.bus.wire import decode
from arbkit.engine.build import EngineSettings
from arbkit.errors import ArbkitError
from arbkit.plugins import make_plugin_manager
from arbkit.tui import ArbkitApp, TuiSettings, make_app
from arbkit.tui.screens.positions import PositionTable
from arbkit.tui.widgets import BusBar, StatusBar

#: after the sample's two entries (23:00:00.25), before S1 appears (23:01:01): what comes next
#: is refused by a halted or reducing gate, if it is
EARLY = datetime(2026, 11, 24, 23, 0, 30, tzinfo=UTC)
BOOK = "paper:sample#1"  #: the first paper book of the sample in a fresh database
ACCOUNT = f"default:{BOOK}"  #: its lease (no ARBKIT_ACCOUNT)


@frozen
class Rig:
    url: str
    root: Path


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """Redis and one worker for the module (the workers serve run after run)."""
    root = tmp_path_factory.mktemp("tui-bus")
    server = RedisServer(root / "redis")
    server.start()
    worker = WorkerProcess(server.url, "w1", root / "w1.db")
    try:
        yield Rig(server.url, root)
    finally:
        worker.stop()
        server.stop()


@frozen
class Bus:
    url: str
    matcher: MatcherProcess  #: ``arbkit serve matcher``, for a test to stop


@pytest.fixture
def bus(rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    """The bus with ``arbkit serve matcher`` answering on it; short lease and matcher timings."""
    for name in ("ARBKIT_BUS", "ARBKIT_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "1")
    monkeypatch.setenv("ARBKIT_MATCHER_TIMEOUT", "1")
    matcher = MatcherProcess(rig.url, tmp_path / "matcher.db")
    try:
        yield Bus(rig.url, matcher)
    finally:
        matcher.stop()
        redis.Redis.from_url(rig.url).delete(f"arbkit:lease:{ACCOUNT}")


def bus_app(url: str, pause_at: datetime, **bus_config: Any) -> ArbkitApp:
    settings = TuiSettings(
        engine=EngineSettings(sample=True, settlements=True, speed=0),
        pause_at=pause_at,
        bus=url,
        bus_config=bus_config,  # the config's [bus] table
    )
    return make_app(make_plugin_manager(), settings)


def header(app: ArbkitApp) -> tuple[str, str]:
    """The header's two widgets as text: the status bar and the bus line."""
    screen = app.screen
    return str(screen.query_one(StatusBar).render()), str(screen.query_one(BusBar).render())


def single_process(tmp_path: Path) -> dict[str, Any]:
    """``arbkit trade --sample --json`` in one process (no bus), on a database of its own."""
    done = subprocess.run(
        arbkit(tmp_path / "single.db", "trade", "--sample", "--json"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def fills_of_run(url: str, run_id: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url)
    try:
        bodies = [decode(fields)[1] for _id, fields in client.xrange(FILLS)]
    finally:
        client.close()
    return [body for body in bodies if body["run"] == run_id]


async def test_the_dashboard_trades_over_the_bus_as_one_process_does(
    bus: Bus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = single_process(tmp_path)
    # the run's alive key lasts 1 s: a pause longer than that must not lose the run (the
    # paused loop cannot beat the heart; the runner keeps it alive while it holds the loop)
    monkeypatch.setattr(streams, "ALIVE_SECONDS", 1)
    app = bus_app(bus.url, PAUSE_AT, account="desk")  # [bus] account = "desk"
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot.phase == "paused", timeout=60)
        snapshot = app.snapshot
        assert snapshot.bus is not None and snapshot.bus.lease is LeaseState.HELD
        token = snapshot.bus.token
        assert token is not None and not snapshot.bus.alarm
        status, line = header(app)
        assert "PAPER" in status and "ACTIVE" in status
        assert f"HELD #{token}" in line and "matcher  ok" in line and f"desk:{BOOK}" in line
        assert snapshot.positions  # it traded: the positions are on their screen
        await pilot.press("3")
        await pilot.pause()
        assert app.screen.query_one(PositionTable).row_count == len(snapshot.positions)
        await pilot.pause(2.5)  # paused longer than the alive key lasts
        await pilot.press("p")
        await until(pilot, app.runner.done.is_set, timeout=60)
    report = app.runner.report
    assert report is not None and app.runner.error is None
    over_bus = report.pop("bus")
    assert report == single  # positions, fills, P&L, rejections: all of it
    assert over_bus["token"] == token and over_bus["lease_lost"] is None
    assert app.runner.bus is not None and app.runner.bus.run is not None
    published = fills_of_run(bus.url, app.runner.bus.run.fills.run_id)  # the store's run id
    fills = [f for p in single["positions"] for leg in p["legs"] for f in leg["fills"]]
    assert len(published) == over_bus["fills_published"] == len(fills) > 0
    assert over_bus["account"] == f"desk:{BOOK}"
    assert redis.Redis.from_url(bus.url).get(f"arbkit:lease:desk:{BOOK}") is None  # given back


async def test_a_lease_waited_for_then_lost_shows_and_halts_entries(bus: Bus) -> None:
    standby = TradingLease(bus.url, ACCOUNT, ttl=30, owner="standby")
    first = standby.acquire()
    app = bus_app(bus.url, EARLY)
    async with app.run_test(size=SIZE) as pilot:
        # another executor holds the account: the dashboard waits, and says for whom
        await until(pilot, lambda: "WAITING" in header(app)[1], timeout=30)
        assert app.snapshot.bus is not None and app.snapshot.bus.alarm
        assert "standby" in header(app)[1]
        assert app.runner.trader is None  # nothing read the journal, nothing traded
        standby.release()
        await until(pilot, lambda: app.snapshot.phase == "paused", timeout=60)
        assert app.snapshot.bus is not None and app.snapshot.bus.lease is LeaseState.HELD
        assert (app.snapshot.bus.token or 0) > first
        taken = app.snapshot.taken
        assert taken == 2  # the sample's two entries at 23:00:00

        # a partition: the lease expires in Redis and the standby takes it, mid-run
        redis.Redis.from_url(bus.url).delete(f"arbkit:lease:{ACCOUNT}")
        standby.acquire(wait=5)
        await until(pilot, lambda: "LOST" in header(app)[1], timeout=10)
        status, line = header(app)
        assert "HALTED" in status and "trading lease lost" in status  # at once, while paused
        assert "standby" in line and "no new entries" in line
        assert app.screen.query_one(BusBar).has_class("-alarm")  # the whole line in red

        await pilot.press("p")
        await until(pilot, app.runner.done.is_set, timeout=60)
        assert "HALTED" in header(app)[0]
    standby.release()
    report = app.runner.report
    assert report is not None
    assert report["opportunities"]["taken"] == taken  # nothing entered after the loss
    assert report["rejections"].get("halted", 0) >= 1  # what came next was refused: halted
    assert report["risk"] == "halted"
    assert "standby" in report["bus"]["lease_lost"]


async def test_quitting_while_waiting_for_the_lease_is_at_once(bus: Bus) -> None:
    """The wait does not hold up the engine's loop: q is heard, nothing was taken or read."""
    standby = TradingLease(bus.url, ACCOUNT, ttl=30, owner="standby")
    standby.acquire()
    try:
        app = bus_app(bus.url, EARLY)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "WAITING" in header(app)[1], timeout=30)
            loop = asyncio.get_running_loop()
            began = loop.time()
            await pilot.press("q")
            await until(pilot, app.runner.done.is_set, timeout=10)
            assert loop.time() - began < 5  # within the wait's one-second slices
        assert app.runner.error is None and app.runner.trader is None
        assert standby.holder() == f"standby#{standby.token}"  # still the standby's
    finally:
        standby.release()


async def test_the_matching_service_down_shows_and_reduces(bus: Bus, tmp_path: Path) -> None:
    single = single_process(tmp_path)
    app = bus_app(bus.url, EARLY)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot.phase == "paused", timeout=60)
        held = {p.game for p in app.snapshot.positions if p.status == "open"}
        assert len(held) == 2
        bus.matcher.stop()  # the matching service goes away
        await pilot.press("2")  # confirm a match: the engine asks the service again
        await pilot.press("c")
        await until(pilot, lambda: "UNAVAILABLE" in header(app)[1], timeout=20)
        status, line = header(app)
        assert "MATCHING SERVICE UNAVAILABLE" in line and "REDUCING" in status
        assert "HELD #" in line  # the lease is fine
        assert app.screen.query_one(BusBar).has_class("-alarm")
        watched = {p.game for p in app.snapshot.positions}
        await pilot.press("p")
        await until(pilot, app.runner.done.is_set, timeout=60)
        assert "REDUCING" in header(app)[0]
    report = app.runner.report
    assert report is not None
    assert report["bus"]["matcher_down"]
    # the positions held were still marked and settled: exactly as in one process
    assert watched == held and {p["status"] for p in report["positions"]} == {"settled"}
    assert report["positions"] == single["positions"] and report["pnl"] == single["pnl"]
    assert report["opportunities"]["taken"] == 2
    assert report["rejections"].get("reducing", 0) >= 1  # S1, S2: refused while reducing


def test_bad_bus_settings_are_one_line(
    invoke: Any, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARBKIT_BUS", raising=False)
    nothing = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    for args, said in [
        (["--bus", "http://127.0.0.1:6379"], "is not a redis:// URL"),
        (["--bus", nothing], "Redis does not answer"),
        (["--bus", "redis://127.0.0.1:notaport/0"], "--bus"),
    ]:
        result = invoke(["tui", "--sample", *args])
        assert result.exit_code != 0 and "Traceback" not in result.output, result.output
        assert said in one_error(result)
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "soon")
    result = invoke(["tui", "--sample", "--bus", rig.url])
    assert result.exit_code == 1 and "ARBKIT_LEASE_SECONDS='soon'" in one_error(result)
    monkeypatch.delenv("ARBKIT_LEASE_SECONDS")
    result = invoke(["tui", "--sample", "--bus", rig.url])  # the bus is fine: on to the terminal
    assert result.exit_code == 1 and "needs a terminal" in one_error(result)
    help_text = invoke(["tui", "--help"]).output
    assert "arbkit tui --sample --bus redis://" in help_text


def one_error(result: Any) -> str:
    """A refused command's one line: click's ``Error:`` line, or the ArbkitError that
    ``arbkit``'s main prints as ``Error: ...`` (CliRunner hands it back as the exception)."""
    if isinstance(result.exception, ArbkitError):
        text = str(result.exception)
        assert "\n" not in text
        return text
    (line,) = [line for line in result.output.splitlines() if line.startswith("Error")]
    return line
