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

from typing import TYPE_CHECKING, Any

from arbkit.bus.fills import FILLS, FillStream
from arbkit.bus.orchestrator import BusLink, attach_bus

if TYPE_CHECKING:
    import pluggy

    from arbkit.engine.core import Engine


class BusTradingRun:
    """One trading run's bus: the orchestrator link and the fill stream."""

    def __init__(self, link: BusLink, fills: FillStream, engine: Engine) -> None:
        self.link = link
        self.fills = fills
        self.engine = engine

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
        return cls(link, fills, engine)

    def follow(self) -> None:
        """Attach the fill stream's sink: after the trader, so the fills of its drain are sent."""
        self.engine.attach(self.fills)

    def raise_failure(self) -> None:
        """A bus failure that stopped the run, as its one line."""
        self.link.raise_failure()

    async def finish(self) -> None:
        """Send the fills still queued (settling adds none, but a drain may have)."""
        await self.fills.flush()

    async def close(self) -> None:
        await self.fills.close()

    def summary(self) -> dict[str, Any]:
        """For the final JSON's ``bus`` key."""
        return {
            "run": self.link.keys.run_id,
            "fills_stream": FILLS,
            "fills_published": self.fills.sent,
        }
