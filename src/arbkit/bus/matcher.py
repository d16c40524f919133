"""One matcher for every process: ``arbkit serve matcher`` and the :class:`RemoteMatcher` client.

A caller pushes a request (its markets, its ``min_confidence``, a deadline) on the list
``arbkit:match:request``; a server pops it, matches with the same :class:`MatchingService` and
the same stored overrides as ``arbkit match``, and pushes the answer on
``arbkit:match:response:<id>``, which expires unread after a minute. Several servers may pop
the same list: each request is answered once.

The client waits ``timeout`` seconds, then opens its circuit breaker: every call fails at once
with :class:`MatcherUnavailable` until ``reset_after`` has passed, when one call tries again. It
never matches locally instead: two matchers could disagree about what a game is.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from attrs import define, field

from arbkit.bus import matchwire
from arbkit.bus.blocking import connect_blocking
from arbkit.bus.codec import Codec, plugin_packages
from arbkit.bus.wire import BusError, connect, decode, encode, key
from arbkit.matching.report import MatchReport
from arbkit.matching.scoring import DEFAULT_MIN_CONFIDENCE
from arbkit.models import Market

if TYPE_CHECKING:
    import pluggy

    from arbkit.matching.overrides import Overrides
    from arbkit.matching.service import MatchingService

log = logging.getLogger(__name__)

REQUESTS = key("match", "request")
REQUEST_KIND = "match_request"
RESPONSE_KIND = "match_response"
#: an answer nobody read is dropped after this long
RESPONSE_TTL_MS = 60_000
#: the batch (one JSON line per market) and the report travel as fields of their own beside
#: the small ``body``: a server hashes a batch as it came, reads only the markets it has not
#: seen before, and keeps its answers as text
MARKETS_FIELD = "markets"
REPORT_FIELD = "report"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def response_key(request_id: str) -> str:
    return key("match", "response", request_id)


class MatcherUnavailable(BusError):
    """The matching service did not answer in time, or its circuit breaker is open."""


# -- the client ------------------------------------------------------------------------------


@define
class CircuitBreaker:
    """Closed while the service answers; open (fail at once) for ``reset_after`` seconds after
    a failure, then half-open: the next call is a trial that closes or re-opens it.

    ``listeners`` hear every change: the reason when it opens, None when it closes.
    """

    reset_after: float = 30.0
    clock: Callable[[], float] = time.monotonic
    opened_at: float | None = None
    reason: str | None = None
    listeners: list[Callable[[str | None], None]] = field(factory=list)

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def allow(self) -> bool:
        """Whether a call may go to the service now (always when closed; a trial when due)."""
        return self.opened_at is None or self.clock() - self.opened_at >= self.reset_after

    def failed(self, reason: str) -> None:
        was_open = self.is_open
        self.opened_at = self.clock()
        self.reason = reason
        if not was_open:
            for listener in self.listeners:
                listener(reason)

    def succeeded(self) -> None:
        if self.opened_at is None:
            return
        self.opened_at = None
        self.reason = None
        for listener in self.listeners:
            listener(None)


class RemoteMatcher:
    """A :class:`~arbkit.scan.orchestrator.Matcher` that asks ``arbkit serve matcher``.

    ``match(markets)`` returns the :class:`MatchReport` the local service would return for the
    same batch, made of the caller's own market objects.

    Raises:
        MatcherUnavailable: no answer within ``timeout`` (the breaker opens), or the breaker
            is open.
        BusError: the service answered with an error (a bad request, another schema version).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.min_confidence = min_confidence
        self.breaker = CircuitBreaker(reset_after=reset_after, clock=clock)
        self._encoded: dict[Market, str] = {}
        self._encoded_ids: dict[int, tuple[Market, str]] = {}
        # the socket waits a little longer than BLPOP, so BLPOP's own timeout decides
        self._redis = connect_blocking(url, timeout=timeout + 1)

    def match(self, markets: Sequence[Market]) -> MatchReport:
        if not self.breaker.allow():
            raise MatcherUnavailable(
                f"matching service unavailable (circuit open): {self.breaker.reason}"
            )
        try:
            fields, body = self._ask(markets)
        except MatcherUnavailable as exc:
            self.breaker.failed(str(exc))
            raise
        self.breaker.succeeded()
        if "error" in body:
            raise BusError(f"matching service: {body['error']}")
        try:
            report = json.loads(fields[REPORT_FIELD])
        except (KeyError, ValueError):
            raise BusError("matching service: an answer without a readable report") from None
        return matchwire.report_from_json(report, markets)

    def _markets_text(self, markets: Sequence[Market]) -> str:
        """The batch as one JSON text per market, a line each; a market equal to one of the
        last batch is not encoded again (a rediscovery finds mostly the same markets)."""
        by_id = self._encoded_ids
        same = [by_id.get(id(m)) for m in markets]
        if all(seen is not None and seen[0] is m for seen, m in zip(same, markets, strict=True)):
            return "\n".join(seen[1] for seen in same if seen is not None)  # the very objects
        by_value = self._encoded
        fresh_ids: dict[int, tuple[Market, str]] = {}
        fresh: dict[Market, str] = {}
        parts = []
        for market in markets:
            text = by_value.get(market) or _json(matchwire.market_to_json(market))
            fresh_ids[id(market)] = (market, text)
            fresh[market] = text
            parts.append(text)
        self._encoded_ids, self._encoded = fresh_ids, fresh
        return "\n".join(parts)

    def _ask(self, markets: Sequence[Market]) -> tuple[dict[str, Any], dict[str, Any]]:
        import redis

        request_id = uuid.uuid4().hex
        request = encode(
            REQUEST_KIND,
            {
                "id": request_id,
                "deadline_ms": int((time.time() + self.timeout) * 1000),
                "min_confidence": self.min_confidence,
            },
        )
        request[MARKETS_FIELD] = self._markets_text(markets)
        reply = response_key(request_id)
        try:
            self._redis.lpush(REQUESTS, _json(request))
            answer = self._redis.blpop([reply], timeout=self.timeout)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise MatcherUnavailable(f"matching service: the bus is unreachable ({exc})") from None
        if answer is None:
            raise MatcherUnavailable(f"matching service: no answer within {self.timeout:g} s")
        fields = json.loads(answer[1])
        kind, body = decode(fields)
        if kind != RESPONSE_KIND or body.get("id") != request_id:
            raise BusError(f"matching service: unexpected answer {kind!r}")
        return fields, body

    def close(self) -> None:
        self._redis.close()


# -- the server ------------------------------------------------------------------------------


@define
class ServerStats:
    requests: int = 0
    answered: int = 0
    cache_hits: int = 0
    expired: int = 0  #: popped after the caller's deadline: not answered
    errors: int = 0


class MatcherServer:
    """Answers match requests with the CLI's matcher and overrides; identical batches are
    answered from a cache (keyed by the batch, the threshold and the overrides in force).

    Args:
        pm: the plugin manager: league data and scorers, as ``arbkit match`` uses them.
        db: the store's database: its ``match_overrides`` are re-read whenever another
            connection has written to the database since the last request.
        cache_size: answers kept (least recently used dropped first).
        markets_kept: markets remembered as read, so a batch that differs from the last in a
            few markets costs only those (least recently used dropped first).
    """

    def __init__(
        self,
        url: str,
        pm: pluggy.PluginManager,
        db: Any,
        *,
        cache_size: int = 256,
        markets_kept: int = 20_000,
    ) -> None:
        self.url = url
        self.pm = pm
        self.db = db
        self.cache_size = cache_size
        self.markets_kept = markets_kept
        self.stats = ServerStats()
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._markets: OrderedDict[str, Market] = OrderedDict()  #: by their JSON text
        self._services: dict[float, MatchingService] = {}
        self._overrides: Overrides | None = None
        self._data_version: int | None = None
        self._codec: Codec | None = None

    # -- answering one request ---------------------------------------------------------------

    def answer(self, payload: bytes | str) -> tuple[str | None, dict[str, str] | None]:
        """``(reply key, answer fields)`` for one request; ``(None, None)`` when it is not
        answered (unreadable, or its caller gave up already)."""
        self.stats.requests += 1
        try:
            fields = json.loads(payload)
            kind, body = decode(fields)
            request_id = str(body["id"])
        except (BusError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("matcher: an unreadable request dropped: %s", exc)
            self.stats.errors += 1
            return None, None
        if body.get("deadline_ms", 0) < time.time() * 1000:
            self.stats.expired += 1
            return None, None
        try:
            if kind != REQUEST_KIND:
                raise BusError(f"not a match request: {kind!r}")
            report = self._report(body, fields.get(MARKETS_FIELD))
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the service
            if not isinstance(exc, BusError):
                log.exception("matcher: request %s failed", request_id)
            self.stats.errors += 1
            return response_key(request_id), encode(
                RESPONSE_KIND, {"id": request_id, "error": str(exc)}
            )
        self.stats.answered += 1
        answer = encode(RESPONSE_KIND, {"id": request_id})
        answer[REPORT_FIELD] = report
        return response_key(request_id), answer

    def _report(self, body: dict[str, Any], markets_text: Any) -> str:
        """The report's JSON for the batch ``markets_text``, from the cache when it was seen."""
        try:
            min_confidence = float(body["min_confidence"])
        except (KeyError, TypeError, ValueError):
            raise BusError("a match request needs a min_confidence") from None
        if not isinstance(markets_text, str):
            raise BusError("a match request needs its markets")
        self._refresh_overrides()
        digest = hashlib.sha256(f"{min_confidence!r}|{markets_text}".encode()).hexdigest()
        cached = self._cache.get(digest)
        if cached is not None:
            self._cache.move_to_end(digest)
            self.stats.cache_hits += 1
            return cached
        markets = [self._market(line) for line in markets_text.split("\n") if line]
        report = self._service(min_confidence).match(markets)
        answer = _json(matchwire.report_to_json(report, markets))
        if self.cache_size:
            self._cache[digest] = answer
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return answer

    def _market(self, text: str) -> Market:
        """One market of a batch, read once: the same text is the same market."""
        market = self._markets.get(text)
        if market is not None:
            self._markets.move_to_end(text)
            return market
        if self._codec is None:
            self._codec = Codec(plugin_packages(self.pm))
        try:
            data = json.loads(text)
        except ValueError:
            raise BusError("a match request with a market that is not JSON") from None
        market = self._markets[text] = matchwire.market_from_json(data, self._codec)
        while len(self._markets) > self.markets_kept:
            self._markets.popitem(last=False)
        return market

    def _service(self, min_confidence: float) -> MatchingService:
        from arbkit.matching.service import MatchingService

        service = self._services.get(min_confidence)
        if service is None:
            service = MatchingService.from_plugins(
                self.pm, overrides=self._overrides, min_confidence=min_confidence
            )
            self._services[min_confidence] = service
        return service

    def _refresh_overrides(self) -> None:
        """Re-read the overrides when the database changed (``arbkit match confirm`` in another
        process); new overrides drop every cached answer and matcher."""
        from arbkit.matching.overrides import load_overrides

        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version and self._overrides is not None:
            return
        self._data_version = version
        overrides = load_overrides(self.db)
        if overrides != self._overrides:
            self._overrides = overrides
            self._services.clear()
            self._cache.clear()

    # -- the loop ----------------------------------------------------------------------------

    async def serve(self, stop: asyncio.Event | None = None, *, poll: float = 1.0) -> None:
        """Answer requests until ``stop`` is set; a lost connection is retried, never fatal."""
        import redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        stop = stop or asyncio.Event()
        client = connect(self.url)
        client.set_retry(Retry(NoBackoff(), 0))  # this loop retries, with its own back-off
        backoff = 0.1
        try:
            while not stop.is_set():
                try:
                    item = await client.brpop([REQUESTS], timeout=poll)
                    if item is None:
                        continue
                    reply, fields = self.answer(item[1])
                    if reply is not None and fields is not None:
                        async with client.pipeline(transaction=True) as pipe:
                            pipe.rpush(reply, _json(fields))
                            pipe.pexpire(reply, RESPONSE_TTL_MS)
                            await pipe.execute()
                    backoff = 0.1
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    log.warning("matcher: the bus is unreachable (%s), retrying", exc)
                    try:
                        await asyncio.wait_for(stop.wait(), backoff)
                    except TimeoutError:
                        pass
                    backoff = min(backoff * 2, 2.0)
        finally:
            await client.aclose()
