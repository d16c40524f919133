"""``arbkit trade``: opportunities → risk gate → executor → positions → exits → settlement.

Paper trading is the default and needs nothing but data (``--sample``, ``--replay DIR`` or the
live venues' public feeds). Live trading needs ``--live``, credentials and a confirmation, and
says what it will risk before it starts. The pipeline is the engine's and the trader's
(:mod:`arbkit.trading`); this module turns options into settings and prints.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from arbkit.cli.options import (
    FiniteFloat,
    decimal_at_least,
    non_negative_decimal,
    source_options,
)
from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState
from arbkit.errors import ConfigError
from arbkit.trading.model import Mode, RiskLimits

if TYPE_CHECKING:
    from arbkit.trading.killswitch import KillSwitch

_price = decimal_at_least(Decimal(0), inclusive=False, why="a price > 0")
_dollars = decimal_at_least(Decimal(0), inclusive=True, why="dollars ≥ 0")


def register(cli: click.Group) -> None:
    @cli.command(name="trade")
    @source_options("Paper-trade")
    @click.option("--live", is_flag=True, help="Trade real money (needs credentials).")
    @click.option("--yes", is_flag=True, help="Confirm live trading without a prompt.")
    @click.option(
        "--min-edge",
        metavar="DOLLARS",
        callback=non_negative_decimal,
        help="Minimum net edge per contract after fees [0.01].",
    )
    @click.option(
        "--max-entry-price", metavar="PRICE", callback=_price, help="No leg above this [0.85]."
    )
    @click.option(
        "--min-confidence", type=FiniteFloat(0, 1), help="Minimum match confidence [0.9]."
    )
    @click.option(
        "--kelly", metavar="FRACTION", callback=_price, help="Fraction of full Kelly [0.25]."
    )
    @click.option(
        "--bankroll",
        "bankrolls",
        multiple=True,
        metavar="VENUE=DOLLARS",
        help="Paper cash on a venue (repeatable) [1000 each].",
    )
    @click.option(
        "--max-per-game", metavar="DOLLARS", callback=_dollars, help="Dollars at risk per game."
    )
    @click.option(
        "--latency",
        type=FiniteFloat(low=0),
        default=0.25,
        show_default=True,
        help="Paper: seconds from decision to fill (the book at that later moment is used).",
    )
    @click.option(
        "--speed",
        type=FiniteFloat(low=0),
        default=0.0,
        show_default=True,
        help="Replay speed (0: as fast as possible, 1: recorded).",
    )
    @click.option(
        "--duration",
        type=FiniteFloat(low=0),
        help="Stop after this many minutes (e.g. 120 for a two-hour paper session).",
    )
    @click.option("--no-status", is_flag=True, help="No live status line on stderr.")
    @click.option("--json", "json_", is_flag=True, help="End with one JSON object on stdout.")
    @click.pass_obj
    def trade_command(state: AppState, **opts: Any) -> None:
        """Paper-trade (default) or live-trade the opportunities the engine finds.

        \b
        Examples:
          arbkit trade --sample
          arbkit trade --sample --json
          arbkit trade --replay DIR --latency 0.5 --min-edge 0.02
          arbkit trade --live --league nba          (real money: asks first)
        """
        run = TradeRun(state, opts)
        try:
            asyncio.run(run.main())
        except asyncio.CancelledError:
            if run.stopped_by is None:
                raise
        if run.stopped_by is not None:
            said = "Interrupted." if run.stopped_by == signal.SIGINT else "Terminated."
            click.echo(said, err=True)
            sys.exit(128 + run.stopped_by)


def limits_from(opts: dict[str, Any], config: Any) -> RiskLimits:
    """Risk limits: the defaults, then the config's ``[trade]`` section, then the flags."""
    values: dict[str, Any] = {}
    section = config.section("trade") if config is not None else {}
    for key, value in section.items():
        where = f"[trade] {key}"
        if key == "min_confidence":
            number = float(_decimal(where, value))
            if number > 1:
                raise ConfigError(f"{where}: {value!r} must be between 0 and 1")
            values[key] = number
        elif key == "max_open_positions":
            values[key] = int(_decimal(where, value))
        elif key == "start_cutoff_minutes":
            values["start_cutoff"] = timedelta(minutes=float(_decimal(where, value)))
        elif key == "min_persist_seconds":
            values["min_persist"] = timedelta(seconds=float(_decimal(where, value)))
        elif key in _DECIMAL_LIMITS:
            values[key] = _decimal(where, value)
    flags = {
        "min_edge": opts["min_edge"],
        "max_entry_price": opts["max_entry_price"],
        "min_confidence": opts["min_confidence"],
        "kelly_fraction": opts["kelly"],
        "max_per_game": opts["max_per_game"],
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    bankroll = {}
    for item in opts["bankrolls"]:
        venue, sep, amount = item.partition("=")
        if not sep or not venue.strip():
            raise click.BadParameter(f"{item!r} is not VENUE=DOLLARS", param_hint="--bankroll")
        bankroll[venue.strip()] = _decimal("--bankroll", amount)
    if bankroll:
        values["bankroll"] = bankroll
    return RiskLimits(**values)


_DECIMAL_LIMITS = {
    "min_edge",
    "max_entry_price",
    "max_per_game",
    "max_per_venue",
    "max_per_league",
    "max_total",
    "daily_loss_limit",
    "kelly_fraction",
}


def _decimal(where: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not a number")
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if not result.is_finite() or result < 0:
        raise ConfigError(f"{where}: {value!r} must be a finite number ≥ 0")
    return result


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

    def _time_up(self, engine: Any) -> None:
        from arbkit.engine import RunStatus

        self.time_up = True
        engine.stop(RunStatus.COMPLETED)

    def progress(self, message: str) -> None:
        if not (self.state.quiet or (self.json and not sys.stderr.isatty())):
            click.echo(f"… {message}", err=True)

    async def main(self) -> None:
        # The engine, store and trading modules load here, not when the CLI starts.
        from arbkit.cli.tradeview import StatusLine, final_report, print_report
        from arbkit.engine import EngineSettings, HookSink, RunStatus, StoreSink, build_engine
        from arbkit.trading.books import choose_book
        from arbkit.trading.killswitch import KillSwitch
        from arbkit.trading.setup import TradeSettings, build_trader

        opts = self.opts
        if self.mode is Mode.LIVE and (opts["sample"] or opts["replay_dir"]):
            raise click.UsageError("--live trades on the live venues: not with --sample/--replay")
        engine_settings = EngineSettings(
            sample=bool(opts["sample"]),
            replay_dir=opts["replay_dir"],
            venues=tuple(opts["venue_list"].split(",")) if opts["venue_list"] else (),
            leagues=tuple(opts["leagues"]),
            strategies=tuple(opts["strategy_names"]),
            min_edge=Decimal(0),  # the gate applies the minimum edge, and says so when it refuses
            speed=opts["speed"],
            settlements=True,
        )
        pm = self.state.plugin_manager
        store = self.state.store
        limits = limits_from(opts, self.state.config)
        engine = build_engine(
            pm,
            engine_settings,
            venue_factory=self.state.venue,
            overrides=store.db,
            progress=self.progress,
        )
        source = engine_settings.source
        book = choose_book(store, self.mode, source)
        store_sink = StoreSink(
            store,
            command="trade",
            source=source,
            options={"book": book.book_id, "mode": self.mode.value, "latency": opts["latency"]},
        )
        engine.attach(HookSink(pm))
        engine.attach(store_sink)
        if self.mode is Mode.LIVE:
            limits = await self._confirm_live(engine, limits)
        settings = TradeSettings(
            mode=self.mode,
            limits=limits,
            latency=timedelta(seconds=opts["latency"]),
            exits=self.state.config.section("exits"),
        )
        kill_switch = KillSwitch(KillSwitch.default_path(store.path))
        trader = build_trader(
            pm,
            engine,
            store,
            settings,
            run_id=store_sink.run_id,
            book_id=book.book_id,
            kill_switch=kill_switch,
        )
        for line in book.notes + trader.restore(engine.now()):
            self.progress(line)
        status = StatusLine(trader, source=source, enabled=self._status_enabled())
        engine.attach(status)
        self._handle_signals(engine, kill_switch)
        timers = asyncio.create_task(live_timers(engine, trader)) if engine.session.live else None
        if opts["duration"]:
            asyncio.get_running_loop().call_later(opts["duration"] * 60, self._time_up, engine)
        try:
            with status:
                end = await engine.run(watch=True)  # the trader's work in flight drains first
        except asyncio.CancelledError:
            if engine.end is None or not (self.stopped_by or self.time_up):
                raise
            end = engine.end  # stopped on purpose: the run was closed cleanly, report it
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        finally:
            if timers is not None:
                timers.cancel()
        trader.settle_up()
        report = final_report(trader)
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
