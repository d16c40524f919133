"""``arbkit scan``: the main job — discover, match, watch books, list honest net edges.

One-shot by default (a table sorted by expected profit); ``--watch`` streams changes as
opportunities appear, change and vanish. ``--sample`` and ``--replay DIR`` run on recorded data
through the same code, on the recording's clock. The pipeline itself is the engine's
(:mod:`arbkit.engine`); this module only turns options into engine settings and prints.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import click

from arbkit.cli.options import (
    FiniteFloat,
    ReplayDir,
    non_negative_decimal,
    positive_decimal,
    venue_list,
)
from arbkit.cli.output import render_table
from arbkit.cli.state import AppState
from arbkit.engine import (
    DEFAULT_MIN_CONFIDENCE,
    Engine,
    EngineSettings,
    HookSink,
    RunEnd,
    RunStatus,
    Sink,
    StoreSink,
    build_engine,
)
from arbkit.money import format_decimal
from arbkit.scan.report import opportunity_to_dict
from arbkit.scan.shard import Change


def register(cli: click.Group) -> None:
    @cli.command(name="scan")
    @click.option(
        "--sample", is_flag=True, help="Scan the offline sample evening shipped with arbkit."
    )
    @click.option(
        "--replay",
        "replay_dir",
        type=ReplayDir(),
        help="Scan a recorded replay directory (docs/replay-format.md).",
    )
    @click.option(
        "--venues",
        "venue_list",
        callback=venue_list,
        help="Comma list of venues (default: all live venues).",
    )
    @click.option(
        "--league", "leagues", multiple=True, help="Only this league (repeatable), e.g. nba."
    )
    @click.option(
        "--strategy", "strategy_names", multiple=True, help="Only this strategy (repeatable)."
    )
    @click.option(
        "--min-edge",
        metavar="DOLLARS",
        callback=non_negative_decimal,
        default="0",
        show_default=True,
        help="Minimum net edge per contract, in dollars.",
    )
    @click.option(
        "--min-confidence",
        type=FiniteFloat(0, 1),
        default=DEFAULT_MIN_CONFIDENCE,
        show_default=True,
        help="Minimum match confidence.",
    )
    @click.option(
        "--max-size",
        metavar="CONTRACTS",
        callback=positive_decimal,
        help="Cap on contracts per opportunity.",
    )
    @click.option(
        "--lookahead",
        type=FiniteFloat(low=0),
        default=48.0,
        show_default=True,
        help="Only games starting within this many hours (0: no limit).",
    )
    @click.option(
        "--cutoff",
        type=FiniteFloat(low=0),
        default=0.0,
        show_default=True,
        help="Stop watching a game this many minutes before its start.",
    )
    @click.option("--watch", is_flag=True, help="Keep watching; print changes as they happen.")
    @click.option(
        "--speed",
        type=FiniteFloat(low=0),
        default=0.0,
        show_default=True,
        help="Replay speed for --watch on recordings (0: as fast as possible, 1: recorded).",
    )
    @click.option(
        "--poll",
        type=FiniteFloat(low=0.1),
        default=5.0,
        show_default=True,
        help="Live: seconds between REST polls of venues without a stream.",
    )
    @click.option(
        "--rediscover",
        type=FiniteFloat(low=0),
        default=10.0,
        show_default=True,
        help="Live --watch: look for new games every this many minutes (0: never).",
    )
    @click.option("--record", is_flag=True, help="Also store markets and books in the database.")
    @click.option("--no-store", is_flag=True, help="Do not write opportunities to the database.")
    @click.option("--json", "json_", is_flag=True, help="Machine-readable output.")
    @click.pass_obj
    def scan_command(state: AppState, **opts: Any) -> None:
        """List cross-venue opportunities with their net edge after fees and depth.

        \b
        Examples:
          arbkit scan --sample
          arbkit scan --sample --json
          arbkit scan --sample --watch
          arbkit scan --league nba --min-edge 0.01
        """
        if opts["no_store"] and opts["record"]:
            raise click.UsageError("--record writes to the database: not with --no-store")
        run = ScanRun(state, opts)
        try:
            asyncio.run(run.main())
        except asyncio.CancelledError:  # a signal ended the run: it was closed cleanly
            if run.stopped_by is None:
                raise
        if run.stopped_by is not None:  # stopped cleanly, but say it was by a signal
            said = "Interrupted." if run.stopped_by == signal.SIGINT else "Terminated."
            click.echo(said, err=True)
            sys.exit(128 + run.stopped_by)


def settings_from(opts: dict[str, Any]) -> EngineSettings:
    """The engine settings for ``scan``'s options."""
    return EngineSettings(
        sample=bool(opts["sample"]),
        replay_dir=opts["replay_dir"],
        venues=tuple((opts["venue_list"] or "").split(",")) if opts["venue_list"] else (),
        leagues=tuple(opts["leagues"]),
        strategies=tuple(opts["strategy_names"]),
        min_edge=opts["min_edge"],
        min_confidence=opts["min_confidence"],
        max_size=opts["max_size"],
        lookahead_hours=opts["lookahead"],
        cutoff_minutes=opts["cutoff"],
        speed=opts["speed"],
        poll_seconds=opts["poll"],
        rediscover_minutes=opts["rediscover"],
    )


class ScanRun:
    """One invocation of ``arbkit scan``: an engine, its sinks, and what is printed."""

    def __init__(self, state: AppState, opts: dict[str, Any]) -> None:
        self.state = state
        self.opts = opts
        self.json = bool(opts["json_"])
        self.stopped_by: signal.Signals | None = None  #: SIGINT (Ctrl-C) or SIGTERM
        self.store: StoreSink | None = None

    def progress(self, message: str) -> None:
        """Progress goes to stderr, so stdout stays clean for --json and pipes."""
        if not (self.state.quiet or (self.json and not sys.stderr.isatty())):
            click.echo(f"… {message}", err=True)

    def build(self) -> Engine:
        settings = settings_from(self.opts)
        pm = self.state.plugin_manager
        sinks: list[Sink] = [HookSink(pm)]
        engine = build_engine(
            pm,
            settings,
            venue_factory=self.state.venue,
            overrides=self.state.store.db,
            progress=self.progress,
        )
        if not self.opts["no_store"]:
            self.store = StoreSink(
                self.state.store,
                command="scan",
                source=settings.source,
                options={k: v for k, v in self.opts.items() if v not in (None, (), False)},
                record_books=bool(self.opts["record"]),
            )
            sinks.append(self.store)
        if self.opts["watch"]:
            sinks.append(JsonLinesPrinter() if self.json else TextPrinter())
        for sink in sinks:
            engine.attach(sink)
        return engine

    async def main(self) -> None:
        engine = self.build()
        self._stop_on_signals(engine)
        end = await engine.run(watch=bool(self.opts["watch"]))
        if not self.opts["watch"] and end.status is RunStatus.COMPLETED:
            self._print_snapshot(engine)
        if self.store is not None:
            self.store.check()  # a failed write is an error, after the results were printed

    def _stop_on_signals(self, engine: Engine) -> None:
        """Ctrl-C and SIGTERM end the run alike: the watch stops, the summary is printed, the
        venues close, then the exit status says which signal it was (130 or 143)."""
        statuses = {signal.SIGINT: RunStatus.INTERRUPTED, signal.SIGTERM: RunStatus.TERMINATED}

        def stop(signum: signal.Signals) -> None:
            self.stopped_by = signum
            engine.stop(statuses[signum])

        loop = asyncio.get_running_loop()
        for signum in statuses:
            try:
                loop.add_signal_handler(signum, stop, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
                return

    def _print_snapshot(self, engine: Engine) -> None:
        found = engine.opportunities()
        now = engine.now()
        if self.json:
            payload = {
                "as_of": now.isoformat(),
                "games_matched": len(engine.matches),
                "games": [
                    {
                        "id": m.game_id,
                        "title": m.title,
                        "league": m.league,
                        "start_time": m.start_time.isoformat() if m.start_time else None,
                        "confidence": round(m.confidence, 4),
                        "suspended": bool(engine.shards[m.game_id].suspended)
                        if m.game_id in engine.shards
                        else None,
                    }
                    for m in engine.matches
                ],
                "opportunities": [opportunity_to_dict(o) for o in found],
                "skipped": [{"game": g, "reason": r} for g, r in engine.skipped],
                "venue_errors": engine.failures,
            }
            click.echo(json.dumps(payload, indent=2))
            return
        click.echo(f"as of {now:%Y-%m-%d %H:%M:%SZ}: {len(engine.matches)} games")
        if not found:
            click.echo("No opportunities above the thresholds.")
            return
        click.echo(render_table([_row(o) for o in found], _COLUMNS))


class TextPrinter(Sink):
    """``--watch``: one line per change, then a summary of how the watch ended."""

    watching = False

    def started(self, engine: Engine) -> None:
        self.watching = True

    def change(self, change: Change) -> None:
        at = f"{change.at:%H:%M:%S}" if change.at else "--:--:--"
        line = f"{at} {change.kind.value:<9} {change.game_id}"
        opportunity = change.opportunity
        if opportunity is not None:
            legs = " + ".join(
                f"{leg.venue}:{leg.outcome}@{leg.price:.4f}" for leg in opportunity.legs
            )
            line += (
                f"  {legs}  net {opportunity.net_edge:.4f} × {format_decimal(opportunity.size)}"
                f" = ${opportunity.expected_profit:.2f}"
            )
        if change.reason:
            line += f"  ({change.reason})"
        click.echo(line)

    def finished(self, engine: Engine, end: RunEnd) -> None:
        if not self.watching or end.status is RunStatus.FAILED:
            return
        ended = "stream ended" if end.status is RunStatus.COMPLETED else "stopped"
        click.echo(f"{ended}; {len(engine.opportunities())} opportunities open")


class JsonLinesPrinter(Sink):
    """``--watch --json``: one JSON object per change."""

    def change(self, change: Change) -> None:
        record = {
            "at": change.at.isoformat() if change.at else None,
            "change": change.kind.value,
            "game": change.game_id,
            "reason": change.reason or None,
            "opportunity": opportunity_to_dict(change.opportunity) if change.opportunity else None,
        }
        click.echo(json.dumps(record))


_COLUMNS = ["game", "start", "legs", "gross", "net", "size", "profit", "conf"]


def _row(opportunity: Any) -> dict[str, Any]:
    legs = " + ".join(
        f"{leg.venue} {leg.outcome} {format_decimal(leg.size)}@{leg.price:.4f}"
        for leg in opportunity.legs
    )
    return {
        "game": f"{opportunity.league or ''} {opportunity.title}".strip(),
        "start": opportunity.start_time,
        "legs": legs,
        "gross": f"{opportunity.gross_edge:.4f}",
        "net": f"{opportunity.net_edge:.4f}",
        "size": format_decimal(opportunity.size),
        "profit": f"${opportunity.expected_profit:.2f}",
        "conf": f"{opportunity.confidence:.2f}",
    }
