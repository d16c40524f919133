"""``arbkit backtest``: would a strategy and its limits have made money on recorded data?

The run is ``arbkit trade``'s paper pipeline (:mod:`arbkit.cli.trading_run`) on the replay
clock, as fast as the data plays, so a backtest and ``arbkit trade --replay`` of the same data
print the same JSON. It trades in a book of its own (:mod:`arbkit.cli.backtest_run`);
``--sweep`` runs one backtest per value in parallel processes and prints a row each.
This module turns options into specs and prints; see docs/backtesting.md.
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState
from arbkit.cli.trade_options import limits_from, trade_options
from arbkit.errors import ConfigError
from arbkit.trading.model import Mode

if TYPE_CHECKING:
    from arbkit.cli.backtest_progress import MessageBar
    from arbkit.cli.backtest_run import BacktestSpec

#: ``--sweep`` names for the shared trading options (dashes or underscores), by option name
SWEEPABLE = {
    "min_edge": "--min-edge",
    "max_entry_price": "--max-entry-price",
    "min_confidence": "--min-confidence",
    "kelly": "--kelly",
    "max_per_game": "--max-per-game",
    "latency": "--latency",
}


def register(cli: click.Group) -> None:
    from arbkit.cli.options import bus_option, source_options

    @cli.command(name="backtest")
    @source_options("Backtest")
    @click.option(
        "--recording",
        is_flag=True,
        help="Backtest what `arbkit record` archived in the database (see --since, --until).",
    )
    @click.option(
        "--since", metavar="TIME", help="--recording: from this time (2026-11-24T23:00Z, or 12h)."
    )
    @click.option("--until", metavar="TIME", help="--recording: up to this time (same forms).")
    @trade_options
    @click.option(
        "--exit",
        "exit_settings",
        multiple=True,
        metavar="RULE.KEY=VALUE",
        help="An exit setting, as in the config's [exits.RULE] (repeatable), e.g. "
        "take_profit.dollars=5 or convergence.enabled=false.",
    )
    @click.option(
        "--sweep",
        metavar="PARAM=A,B,...",
        help="One backtest per value, a row each, in parallel processes. PARAM: min-edge, "
        "max-entry-price, min-confidence, kelly, max-per-game, latency, or RULE.KEY.",
    )
    @click.option(
        "--sweep-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Keep each sweep run's database in this directory (default: thrown away).",
    )
    @click.option("--json", "json_", is_flag=True, help="One JSON object (a list with --sweep).")
    @bus_option
    @click.pass_context
    def backtest_command(ctx: click.Context, **opts: Any) -> None:
        """Backtest the trading pipeline on recorded data: same engine, risk gate, paper
        executor, exits and settlement as `arbkit trade`, on the recording's clock.

        A backtest trades in its own book, backtest:<source>#N, in the database (--db), so
        `arbkit report` can report on it and no paper or live book is touched.

        \b
        Examples:
          arbkit backtest --sample
          arbkit backtest --sample --json
          arbkit backtest --replay DIR --min-edge 0.02 --latency 0.5
          arbkit backtest --sample --exit take_profit.dollars=1
          arbkit backtest --sample --sweep min-edge=0,0.01,0.02,0.03
          arbkit backtest --sample --sweep latency=0,1,5 --json
          arbkit backtest --recording --since 2026-11-24T23:00Z --until 2026-11-25T06:00Z
          arbkit backtest --sample --bus redis://127.0.0.1:6379/0   (games on `arbkit worker`s)
        """
        Backtest(ctx, opts).main()


class Backtest:
    """One invocation of ``arbkit backtest``."""

    def __init__(self, ctx: click.Context, opts: dict[str, Any]) -> None:
        self.ctx = ctx
        self.state: AppState = ctx.obj
        self.opts = opts
        self.json = bool(opts["json_"])

    def main(self) -> None:
        from arbkit.cli.backtest_progress import MessageBar

        opts = self.opts
        sources = [name for name in ("sample", "replay_dir", "recording") if opts[name]]
        if len(sources) != 1:
            raise click.UsageError("give one of --sample, --replay DIR or --recording")
        if not opts["recording"] and (opts["since"] or opts["until"]):
            raise click.UsageError("--since and --until choose a range of --recording")
        if opts["sweep_dir"] is not None and not opts["sweep"]:
            raise click.UsageError("--sweep-dir keeps the databases of a --sweep")
        if opts["sweep"] and opts["bus"]:
            raise click.UsageError(
                "--sweep runs its backtests in processes of this machine; --bus spreads ONE "
                "backtest's games over workers: give one of them"
            )
        sweep = self._sweep() if opts["sweep"] else None
        exits = self._exits(opts["exit_settings"])
        bar = MessageBar(enabled=MessageBar.wanted(quiet=self.state.quiet))
        with tempfile.TemporaryDirectory(prefix="arbkit-backtest-") as scratch:
            source = self._source(Path(scratch))
            if sweep is None:
                with bar:
                    self._single(self._spec(opts, exits, source), bar)
            else:
                name, values, labels = sweep
                pairs = zip(values, labels, strict=True)
                specs = [self._spec_for(name, v, label, exits, source) for v, label in pairs]
                with bar:
                    reports = self._run_sweep(specs, labels, bar)
                self._print_sweep(name, labels, reports)

    # -- what to run ------------------------------------------------------------------------

    def _source(self, scratch: Path) -> str:
        """Label the run; a --recording range is exported into ``scratch`` and played there."""
        opts = self.opts
        if not opts["recording"]:
            return "sample" if opts["sample"] else str(opts["replay_dir"])
        from arbkit.record.export import export_replay, newest_recorded

        # a recording comes from an existing database: a mistyped --db is not created empty
        store = self.state.existing_store(
            hint="a recording is played from an existing database (`arbkit record` fills one)",
        )
        newest = newest_recorded(store) if (opts["since"] or opts["until"]) else None
        since = _moment("--since", opts["since"], newest)
        until = _moment("--until", opts["until"], newest)
        directory = scratch / "recording"
        summary = export_replay(store, directory, since=since, until=until, leagues=opts["leagues"])
        self.say(f"exported {summary.messages} recorded messages to replay them")
        opts["replay_dir"] = directory
        span = f"{opts['since'] or 'start'}..{opts['until'] or 'end'}"
        leagues = ",".join(sorted(league.lower() for league in opts["leagues"]))
        return f"recording:{span}" + (f":{leagues}" if leagues else "")

    def _spec(self, opts: Mapping[str, Any], exits: Mapping[str, Any], source: str) -> BacktestSpec:
        from arbkit.cli.backtest_run import BacktestSpec
        from arbkit.cli.trading_run import engine_settings, trade_settings

        limits = limits_from(opts, self.state.config)
        settings = trade_settings(opts, mode=Mode.PAPER, limits=limits, exits=exits)
        parameters = {key: opts[key] for key in SWEEPABLE if opts[key] is not None}
        if opts["exit_settings"]:
            parameters["exits"] = list(opts["exit_settings"])
        return BacktestSpec(
            engine=engine_settings(opts),
            trade=settings,
            source=source,
            options={"latency": opts["latency"], "parameters": parameters},
            bus=opts["bus"],
        )

    def _spec_for(
        self, name: str, value: Any, label: str, exits: Mapping[str, Any], source: str
    ) -> BacktestSpec:
        """The spec of one sweep value: the option, or one exit setting, replaced."""
        if name in SWEEPABLE:
            return self._spec({**self.opts, name: value}, exits, source)
        rule, key = name.split(".", 1)
        changed = {k: dict(v) if isinstance(v, Mapping) else v for k, v in exits.items()}
        changed.setdefault(rule, {})[key] = value
        self._check_exits(changed)
        flags = (*self.opts["exit_settings"], f"{name}={label}")  # stored with the run
        return self._spec({**self.opts, "exit_settings": flags}, changed, source)

    def _exits(self, settings: Sequence[str]) -> dict[str, Any]:
        """The config's ``[exits]`` tables with each ``--exit RULE.KEY=VALUE`` laid over them."""
        from arbkit.cli.trading_run import plain_exits

        exits = plain_exits(self.state.config.section("exits"))
        for item in settings:
            name, sep, raw = item.partition("=")
            rule, dot, key = name.strip().partition(".")
            if not sep or not dot or not rule or not key.strip():
                raise click.BadParameter(f"{item!r} is not RULE.KEY=VALUE", param_hint="--exit")
            table = exits.setdefault(rule, {})
            if not isinstance(table, dict):
                raise ConfigError(f"[exits.{rule}] must be a table, got {table!r}")
            table[key.strip()] = exit_value(raw)
        self._check_exits(exits)
        return exits

    def _check_exits(self, exits: Mapping[str, Any]) -> None:
        """Build the rules once here: a bad rule or value is one line before anything runs."""
        from arbkit.registry import get_exits
        from arbkit.trading.exits import build_exit_rules

        build_exit_rules(get_exits(self.state.plugin_manager), exits)

    def _sweep(self) -> tuple[str, list[Any], list[str]]:
        """``PARAM=A,B,C`` → (option name or ``RULE.KEY``, the values, their labels)."""
        text = self.opts["sweep"]
        param, sep, raw = text.partition("=")
        param = param.strip()
        labels = [value.strip() for value in raw.split(",")]
        if not sep or not param or not any(labels) or "" in labels:
            raise click.BadParameter(f"{text!r} is not PARAM=A,B,...", param_hint="--sweep")
        if len(set(labels)) != len(labels):
            raise click.BadParameter(f"{text!r} repeats a value", param_hint="--sweep")
        name = param.lstrip("-").replace("-", "_")
        if name in SWEEPABLE:
            flag = SWEEPABLE[name]
            given = self.ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
            if given:
                raise click.UsageError(f"{flag} and --sweep {param}=...: give one of them")
            option = next(p for p in self.ctx.command.params if p.name == name)
            values = []
            for label in labels:
                try:
                    values.append(option.process_value(self.ctx, label))
                except click.BadParameter as exc:
                    raise click.BadParameter(
                        f"{param}={label}: {exc.message}", param_hint="--sweep"
                    ) from None
            return name, values, labels
        rule, dot, key = param.partition(".")
        if not dot or not rule or not key:
            choices = ", ".join(flag.lstrip("-") for flag in SWEEPABLE.values())
            raise click.BadParameter(
                f"cannot sweep {param!r} (sweepable: {choices}, or an exit setting RULE.KEY)",
                param_hint="--sweep",
            )
        return param, [exit_value(label) for label in labels], labels

    # -- running and printing -----------------------------------------------------------------

    def say(self, message: str, bar: MessageBar | None = None) -> None:
        """A progress line on stderr (never with -q, nor with --json off a terminal)."""
        if self.state.quiet or (self.json and not sys.stderr.isatty()):
            return
        if bar is not None and bar.log(f"… {message}"):
            return
        click.echo(f"… {message}", err=True)

    def _single(self, spec: BacktestSpec, bar: MessageBar) -> None:
        from arbkit.cli.backtest_run import run_backtest
        from arbkit.cli.backtest_stats import summarize_report
        from arbkit.cli.tradeview import print_report

        store = self.state.store
        result = run_backtest(
            self.state.plugin_manager,
            store,
            spec,
            tick=bar.advance if bar.enabled else None,
            on_total=bar.total,
            progress=lambda message: self.say(message, bar),
        )
        bar.stop()
        if self.json:
            echo_json(result.report)
            return
        print_report(result.report)
        row = summarize_report(result.report)
        click.echo(
            f"backtest: {row.trades} trade(s), hit rate {_percent(row.hit_rate)}, max drawdown "
            f"{row.max_drawdown}; book {result.book_id} in {store.path}"
        )

    def _run_sweep(
        self, specs: list[BacktestSpec], labels: list[str], bar: MessageBar
    ) -> list[dict[str, Any]]:
        from arbkit.cli.backtest_run import available_cores, run_sweep

        workers = min(len(specs), available_cores())
        self.say(f"{len(specs)} backtests in {workers} process(es)", bar)
        return run_sweep(
            self.state.plugin_manager,
            specs,
            labels,
            db_dir=self.opts["sweep_dir"],
            workers=workers,
            bar=bar,
        )

    def _print_sweep(self, name: str, labels: list[str], reports: list[dict[str, Any]]) -> None:
        from arbkit.cli.backtest_stats import summarize_report

        param = SWEEPABLE.get(name, name).lstrip("-")
        rows = [
            {"param": param, "value": label, **summarize_report(report).to_json()}
            for label, report in zip(labels, reports, strict=True)
        ]
        if self.json:
            echo_json(rows)
            return
        print_sweep(param, rows)
        if self.opts["sweep_dir"] is not None:
            click.echo(f"databases kept in {self.opts['sweep_dir']} (one per value)")


def print_sweep(param: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """The sweep as one rich table on stdout, a row per value."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"backtest sweep over {param}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1, 0, 0),  # nine columns fit an 80-column terminal
    )
    table.add_column(param, overflow="fold")
    columns = ("trades", "P&L", "fees", "hit\nrate", "max\ndrawdown")
    checks = ("early\nexits", "entries\n> max", "one-\nlegged")  # the seed checks
    for column in (*columns, *checks):
        table.add_column(column, justify="right", overflow="fold")
    for row in rows:
        hit = row["hit_rate"]
        check = row["checks"]
        table.add_row(
            str(row["value"]),
            str(row["trades"]),
            row["pnl"],
            row["fees"],
            _percent(hit),
            row["max_drawdown"],
            str(check["exits_within_min_hold"]),
            str(check["entries_above_max_price"]),
            str(check["one_legged"]),
        )
    Console().print(table)


def exit_value(text: str) -> Any:
    """A ``--exit`` value read as TOML would read it in ``[exits.*]`` (``5``, ``0.5``,
    ``true``, ``"x"``); anything else is kept as the text."""
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _moment(flag: str, text: str | None, newest: Any) -> Any:
    """A time as ``arbkit record export`` reads it: ISO 8601, or an age (``2h``, ``7d``)
    before the newest recorded payload."""
    from arbkit.cli.portfolio import parse_since

    return parse_since(text, now=newest, option=flag)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.0f} %"
