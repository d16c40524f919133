"""What ``arbkit trade --bus`` adds to a trader: the account's lease and the shared matcher.

* The lease is taken before anything reads the journal (a standby waits here for the holder to
  stop), the journal's fence is the lease's :meth:`~arbkit.bus.lease.TradingLease.check`, and
  a lost lease halts the risk gate at once: the guard sink sits before the trader and looks at
  the lease's deadline on every change, and the renewal thread reports a loss as it sees it.
* The engine matches through :class:`~arbkit.bus.matcher.RemoteMatcher`. While the service is
  down (its breaker open) the gate is REDUCING — no new entries, exits and hedges go on — and
  the games already watched stay watched, so their positions keep being marked and exited. No
  game is matched locally; once the service answers again the gate is active again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from arbkit.bus.lease import LeaseHeld, TradingLease
from arbkit.bus.matcher import MatcherUnavailable, RemoteMatcher
from arbkit.bus.settings import BusSettings
from arbkit.bus.state import BusState, LeaseState
from arbkit.bus.wire import redact_url
from arbkit.engine.sinks import Sink
from arbkit.matching.report import MatchReport
from arbkit.models import Market, MatchResult

if TYPE_CHECKING:
    from arbkit.engine.core import Engine
    from arbkit.scan.shard import Change
    from arbkit.trading.trader import Trader

log = logging.getLogger(__name__)

MATCHER_DOWN = "matching service unavailable"


def lease_name(account: str, book_id: str) -> str:
    """The lease a trading book needs: ``<account>:live`` is the venue accounts, shared by every
    process that trades them (``[bus] account`` or ``ARBKIT_ACCOUNT`` names them, default
    ``default``); a paper replay's book is its own, so replays never wait for each other."""
    return f"{account}:{book_id}"


def matcher_timeout(environ: Mapping[str, str]) -> float:
    """``ARBKIT_MATCHER_TIMEOUT``: seconds a caller waits for the matching service (10)."""
    return BusSettings.read(environ).matcher_timeout


def from_environment(
    url: str,
    book_id: str,
    environ: Mapping[str, str],
    config: Mapping[str, Any] | None = None,
) -> BusTrading:
    """``--bus`` for a trading book, tuned by the config's ``[bus]`` table ``config`` and,
    over it, ``ARBKIT_ACCOUNT``, ``ARBKIT_LEASE_SECONDS`` and ``ARBKIT_MATCHER_TIMEOUT``
    (:class:`~arbkit.bus.settings.BusSettings`)."""
    settings = BusSettings.read(environ, config)
    return BusTrading(
        url,
        account=lease_name(settings.account, book_id),
        lease_ttl=settings.lease_seconds,
        matcher_timeout=settings.matcher_timeout,
    )


class KeepWatching:
    """The engine's matcher under ``--bus``: the remote service; while it cannot answer, the
    games already watched are kept (never re-matched locally) and no new game is added. With
    nothing watched yet there is nothing to keep, and the error stands."""

    def __init__(self, remote: RemoteMatcher, watched: Callable[[], list[MatchResult]]) -> None:
        self.remote = remote
        self.watched = watched

    def match(self, markets: Sequence[Market]) -> MatchReport:
        try:
            return self.remote.match(markets)
        except MatcherUnavailable as exc:
            watched = list(self.watched())
            if not watched:
                raise
            log.warning("%s; keeping the %d games watched", exc, len(watched))
            return MatchReport(matches=watched, near_misses=[])


class BusTrading(Sink):
    """The lease, the remote matcher and their effect on one trader's gate (a sink, attached
    to the engine before the trader so that it halts the gate before the trader decides)."""

    def __init__(
        self,
        url: str,
        *,
        account: str,
        lease_ttl: float = 10.0,
        matcher_timeout: float = 10.0,
        matcher_reset: float = 30.0,
    ) -> None:
        self.url = url
        self.lease = TradingLease(url, account, ttl=lease_ttl)
        self.matcher_timeout = matcher_timeout
        self.matcher_reset = matcher_reset
        self.remote: RemoteMatcher | None = None
        self.trader: Trader | None = None
        self.engine: Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halted = False
        self.waiting: str | None = None  #: who holds the lease while this process waits for it

    # -- before the engine runs ----------------------------------------------------------------

    def acquire(self, progress: Callable[[str], None] | None = None) -> int:
        """Wait for and take the account's lease, and renew it from now on (a live run's
        confirmation prompt may take longer than the lease); returns the fencing token."""
        return self._hold(self.lease.acquire(waiting=progress), progress)

    async def acquire_async(
        self, progress: Callable[[str], None] | None = None, *, poll: float = 0.5
    ) -> int:
        """:meth:`acquire` without holding up the event loop while another executor holds the
        lease: the wait runs in a thread, a second at a time, so a dashboard keeps drawing
        (:attr:`waiting` says who holds it) and a stop is heard within a second."""

        def waiting(line: str) -> None:
            first, self.waiting = self.waiting is None, line
            if first and progress is not None:
                progress(line)

        while True:
            try:
                token = await asyncio.to_thread(
                    self.lease.acquire, wait=1.0, poll=poll, waiting=waiting
                )
            except LeaseHeld:
                continue
            self.waiting = None
            return self._hold(token, progress)

    def _hold(self, token: int, progress: Callable[[str], None] | None) -> int:
        self._loop = asyncio.get_running_loop()
        self.lease.keep(self._lost_from_thread)
        if progress is not None:
            progress(f"holding the trading lease of {self.lease.account!r} (token {token})")
        return token

    def use_remote_matcher(self, engine: Engine) -> RemoteMatcher:
        """Match through the service from now on (the engine has not matched yet)."""
        remote = RemoteMatcher(
            self.url,
            timeout=self.matcher_timeout,
            min_confidence=engine.options.min_confidence,
            reset_after=self.matcher_reset,
        )
        remote.breaker.listeners.append(self._matcher_changed)
        engine.scanner.matcher = KeepWatching(remote, lambda: engine.scanner.matches)
        self.remote = remote
        return remote

    def guard(self, trader: Trader) -> None:
        """Fence the trader's journal with the lease; a lease already lost halts it now."""
        self.trader = trader
        trader.journal.fence = self.lease.check
        if self.lease.lost is not None:
            self._lease_lost(self.lease.lost)

    # -- the sink ------------------------------------------------------------------------------

    def started(self, engine: Engine) -> None:
        self.engine = engine

    def change(self, change: Change) -> None:
        self.check()

    def check(self) -> None:
        """Halt the gate now if the lease is no longer held (on the engine's thread: every
        change, and a paused dashboard's loop, which holds up the renewal thread's report)."""
        if not self._halted and not self.lease.held and self.trader is not None:
            self._lease_lost(self.lease.lost or f"not renewed within {self.lease.ttl:g} s")

    # -- reactions -----------------------------------------------------------------------------

    def _lost_from_thread(self, why: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._lease_lost, why)

    def _lease_lost(self, why: str) -> None:
        """No entry from now on in this run; the fence refuses every order write already."""
        if self._halted or self.trader is None:
            return
        self._halted = True
        self.trader.gate.halt(f"trading lease lost: {why}", self.trader.now())

    def _matcher_changed(self, reason: str | None) -> None:
        trader = self.trader
        if trader is None:
            return
        gate = trader.gate
        if reason is not None:
            gate.pause(MATCHER_DOWN, f"{MATCHER_DOWN}: {reason}")
        else:  # lifts exactly this pause: a halt, the kill switch, another pause stay
            gate.unpause(MATCHER_DOWN)

    def status(self) -> str:
        """The lease and the matcher in a few words (the status line's bus field)."""
        text = self.lease.describe()
        if self.remote is not None and self.remote.breaker.is_open:
            text += f", {MATCHER_DOWN.upper()}"
        return text

    def state(self) -> BusState:
        """The lease and the matcher as a frozen value (the dashboard's header)."""
        lease = self.lease
        if lease.lost is not None:
            state, detail = LeaseState.LOST, lease.lost
        elif self.waiting is not None:
            state, detail = LeaseState.WAITING, self.waiting
        elif lease.token is None:
            state, detail = LeaseState.NONE, ""
        else:
            state = LeaseState.HELD if lease.held else LeaseState.EXPIRING
            detail = "" if lease.held else f"not renewed within {lease.ttl:g} s"
        remote = self.remote
        return BusState(
            url=redact_url(self.url),
            account=lease.account,
            lease=state,
            token=lease.token,
            detail=detail,
            matcher_down=(
                (remote.breaker.reason or "no answer")
                if remote is not None and remote.breaker.is_open
                else None
            ),
        )

    def summary(self) -> dict[str, object]:
        """For the final JSON."""
        return {
            "account": self.lease.account,
            "token": self.lease.token,
            "lease_lost": self.lease.lost,
            "matcher_down": None if self.remote is None else self.remote.breaker.reason,
        }

    def close(self) -> None:
        self.lease.close()
        if self.remote is not None:
            self.remote.close()
