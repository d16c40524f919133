"""``arbkit worker --bus URL``: run game shards for every ``scan --bus`` on that Redis.

The worker itself is :mod:`arbkit.bus.worker` (imported when the command runs). It needs the
same strategy and venue plugins installed as the orchestrator; it reads no venue feed itself.
"""

from __future__ import annotations

import json
import os
import socket
from typing import TYPE_CHECKING, Any

import click

from arbkit.bus.streams import SNAPSHOT_EVERY, SNAPSHOT_EVERY_MAX
from arbkit.cli.options import FiniteFloat, bus_option
from arbkit.cli.state import AppState

if TYPE_CHECKING:
    from arbkit.bus.worker import Worker


def register(cli: click.Group) -> None:
    @cli.command(name="worker")
    @bus_option
    @click.option(
        "--name",
        metavar="NAME",
        help="Consumer name; a worker restarted with its old name resumes its games "
        "(default: host-pid).",
    )
    @click.option(
        "--reclaim-after",
        type=FiniteFloat(low=0.1, high=3600),
        default=5.0,
        show_default=True,
        help="Take over a game whose worker has been silent this many seconds.",
    )
    @click.option(
        "--snapshot-every",
        type=click.IntRange(1, SNAPSHOT_EVERY_MAX),
        default=SNAPSHOT_EVERY,
        show_default=True,
        help="Save a game's state after this many of its messages (a take-over replays fewer).",
    )
    @click.option("--json", "json_", is_flag=True, help="JSON lines on stdout: start and end.")
    @click.pass_obj
    def worker_command(state: AppState, **opts: Any) -> None:
        """Run the shards of games that `arbkit scan --bus` assigns, until stopped.

        Start as many as you like, on any machine that reaches the Redis; a worker that dies
        has its games taken over by the others within --reclaim-after (docs/scaling.md).
        Ctrl-C or SIGTERM hands this worker's games to the others at once.

        \b
        Examples:
          arbkit worker --bus redis://127.0.0.1:6379/0
          arbkit worker --bus redis://10.0.0.5:6379/0 --name w1 --reclaim-after 2
          ARBKIT_BUS=redis://127.0.0.1:6379/0 arbkit worker --json
        """
        if opts["bus"] is None:
            raise click.UsageError("arbkit worker needs --bus redis://HOST:PORT/DB")
        name = opts["name"] or f"{socket.gethostname()}-{os.getpid()}"
        if not name.strip() or any(ch.isspace() for ch in name):
            raise click.BadParameter(f"{name!r} is not a name", param_hint="--name")
        import asyncio

        worker = asyncio.run(_serve(state, opts["bus"], name, opts))
        said = {"worker": name, "stopped": True, "messages": worker.messages}
        said["taken_over"] = worker.taken_over
        if opts["json_"]:
            click.echo(json.dumps(said))
        elif not state.quiet:
            click.echo(
                f"worker {name} stopped after {worker.messages} messages "
                f"({worker.taken_over} games taken over)",
                err=True,
            )


async def _serve(state: AppState, url: str, name: str, opts: Any) -> Worker:
    import asyncio
    import signal

    from arbkit.bus.wire import connect
    from arbkit.bus.worker import Worker

    client = connect(url)
    worker = Worker(
        client,
        state.plugin_manager,
        name=name,
        reclaim_after=opts["reclaim_after"],
        snapshot_every=opts["snapshot_every"],
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            break
    if opts["json_"]:
        click.echo(json.dumps({"worker": name, "bus": url, "started": True}), nl=True)
    elif not state.quiet:
        click.echo(f"worker {name} on {url}: waiting for games (Ctrl-C stops)", err=True)
    task = asyncio.ensure_future(worker.run(stop))
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        if task.done():
            task.result()  # a refused command: raise its one-line error
        else:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await worker.hand_back()
        except Exception:  # noqa: BLE001 - a lost bus: the others reclaim after the idle time
            pass
    finally:
        waiter.cancel()
        await client.aclose()
    return worker
