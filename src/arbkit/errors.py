"""Every error arbkit raises, in one tree.

Refused requests (retrying will not help), failed operations (retrying later may) and writes
whose outcome is unknown (the venue may have acted) are three separate branches, so policy
follows the tree: ``scan`` retries :class:`OperationFailed` with back-off, nothing ever retries
:class:`OutcomeUnknown` (the caller reconciles by client order id first), and the CLI turns any
:class:`ArbkitError` into a one-line message with a non-zero exit::

    ArbkitError
    ├─ ConfigError                 bad configuration or command-line input
    ├─ PluginError                 a plugin is broken or clashes with another
    ├─ StoreError                  the database cannot be opened or migrated
    └─ VenueError                  a venue refused or failed a request (venue=, status_code=, ...)
       ├─ AuthenticationError      missing, wrong or expired credentials
       ├─ PermissionDenied         the account may not do this (e.g. a geo-restricted order API)
       ├─ BadRequest               the venue says the request is malformed
       ├─ NotFound                 no such market, event or order
       ├─ MarketClosed             the market no longer trades
       ├─ OrderRejected            the venue refused an order
       │  ├─ InsufficientFunds
       │  ├─ InvalidOrder          price off the tick grid, size under the minimum, ...
       │  └─ DuplicateOrderId      the client order id was already used
       ├─ NotSupported             the venue does not offer this operation
       ├─ OperationFailed          may succeed if retried later (a write: not acted on)
       │  ├─ NetworkError          the connection failed
       │  │  ├─ RateLimited        HTTP 429 or the local token bucket is empty
       │  │  ├─ VenueUnavailable   HTTP 5xx, maintenance
       │  │  └─ RequestTimeout
       │  └─ BadResponse           the venue answered something arbkit cannot parse
       └─ OutcomeUnknown           a write was sent and its answer lost: reconcile, never retry

``OrderStateUnknown`` is the same class as :class:`OutcomeUnknown` (its earlier name).
"""

from __future__ import annotations

__all__ = [
    "ArbkitError",
    "AuthenticationError",
    "BadRequest",
    "BadResponse",
    "ConfigError",
    "DuplicateOrderId",
    "InsufficientFunds",
    "InvalidOrder",
    "MarketClosed",
    "NetworkError",
    "NotFound",
    "NotSupported",
    "OperationFailed",
    "OrderRejected",
    "OrderStateUnknown",
    "OutcomeUnknown",
    "PermissionDenied",
    "PluginError",
    "RateLimited",
    "RequestTimeout",
    "StoreError",
    "VenueError",
    "VenueUnavailable",
]


class ArbkitError(Exception):
    """Base of every error arbkit raises on purpose."""


class ConfigError(ArbkitError):
    """Bad configuration or command-line input."""


class PluginError(ArbkitError):
    """A plugin failed to load, has an invalid hook, or registers a clashing id."""


class StoreError(ArbkitError):
    """The SQLite store cannot be opened, read or migrated."""


class VenueError(ArbkitError):
    """A venue refused or failed a request. The venue's own message is kept in ``str(err)``."""

    def __init__(
        self,
        message: str,
        *,
        venue: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message)
        self.venue = venue
        self.status_code = status_code
        self.code = code
        self.body = body

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.venue}: {message}" if self.venue else message


class AuthenticationError(VenueError):
    """Missing, wrong or expired credentials."""


class PermissionDenied(VenueError):
    """The account may not do this, e.g. Polymarket's order API from a restricted location."""


class BadRequest(VenueError):
    """The venue says the request is malformed."""


class NotFound(VenueError):
    """No such market, event or order."""


class MarketClosed(VenueError):
    """The market no longer accepts orders."""


class OrderRejected(VenueError):
    """The venue refused an order."""


class InsufficientFunds(OrderRejected):
    """Not enough balance or allowance for the order."""


class InvalidOrder(OrderRejected):
    """Price off the tick grid, size below the minimum, expired GTD, ..."""


class DuplicateOrderId(OrderRejected):
    """The client order id was already used: the earlier order exists."""


class NotSupported(VenueError, NotImplementedError):
    """The venue does not offer this operation."""


class OperationFailed(VenueError):
    """May succeed if retried later: a read, or a write the venue provably did not act on."""


class NetworkError(OperationFailed):
    """The connection to the venue failed."""


class RateLimited(NetworkError):
    """HTTP 429, or the local token bucket would be overdrawn."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class VenueUnavailable(NetworkError):
    """HTTP 5xx or maintenance."""


class RequestTimeout(NetworkError):
    """The venue did not answer in time."""


class BadResponse(OperationFailed):
    """The venue answered something arbkit cannot parse (malformed JSON, missing fields)."""


class OutcomeUnknown(VenueError):
    """A write (place, cancel, amend) was sent and its answer lost: the venue may have acted.

    Raised by :class:`arbkit.VenueHttp` for any failure after a non-idempotent request left:
    a timeout, a connection lost after sending, a 5xx, a 2xx body that cannot be read. It is
    not an :class:`OperationFailed`, so no retry loop ever re-sends the write; look the order
    up by ``client_order_id`` and decide from what the venue says it holds.
    """

    def __init__(
        self, message: str, *, client_order_id: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.client_order_id = client_order_id


#: The earlier name of :class:`OutcomeUnknown`, kept so existing ``except`` clauses still work.
OrderStateUnknown = OutcomeUnknown
