"""VenueHttp against a real loopback server: retries for reads, never for writes; TokenBucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import arbkit
from arbkit import TokenBucket, VenueHttp
from arbkit.testing import LoopbackServer, Request


class FakeVenueServer(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.orders: list[Any] = []

        @self.route("GET", "/markets")
        def markets(request: Request) -> Any:
            return {"markets": [{"id": "m1", "price": "0.55"}], "page": request.arg("page")}

        @self.route("POST", "/orders")
        def place(request: Request) -> Any:
            self.orders.append(request.json())
            return {"order_id": "o-1"}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeVenueServer]:
    # One server per module: a test only needs its requests and faults cleared.
    with FakeVenueServer() as fake:
        yield fake


@pytest.fixture
def server(shared_server: FakeVenueServer) -> FakeVenueServer:
    with shared_server.lock:
        shared_server.requests.clear()
        shared_server.faults.clear()
    return shared_server


def _http(server: LoopbackServer, **kwargs: Any) -> VenueHttp:
    options: dict[str, Any] = {"backoff_base": 0.001, "backoff_cap": 0.01, "max_retries": 2}
    return VenueHttp(venue="fake", base_url=server.http_url, **{**options, **kwargs})


def _hits(server: LoopbackServer, method: str, path: str) -> int:
    return sum(1 for r in server.requests if (r.method, r.path) == (method, path))


async def test_get_returns_json_and_drops_none_params(server: FakeVenueServer) -> None:
    http = _http(server)
    try:
        body = await http.request("GET", "/markets", params={"page": "2", "cursor": None})
    finally:
        await http.aclose()
    assert body == {"markets": [{"id": "m1", "price": "0.55"}], "page": "2"}
    assert server.requests[-1].query == {"page": ["2"]}


async def test_429_then_success_is_retried_for_get(server: FakeVenueServer) -> None:
    server.inject(status=429, headers={"retry-after": "0"}, path="/markets")
    http = _http(server)
    try:
        body = await http.request("GET", "/markets")
    finally:
        await http.aclose()
    assert body["markets"][0]["id"] == "m1"
    assert _hits(server, "GET", "/markets") == 2


async def test_5xx_becomes_venue_unavailable_after_retries(server: FakeVenueServer) -> None:
    server.inject(status=503, body={"error": {"message": "down", "code": "E1"}}, times=10)
    http = _http(server, max_retries=2)
    with pytest.raises(arbkit.VenueUnavailable) as info:
        try:
            await http.request("GET", "/markets")
        finally:
            await http.aclose()
    assert _hits(server, "GET", "/markets") == 3  # one try plus two retries
    err = info.value
    assert (err.venue, err.status_code, err.code) == ("fake", 503, "E1")
    assert str(err) == "fake: down"


async def test_refusals_are_not_retried(server: FakeVenueServer) -> None:
    server.inject(status=401, body={"error": "bad key"}, times=5)
    http = _http(server)
    with pytest.raises(arbkit.AuthenticationError, match="bad key"):
        try:
            await http.request("GET", "/markets")
        finally:
            await http.aclose()
    assert _hits(server, "GET", "/markets") == 1


async def test_post_4xx_is_the_refusal_sent_once(server: FakeVenueServer) -> None:
    server.inject(status=400, body={"error": "bad size"}, path="/orders", times=5)
    http = _http(server)
    with pytest.raises(arbkit.BadRequest, match="bad size"):
        try:
            await http.request("POST", "/orders", json_body={"size": "1"}, client_order_id="c-1")
        finally:
            await http.aclose()
    assert _hits(server, "POST", "/orders") == 1


async def _write(server: FakeVenueServer, **kwargs: Any) -> arbkit.OutcomeUnknown:
    """Send one order; return the OutcomeUnknown it must raise."""
    http = _http(server, **kwargs)
    with pytest.raises(arbkit.OutcomeUnknown) as info:
        try:
            await http.request("POST", "/orders", json_body={"size": "1"}, client_order_id="cid-7")
        finally:
            await http.aclose()
    return info.value


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"status": 503}, 503),  # an outage answer: it may have come after the venue acted
        ({"status": 502, "body": "<html>Bad Gateway</html>"}, 502),  # a gateway in between
        ({"drop": True}, None),  # the connection closes with no answer
        ({"malformed": True}, 200),  # 200, but the body is unreadable
        ({"delay": 0.5}, None),  # the answer comes too late
    ],
    ids=["503", "502-html", "dropped", "garbled-2xx", "timeout"],
)
@pytest.mark.parametrize("acted", [True, False], ids=["venue-acted", "venue-did-not-act"])
async def test_any_failure_after_a_write_was_sent_is_outcome_unknown_sent_once(
    server: FakeVenueServer, fault: dict[str, Any], status: int | None, acted: bool
) -> None:
    server.orders.clear()
    server.inject(path="/orders", times=5, swallow=acted, **fault)
    err = await _write(server, timeout=0.1 if "delay" in fault else 10.0)
    assert err.client_order_id == "cid-7"
    assert (err.venue, err.status_code) == ("fake", status)
    assert "cid-7" in str(err) and "outcome is unknown" in str(err) and "\n" not in str(err)
    assert not isinstance(err, arbkit.OperationFailed)  # no retry loop may catch it
    assert _hits(server, "POST", "/orders") == 1  # sent exactly once, never re-sent
    if "delay" not in fault:  # (a late answer's handler runs after the client gave up)
        assert len(server.orders) == (1 if acted else 0)


async def test_a_write_that_cannot_connect_was_not_sent() -> None:
    """No connection at all: nothing left arbkit, so this is a plain NetworkError."""
    with FakeVenueServer() as fake:
        url = fake.http_url
    http = VenueHttp(venue="fake", base_url=url, max_retries=0)
    with pytest.raises(arbkit.NetworkError) as info:
        try:
            await http.request("POST", "/orders", json_body={"size": "1"}, client_order_id="c-9")
        finally:
            await http.aclose()
    assert not isinstance(info.value, arbkit.OutcomeUnknown)


async def test_a_read_that_fails_is_still_retried(server: FakeVenueServer) -> None:
    server.inject(drop=True, path="/markets")
    server.inject(status=502, path="/markets")
    http = _http(server)
    try:
        body = await http.request("GET", "/markets")
    finally:
        await http.aclose()
    assert body["markets"][0]["id"] == "m1"
    assert _hits(server, "GET", "/markets") == 3


async def test_malformed_json_is_bad_response(server: FakeVenueServer) -> None:
    server.inject(malformed=True, path="/markets")
    http = _http(server)
    with pytest.raises(arbkit.BadResponse, match="malformed JSON"):
        try:
            await http.request("GET", "/markets")
        finally:
            await http.aclose()


async def test_signing_headers_are_built_per_attempt(server: FakeVenueServer) -> None:
    server.inject(status=429, headers={"retry-after": "0"}, path="/markets")
    calls: list[tuple[str, str]] = []

    def sign(method: str, path: str, body: bytes) -> dict[str, str]:
        calls.append((method, path))
        return {"x-signature": f"sig-{len(calls)}"}

    http = _http(server)
    try:
        await http.request("GET", "/markets", headers=sign)
    finally:
        await http.aclose()
    assert calls == [("GET", "/markets"), ("GET", "/markets")]
    assert [r.headers["x-signature"] for r in server.requests] == ["sig-1", "sig-2"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_with_injected_clock() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=4, capacity=3, clock=clock)
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert bucket.delay_for() == 0.25
    clock.now += 0.25
    assert bucket.try_acquire()
    clock.now += 60  # refills up to capacity, never beyond
    assert bucket.try_acquire(3) and not bucket.try_acquire()


def test_token_bucket_defaults_and_validation() -> None:
    bucket = TokenBucket(rate=5, clock=FakeClock())
    assert bucket.capacity == 5
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


async def test_token_bucket_acquire_takes_tokens() -> None:
    bucket = TokenBucket(rate=1, capacity=2, clock=FakeClock())
    await bucket.acquire(2)
    assert not bucket.try_acquire()


async def test_an_html_error_page_becomes_one_line_with_status_and_path(
    server: FakeVenueServer,
) -> None:
    page = (
        "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title>\n<style>body{x:1}</style>"
        "</head>\n<body>\n<h1>Access denied</h1>\n<p>Your request was blocked by the edge."
        + " padding" * 200
        + "</p>\n</body></html>\n"
    )
    server.inject(status=403, body=page, path="/markets")
    http = _http(server)
    try:
        with pytest.raises(arbkit.PermissionDenied) as raised:
            await http.request("GET", "/markets")
    finally:
        await http.aclose()
    message = str(raised.value)
    assert "\n" not in message and "<" not in message and "body{" not in message
    assert message.startswith("fake: HTTP 403 Forbidden on GET /markets: 403 Forbidden Access")
    assert len(message) < 220 and message.endswith("…")
