"""A token bucket per endpoint class, set from each venue's documented limits.

Waiting locally for a token is cheaper than a 429: both venues throttle or reject bursts, and
Kalshi's 429 carries no Retry-After.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from attrs import define, field


@define
class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` tokens per second.

    Args:
        rate: tokens added per second (e.g. Kalshi Basic reads: 200).
        capacity: the burst size (defaults to one second of ``rate``).
    """

    rate: float
    capacity: float = field(default=0.0)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _tokens: float = field(init=False, default=0.0)
    _updated: float = field(init=False, default=0.0)
    _lock: asyncio.Lock | None = field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.capacity <= 0:
            self.capacity = self.rate
        self._tokens = self.capacity
        self._updated = self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if they are there; never waits."""
        self._refill()
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False

    def delay_for(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens will be available."""
        self._refill()
        return max(0.0, (cost - self._tokens) / self.rate)

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait until ``cost`` tokens are available, then take them (FIFO among waiters)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while not self.try_acquire(cost):
                await asyncio.sleep(self.delay_for(cost))
