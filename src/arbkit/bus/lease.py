"""The trading lease: at most one executor trades an account, whatever the number of processes.

The lease is one Redis key, ``arbkit:lease:<account>``, set with NX and a time to live, whose
value names its holder and a fencing token. The token comes from ``INCR`` on
``arbkit:lease:<account>:token`` in the same script, so every new holder has a larger one.
Renewing and releasing are Lua scripts that act only while the key still holds our value.

Two things stop a holder that lost its lease from writing:

* its own deadline: the lease is taken to end ``ttl`` after the renewal was *sent* (less a
  margin for clock rate), so a process paused or cut off stops before Redis lets the key go;
* :meth:`TradingLease.check`, the journal's fence, run before every order-journal write: it
  refuses once the deadline has passed, and when Redis (if reachable) holds another value —
  another holder, or a restarted Redis that lost the key.

A holder renews every ``ttl / 3`` from a thread of its own, so a busy event loop cannot let the
lease lapse. The lease is not re-taken in the same run once lost: another executor may have
traded in between, and only a fresh start reads the journal again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from arbkit.bus.blocking import connect_blocking
from arbkit.bus.wire import BusError, key

log = logging.getLogger(__name__)

#: the share of the time to live a holder trusts: Redis measures from the renewal's arrival,
#: the holder from its sending, and the two clocks' rates may differ a little
TRUSTED = 0.8

_ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then return {0, redis.call('get', KEYS[1])} end
local token = redis.call('incr', KEYS[2])
local floor = tonumber(ARGV[3])
if token <= floor then
  token = floor + 1
  redis.call('set', KEYS[2], token)
end
local value = ARGV[1] .. '#' .. token
redis.call('set', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {1, value}
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class LeaseHeld(BusError):
    """Another executor holds the account's trading lease."""


class LeaseLost(BusError):
    """This process no longer holds the trading lease: it must not write an order."""


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class TradingLease:
    """One account's lease, as seen by one process.

    Args:
        url: the bus.
        account: what the lease guards (``live`` for the venue accounts of a database).
        ttl: seconds the lease lasts without a renewal.
        owner: who holds it, shown to whoever waits (host:pid by default).
        clock: monotonic seconds (tests may pass their own).
    """

    def __init__(
        self,
        url: str,
        account: str,
        *,
        ttl: float = 10.0,
        owner: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise BusError(f"a lease needs a positive time to live, not {ttl}")
        self.account = account
        self.ttl = ttl
        self.owner = owner or default_owner()
        self.clock = clock
        self.key = key("lease", account)
        self.counter = key("lease", account, "token")
        self.token: int | None = None
        self.lost: str | None = None  #: why the lease was lost, once it is
        self._value: str | None = None
        self._valid_until = 0.0
        self._redis = connect_blocking(url, timeout=min(2.0, ttl / 4))
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._thread: threading.Thread | None = None
        self._on_lost: Callable[[str], None] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # -- taking and giving back ----------------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; the new fencing token is in :attr:`token`."""
        sent = self.clock()
        got, value = self._acquire(
            keys=[self.key, self.counter],
            args=[self.owner, int(self.ttl * 1000), self.token or 0],
        )
        value = value.decode() if isinstance(value, bytes) else str(value)
        if not got:
            return False
        with self._lock:
            self._value = value
            self.token = int(value.rsplit("#", 1)[1])
            self._valid_until = sent + self.ttl * TRUSTED
            self.lost = None
        return True

    def acquire(
        self,
        *,
        wait: float | None = None,
        poll: float = 0.5,
        waiting: Callable[[str], None] | None = None,
    ) -> int:
        """Take the lease, waiting up to ``wait`` seconds (None: as long as it takes) while
        another holds it; ``waiting`` hears the holder once. Returns the fencing token.

        Raises:
            LeaseHeld: still held by another after ``wait``.
            BusError: Redis is unreachable or refuses the lease's commands.
        """
        import redis

        deadline = None if wait is None else self.clock() + wait
        told = False
        while True:
            try:
                if self.try_acquire():
                    assert self.token is not None
                    return self.token
                holder = self.holder()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                raise BusError(f"the trading lease: the bus is unreachable ({exc})") from None
            except redis.ResponseError as exc:  # e.g. a database it does not have (--bus …/99)
                raise BusError(f"the trading lease: the bus refused it ({exc})") from None
            if deadline is not None and self.clock() >= deadline:
                raise LeaseHeld(
                    f"the trading lease of account {self.account!r} is held by {holder}"
                )
            if waiting is not None and not told:
                waiting(f"waiting for the trading lease of account {self.account!r} ({holder})")
                told = True
            time.sleep(poll)

    def holder(self) -> str | None:
        value = self._redis.get(self.key)
        return None if value is None else value.decode()

    def renew(self) -> bool:
        """Extend the lease; False (and :attr:`lost` says why) when it is no longer ours.

        Raises:
            redis.ConnectionError / redis.TimeoutError: Redis did not answer (the lease is
            still ours until its deadline).
        """
        if self._value is None or self.lost is not None:
            return False
        sent = self.clock()
        if not self._renew(keys=[self.key], args=[self._value, int(self.ttl * 1000)]):
            self._lose(
                f"the lease was taken over or expired ({self.holder() or 'nobody holds it'})"
            )
            return False
        with self._lock:
            self._valid_until = max(self._valid_until, sent + self.ttl * TRUSTED)
        return True

    def release(self) -> None:
        """Give the lease back (only if still ours), and stop renewing."""
        self.stop()
        if self._value is not None and self.lost is None:
            try:
                self._release(keys=[self.key], args=[self._value])
            except Exception as exc:  # noqa: BLE001 - it expires by itself
                log.info("lease: release failed (%s); it expires in %g s", exc, self.ttl)
        self._value = None
        self.token = None

    def close(self) -> None:
        self.release()
        self._redis.close()

    # -- the fence -----------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        """Ours right now, by our own deadline (no round trip)."""
        return self._value is not None and self.lost is None and self.clock() < self._valid_until

    def check(self) -> None:
        """The fence, before every order-journal write: raise unless the lease is still ours.

        Raises:
            LeaseLost: our deadline has passed, or Redis holds another value.
        """
        import redis

        if self.lost is not None:
            raise LeaseLost(f"trading lease lost: {self.lost}")
        if self._value is None:
            raise LeaseLost("trading lease not held")
        if self.clock() >= self._valid_until:
            self._lose(f"not renewed within {self.ttl:g} s")
            raise LeaseLost(f"trading lease lost: {self.lost}")
        try:
            current = self._redis.get(self.key)
        except (redis.ConnectionError, redis.TimeoutError):
            return  # unreachable: ours until the deadline, which has not passed
        if current is None or current.decode() != self._value:
            holder = "nobody holds it" if current is None else f"held by {current.decode()}"
            self._lose(f"token {self.token} is stale ({holder})")
            raise LeaseLost(f"trading lease lost: {self.lost}")

    # -- keeping it ----------------------------------------------------------------------------

    def keep(self, on_lost: Callable[[str], None]) -> None:
        """Renew every ``ttl / 3`` from a thread until :meth:`stop`; ``on_lost`` (called from
        that thread) hears once that the lease is gone."""
        self._on_lost = on_lost
        self._stop.clear()
        self._thread = threading.Thread(target=self._keep, name="arbkit-lease", daemon=True)
        self._thread.start()

    def _keep(self) -> None:
        import redis

        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.renew():
                    return
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if self.clock() >= self._valid_until:
                    self._lose(f"the bus was unreachable for longer than the lease ({exc})")
                    return
                log.warning("lease: renewal failed (%s), retrying", exc)

    def _lose(self, why: str) -> None:
        with self._lock:
            if self.lost is not None:
                return
            self.lost = why
        log.error("trading lease of %r lost: %s", self.account, why)
        if self._on_lost is not None:
            self._on_lost(why)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.ttl)
        self._thread = None

    def describe(self) -> str:
        """One line for a status display."""
        if self.lost is not None:
            return f"LEASE LOST ({self.lost})"
        if self._value is None:
            return "no lease"
        return f"lease #{self.token}" if self.held else "LEASE EXPIRING"
