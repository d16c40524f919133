"""``arbkit scan``: the main job — discover, match, watch books, list honest net edges.

One-shot by default (a table sorted by expected profit); ``--watch`` streams changes as
opportunities appear, change and vanish. ``--sample`` and ``--replay DIR`` run on recorded data
through the same code, on the recording's clock. The pipeline itself is the engine's
(:mod:`arbkit.engine`); this module only declares the command, and :mod:`arbkit.cli.scan_run`
(imported when the command runs, so ``arbkit --help`` does not load the engine) turns options
into engine settings and prints.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from arbkit.cli.options import (
    FiniteFloat,
    bus_option,
    non_negative_decimal,
    positive_decimal,
    source_options,
    speed_option,
)
from arbkit.cli.state import AppState
from arbkit.engine import DEFAULT_MIN_CONFIDENCE


def register(cli: click.Group) -> None:
    @cli.command(name="scan")
    @source_options("Scan")
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
    @speed_option(help="Replay speed for --watch on recordings (0: as fast as possible).")
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
    @bus_option
    @click.pass_obj
    def scan_command(state: AppState, **opts: Any) -> None:
        """List cross-venue opportunities with their net edge after fees and depth.

        \b
        Examples:
          arbkit scan --sample
          arbkit scan --sample --json
          arbkit scan --sample --watch
          arbkit scan --league nba --min-edge 0.01
          arbkit scan --replay DIR --watch --bus redis://127.0.0.1:6379/0
              (with `arbkit worker` and `arbkit serve matcher` on that Redis)
        """
        if opts["no_store"] and opts["record"]:
            raise click.UsageError("--record writes to the database: not with --no-store")
        import asyncio

        from arbkit.cli.scan_run import ScanRun

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
