"""Every fill of a ``--bus`` trading run, published to one bounded stream for followers.

A TUI, a report or a risk monitor in another process follows ``arbkit:fills`` (XREAD from
``$``, or from an entry id it has seen) instead of polling the store. The trader is not
changed for it: :class:`FillStream` implements the ``order_filled`` hook (registered only with
``--bus``) and is an engine sink, so the fills still queued when the run ends are sent in its
``drain``. Each entry is one fill, schema-versioned by :func:`~arbkit.bus.wire.encode`, with
every price, size and fee as a decimal string.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from arbkit.bus.wire import BusError, connect, encode, key, redact_url
from arbkit.engine.sinks import Sink
from arbkit.hookspecs import hookimpl

if TYPE_CHECKING:
    import pluggy

    from arbkit.models import Fill, Order

log = logging.getLogger(__name__)

#: the stream every trading run's fills go to
FILLS = key("fills")
#: it keeps about this many fills (MAXLEN ~): a follower that falls further behind re-reads
#: the store (``arbkit orders``), which keeps every fill
FILLS_MAXLEN = 100_000


def fill_body(order: Order, fill: Fill, *, run_id: str, book_id: str) -> dict[str, Any]:
    """One fill as the stream carries it (decimals as strings, times in ISO 8601)."""
    return {
        "run": run_id,
        "book": book_id,
        "venue": fill.venue,
        "fill_id": fill.fill_id,
        "order_id": fill.order_id,
        "client_order_id": order.client_order_id,
        "contract_id": fill.contract_id,
        "side": fill.side.value,
        "price": str(fill.price),
        "size": str(fill.size),
        "fee": str(fill.fee),
        "fee_shares": str(fill.fee_shares),
        "at": fill.timestamp.isoformat() if fill.timestamp is not None else None,
    }


class FillStream(Sink):
    """The ``order_filled`` hook that queues each fill, and the sink that sends them.

    The hook runs on the engine's task and must not wait for the network: it queues the fill
    and starts a send if none runs; sends go in order, one pipeline per batch.
    """

    def __init__(self, url: str, *, run_id: str, book_id: str) -> None:
        self.url = redact_url(url)
        self.client = connect(url)
        self.run_id = run_id
        self.book_id = book_id
        self.queued: list[dict[str, str]] = []
        self.sent = 0
        self.failure: BusError | None = None
        self._sending: asyncio.Task[None] | None = None
        self._pm: pluggy.PluginManager | None = None

    def register(self, pm: pluggy.PluginManager) -> FillStream:
        """Listen to ``order_filled`` from now on (until :meth:`close`)."""
        pm.register(self, name=f"arbkit-bus-fills-{id(self)}")
        self._pm = pm
        return self

    @hookimpl
    def order_filled(self, order: Order, fill: Fill) -> None:
        self.queued.append(
            encode("fill", fill_body(order, fill, run_id=self.run_id, book_id=self.book_id))
        )
        if self._sending is None or self._sending.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not on a loop (settling after the run): sent by flush()
                return
            self._sending = loop.create_task(self._send())

    async def _send(self) -> None:
        import redis.exceptions

        while self.queued and self.failure is None:
            batch, self.queued = self.queued, []
            pipe = self.client.pipeline(transaction=False)
            for fields in batch:
                pipe.xadd(FILLS, fields, maxlen=FILLS_MAXLEN)  # type: ignore[arg-type]
            try:
                await pipe.execute()
            except redis.exceptions.RedisError as exc:
                self.failure = BusError(
                    f"could not publish {len(batch)} fill(s) to {FILLS} at {self.url}: {exc} "
                    "(they are in the store: arbkit orders)"
                )
                log.error("%s", self.failure)
                return
            self.sent += len(batch)

    async def flush(self) -> None:
        """Send every fill queued; a fill that could not be sent is a BusError."""
        if self._sending is not None:
            await self._sending
        await self._send()
        if self.failure is not None:
            raise self.failure

    async def drain(self) -> None:
        try:
            await self.flush()
        except BusError:
            pass  # kept in failure: the command reports it once the run's result is out

    async def close(self) -> None:
        """Stop listening and close the connection (after :meth:`flush`)."""
        if self._pm is not None:
            self._pm.unregister(self)
            self._pm = None
        try:
            await self.client.aclose()
        except Exception as exc:  # noqa: BLE001 - the run is over; nothing is lost here
            log.info("bus: closing the fills connection: %s", exc)
