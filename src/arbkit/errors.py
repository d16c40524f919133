"""Every error arbkit raises, in one tree.

Refused requests (retrying will not help) and failed operations (retrying later may) are kept
apart, as ccxt does, so policy follows the tree: ``scan`` retries :class:`OperationFailed` with
back-off, ``trade`` never blindly re-submits a write, and the CLI turns any :class:`ArbkitError`
into a one-line message with a non-zero exit::

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
       └─ OperationFailed          may succeed if retried later
          ├─ NetworkError          the connection failed
          │  ├─ RateLimited        HTTP 429 or the local token bucket is empty
          │  ├─ VenueUnavailable   HTTP 5xx, maintenance
          │  └─ RequestTimeout
          ├─ BadResponse           the venue answered something arbkit cannot parse
          └─ OrderStateUnknown     a write whose outcome was lost: reconcile, never re-send blindly
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
    """May succeed if retried later (reads only: writes are reconciled, not re-sent)."""


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


class OrderStateUnknown(OperationFailed):
    """A write (place/cancel) whose outcome was lost; look it up by client order id."""

    def __init__(
        self, message: str, *, client_order_id: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.client_order_id = client_order_id
