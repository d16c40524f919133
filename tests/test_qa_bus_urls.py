"""QA: ``--bus`` to a Redis database that does not exist (``/99``) is one line, not a traceback.

Redis answers ``SELECT 99`` with an error reply (``DB index is out of range``), which is neither
a connection error nor a timeout: the lease let it through as a traceback of ninety lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis
from redis_helpers import RedisServer
from redis_helpers import redis_server as real_redis

from arbkit.bus.lease import TradingLease
from arbkit.bus.wire import BusError

redis_server = real_redis


def test_a_database_redis_does_not_have_is_a_bus_error(redis_server: RedisServer) -> None:
    lease = TradingLease(redis_server.url.removesuffix("/0") + "/99", "acct:live", ttl=2)
    try:
        with pytest.raises(BusError) as caught:
            lease.acquire(wait=0)
        assert "DB index is out of range" in str(caught.value)
    finally:
        lease.close()


@pytest.mark.parametrize("command", ["trade", "tui"])
def test_trade_and_tui_say_it_in_one_line(
    redis_server: RedisServer, tmp_path: Path, command: str
) -> None:
    url = redis_server.url.removesuffix("/0") + "/99"
    db = tmp_path / "arbkit.db"
    args = [sys.executable, "-m", "arbkit", "-q", "--db", str(db), command, "--sample"]
    done = subprocess.run(
        [*args, "--bus", url], capture_output=True, text=True, timeout=120, check=False
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and "DB index is out of range" in lines[0], done.stderr
    assert redis.Redis.from_url(redis_server.url).keys("*") == []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("redis://127.0.0.1:1/0", "Redis does not answer"),
        ("redis://127.0.0.1:notaport/0", "notaport"),
    ],
)
def test_a_bad_bus_creates_no_database(tmp_path: Path, url: str, said: str) -> None:
    """``trade --bus`` checked the bus only after opening its database: a mistyped URL left
    an empty database behind (``tui --bus`` checked first)."""
    db = tmp_path / "arbkit.db"
    args = [sys.executable, "-m", "arbkit", "-q", "--db", str(db), "trade", "--sample"]
    done = subprocess.run(
        [*args, "--bus", url], capture_output=True, text=True, timeout=120, check=False
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1 and said in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []
