"""A blocking Redis client, for the two callers that cannot await.

The engine calls its matcher synchronously (``Matcher.match``), and the trading lease renews
from a thread of its own so that a busy event loop cannot let it lapse; both talk to Redis
through this client. Everything else on the bus uses :func:`arbkit.bus.wire.connect`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbkit.errors import ConfigError

if TYPE_CHECKING:
    import redis


def connect_blocking(url: str, *, timeout: float) -> redis.Redis:
    """A blocking client for ``url`` whose every call gives up after about ``timeout`` s."""
    try:
        import redis as redis_
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:  # pragma: no cover - redis is a dependency
        raise ConfigError("--bus needs the redis package: pip install redis hiredis") from None
    try:
        # no retries: redis-py's default (10, with back-off) would turn a timeout into minutes
        return redis_.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:
        raise ConfigError(f"--bus {url!r}: {exc}") from None
