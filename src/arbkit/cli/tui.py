"""``arbkit tui``: the live dashboard over the engine and a (paper, by default) trader.

The options are the ones ``arbkit trade`` takes (the shared source and trade options), so the
dashboard trades exactly as the trade command would; this module only turns them into settings,
asks before live trading, and prints the run's result once the app is closed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from arbkit.cli.options import bus_option, live_options, source_options, speed_option
from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState
from arbkit.cli.trade_options import limits_from, trade_options
from arbkit.errors import ConfigError


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from arbkit.clock import parse_timestamp

    try:
        return parse_timestamp(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 2026-11-24T23:30:00Z") from None


def register(cli: click.Group) -> None:
    @cli.command(name="tui")
    @source_options("Watch and paper-trade")
    @live_options
    @trade_options
    @speed_option(10.0)
    @click.option(
        "--pause-at",
        callback=_moment,
        metavar="TIME",
        help="Replay: pause when the recording's clock reaches TIME (p goes on).",
    )
    @click.option("--json", "json_", is_flag=True, help="After the app closes: the trade report.")
    @bus_option
    @click.pass_obj
    def tui_command(state: AppState, **opts: Any) -> None:
        """The live dashboard: opportunities, matches, positions and P&L, orders, log.

        Paper trading by default, on the sample, a recording or the live venues' feeds.
        Keys: 1-5 screens, h halt (kill switch), r resume, p pause a replay, c/x confirm or
        reject a match, s sort, ctrl+p every action, q quit.

        \b
        Examples:
          arbkit tui --sample
          arbkit tui --sample --speed 50
          arbkit tui --replay DIR --pause-at 2026-11-24T23:30:00Z
          arbkit tui --league nba                 (paper, on live data)
          arbkit tui --live --league nba          (real money: asks first)
          arbkit tui --sample --bus redis://127.0.0.1:6379/0
                  (as trade --bus: the account's lease, games on `arbkit worker`s,
                   `arbkit serve matcher`; the header shows the lease and the matcher)
        """
        from arbkit.cli.trading_run import engine_settings, trade_settings
        from arbkit.trading.model import Mode
        from arbkit.tui import TuiSettings, make_app

        live = bool(opts["live"])
        if live and (opts["sample"] or opts["replay_dir"]):
            raise click.UsageError("--live trades on the live venues: not with --sample/--replay")
        if opts["sample"] and opts["replay_dir"]:
            raise click.UsageError("use either --sample or --replay DIR, not both")
        if opts["bus"]:
            _reachable(opts["bus"], state.config.section("bus"))  # one line, not a failed app
        if not sys.stdout.isatty():
            raise ConfigError("arbkit tui needs a terminal (for scripts: arbkit trade --json)")
        if live and not opts["yes"]:
            if not sys.stdin.isatty():
                raise ConfigError("live trading needs --yes, or a terminal to confirm at")
            if not click.confirm("LIVE: trade real money from the dashboard?", err=True):
                raise click.Abort()
        mode = Mode.LIVE if live else Mode.PAPER
        settings = TuiSettings(
            engine=engine_settings(opts, speed=opts["speed"]),  # what arbkit trade runs
            trade=trade_settings(
                opts,
                mode=mode,
                limits=limits_from(opts, state.config),
                exits=state.config.section("exits"),
            ),
            db_path=state.db_path,
            pause_at=opts["pause_at"],
            bus=opts["bus"],
            bus_config=state.config.section("bus"),
        )
        app = make_app(state.plugin_manager, settings, venue_factory=state.venue)
        app.run()
        runner = app.runner
        if runner.error:
            raise ConfigError(runner.error)
        report = runner.report
        if report is None:
            return
        if opts["json_"]:
            echo_json(report)
            return
        pnl = report["pnl"]
        click.echo(
            f"{report['mode'].upper()}: {len(report['positions'])} positions, P&L realized "
            f"{pnl['realized']}, unrealized {pnl['unrealized']}, fees {pnl['fees']} "
            f"(as of {report['as_of']}; arbkit positions shows them)"
        )


def _reachable(url: str, config: Mapping[str, Any]) -> None:
    """The bus settings are valid and the bus answers, before the app starts."""
    from arbkit.bus.attachment import BusAttachment

    BusAttachment.check(url, config)
