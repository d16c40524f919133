"""Polymarket's error bodies (``{"error": "<message>"}``) mapped onto arbkit's error tree.

The CLOB reports most order refusals as HTTP 400 with prose only, so the table matches message
fragments (ccxt's "broad" table) before falling back on the HTTP status. The venue's message is
always kept in the raised error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    json_loads,
    redact,
)

if TYPE_CHECKING:  # httpx loads with the first live venue, not with a replay
    import httpx

VENUE = "polymarket"

#: Lower-case message fragments → error class; first match wins (most specific first).
BROAD: tuple[tuple[str, type[VenueError]], ...] = (
    ("duplicated", DuplicateOrderId),
    ("not enough balance", InsufficientFunds),
    ("allowance", InsufficientFunds),
    ("minimum tick size", InvalidOrder),
    ("lower than the minimum", InvalidOrder),
    ("invalid post-only", InvalidOrder),
    ("crosses book", InvalidOrder),
    ("order_version_mismatch", InvalidOrder),
    ("expiration", InvalidOrder),
    ("invalid order", InvalidOrder),
    ("fully filled", OrderRejected),  # a FOK that could not fill completely
    ("no orders found to match", OrderRejected),  # a FAK with nothing to match
    ("not yet ready", MarketClosed),
    ("market is closed", MarketClosed),
    ("closed only", PermissionDenied),
    ("cancel-only", VenueUnavailable),
    ("trading is currently disabled", VenueUnavailable),
    ("banned", PermissionDenied),
    ("restricted", PermissionDenied),
    ("invalid api key", AuthenticationError),
    ("unauthorized", AuthenticationError),
    ("l1 request headers", AuthenticationError),
    ("owner of the api key", AuthenticationError),
    ("no orderbook exists", NotFound),
    ("not found", NotFound),
    ("too many requests", RateLimited),
)

STATUS: dict[int, type[VenueError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
}


def error_message(response: httpx.Response) -> str:
    """The venue's own message: the ``error`` (or ``errorMsg``) field, else the body text."""
    try:
        body: Any = json_loads(response.content)
    except (
        ValueError,
        RecursionError,
    ):  # an HTML page from a proxy or CDN: one line with status and path
        from arbkit import response_message

        return response_message(response)[0]
    if isinstance(body, dict):
        for key in ("error", "errorMsg", "message"):
            if body.get(key):
                return str(body[key])
    return response.text[:500]


def classify(message: str, status: int | None) -> type[VenueError]:
    """The most specific error class for a Polymarket message and HTTP status."""
    lowered = message.lower()
    for fragment, cls in BROAD:
        if fragment in lowered:
            return cls
    if status is None:
        return OrderRejected
    return STATUS.get(status) or (VenueUnavailable if status >= 500 else VenueError)


def map_error(response: httpx.Response) -> VenueError:
    """The :data:`arbkit.ErrorMapper` for every Polymarket HTTP client."""
    message = redact(error_message(response))
    status = response.status_code
    cls = classify(message, status)
    kwargs: dict[str, Any] = {
        "venue": VENUE,
        "status_code": status,
        "body": redact(response.text[:2000]),
    }
    if cls is RateLimited:
        try:
            kwargs["retry_after"] = float(response.headers.get("retry-after", ""))
        except ValueError:
            kwargs["retry_after"] = None
    return cls(message, **kwargs)


def order_refusal(message: str) -> VenueError:
    """An order answered ``success: false`` with HTTP 200: still a refusal, typed by its text."""
    cls = classify(message, None)
    if not issubclass(cls, OrderRejected):
        cls = OrderRejected
    return cls(redact(message), venue=VENUE)
