"""``arbkit scan``: the main job — discover, match, watch books, list honest net edges.

One-shot by default (a table sorted by expected profit); ``--watch`` streams changes as
opportunities appear, change and vanish. ``--sample`` and ``--replay DIR`` run on recorded data
through the same code, on the recording's clock.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from arbkit.cli.output import render_table
from arbkit.cli.state import AppState
from arbkit.clock import WallClock
from arbkit.errors import ConfigError
from arbkit.money import format_decimal
from arbkit.recordings import sample_dir
from arbkit.registry import get_strategies, get_venue, get_venues
from arbkit.scan.feeds import Feed, LiveFeed
from arbkit.scan.orchestrator import Scanner, ScanOptions
from arbkit.scan.persist import ScanRecorder
from arbkit.scan.report import opportunity_to_dict
from arbkit.scan.shard import Change, ChangeKind
from arbkit.strategy import StrategySettings
from arbkit.streaming import BookUpdate
from arbkit.venue import Venue


def _decimal(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a decimal number") from None
    if not result.is_finite():
        raise click.BadParameter(f"{value!r} is not a finite number")
    return result


def _decimal_at_least(
    low: Decimal, *, inclusive: bool, why: str
) -> Callable[[click.Context, click.Parameter, str | None], Decimal | None]:
    """A ``_decimal`` callback that refuses values below ``low`` (or at it, if not inclusive)."""
    bound = f"{low} or more" if inclusive else f"more than {low}"

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
        result = _decimal(ctx, param, value)
        if result is not None and (result < low if inclusive else result <= low):
            raise click.BadParameter(f"{value!r} must be {bound}")
        return result

    check.__doc__ = why
    return check


#: A threshold below zero would admit losing trades: reject it instead of scanning.
_non_negative_decimal = _decimal_at_least(Decimal(0), inclusive=True, why="a minimum edge ≥ 0")
#: A size cap of zero or less can never be filled, so it is a mistake, not a filter.
_positive_decimal = _decimal_at_least(Decimal(0), inclusive=False, why="a size cap > 0")


def _venue_list(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--venues ,`` names no venue: an error, not a silent scan of nothing."""
    if value is not None and not any(name.strip() for name in value.split(",")):
        raise click.BadParameter(f"{value!r} names no venue")
    return value


class FiniteFloat(click.ParamType):
    """A float in [low, high]; unlike click.FloatRange it rejects nan and inf (``1e400``)."""

    name = "float"

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        self.low = low
        self.high = high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            self.fail(f"{value!r} is not in the range {self._range()}", param, ctx)
        return number

    def _range(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{low}<=x<={high}"


class ReplayDir(click.Path):
    """A directory path whose OS errors (name too long, permission) are one-line usage errors."""

    def __init__(self) -> None:
        super().__init__(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            os.stat(value)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.fail(f"cannot use {_short(str(value))}: {reason}", param, ctx)
        return super().convert(value, param, ctx)


def _short(text: str, limit: int = 60) -> str:
    """Keep an over-long path from flooding the one-line error."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


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
        callback=_venue_list,
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
        callback=_non_negative_decimal,
        default="0",
        show_default=True,
        help="Minimum net edge per contract, in dollars.",
    )
    @click.option(
        "--min-confidence",
        type=FiniteFloat(0, 1),
        default=0.9,
        show_default=True,
        help="Minimum match confidence.",
    )
    @click.option(
        "--max-size",
        metavar="CONTRACTS",
        callback=_positive_decimal,
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
        except asyncio.CancelledError:  # a signal before the watch began: nothing to summarise
            if run.stopped_by is None:
                raise
        if run.stopped_by is not None:  # stopped cleanly, but say it was by a signal
            said = "Interrupted." if run.stopped_by == signal.SIGINT else "Terminated."
            click.echo(said, err=True)
            sys.exit(128 + run.stopped_by)


class ScanRun:
    """One invocation of ``arbkit scan``: builds the scanner, prints, stores, fires hooks."""

    def __init__(self, state: AppState, opts: dict[str, Any]) -> None:
        self.state = state
        self.opts = opts
        self.pm = state.plugin_manager
        self.json = bool(opts["json_"])
        self.recorder = None if opts["no_store"] else ScanRecorder(state.store)
        self.feed: Feed | None = None
        self.stopped_by: signal.Signals | None = None  #: SIGINT (Ctrl-C) or SIGTERM

    def progress(self, message: str) -> None:
        """Progress goes to stderr, so stdout stays clean for --json and pipes."""
        if not (self.state.quiet or (self.json and not sys.stderr.isatty())):
            click.echo(f"… {message}", err=True)

    async def main(self) -> None:
        self._stop_on_signals()
        scanner, venues = self._build()
        try:
            await scanner.prepare()
            if self.recorder and self.opts["record"]:
                self._record(scanner)
            if self.opts["watch"]:
                await self._watch(scanner)
            else:
                self._one_shot(scanner)
        finally:
            for venue in venues:
                await venue.aclose()
        if self.recorder is not None:
            self.recorder.check()  # a failed write is an error, after the results were printed

    def _stop_on_signals(self) -> None:
        """Ctrl-C and SIGTERM end the run alike: the watch stops, the summary is printed, the
        venues close, then the exit status says which signal it was (130 or 143)."""
        task = asyncio.current_task()
        if task is None:
            return

        def stop(signum: signal.Signals) -> None:
            self.stopped_by = signum
            task.cancel()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
                return

    # -- building --------------------------------------------------------------------------------

    def _build(self) -> tuple[Scanner, list[Venue]]:
        opts = self.opts
        if opts["sample"] and opts["replay_dir"]:
            raise ConfigError("use either --sample or --replay DIR, not both")
        directory = sample_dir() if opts["sample"] else opts["replay_dir"]
        if directory is not None:
            session = get_venue(self.pm, "replay").open_session(  # type: ignore[attr-defined]
                self.pm, Path(directory), speed=opts["speed"]
            )
            venues: list[Venue] = list(session.venues)
            clock = session.clock
            self.feed = session
            wanted = self._venue_names({v.name for v in venues})
            venues = [v for v in venues if v.name in wanted]
        else:
            live = {n for n, cls in get_venues(self.pm).items() if n != "replay"}
            venues = [self.state.venue(name) for name in sorted(self._venue_names(live))]
            clock = WallClock()
            self.feed = LiveFeed(venues, poll_interval=opts["poll"])
        options = ScanOptions(
            leagues=self._leagues(),
            lookahead=timedelta(hours=opts["lookahead"]) if opts["lookahead"] else None,
            start_cutoff=timedelta(minutes=opts["cutoff"]),
            min_confidence=opts["min_confidence"],
            rediscover_every=(
                timedelta(minutes=opts["rediscover"])
                if directory is None and opts["rediscover"]
                else None
            ),
        )
        self._clock = clock
        scanner = Scanner(
            venues=venues,
            matcher=self._matcher(),
            strategies=self._strategies(),
            clock=clock,
            options=options,
            progress=self.progress,
            on_event=self._record_event if self.recorder and opts["record"] else None,
        )
        return scanner, venues

    def _leagues(self) -> frozenset[str]:
        """The --league codes, upper-cased; an unknown code is an error, not an empty scan."""
        wanted = frozenset(league.upper() for league in self.opts["leagues"])
        known = {code for cls in get_venues(self.pm).values() for code in cls.leagues}
        unknown = sorted(wanted - known)
        if unknown:
            raise ConfigError(
                f"unknown league {unknown[0].lower()!r} (known: "
                f"{', '.join(sorted(code.lower() for code in known))})"
            )
        with_data = self._leagues_with_team_data()
        missing = sorted(wanted - with_data)
        if missing:
            raise ConfigError(
                f"league {missing[0].lower()!r} has no team data, so its games cannot be matched "
                f"(leagues with team data: {', '.join(sorted(c.lower() for c in with_data))})"
            )
        return wanted

    def _leagues_with_team_data(self) -> set[str]:
        """Leagues the matcher knows teams for (built-in files and plugins' LeagueData)."""
        from arbkit.matching.teams import LeagueData
        from arbkit.registry import get_matcher_components

        items = get_matcher_components(self.pm)
        return {item.league for item in items if isinstance(item, LeagueData)}

    def _venue_names(self, available: set[str]) -> set[str]:
        if not self.opts["venue_list"]:
            return available
        wanted = {name.strip() for name in self.opts["venue_list"].split(",") if name.strip()}
        unknown = wanted - available
        if unknown:
            raise ConfigError(
                f"unknown venue(s) {', '.join(sorted(unknown))} (available: "
                f"{', '.join(sorted(available))})"
            )
        return wanted

    def _strategies(self) -> list[Any]:
        registered = get_strategies(self.pm)
        names = self.opts["strategy_names"] or tuple(registered)
        unknown = [n for n in names if n not in registered]
        if unknown:
            raise ConfigError(
                f"unknown strategy {unknown[0]!r} (known: {', '.join(sorted(registered))})"
            )
        settings = StrategySettings(
            min_edge=self.opts["min_edge"],
            min_confidence=self.opts["min_confidence"],
            max_size=self.opts["max_size"],
        )
        return [registered[name](settings) for name in names]

    def _matcher(self) -> Any:
        from arbkit.matching import MatchingService

        return MatchingService.from_plugins(self.pm, overrides=self.state.store.db)

    # -- output ------------------------------------------------------------------------------------

    def _record(self, scanner: Scanner) -> None:
        assert self.recorder is not None
        now = scanner.clock.now()
        self.recorder.markets(scanner.markets, now)
        for shard in scanner.shards.values():
            for book in shard.state.books.values():
                self.recorder.book(book, now)

    def _record_event(self, event: object) -> None:
        """--record in --watch: every book the streams deliver, on the scanner's clock."""
        if isinstance(event, BookUpdate) and self.recorder is not None:
            self.recorder.book(event.book, self._clock.now())

    def _emit(self, change: Change) -> None:
        opportunity = change.opportunity
        if opportunity is not None and change.kind in (ChangeKind.APPEARED, ChangeKind.CHANGED):
            self.pm.hook.opportunity_found(opportunity=opportunity)
            if self.recorder:
                self.recorder.opportunity(opportunity)

    def _one_shot(self, scanner: Scanner) -> None:
        for change in scanner.evaluate_all():
            self._emit(change)
        found = scanner.opportunities()
        if self.json:
            payload = {
                "as_of": scanner.clock.now().isoformat(),
                "games_matched": len(scanner.matches),
                "games": [
                    {
                        "id": m.game_id,
                        "title": m.title,
                        "league": m.league,
                        "start_time": m.start_time.isoformat() if m.start_time else None,
                        "confidence": round(m.confidence, 4),
                        "suspended": bool(scanner.shards[m.game_id].suspended)
                        if m.game_id in scanner.shards
                        else None,
                    }
                    for m in scanner.matches
                ],
                "opportunities": [opportunity_to_dict(o) for o in found],
                "skipped": [{"game": g, "reason": r} for g, r in scanner.skipped],
                "venue_errors": scanner.failures,
            }
            click.echo(json.dumps(payload, indent=2))
            return
        click.echo(f"as of {scanner.clock.now():%Y-%m-%d %H:%M:%SZ}: {len(scanner.matches)} games")
        if not found:
            click.echo("No opportunities above the thresholds.")
            return
        click.echo(render_table([_row(o) for o in found], _COLUMNS))

    async def _watch(self, scanner: Scanner) -> None:
        assert self.feed is not None
        printer: Callable[[Change], None] = self._print_json if self.json else self._print_text
        try:
            async for change in scanner.watch(self.feed):
                self._emit(change)
                printer(change)
        except (KeyboardInterrupt, asyncio.CancelledError):
            ended = "stopped"
        else:
            ended = "stream ended"
        if not self.json:
            click.echo(f"{ended}; {len(scanner.opportunities())} opportunities open")

    def _print_json(self, change: Change) -> None:
        record = {
            "at": change.at.isoformat() if change.at else None,
            "change": change.kind.value,
            "game": change.game_id,
            "reason": change.reason or None,
            "opportunity": opportunity_to_dict(change.opportunity) if change.opportunity else None,
        }
        click.echo(json.dumps(record))

    def _print_text(self, change: Change) -> None:
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
