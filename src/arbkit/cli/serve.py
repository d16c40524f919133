"""``arbkit serve``: long-running services for a scaled-out deployment (``--bus``).

``arbkit serve matcher`` is the one matcher every worker and trader asks; the service itself
lives in :mod:`arbkit.bus.matcher`, this module only turns options into it and prints.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import click

from arbkit.cli.options import bus_option
from arbkit.cli.output import echo_json
from arbkit.cli.state import AppState
from arbkit.errors import ConfigError


def register(cli: click.Group) -> None:
    @cli.group(name="serve")
    def serve_group() -> None:
        """Services for running arbkit over Redis (docs/scaling.md).

        \b
        Examples:
          arbkit serve matcher --bus redis://127.0.0.1:6379/0
        """

    @serve_group.command(name="matcher")
    @bus_option
    @click.option(
        "--cache",
        "cache_size",
        type=click.IntRange(min=0),
        default=256,
        show_default=True,
        help="Match answers kept for batches asked again (0: none).",
    )
    @click.option("--json", "json_", is_flag=True, help="On exit, print the counts as JSON.")
    @click.pass_obj
    def matcher_command(state: AppState, bus: str | None, cache_size: int, json_: bool) -> None:
        """Answer match requests over Redis for every worker and trader.

        It matches with the same league data, scorers and stored overrides as
        `arbkit match` (from this database: `arbkit match confirm` in another process
        takes effect on the next request). Callers that get no answer stop entering
        new trades; they never match on their own. Run one or more; each request is
        answered once. Stop it with Ctrl-C.

        \b
        Examples:
          arbkit serve matcher --bus redis://127.0.0.1:6379/0
          ARBKIT_BUS=redis://10.0.0.5:6379/0 arbkit --db /srv/arbkit.db serve matcher
          arbkit serve matcher --bus redis://127.0.0.1:6379/0 --cache 0 --json
        """
        if bus is None:
            raise click.UsageError("serve matcher needs --bus URL (or ARBKIT_BUS)")
        from arbkit.bus.matcher import MatcherServer

        server = MatcherServer(bus, state.plugin_manager, state.store.db, cache_size=cache_size)
        asyncio.run(_serve(server, bus, quiet=state.quiet))
        stats = server.stats
        if json_:
            echo_json(
                {
                    "requests": stats.requests,
                    "answered": stats.answered,
                    "cache_hits": stats.cache_hits,
                    "expired": stats.expired,
                    "errors": stats.errors,
                }
            )
        elif not state.quiet:
            click.echo(
                f"answered {stats.answered} of {stats.requests} requests "
                f"({stats.cache_hits} from the cache, {stats.expired} too late)",
                err=True,
            )


async def _serve(server: Any, url: str, *, quiet: bool) -> None:
    from arbkit.bus.blocking import connect_blocking

    client = connect_blocking(url, timeout=2.0)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the bus is one line
        raise ConfigError(f"the bus at {url} is unreachable: {exc}") from None
    finally:
        client.close()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            break
    if not quiet:
        click.echo(f"matching service ready on {url}", err=True)
    await server.serve(stop)
