"""``--bus`` for a process that trades (``arbkit trade``, ``arbkit tui``), wired in one place.

Both commands call the same steps in the same order, so the dashboard cannot trade differently
from the trade command over the bus:

    before_journal()   the account's lease, before anything reads the order journal
    attach(engine)     the games' shards on the workers (BusTradingRun), the shared matcher
                       with its breaker, and the lease's guard sink (before the trader)
    guard(trader)      the journal fenced by the lease; the fill stream after the trader
    finish()           the last fills sent; the ``bus`` key of the report
    aclose()/close()   the fill stream (on the loop), then the lease and the matcher client

``status()`` is the status line's few words, ``state()`` the dashboard header's frozen value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from arbkit.bus.state import BusState
from arbkit.bus.trading import BusTrading, from_environment

if TYPE_CHECKING:
    import pluggy

    from arbkit.bus.tradebus import BusTradingRun
    from arbkit.engine.core import Engine
    from arbkit.trading.trader import Trader


class BusAttachment:
    """One trading run's bus: the lease and matcher (:class:`BusTrading`) and the workers
    and fill stream (:class:`~arbkit.bus.tradebus.BusTradingRun`)."""

    def __init__(self, url: str, trading: BusTrading) -> None:
        self.url = url
        self.trading = trading
        self.run: BusTradingRun | None = None

    @classmethod
    def from_environment(
        cls,
        url: str,
        book_id: str,
        environ: Mapping[str, str],
        config: Mapping[str, Any] | None = None,
    ) -> BusAttachment:
        """For the trading book ``book_id``, tuned by the config's ``[bus]`` table and, over it,
        ``ARBKIT_ACCOUNT``, ``ARBKIT_LEASE_SECONDS`` and ``ARBKIT_MATCHER_TIMEOUT`` (a bad
        value: ConfigError)."""
        return cls(url, from_environment(url, book_id, environ, config))

    @staticmethod
    def check(url: str, config: Mapping[str, Any] | None = None) -> None:
        """The bus settings (``[bus]``, ``ARBKIT_*``) are valid and the bus answers: checked
        before the command opens its database or an app, so a bad ``--bus`` is one line and
        leaves nothing behind."""
        import os

        import redis

        from arbkit.bus.blocking import connect_blocking
        from arbkit.bus.wire import redact_url
        from arbkit.errors import ConfigError

        from_environment(url, "check", os.environ, config).close()  # bad settings: ConfigError
        client = connect_blocking(url, timeout=2.0)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ConfigError(f"--bus {redact_url(url)}: Redis does not answer ({exc})") from None
        finally:
            client.close()

    async def before_journal(self, progress: Callable[[str], None] | None = None) -> int:
        """Wait for the account's lease (the loop keeps running) and keep renewing it; returns
        the fencing token. Call it before anything reads the journal."""
        return await self.trading.acquire_async(progress)

    async def attach(
        self, engine: Engine, pm: pluggy.PluginManager, *, run_id: str, book_id: str
    ) -> None:
        """Make ``engine`` an orchestrator matching through the service; before the trader is
        attached, so that the lease's guard sees every change first."""
        from arbkit.bus.tradebus import BusTradingRun

        self.run = await BusTradingRun.attach(
            engine, self.url, pm, run_id=run_id, book_id=book_id, remote_matcher=False
        )
        self.trading.use_remote_matcher(engine)
        engine.attach(self.trading)  # before the trader: a lost lease halts it first

    def guard(self, trader: Trader) -> None:
        """Fence ``trader``'s journal with the lease; its fills go to ``arbkit:fills``."""
        assert self.run is not None, "attach() first"
        self.trading.guard(trader)
        self.run.follow()

    def hold(self) -> None:
        """The engine's loop is held (a paused dashboard): keep the run alive for the
        workers, and halt the gate at once if the lease was lost meanwhile."""
        self.trading.check()
        if self.run is not None:
            self.run.hold()

    def resumed(self) -> None:
        """The loop runs again after :meth:`hold`."""
        if self.run is not None:
            self.run.resumed()

    def raise_failure(self) -> None:
        """The bus failure that stopped the run, as its one line (nothing if none)."""
        if self.run is not None:
            self.run.raise_failure()

    async def finish(self) -> dict[str, Any]:
        """Send the fills still queued; the report's ``bus`` key."""
        if self.run is not None:
            await self.run.finish()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        run = {} if self.run is None else self.run.summary()
        return {**self.trading.summary(), **run}

    def status(self) -> str:
        return self.trading.status()

    def state(self) -> BusState:
        return self.trading.state()

    async def aclose(self) -> None:
        """Close the fill stream (on the run's loop)."""
        if self.run is not None:
            await self.run.close()

    def close(self) -> None:
        """Give the lease back and close the matcher client (after the loop, in any case)."""
        self.trading.close()
