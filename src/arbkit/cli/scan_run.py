"""What ``arbkit scan`` does once its options are parsed: build the engine, attach sinks, print.

Kept apart from :mod:`arbkit.cli.scan` (the command's declaration) because it imports the
engine, the store and the scan pipeline, which every other command and ``--help`` can skip.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import click

from arbkit.cli.output import render_table
from arbkit.cli.state import AppState
from arbkit.engine import (
    Engine,
    EngineSettings,
    HookSink,
    RunEnd,
    RunStatus,
    Sink,
    StoreSink,
    build_engine,
)
from arbkit.errors import ArbkitError
from arbkit.money import format_decimal
from arbkit.scan.report import opportunity_to_dict
from arbkit.scan.shard import Change


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
                options=_stored_options(self.opts),
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
        link = await self._attach_bus(engine)
        self._stop_on_signals(engine)
        try:
            end = await engine.run(watch=bool(self.opts["watch"]) or link is not None)
        except (asyncio.CancelledError, ArbkitError):
            if link is not None and link.failure is not None:  # the bus failed: one line
                raise link.failure from None
            raise
        if not self.opts["watch"] and end.status is RunStatus.COMPLETED:
            self._print_snapshot(engine)
        if self.store is not None:
            self.store.check()  # a failed write is an error, after the results were printed

    async def _attach_bus(self, engine: Engine) -> Any:
        """``--bus``: the engine orchestrates, its shards run on ``arbkit worker`` processes and
        it matches through ``arbkit serve matcher``."""
        url = self.opts.get("bus")
        if url is None:
            return None
        from arbkit.bus.orchestrator import attach_bus
        from arbkit.bus.settings import BusSettings

        settings = BusSettings.read(os.environ, self.state.config.section("bus"))
        return await attach_bus(
            engine,
            url,
            self.state.plugin_manager,
            one_shot=not self.opts["watch"],
            matcher_timeout=settings.matcher_timeout,
        )

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


def _stored_options(opts: dict[str, Any]) -> dict[str, Any]:
    """The options a run's row keeps: those given, a bus URL without its password."""
    stored = {k: v for k, v in opts.items() if v not in (None, (), False)}
    if "bus" in stored:
        from arbkit.bus.wire import redact_url

        stored["bus"] = redact_url(stored["bus"])
    return stored


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
