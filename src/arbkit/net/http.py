"""One HTTP client per venue: rate-limited, retrying idempotent reads, never blind on writes.

Venue plugins call :meth:`VenueHttp.request` with an endpoint class (for the token bucket) and
say whether the request is idempotent. Reads are retried on 429, 5xx and network errors with
exponential back-off. A write is sent once; any failure after it was sent (a timeout, a lost
connection, a 5xx, an unreadable 2xx body) raises :class:`OutcomeUnknown`, because the venue
may have acted on it. That decision lives here so that no venue plugin has to make it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

import httpx
from attrs import define, field

from arbkit import safejson
from arbkit.errors import (
    AuthenticationError,
    BadRequest,
    BadResponse,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    VenueError,
    VenueUnavailable,
)
from arbkit.net.ratelimit import TokenBucket
from arbkit.secrets import redact

log = logging.getLogger(__name__)

#: Turns an error response into the most specific arbkit error (ccxt's exact/broad tables).
ErrorMapper = Callable[[httpx.Response], VenueError]

_STATUS_ERRORS: dict[int, type[VenueError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
}


#: Failures that happen before a request leaves: a write that meets one was never sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SNIPPET_CHARS = 160


def one_line(text: str, limit: int = _SNIPPET_CHARS) -> str:
    """``text`` as one short line: markup dropped, whitespace collapsed, cut with an ellipsis."""
    flat = " ".join(_TAG.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def response_message(response: httpx.Response) -> tuple[str, str | None]:
    """The venue's own message and error code from an error body, whatever its shape.

    A body that is not JSON (a proxy's or CDN's HTML page, say) becomes one line naming the
    status and the request path, so a terminal never fills with a web page.
    """
    text = response.text[:2000]
    try:
        body = safejson.loads(response.content)
    except (ValueError, RecursionError):
        status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        try:
            status += f" on {response.request.method} {response.request.url.path}"
        except RuntimeError:  # a response built without its request (tests)
            pass
        snippet = one_line(text)
        return (f"{status}: {snippet}" if snippet else status), None
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or error.get("details") or json.dumps(error)
            code = error.get("code")
            return one_line(str(message), 500), None if code is None else str(code)
        return one_line(str(error), 500), None
    return one_line(text, 500), None


def default_error_mapper(venue: str) -> ErrorMapper:
    """Map by HTTP status only: 401 → AuthenticationError, 429 → RateLimited, 5xx → unavailable."""

    def mapper(response: httpx.Response) -> VenueError:
        message, code = response_message(response)
        status = response.status_code
        cls = _STATUS_ERRORS.get(status) or (VenueUnavailable if status >= 500 else VenueError)
        kwargs: dict[str, Any] = {"venue": venue, "status_code": status, "code": code}
        kwargs["body"] = redact(response.text[:2000])
        if cls is RateLimited:
            retry_after = response.headers.get("retry-after")
            try:
                kwargs["retry_after"] = float(retry_after) if retry_after else None
            except ValueError:
                kwargs["retry_after"] = None
        return cls(redact(message), **kwargs)

    return mapper


@define
class VenueHttp:
    """An ``httpx.AsyncClient`` wrapped with buckets, retries and error mapping.

    Args:
        venue: venue name for errors and logs.
        base_url: the API root (overridable in config; tests point it at a fake server).
        buckets: token buckets by endpoint class, e.g. ``{"read": ..., "write": ...}``.
        error_mapper: turns an error response into an arbkit error.
        proxy: an HTTP(S) proxy URL for this venue only.
        timeout: seconds per request.
        max_retries: retries for idempotent requests.
        transport: an httpx transport (tests only).
    """

    venue: str
    base_url: str
    buckets: Mapping[str, TokenBucket] = field(factory=dict)
    error_mapper: ErrorMapper | None = None
    proxy: str | None = None
    timeout: float = 10.0
    max_retries: int = 4
    backoff_base: float = 0.25
    backoff_cap: float = 8.0
    headers: Mapping[str, str] = field(factory=dict)
    transport: httpx.AsyncBaseTransport | None = None
    _client: httpx.AsyncClient | None = field(init=False, default=None)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self.timeout,
                proxy=self.proxy,
                headers=dict(self.headers),
                transport=self.transport,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _mapper(self) -> ErrorMapper:
        return self.error_mapper or default_error_mapper(self.venue)

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str = "read",
        idempotent: bool | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | Callable[[str, str, bytes], Mapping[str, str]] | None = None,
        cost: float = 1.0,
        client_order_id: str | None = None,
    ) -> Any:
        """Send one request and return its decoded JSON body.

        Args:
            endpoint: which token bucket this request draws from.
            idempotent: retry on failure; defaults to True for GET/HEAD only. Anything else is
                a write: sent exactly once.
            headers: extra headers, or a function ``(method, path, body) -> headers`` called for
                every attempt (signatures carry a timestamp, so each retry is signed anew).
            client_order_id: for writes: carried by :class:`OutcomeUnknown`.

        Raises:
            VenueError: the mapped venue error (after retries, for idempotent requests); a 4xx
                answer to a write is the venue's refusal and is raised as mapped.
            NetworkError: a write whose connection could not even be made (nothing was sent).
            OutcomeUnknown: a write was sent and then failed in any way (timeout, connection
                lost, 5xx, unreadable body): reconcile by ``client_order_id``, never re-send.
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD")
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
        what = f"{method} {path}"
        if not idempotent:
            send = partial(self._send, method, path, params, content, headers)
            return await self._write(what, send, endpoint, cost, client_order_id)
        attempts = self.max_retries + 1
        last_error: VenueError | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self._delay(attempt, last_error))
            await self._acquire(endpoint, cost)
            try:
                response = await self._send(method, path, params, content, headers)
            except httpx.DecodingError as exc:
                raise self._read_failure(what, exc) from exc  # garbage again if retried
            except httpx.RequestError as exc:
                last_error = self._read_failure(what, exc)
                log.info("%s: %s (attempt %d)", self.venue, last_error, attempt + 1)
                continue
            if response.is_success:
                return _decode_json(response, self.venue, what)
            error = self._mapper()(response)
            if not isinstance(error, (RateLimited, VenueUnavailable)):
                raise error
            last_error = error
            log.info("%s: %s (attempt %d)", self.venue, error, attempt + 1)
        assert last_error is not None
        raise last_error

    async def _write(
        self,
        what: str,
        send: Callable[[], Awaitable[httpx.Response]],
        endpoint: str,
        cost: float,
        client_order_id: str | None,
    ) -> Any:
        """Send a write exactly once; after it left, every failure is :class:`OutcomeUnknown`."""
        await self._acquire(endpoint, cost)
        try:
            response = await send()
        except _NOT_SENT as exc:
            raise self._read_failure(what, exc) from exc
        except httpx.RequestError as exc:
            reason = f"no answer ({type(exc).__name__})"
            raise self._unknown(what, reason, client_order_id) from exc
        except asyncio.CancelledError:
            log.warning("%s: %s cancelled after sending: its outcome is unknown", self.venue, what)
            raise
        if response.is_success:
            try:
                return _decode_json(response, self.venue, what)
            except BadResponse as exc:
                raise self._unknown(what, str(exc.args[0]), client_order_id, exc) from exc
        error = self._mapper()(response)
        if response.status_code >= 500:  # a gateway or the venue failed: it may have acted first
            reason = f"HTTP {response.status_code}: {error.args[0]}"
            raise self._unknown(what, reason, client_order_id, error) from error
        raise error  # a 4xx: the venue answered, and refused

    def _unknown(
        self,
        what: str,
        reason: str,
        client_order_id: str | None,
        cause: VenueError | None = None,
    ) -> OutcomeUnknown:
        order = f" (client order id {client_order_id})" if client_order_id else ""
        return OutcomeUnknown(
            f"{what}{order}: {reason}; the outcome is unknown",
            venue=self.venue,
            client_order_id=client_order_id,
            status_code=None if cause is None else cause.status_code,
            code=None if cause is None else cause.code,
            body=None if cause is None else cause.body,
        )

    def _read_failure(self, what: str, exc: httpx.RequestError) -> VenueError:
        """The retryable error for a request that got no usable answer."""
        if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return RequestTimeout(f"{what}: cannot connect in time", venue=self.venue)
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeout(f"{what}: no answer in time", venue=self.venue)
        if isinstance(exc, httpx.DecodingError):
            return BadResponse(f"{what}: undecodable response body", venue=self.venue)
        detail = redact(str(exc)) or type(exc).__name__
        return NetworkError(f"{what}: cannot connect ({detail})", venue=self.venue)

    async def _acquire(self, endpoint: str, cost: float) -> None:
        bucket = self.buckets.get(endpoint)
        if bucket is not None:
            await bucket.acquire(cost)

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str] | Callable[[str, str, bytes], Mapping[str, str]] | None,
    ) -> httpx.Response:
        if callable(headers):
            headers = headers(method.upper(), path, content or b"")
        merged = dict(headers or {})
        if content is not None:
            merged.setdefault("content-type", "application/json")
        return await self.client.request(
            method, path, params=_clean_params(params), content=content, headers=merged
        )

    def _delay(self, attempt: int, error: VenueError | None) -> float:
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(self.backoff_cap, error.retry_after)
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {key: value for key, value in params.items() if value is not None}


def _decode_json(response: httpx.Response, venue: str, what: str) -> Any:
    if not response.content:
        return None
    try:
        return safejson.loads(response.content)
    except (ValueError, RecursionError):
        raise BadResponse(
            f"{what}: malformed JSON in the response ({len(response.content)} bytes)",
            venue=venue,
            status_code=response.status_code,
            body=redact(response.text[:500]),
        ) from None
