"""``--bus`` for a trading run (``arbkit trade``, ``arbkit backtest``): the games' shards run
on ``arbkit worker`` processes as in ``scan --bus``, and every fill goes to ``arbkit:fills``.

The engine stays the orchestrator (:func:`~arbkit.bus.orchestrator.attach_bus`): it reads the
feeds, keeps every game's books — so :meth:`Engine.book`, which the paper and live executors
and the exit rules read, answers as in one process — and hands the workers' changes to its
sinks, the trader among them. On recorded data (a replay, a backtest) the link runs in
lockstep: each event is applied only once the previous event's changes are in and handed on,
in one process's order, so the trader decides on the same changes with the same books at the
same clock, and the result is exactly the single-process one. Live data is not held up: a
change is acted on with the books current when it arrives, as a live trader does anyway.

Call order: :meth:`BusTradingRun.attach` after the pipeline's engine is built and before the
trader is armed; :meth:`BusTradingRun.follow` after it (the fill stream's sink drains after
the trader's); :meth:`BusTradingRun.finish` once the report is built (the last fills are
sent); :meth:`BusTradingRun.close` in any case.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from arbkit.bus import streams
from arbkit.bus.fills import FILLS, FillStream
from arbkit.bus.orchestrator import BusLink, attach_bus

if TYPE_CHECKING:
    import pluggy
    import redis

    from arbkit.engine.core import Engine


class BusTradingRun:
    """One trading run's bus: the orchestrator link and the fill stream."""

    def __init__(
        self, link: BusLink, fills: FillStream, engine: Engine, url: str | None = None
    ) -> None:
        self.link = link
        self.fills = fills
        self.engine = engine
        self.url = url
        self._held_client: redis.Redis | None = None
        self._held_at = 0.0

    @classmethod
    async def attach(
        cls,
        engine: Engine,
        url: str,
        pm: pluggy.PluginManager,
        *,
        run_id: str,
        book_id: str,
        remote_matcher: bool = True,
    ) -> BusTradingRun:
        """Make ``engine`` an orchestrator and start publishing the run's fills.

        ``remote_matcher=False``: the caller matches through the service itself (``trade``'s
        :class:`~arbkit.bus.trading.BusTrading`, whose breaker pauses the gate).
        """
        link = await attach_bus(
            engine, url, pm, remote_matcher=remote_matcher, lockstep=not engine.session.live
        )
        fills = FillStream(url, run_id=run_id, book_id=book_id).register(pm)
        return cls(link, fills, engine, url)

    def follow(self) -> None:
        """Attach the fill stream's sink: after the trader, so the fills of its drain are sent."""
        self.engine.attach(self.fills)

    def raise_failure(self) -> None:
        """A bus failure that stopped the run, as its one line."""
        self.link.raise_failure()

    async def finish(self) -> None:
        """Send the fills still queued (settling adds none, but a drain may have)."""
        await self.fills.flush()

    def hold(self) -> None:
        """While the engine's loop is held (a paused dashboard) its heartbeat cannot run:
        keep the run alive for the workers from the holding code instead (a blocking call,
        at most every half second), so that they do not drop the run's games."""
        if self.url is None or time.monotonic() - self._held_at < 0.5:
            return
        from arbkit.bus.blocking import connect_blocking

        if self._held_client is None:
            self._held_client = connect_blocking(self.url, timeout=2.0)
        keys = self.link.keys
        pipe = self._held_client.pipeline(transaction=True)
        pipe.expire(keys.alive, streams.ALIVE_SECONDS)
        pipe.expire(keys.meta, streams.ALIVE_SECONDS * 4)
        try:
            pipe.execute()
        except Exception:  # noqa: BLE001 - the loop's own heartbeat reports a lost bus
            return
        self._held_at = time.monotonic()

    def resumed(self) -> None:
        """The loop runs again after a hold: the workers' silence meanwhile was ours, so the
        stall clock (no commit for 30 s: no workers?) starts again now."""
        self.link._last_commit = time.monotonic()

    async def close(self) -> None:
        await self.fills.close()
        if self._held_client is not None:
            self._held_client.close()

    def summary(self) -> dict[str, Any]:
        """For the final JSON's ``bus`` key."""
        return {
            "run": self.link.keys.run_id,
            "fills_stream": FILLS,
            "fills_published": self.fills.sent,
        }
