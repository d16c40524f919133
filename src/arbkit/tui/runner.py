"""The engine behind the dashboard, in a textual thread worker: the UI never waits for it.

The runner builds exactly what ``arbkit trade`` builds, through the same pieces: the engine,
the store and hook sinks and the trader of :class:`~arbkit.cli.trading_run.TradingPipeline`
(paper unless asked for live), the kill switch beside the database, and with ``--bus`` the
lease, workers and shared matcher of :class:`~arbkit.bus.attachment.BusAttachment`, in the same
order — and attaches a :class:`~arbkit.tui.sink.DashboardSink` where the trade command attaches
its status line. Everything runs on the engine thread's own asyncio loop (the store's SQLite
connection belongs to that thread); the app talks to it only through :meth:`EngineRunner.submit`,
and hears back through immutable snapshots. A paused replay holds that loop between two stream
events, so under ``--bus`` the pause keeps the run alive for the workers and looks at the lease.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import evolve, field, frozen

from arbkit.engine.build import EngineSettings
from arbkit.errors import ArbkitError
from arbkit.trading.model import Mode
from arbkit.trading.setup import TradeSettings
from arbkit.tui.model import Snapshot, starting
from arbkit.tui.sink import DashboardSink, LogCapture

if TYPE_CHECKING:
    from arbkit.bus.attachment import BusAttachment
    from arbkit.cli.trading_run import TradingPipeline
    from arbkit.engine.core import Engine
    from arbkit.store import Store
    from arbkit.trading.trader import Trader
    from arbkit.venue import Venue

log = logging.getLogger(__name__)

#: seconds of wall time a new or changed row stays highlighted at the recorded pace
HIGHLIGHT_SECONDS = 3.0


@frozen(kw_only=True)
class TuiSettings:
    """What one dashboard runs: the engine's and the trader's settings, where to store."""

    engine: EngineSettings = field(factory=EngineSettings)
    trade: TradeSettings = field(factory=TradeSettings)
    db_path: Path | None = None
    #: replay: pause when the recording's clock reaches this moment (screenshots, reviews)
    pause_at: datetime | None = None
    refresh: float = 0.15  #: seconds between two snapshots at most (coalesced table updates)
    #: engine-clock seconds a new or changed row stays highlighted (None: scaled with the speed)
    highlight_seconds: float | None = None
    #: ``--bus redis://…``: trade as ``arbkit trade --bus`` does (lease, workers, shared matcher)
    bus: str | None = None
    #: the config's ``[bus]`` table (``ARBKIT_*`` variables win over it)
    bus_config: Mapping[str, Any] = field(factory=dict)

    @property
    def highlight(self) -> timedelta:
        """How long, on the engine's clock, a row stays highlighted: by default scaled with
        the replay speed, so that it lasts about the same on screen."""
        if self.highlight_seconds is not None:
            return timedelta(seconds=self.highlight_seconds)
        return timedelta(seconds=HIGHLIGHT_SECONDS * max(self.engine.speed, 1.0))


Command = Callable[["EngineRunner"], Any]


class EngineRunner:
    """Runs the engine on a thread; commands go in through :meth:`submit`, snapshots come out
    through ``publish`` (which must be thread-safe: the app's ``post_message``)."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        settings: TuiSettings,
        *,
        publish: Callable[[Snapshot], None],
        capture: LogCapture,
        venue_factory: Callable[[str], Venue] | None = None,
    ) -> None:
        self.pm = pm
        self.settings = settings
        self.publish = publish
        self.capture = capture
        self.venue_factory = venue_factory
        self.engine: Engine | None = None
        self.trader: Trader | None = None
        self.store: Store | None = None
        self.sink: DashboardSink | None = None
        self.bus: BusAttachment | None = None  #: with --bus: the lease, workers and matcher
        self.report: dict[str, Any] | None = None  #: the trade report, once the run ended
        self.error: str | None = None
        self.paused = False
        self.done = threading.Event()
        self._pause_at = settings.pause_at
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[Any] | None = None
        self._running = False
        self._stopping = False
        self._started = threading.Event()

    # -- the app's side ------------------------------------------------------------------------

    def now(self) -> datetime | None:
        return self.engine.now() if self.engine is not None else None

    def submit(self, command: Command) -> bool:
        """Run ``command(runner)`` on the engine's thread (a coroutine it returns is scheduled
        there too). False: the run is over, nothing will run it."""
        loop = self._loop
        if self.done.is_set() or loop is None or loop.is_closed():
            return False
        self._commands.put(command)
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop closed in between
            return False
        return True

    def toggle_pause(self) -> bool:
        """Pause (at the next stream event) or go on; returns whether it will be paused."""
        if self.paused:
            self.paused = False
            return False
        self.submit(lambda runner: runner._request_pause())
        return True

    def stop(self, timeout: float = 15.0) -> None:
        """End the run (as Ctrl-C would) and wait for the engine thread to close it."""
        self._stopping = True
        self.paused = False
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._cancel)
            except RuntimeError:
                pass
        if self._started.is_set():
            self.done.wait(timeout)

    # -- the engine thread ---------------------------------------------------------------------

    def run(self) -> None:
        """The engine thread's body (the app runs it as a thread worker): its own asyncio
        loop, from building the pipeline to closing the store."""
        self._started.set()
        try:
            asyncio.run(self._run())
        except asyncio.CancelledError:
            pass
        except ArbkitError as exc:
            self.error = str(exc)
        except Exception as exc:  # shown in the app, not a traceback over the screen
            log.exception("the engine failed")
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            if self.error is not None:
                self.capture.add("ERROR", "engine", self.error)
                if self.sink is not None:
                    self.sink.phase, self.sink.note = "failed", self.error
            self._publish_now()
            if self.bus is not None:
                self.bus.close()  # the lease is given back, the matcher client closed
            if self.store is not None:
                self.store.db.conn.close()  # this thread's connection: no other may use it
            self.done.set()

    async def _run(self) -> None:
        """Build the pipeline, play it until its stream ends or it is stopped, report."""
        from arbkit.engine import RunStatus

        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        try:
            pipeline = await self._build()
            engine = pipeline.engine
            publisher = asyncio.create_task(self._publisher())
            timers = asyncio.create_task(self._live_timers()) if engine.session.live else None
            try:
                if not self._stopping:
                    self._running = True
                    await engine.run(watch=True)
            except asyncio.CancelledError:
                if self.bus is not None:
                    self.bus.raise_failure()  # the bus failed: its one line
                if engine.end is None:
                    raise
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()  # stopped on purpose: the run was closed cleanly
            finally:
                self._running = False
                publisher.cancel()
                if timers is not None:
                    timers.cancel()
            report = pipeline.report()
            if self.bus is not None:
                report["bus"] = await self.bus.finish()
            self.report = report
            pipeline.store_sink.check()
            if engine.end is not None and engine.end.status is RunStatus.FAILED:
                raise ArbkitError(engine.end.reason)
        finally:
            if self.bus is not None:
                await self.bus.aclose()

    async def _build(self) -> TradingPipeline:
        """The store, the engine, its hook and store sinks, the trader and the dashboard sink:
        what ``arbkit trade`` builds (:class:`~arbkit.cli.trading_run.TradingPipeline`, and
        with ``--bus`` its :class:`~arbkit.bus.attachment.BusAttachment`), with the dashboard
        where the trade command has its status line."""
        from arbkit.cli.trading_run import TradingPipeline
        from arbkit.registry import get_migrations
        from arbkit.store import open_store
        from arbkit.trading.books import choose_book
        from arbkit.trading.killswitch import KillSwitch

        settings = self.settings
        mode = settings.trade.mode
        store = self.store = open_store(settings.db_path, extra=get_migrations(self.pm))
        source = settings.engine.source
        book = choose_book(store, mode, source)
        if settings.bus is not None:
            from arbkit.bus.attachment import BusAttachment

            self.bus = BusAttachment.from_environment(
                settings.bus, book.book_id, os.environ, settings.bus_config
            )
            self._publish_now()  # the header says whose lease is waited for
            await self.bus.before_journal(self._lease_progress)
        pipeline = TradingPipeline.open(
            self.pm,
            store,
            settings.engine,
            command="tui",
            book_id=book.book_id,
            options={"mode": mode.value},
            venue_factory=self.venue_factory,
            progress=lambda line: self.capture.add("INFO", "engine", line),
        )
        engine = pipeline.engine
        if self.bus is not None:  # the games run on the workers, the fills go to a stream
            await self.bus.attach(
                engine, self.pm, run_id=pipeline.store_sink.run_id, book_id=book.book_id
            )
        trade = settings.trade
        if mode is Mode.LIVE:
            trade = evolve(trade, limits=await self._live_limits(engine, trade))
        kill_switch = KillSwitch(KillSwitch.default_path(store.path))
        trader = pipeline.arm(self.pm, trade, kill_switch=kill_switch)
        if self.bus is not None:
            self.bus.guard(trader)
        for line in book.notes + trader.restore(engine.now()):
            self.capture.add("INFO", "trader", line)
        sink = DashboardSink(
            trader,
            source=source,
            highlight=settings.highlight,
            log=self.capture,
            bus=None if self.bus is None else self.bus.state,
        )
        sink.checkpoint = self._checkpoint
        engine.attach(sink)
        self.engine, self.trader, self.sink = engine, trader, sink
        return pipeline

    def _lease_progress(self, line: str) -> None:
        """Waiting for the lease, and then holding it: in the log, and in the header now."""
        self.capture.add("WARNING" if line.startswith("waiting") else "INFO", "bus", line)
        self._publish_now()

    async def _live_limits(self, engine: Engine, trade: TradeSettings) -> Any:
        """Live: each venue's cash is the bankroll (what ``arbkit trade --live`` reads)."""
        cash = {}
        for venue in engine.session.venues:
            cash[venue.name] = await venue.balance()
            self.capture.add("WARNING", "live", f"LIVE: cash on {venue.name}: ${cash[venue.name]}")
        return evolve(trade.limits, bankroll={**cash, **trade.limits.bankroll})

    async def _live_timers(self, tick: float = 1.0, reconcile_every: float = 60.0) -> None:
        """Live data: a trader pass every second, positions reconciled every minute."""
        since = 0.0
        while True:
            await asyncio.sleep(tick)
            engine, trader = self.engine, self.trader
            if engine is None or trader is None or trader.engine is None:
                continue
            trader.tick(engine.now())
            since += tick
            if since >= reconcile_every:
                since = 0.0
                for line in await trader.reconcile():
                    self.capture.add("ERROR", "live", f"POSITION DRIFT: {line} (entries halted)")

    async def _publisher(self) -> None:
        """At most one snapshot per ``refresh`` seconds, and only when something changed."""
        while True:
            await asyncio.sleep(self.settings.refresh)
            if self.sink is not None and self.sink.dirty:
                self._publish_now()

    def _publish_now(self) -> None:
        if self.sink is not None:
            self.publish(self.sink.snapshot(paused=self.paused))
            return
        bus = None if self.bus is None else self.bus.state()
        if self.error is not None or bus is not None:  # no pipeline yet: say why, or whose lease
            settings = self.settings
            early = starting(settings.trade.mode.value, settings.engine.source)
            phase, note = ("failed", self.error) if self.error is not None else ("starting", "")
            self.publish(
                evolve(early, phase=phase, note=note, bus=bus, log=tuple(self.capture.entries))
            )

    def _drain(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            self._execute(command)

    def _execute(self, command: Command) -> None:
        try:
            result = command(self)
            if inspect.iscoroutine(result):
                asyncio.get_running_loop().create_task(result)
        except ArbkitError as exc:
            self.capture.add("ERROR", "tui", str(exc))
        except Exception as exc:
            log.exception("a dashboard command failed")
            self.capture.add("ERROR", "tui", f"{type(exc).__name__}: {exc}")
        if self.sink is not None:
            self.sink.dirty = True

    def _request_pause(self) -> None:
        self.paused = True

    def _checkpoint(self, at: datetime) -> None:
        """Called by the sink before every stream event: holds the engine while paused, and
        still runs the app's commands (confirm, reject, halt) meanwhile."""
        if self._pause_at is not None and at >= self._pause_at:
            self._pause_at = None
            self.paused = True
        if not self.paused:
            return
        self._publish_now()
        bus = self.bus
        shown = None if bus is None else bus.state()
        while self.paused and not self._stopping:
            if bus is not None:  # the loop is held here: the run kept alive, a lost lease seen
                bus.hold()
                if bus.state() != shown:
                    shown = bus.state()
                    self._publish_now()
            try:
                command = self._commands.get(timeout=0.05)
            except queue.Empty:
                continue
            self._execute(command)
            self._publish_now()
        if bus is not None:
            bus.resumed()
        if self.sink is not None:
            self.sink.dirty = True

    def _cancel(self) -> None:
        from arbkit.engine import RunStatus

        if self._running and self.engine is not None:
            self.engine.stop(RunStatus.INTERRUPTED)
        elif self._main is not None:
            self._main.cancel()


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll ``predicate`` for up to ``timeout`` seconds (tests and the CLI's shutdown)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
