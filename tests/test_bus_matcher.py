"""The matching service over a real redis-server: same answers as the local matcher, the CLI's
overrides, a cache, and callers that time out, open a breaker and never match on their own."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from redis_helpers import redis_server as real_redis

from arbkit.bus import matchwire
from arbkit.bus.codec import Codec, plugin_packages
from arbkit.bus.matcher import (
    REQUESTS,
    MatcherServer,
    MatcherUnavailable,
    RemoteMatcher,
)
from arbkit.engine.session import open_replay
from arbkit.errors import ConfigError
from arbkit.matching import MatchingService
from arbkit.matching.overrides import REJECT, save_override
from arbkit.models import Market
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import sample_dir
from arbkit.store import open_store
from arbkit.venue import DiscoveryQuery

redis_server = real_redis  # the fixture: a fresh redis-server on 127.0.0.1 per test


@pytest.fixture(scope="module")
def plugins() -> Any:
    return make_plugin_manager()


@pytest.fixture(scope="module")
def markets(plugins: Any) -> list[Market]:
    """The shipped sample evening's markets, through the venue plugins' own parsers."""
    session = open_replay(plugins, sample_dir(), speed=0)

    async def discover() -> list[Market]:
        found: list[Market] = []
        for venue in session.venues:
            found += await venue.discover(DiscoveryQuery())
        await session.aclose()
        return found

    return asyncio.run(discover())


class ServerThread:
    """A :class:`MatcherServer` answering on its own event loop in a thread (with its own
    connection to the database, as a separate process would have)."""

    def __init__(self, url: str, plugins: Any, db_path: Path) -> None:
        self.server = MatcherServer(url, plugins, None)
        self.db_path = db_path
        self.ready = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.server.db = open_store(self.db_path).db
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.ready.set()
        await self.server.serve(self.stop_event, poll=0.2)

    def __enter__(self) -> MatcherServer:
        self.thread.start()
        self.ready.wait(5)
        return self.server

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
            self.thread.join(10)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    return open_store(tmp_path / "arbkit.db")


def test_markets_and_reports_cross_exactly(plugins: Any, markets: list[Market]) -> None:
    codec = Codec(plugin_packages(plugins))
    wired = json.loads(json.dumps([matchwire.market_to_json(m) for m in markets]))
    back = [matchwire.market_from_json(m, codec) for m in wired]
    assert back == markets
    assert [m.fees for m in back] == [m.fees for m in markets]  # exact fee parameters
    assert all(isinstance(m.tick_size, type(markets[0].tick_size)) for m in back)
    report = MatchingService.from_plugins(plugins).match(markets)
    assert report.matches and report.near_misses  # the sample has both
    answer = json.loads(json.dumps(matchwire.report_to_json(report, markets)))
    assert matchwire.report_from_json(answer, markets) == report


def test_a_market_naming_a_class_outside_arbkit_is_refused(plugins: Any, markets: list[Market]):
    from arbkit.bus.wire import BusError

    wired = matchwire.market_to_json(markets[0])
    wired["f"]["fees"]["c"] = "subprocess:Popen"
    with pytest.raises(BusError, match="outside arbkit"):
        matchwire.market_from_json(wired, Codec(plugin_packages(plugins)))


def test_the_service_answers_what_the_local_matcher_does(
    redis_server: Any, plugins: Any, markets: list[Market], store: Any
) -> None:
    local = MatchingService.from_plugins(plugins, overrides=store.db).match(markets)
    strict = MatchingService.from_plugins(plugins, min_confidence=0.99).match(markets)
    with ServerThread(redis_server.url, plugins, store.path) as server:
        remote = RemoteMatcher(redis_server.url, timeout=5)
        report = remote.match(markets)
        stricter = RemoteMatcher(redis_server.url, timeout=5, min_confidence=0.99).match(markets)
        # a rediscovery: new objects, equal values (encoded once, answered from the cache)
        copies = [evolve(m) for m in markets]
        again = remote.match(copies)
    assert report == local
    assert stricter == strict
    assert len(stricter.matches) < len(report.matches)  # the threshold crossed the bus
    # made of the caller's own objects (their raw payloads included)
    mine = {id(m) for m in markets}
    assert all(id(m) in mine for match in report.matches for m in match.markets)
    assert again == local
    theirs = {id(m) for m in copies}
    assert all(id(m) in theirs for match in again.matches for m in match.markets)
    assert server.stats.answered == 3 and server.stats.cache_hits == 1


def test_stored_overrides_are_respected_and_clear_the_cache(
    redis_server: Any, plugins: Any, markets: list[Market], store: Any
) -> None:
    with ServerThread(redis_server.url, plugins, store.path) as server:
        remote = RemoteMatcher(redis_server.url, timeout=5)
        before = remote.match(markets)
        assert remote.match(markets) == before
        assert server.stats.cache_hits == 1
        link = before.matches[0].links[0]
        # `arbkit match reject` from another process: another connection to the database
        other = open_store(store.path)
        save_override(other.db, link.left.contract_id, link.right.contract_id, REJECT)
        after = remote.match(markets)
    expected = MatchingService.from_plugins(plugins, overrides=open_store(store.path).db)
    assert after == expected.match(markets)
    pairs = {(lk.left.contract_id, lk.right.contract_id) for lk in after.links}
    assert (link.left.contract_id, link.right.contract_id) not in pairs
    assert after != before
    assert server.stats.cache_hits == 1  # the override dropped the cached answer


def test_no_server_times_out_opens_the_breaker_and_never_matches_locally(
    redis_server: Any, markets: list[Market]
) -> None:
    import redis

    now = [0.0]
    remote = RemoteMatcher(redis_server.url, timeout=0.3, reset_after=30, clock=lambda: now[0])
    heard: list[str | None] = []
    remote.breaker.listeners.append(heard.append)
    with pytest.raises(MatcherUnavailable, match="no answer within 0.3 s"):
        remote.match(markets)
    assert remote.breaker.is_open and heard == [remote.breaker.reason]
    client = redis.Redis.from_url(redis_server.url)
    client.delete(REQUESTS)
    # open: refused at once, nothing asked of the bus
    with pytest.raises(MatcherUnavailable, match="circuit open"):
        remote.match(markets)
    assert client.llen(REQUESTS) == 0
    # half-open after reset_after: one trial goes to the bus (and fails again)
    now[0] = 31.0
    with pytest.raises(MatcherUnavailable, match="no answer"):
        remote.match(markets)
    assert client.llen(REQUESTS) == 1
    assert heard == [heard[0]]  # still open: no second "opened"


def test_the_breaker_closes_when_the_service_answers_again(
    redis_server: Any, plugins: Any, markets: list[Market], store: Any
) -> None:
    now = [0.0]
    remote = RemoteMatcher(redis_server.url, timeout=0.3, reset_after=5, clock=lambda: now[0])
    heard: list[str | None] = []
    remote.breaker.listeners.append(heard.append)
    with pytest.raises(MatcherUnavailable):
        remote.match(markets)
    now[0] = 6.0
    with ServerThread(redis_server.url, plugins, store.path) as server:
        report = remote.match(markets)
    assert report == MatchingService.from_plugins(plugins, overrides=store.db).match(markets)
    assert not remote.breaker.is_open
    assert heard[-1] is None and len(heard) == 2
    # the request it gave up on was popped too late and not answered
    assert server.stats.expired == 1


def test_redis_down_is_unavailable_too(redis_server: Any, markets: list[Market]) -> None:
    remote = RemoteMatcher(redis_server.url, timeout=0.5)
    redis_server.stop()
    with pytest.raises(MatcherUnavailable, match="unreachable"):
        remote.match(markets)
    assert remote.breaker.is_open


def test_the_server_survives_a_redis_restart(
    redis_server: Any, plugins: Any, markets: list[Market], store: Any
) -> None:
    with ServerThread(redis_server.url, plugins, store.path):
        remote = RemoteMatcher(redis_server.url, timeout=5)
        first = remote.match(markets)
        redis_server.restart()
        remote = RemoteMatcher(redis_server.url, timeout=5)
        assert remote.match(markets) == first


def test_the_serve_matcher_command(
    redis_server: Any, plugins: Any, markets: list[Market], tmp_path: Path
) -> None:
    """``arbkit serve matcher`` as a user runs it: ready line, answers, SIGTERM, counts."""
    import signal
    import subprocess
    import sys

    db = tmp_path / "served.db"
    command = [sys.executable, "-m", "arbkit", "--db", str(db), "serve", "matcher", "--json"]
    env = {**os.environ, "ARBKIT_BUS": redis_server.url}
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stderr is not None
        assert b"matching service ready on" in child.stderr.readline()
        report = RemoteMatcher(redis_server.url, timeout=10).match(markets)
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0
    assert report == MatchingService.from_plugins(plugins).match(markets)
    counts = json.loads(out)
    assert counts["requests"] == counts["answered"] == 1 and counts["errors"] == 0


def test_serve_matcher_needs_a_bus(invoke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBKIT_BUS", raising=False)
    result = invoke(["serve", "matcher"])
    assert result.exit_code == 2 and "needs --bus URL" in result.output
    result = invoke(["serve", "matcher", "--bus", "redis://127.0.0.1:1/0"])
    assert isinstance(result.exception, ConfigError)  # main() prints it as one line
    assert "the bus at redis://127.0.0.1:1/0 is unreachable" in str(result.exception)
