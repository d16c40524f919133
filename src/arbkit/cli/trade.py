"""``arbkit trade``: opportunities → risk gate → executor → positions → exits → settlement.

Paper trading is the default and needs nothing but data (``--sample``, ``--replay DIR`` or the
live venues' public feeds). Live trading needs ``--live``, credentials and a confirmation, and
says what it will risk before it starts. The pipeline is the engine's and the trader's
(:mod:`arbkit.trading`); this module turns options into settings and prints.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

import click

from arbkit.cli.options import FiniteFloat, bus_option, live_options, source_options, speed_option
from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState
from arbkit.cli.trade_options import limits_from, trade_options
from arbkit.errors import ConfigError
from arbkit.trading.model import Mode, RiskLimits

if TYPE_CHECKING:
    from arbkit.trading.killswitch import KillSwitch


def register(cli: click.Group) -> None:
    @cli.command(name="trade")
    @source_options("Paper-trade")
    @live_options
    @trade_options
    @speed_option()
    @click.option(
        "--duration",
        type=FiniteFloat(low=0),
        help="Stop after this many minutes, e.g. 120 for a two-hour paper session (0: no limit).",
    )
    @click.option("--no-status", is_flag=True, help="No live status line on stderr.")
    @click.option("--json", "json_", is_flag=True, help="End with one JSON object on stdout.")
    @bus_option
    @click.pass_obj
    def trade_command(state: AppState, **opts: Any) -> None:
        """Paper-trade (default) or live-trade the opportunities the engine finds.

        \b
        Examples:
          arbkit trade --sample
          arbkit trade --sample --json
          arbkit trade --replay DIR --latency 0.5 --min-edge 0.02
          arbkit trade --live --league nba          (real money: asks first)
          arbkit trade --live --yes --bus redis://127.0.0.1:6379/0
                  (one trader per account: a second one waits for the lease)
        """
        run = TradeRun(state, opts)
        try:
            asyncio.run(run.main())
        except asyncio.CancelledError:
            if run.stopped_by is None:
                raise
        finally:
            if run.bus is not None:
                run.bus.close()  # the lease is given back, the matcher client closed
        if run.stopped_by is not None:
            said = "Interrupted." if run.stopped_by == signal.SIGINT else "Terminated."
            click.echo(said, err=True)
            sys.exit(128 + run.stopped_by)


async def live_timers(
    engine: Any, trader: Any, *, tick: float = 1.0, reconcile_every: float = 60.0
) -> None:
    """On live data: a pass every second however quiet the feeds are, and (live trading)
    the venues' positions compared with the book every minute."""
    since_reconcile = 0.0
    while True:
        await asyncio.sleep(tick)
        if trader.engine is None:
            continue
        trader.tick(engine.now())
        since_reconcile += tick
        if since_reconcile >= reconcile_every:
            since_reconcile = 0.0
            for line in await trader.reconcile():
                click.echo(f"POSITION DRIFT: {line} (entries there are halted)", err=True)


class TradeRun:
    """One invocation of ``arbkit trade``."""

    def __init__(self, state: AppState, opts: dict[str, Any]) -> None:
        self.state = state
        self.opts = opts
        self.json = bool(opts["json_"])
        self.mode = Mode.LIVE if opts["live"] else Mode.PAPER
        self.stopped_by: signal.Signals | None = None
        self.time_up = False  #: --duration ran out
        self.bus: Any = None  #: with --bus: arbkit.bus.attachment.BusAttachment

    def _time_up(self, engine: Any) -> None:
        from arbkit.engine import RunStatus

        self.time_up = True
        engine.stop(RunStatus.COMPLETED)

    def progress(self, message: str) -> None:
        if not (self.state.quiet or (self.json and not sys.stderr.isatty())):
            click.echo(f"… {message}", err=True)

    async def main(self) -> None:
        try:
            await self._trade()
        finally:
            if self.bus is not None:
                await self.bus.aclose()

    async def _trade(self) -> None:
        # The engine, store and trading modules load here, not when the CLI starts.
        from arbkit.cli.tradeview import StatusLine, print_report
        from arbkit.cli.trading_run import TradingPipeline, engine_settings, trade_settings
        from arbkit.engine import RunStatus
        from arbkit.trading.books import choose_book
        from arbkit.trading.killswitch import KillSwitch

        opts = self.opts
        if self.mode is Mode.LIVE and (opts["sample"] or opts["replay_dir"]):
            raise click.UsageError("--live trades on the live venues: not with --sample/--replay")
        settings = engine_settings(opts, speed=opts["speed"])
        if opts["bus"]:  # a bad --bus is one line before the database is opened (or created)
            from arbkit.bus.attachment import BusAttachment

            BusAttachment.check(opts["bus"], self.state.config.section("bus"))
        store = self.state.store
        limits = limits_from(opts, self.state.config)
        source = settings.source
        book = choose_book(store, self.mode, source)
        if opts["bus"]:
            from arbkit.bus.attachment import BusAttachment

            self.bus = BusAttachment.from_environment(
                opts["bus"], book.book_id, os.environ, self.state.config.section("bus")
            )
            await self.bus.before_journal(self.progress)  # before anything reads the journal
        pipeline = TradingPipeline.open(
            self.state.plugin_manager,
            store,
            settings,
            command="trade",
            book_id=book.book_id,
            options={"mode": self.mode.value, "latency": opts["latency"]},
            venue_factory=self.state.venue,
            progress=self.progress,
        )
        engine, store_sink = pipeline.engine, pipeline.store_sink
        if self.bus is not None:  # the games run on the workers, the fills go to a stream
            await self.bus.attach(
                engine, self.state.plugin_manager, run_id=store_sink.run_id, book_id=book.book_id
            )
        if self.mode is Mode.LIVE:
            limits = await self._confirm_live(engine, limits)
        kill_switch = KillSwitch(KillSwitch.default_path(store.path))
        trader = pipeline.arm(
            self.state.plugin_manager,
            trade_settings(
                opts, mode=self.mode, limits=limits, exits=self.state.config.section("exits")
            ),
            kill_switch=kill_switch,
        )
        if self.bus is not None:
            self.bus.guard(trader)
        for line in book.notes + trader.restore(engine.now()):
            self.progress(line)
        status = StatusLine(
            trader,
            source=source,
            enabled=self._status_enabled(),
            bus=None if self.bus is None else self.bus.status,
        )
        engine.attach(status)
        self._handle_signals(engine, kill_switch)
        timers = asyncio.create_task(live_timers(engine, trader)) if engine.session.live else None
        if opts["duration"]:
            asyncio.get_running_loop().call_later(opts["duration"] * 60, self._time_up, engine)
        try:
            with status:
                end = await engine.run(watch=True)  # the trader's work in flight drains first
        except asyncio.CancelledError:
            if self.bus is not None:
                self.bus.raise_failure()  # the bus failed: its one line
            if engine.end is None or not (self.stopped_by or self.time_up):
                raise
            end = engine.end  # stopped on purpose: the run was closed cleanly, report it
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        finally:
            if timers is not None:
                timers.cancel()
        report = pipeline.report()
        if self.bus is not None:
            report["bus"] = await self.bus.finish()
        if self.json:
            echo_json(report)
        else:
            print_report(report)
        store_sink.check()
        if end.status is RunStatus.FAILED:
            raise ConfigError(end.reason)

    def _status_enabled(self) -> bool:
        return not (self.opts["no_status"] or self.state.quiet) and sys.stderr.isatty()

    async def _confirm_live(self, engine: Any, limits: RiskLimits) -> RiskLimits:
        """Read each venue's cash, say what is at risk, and ask (unless --yes)."""
        from attrs import evolve

        cash = {}
        for venue in engine.session.venues:
            cash[venue.name] = await venue.balance()
        click.echo("LIVE TRADING — real orders on: " + ", ".join(sorted(cash)), err=True)
        for name, amount in sorted(cash.items()):
            click.echo(f"  cash on {name}: ${amount}", err=True)
        click.echo(
            f"  at most ${limits.max_per_game} a game, ${limits.max_total} in total, "
            f"{limits.max_open_positions} open positions; entries ≤ {limits.max_entry_price}; "
            f"a daily loss of ${limits.daily_loss_limit} halts",
            err=True,
        )
        if not self.opts["yes"]:
            if not sys.stdin.isatty():
                raise ConfigError("live trading needs --yes, or a terminal to confirm at")
            if not click.confirm("Trade real money?", err=True):
                raise click.Abort()
        return evolve(limits, bankroll={**cash, **limits.bankroll})

    def _handle_signals(self, engine: Any, kill_switch: KillSwitch) -> None:
        from arbkit.engine import RunStatus

        statuses = {signal.SIGINT: RunStatus.INTERRUPTED, signal.SIGTERM: RunStatus.TERMINATED}

        def stop(signum: signal.Signals) -> None:
            self.stopped_by = signum
            engine.stop(statuses[signum])

        loop = asyncio.get_running_loop()
        try:
            for signum in statuses:
                loop.add_signal_handler(signum, stop, signum)
            kill_switch.install_signal_handler(loop)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            return
