"""A real HTTP + WebSocket server on 127.0.0.1 for fake venues, with switchable failure modes.

Fake venues subclass :class:`LoopbackServer`, add REST routes with :meth:`route` and implement
:meth:`on_websocket`. Tests then inject faults: HTTP errors (429, 5xx), slow or malformed
responses, dropped or silent sockets. The servers run in a background thread with their own
event loop, so clients under test talk to them over real sockets exactly as to a venue.
"""

from __future__ import annotations

import asyncio
import json
import re
import selectors
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socket import socketpair
from typing import Any
from urllib.parse import parse_qs, urlsplit

from attrs import define, field


@define
class Request:
    """One HTTP request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  #: lower-case names
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@define
class Response:
    """What a route returns; ``body`` is JSON-encoded unless it is bytes or str."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(factory=dict)


@define
class Fault:
    """A failure to inject into the next ``times`` matching HTTP requests.

    ``path`` limits it to paths starting with that prefix; ``delay`` sleeps before answering
    (client timeouts); ``malformed`` answers 200 with broken JSON; ``status`` answers that status;
    ``drop`` closes the connection without answering (the answer lost on the way back);
    ``hold`` lets the venue act at once, then holds its real answer that many seconds (an
    order in flight: the client may time out, or die, before it hears what happened).
    """

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(factory=dict)
    delay: float = 0.0
    malformed: bool = False
    times: int = 1
    path: str | None = None
    swallow: bool = False  #: still run the real handler (the venue acts) before failing
    drop: bool = False
    hold: float = 0.0

    @property
    def fails(self) -> bool:
        """Whether the request gets a fault instead of the real answer (a delay alone does not)."""
        return bool(self.status or self.malformed or self.drop)


Handler = Callable[..., Any]

#: Seconds a websocket handler gets to return after its socket was aborted on stop.
_HANDLER_GRACE = 1.0


class LoopbackServer:
    """HTTP and WebSocket servers on loopback; use as a context manager or call start/stop."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Request] = []
        self.faults: deque[Fault] = deque()
        self.lock = threading.RLock()
        self.silent = False  #: websocket: keep sockets open but send nothing
        self._sockets: set[Any] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: _HttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._ws_server: Any = None
        self.ws_connections = 0
        self.http_port = 0
        self.ws_port = 0

    # -- configuration ---------------------------------------------------------------------

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register ``handler(request, **groups)`` for ``method`` and a full-match regex path."""

        def decorate(handler: Handler) -> Handler:
            self._routes.append((method.upper(), re.compile(pattern), handler))
            return handler

        return decorate

    def inject(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Queue a fault (or build one from keyword arguments)."""
        fault = fault or Fault(**kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    # -- websocket side ----------------------------------------------------------------------

    async def on_websocket(self, socket: Any) -> None:
        """Serve one websocket connection (override). The default just keeps it open."""
        async for _ in socket:
            pass

    async def send(self, socket: Any, message: Any) -> None:
        """Send to one socket unless the server has gone silent."""
        if self.silent:
            return
        await socket.send(message if isinstance(message, str) else json.dumps(message))

    def broadcast(self, message: Any) -> None:
        """Send ``message`` to every connected websocket (thread-safe, waits until sent)."""
        self._call(self._broadcast(message))

    async def _broadcast(self, message: Any) -> None:
        await asyncio.gather(*(self._send_quietly(s, message) for s in list(self._sockets)))

    async def _send_quietly(self, socket: Any, message: Any) -> None:
        """Send to one socket; one that is closing or not reading must not block the others."""
        try:
            await asyncio.wait_for(self.send(socket, message), 1.0)
        except Exception:  # noqa: BLE001 - a closing socket is not the fake's problem
            pass

    def drop_websockets(self) -> None:
        """Close every websocket abruptly, as a venue-side disconnect would."""
        self._call(self._drop())

    async def _drop(self) -> None:
        for socket in list(self._sockets):
            socket.transport.abort() if hasattr(socket, "transport") else await socket.close()

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` websocket connections have been opened in total."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ws_connections >= count:
                return True
            time.sleep(0.01)
        return False

    def _call(self, coroutine: Any) -> Any:
        assert self._loop is not None, "server not started"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=5)

    async def _serve_socket(self, socket: Any) -> None:
        self._sockets.add(socket)
        self.ws_connections += 1
        try:
            await self.on_websocket(socket)
        except Exception:  # noqa: BLE001 - closed sockets end the handler
            pass
        finally:
            self._sockets.discard(socket)

    # -- HTTP side -----------------------------------------------------------------------------

    def handle_http(self, request: Request) -> tuple[int, dict[str, str], bytes] | None:
        """Apply faults, then dispatch to a route; (status, headers, body), or None to drop."""
        with self.lock:
            self.requests.append(request)
            fault = self._take_fault(request.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault is None or not fault.fails:
            answer = self._dispatch(request)
            if fault is not None and fault.hold:
                time.sleep(fault.hold)
            return answer
        if fault.swallow:
            self._dispatch(request)  # the venue acts; its answer is then replaced or lost
        return self._fault_response(fault)

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path is None or path.startswith(fault.path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> tuple[int, dict[str, str], bytes] | None:
        if fault.drop:
            return None
        if fault.malformed:
            return 200, {"content-type": "application/json"}, b'{"truncated": [1, 2'
        body = fault.body if fault.body is not None else {"error": "injected fault"}
        return fault.status or 500, dict(fault.headers), _encode(body)

    def _dispatch(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if not match:
                continue
            allowed = True
            if method != request.method:
                continue
            result = handler(request, **match.groupdict())
            response = result if isinstance(result, Response) else Response(body=result)
            headers = {"content-type": "application/json", **response.headers}
            return response.status, headers, _encode(response.body)
        status = 405 if allowed else 404
        return status, {"content-type": "application/json"}, _encode({"error": "not found"})

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        server = self
        ready = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                answer = server.handle_http(request)
                if answer is None:  # a dropped answer: close without a byte
                    self.close_connection = True
                    return
                status, headers, body = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._http = _HttpServer(("127.0.0.1", 0), Handler)
        self.http_port = self._http.server_address[1]
        self._http_thread = threading.Thread(target=self._http.serve_until_stopped, daemon=True)
        self._http_thread.start()

        def run_loop() -> None:
            import websockets.asyncio.server

            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                self._ws_server = await websockets.asyncio.server.serve(
                    self._serve_socket, "127.0.0.1", 0, ping_interval=None
                )
                self.ws_port = self._ws_server.sockets[0].getsockname()[1]
                ready.set()

            loop.run_until_complete(boot())
            loop.run_forever()

        self._thread = threading.Thread(target=run_loop, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        """Stop both servers and join their threads; returns as soon as they are down."""
        if self._http is not None:
            self._http.stop()
            if self._http_thread is not None:
                self._http_thread.join(5)
            self._http.server_close()
            self._http = self._http_thread = None
        if self._loop is not None:
            try:
                self._call(self._close_websockets())
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
                if self._thread is not None:
                    self._thread.join(5)
                if not self._loop.is_running():
                    self._loop.close()
                self._loop = self._thread = None

    async def _close_websockets(self) -> None:
        """Abort every connection, then close the listener and wait until it has closed."""
        for socket in list(self._sockets):
            socket.transport.abort()
        if self._ws_server is None:
            return
        self._ws_server.close(close_connections=False)
        try:
            await asyncio.wait_for(self._ws_server.wait_closed(), _HANDLER_GRACE)
        except TimeoutError:  # a handler that ignores its closed socket: cancel it
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HttpServer(ThreadingHTTPServer):
    """The stdlib server with a stop that wakes its loop at once.

    ``serve_forever`` polls for ``shutdown()`` every 0.5 s, so each stop cost half a second;
    this loop waits on the listening socket and a wake-up socket together instead.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._wake_read, self._wake_write = socketpair()
        self._stopping = threading.Event()

    def serve_until_stopped(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self and not self._stopping.is_set():
                        self._handle_request_noblock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def stop(self) -> None:
        self._stopping.set()
        self._wake_write.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_read.close()
        self._wake_write.close()


def _encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()
