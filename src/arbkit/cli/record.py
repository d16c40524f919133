"""``arbkit record`` and ``arbkit record export``: archive what the venues send, replay it later.

``arbkit record`` runs the engine on live venues, ``--sample`` or ``--replay DIR`` with a
recording tap (:mod:`arbkit.record`) and stores every raw payload in the database, compressed
and in batches. ``arbkit record export`` writes any time range of it as a replay directory.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from arbkit.cli.options import FiniteFloat, ReplayDir, source_options, speed_option
from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState


def register(cli: click.Group) -> None:
    @cli.group(name="record", invoke_without_command=True)
    @source_options("Record")
    @speed_option()
    @click.option(
        "--duration",
        type=FiniteFloat(low=0),
        help="Stop after this many minutes (0: no limit; a replay ends with its stream).",
    )
    @click.option(
        "--keep",
        metavar="AGE",
        help="Delete payloads older than AGE before the newest one (12h, 7d, 2w).",
    )
    @click.option(
        "--max-size",
        metavar="SIZE",
        help="Keep at most SIZE of compressed payloads, oldest dropped first (500MB, 2GB).",
    )
    @click.option(
        "--flush-every",
        type=click.IntRange(min=1),
        default=5000,
        show_default=True,
        help="Write a batch once this many payloads wait (else every second).",
    )
    @click.option("--json", "json_", is_flag=True, help="End with one JSON object on stdout.")
    @click.pass_context
    def record_group(ctx: click.Context, **opts: Any) -> None:
        """Record the venues' raw payloads (streams and REST snapshots) into the database.

        Without a source it records the live venues until stopped (Ctrl-C). Every payload is
        stored with its receive time, zlib-compressed in batches; see docs/recording.md.

        \b
        Examples:
          arbkit record --league nba --keep 7d --max-size 500MB
          arbkit record --sample --json
          arbkit record --replay DIR
          arbkit record export --since 2026-11-24T23:00Z --league nba DIR
        """
        if ctx.invoked_subcommand is not None:
            return
        state = ctx.ensure_object(AppState)
        run = RecordRun(state, opts)
        try:
            asyncio.run(run.main())
        except asyncio.CancelledError:
            if run.stopped_by is None:
                raise
        run.report()
        if run.stopped_by is not None:
            said = "Interrupted." if run.stopped_by == signal.SIGINT else "Terminated."
            click.echo(said, err=True)
            sys.exit(128 + run.stopped_by)

    @record_group.command(name="export")
    @click.option("--since", help="From this time (2026-11-24T23:00Z, or an age: 12h, 7d).")
    @click.option("--until", help="Up to this time (same forms as --since).")
    @click.option("--league", "leagues", multiple=True, help="Only this league (repeatable).")
    @click.option("--json", "json_", is_flag=True, help="Print the summary as JSON.")
    @click.argument("directory", type=ReplayDir())
    @click.pass_obj
    def export_command(
        state: AppState,
        since: str | None,
        until: str | None,
        leagues: tuple[str, ...],
        json_: bool,
        directory: Path,
    ) -> None:
        """Write a range of the recording as a replay directory (docs/replay-format.md).

        Ages count back from the newest recorded payload. Play the result with
        `arbkit trade --replay DIR` or `arbkit scan --replay DIR`.

        \b
        Examples:
          arbkit record export exports/evening
          arbkit record export --since 2026-11-24T23:00Z --until 2026-11-25T03:00Z DIR
          arbkit record export --since 2h --league nba --json DIR
        """
        from arbkit.record.export import export_replay, newest_recorded

        for text, option in ((since, "--since"), (until, "--until")):
            _moment(text, option, None)  # a bad time is a usage error, whatever the database
        store = state.existing_store(hint="record into it first (`arbkit record --sample`)")
        newest = newest_recorded(store) if (since or until) else None
        with _terminate_cleanly():
            summary = export_replay(
                store,
                directory,
                since=_moment(since, "--since", newest),
                until=_moment(until, "--until", newest),
                leagues=leagues,
            )
        if json_:
            echo_json(summary.to_json())
            return
        click.echo(
            f"Exported {summary.messages} stream messages and {summary.snapshots} snapshot "
            f"objects ({', '.join(summary.venues) or 'no venue'}) from "
            f"{_text(summary.first)} to {_text(summary.last)} into {summary.directory}"
        )
        for venue in summary.skipped:
            click.echo(f"  {venue}: left out, no events or markets recorded in the range", err=True)


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a service stop) ends the block as Ctrl-C does, so the
    export removes what it wrote: a replay without its manifest still plays, half of it."""

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _moment(text: str | None, option: str, newest: Any) -> Any:
    """An ISO time or an age before the newest recorded payload; bad input: a usage error."""
    from arbkit.cli.portfolio import parse_since

    try:
        return parse_since(text, now=newest)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=option) from None
    except OverflowError:  # an age reaching before year 1
        raise click.BadParameter(
            f"{text!r} reaches beyond the calendar", param_hint=option
        ) from None


def _text(moment: Any) -> str:
    from arbkit.record.export import iso

    return iso(moment) or "-"


class RecordRun:
    """One ``arbkit record`` invocation: the engine with a recording tap, until it ends."""

    def __init__(self, state: AppState, opts: dict[str, Any]) -> None:
        self.state = state
        self.opts = opts
        self.stopped_by: signal.Signals | None = None
        self.stats: Any = None
        self.status = "failed"
        self.stopping = False  #: a signal or --duration ended the run

    def _stop(self, engine: Any, status: Any) -> None:
        self.stopping = True
        engine.stop(status)

    def progress(self, message: str) -> None:
        if not (self.state.quiet or (self.opts["json_"] and not sys.stderr.isatty())):
            click.echo(f"… {message}", err=True)

    async def main(self) -> None:
        from arbkit.engine import EngineSettings, RunStatus, build_engine
        from arbkit.record.recorder import Recorder
        from arbkit.record.retention import Retention, parse_age, parse_size

        opts = self.opts
        retention = Retention(
            keep=parse_age(opts["keep"]) if opts["keep"] else None,
            max_bytes=parse_size(opts["max_size"]) if opts["max_size"] else None,
        )
        settings = EngineSettings(
            sample=bool(opts["sample"]),
            replay_dir=opts["replay_dir"],
            venues=tuple(opts["venue_list"].split(",")) if opts["venue_list"] else (),
            leagues=tuple(opts["leagues"]),
            strategies=tuple(opts["strategy_names"]),
            speed=opts["speed"],
        )
        store = self.state.store
        recorder = Recorder(store.path, flush_every=opts["flush_every"], retention=retention)  # type: ignore[arg-type]
        recorder.start()
        try:
            engine = build_engine(
                self.state.plugin_manager,
                settings,
                venue_factory=self.state.venue,
                overrides=store.db,
                progress=self.progress,
                tap=recorder,
            )
            self._handle_signals(engine)
            if opts["duration"]:
                loop = asyncio.get_running_loop()
                loop.call_later(opts["duration"] * 60, self._stop, engine, RunStatus.COMPLETED)
            try:
                end = await engine.run(watch=True)
            except asyncio.CancelledError:
                if engine.end is None or not self.stopping:
                    raise
                end = engine.end  # stopped on purpose: the run was closed cleanly
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
            self.status = end.status.value
        finally:
            self.stats = recorder.close()

    def report(self) -> None:
        from arbkit.record.export import iso_ms

        stats = self.stats
        if stats is None:
            return
        body = {
            "status": self.status,
            **stats.to_json(),
            "first": iso_ms(stats.first_ms),
            "last": iso_ms(stats.last_ms),
            "db": str(self.state.store.path),
        }
        if self.opts["json_"]:
            echo_json(body)
            return
        ratio = f", {body['compression']}× smaller" if body["compression"] else ""
        click.echo(
            f"Recorded {stats.messages} payloads in {stats.commits} batches "
            f"({stats.raw_bytes:,} bytes → {stats.stored_bytes:,} stored{ratio}) "
            f"from {body['first'] or '-'} to {body['last'] or '-'}."
        )
        click.echo("Export a range with: arbkit record export [--since T] [--until T] DIR")

    def _handle_signals(self, engine: Any) -> None:
        from arbkit.engine import RunStatus

        statuses = {signal.SIGINT: RunStatus.INTERRUPTED, signal.SIGTERM: RunStatus.TERMINATED}

        def stop(signum: signal.Signals) -> None:
            self.stopped_by = signum
            self._stop(engine, statuses[signum])

        loop = asyncio.get_running_loop()
        try:
            for signum in statuses:
                loop.add_signal_handler(signum, stop, signum)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            return
