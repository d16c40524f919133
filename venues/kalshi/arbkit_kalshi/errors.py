"""Kalshi error responses → arbkit's error tree, the venue's message and code kept.

Kalshi answers ``{"error": {"code": "...", "message": "...", "details": "..."}}``; a 429 is
``{"error": "too many requests"}`` without ``Retry-After``. The HTTP status gives the broad
class (core mapper); the code refines it (ccxt's exact/broad tables, by code fragment because
Kalshi's list of codes is not published in full).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from arbkit import (
    AuthenticationError,
    BadRequest,
    DuplicateOrderId,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    NotFound,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    VenueError,
    VenueUnavailable,
)

if TYPE_CHECKING:  # httpx loads with the HTTP client, not with the stream decoder
    import httpx

#: Code fragment → error class, first match wins (most specific first).
CODE_ERRORS: tuple[tuple[str, type[VenueError]], ...] = (
    ("insufficient", InsufficientFunds),
    ("duplicate", DuplicateOrderId),
    ("already_exists", DuplicateOrderId),
    ("market_closed", MarketClosed),
    ("market_not_active", MarketClosed),
    ("trading_is_paused", MarketClosed),
    ("exchange_closed", MarketClosed),
    ("not_found", NotFound),
    ("signature", AuthenticationError),
    ("unauthorized", AuthenticationError),
    ("authentication", AuthenticationError),
    ("forbidden", PermissionDenied),
    ("too_many", RateLimited),
    ("rate_limit", RateLimited),
    ("unavailable", VenueUnavailable),
    ("maintenance", VenueUnavailable),
    ("post_only", InvalidOrder),
    ("invalid_price", InvalidOrder),
    ("invalid_count", InvalidOrder),
    ("invalid_order", InvalidOrder),
    ("order", OrderRejected),
)


def error_class(code: str | None) -> type[VenueError] | None:
    """The arbkit error class for a Kalshi error code, or None to keep the status mapping."""
    if not code:
        return None
    lowered = code.lower()
    for fragment, cls in CODE_ERRORS:
        if fragment in lowered:
            return cls
    return None


def kalshi_error_mapper(venue: str = "kalshi") -> Callable[[httpx.Response], VenueError]:
    """The ``VenueHttp`` error mapper for Kalshi."""
    from arbkit import default_error_mapper

    base = default_error_mapper(venue)

    def mapper(response: httpx.Response) -> VenueError:
        error = base(response)
        refined = error_class(error.code)
        if refined is None or type(error) is refined:
            return error
        if isinstance(error, BadRequest) and refined is VenueUnavailable:
            return error
        kwargs = {
            "venue": error.venue,
            "status_code": error.status_code,
            "code": error.code,
            "body": error.body,
        }
        if refined is RateLimited:
            return RateLimited(error.args[0], retry_after=None, **kwargs)
        return refined(error.args[0], **kwargs)

    return mapper


def ws_error(code: int | None, message: str) -> VenueError:
    """A websocket ``{"type": "error"}`` message as an arbkit error (for logs and callers)."""
    if code == 27:
        return RateLimited(f"websocket: {message} (code 27)", venue="kalshi", code="27")
    return VenueError(f"websocket: {message} (code {code})", venue="kalshi", code=str(code))


#: Websocket error codes after which the subscription is gone and must be re-made.
TERMINAL_WS_CODES = frozenset({10, 25})
