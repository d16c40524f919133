"""What the shared matcher costs a caller: a local match against the same batch over Redis.

Starts its own redis-server on 127.0.0.1 (a free port, no persistence) and an ``arbkit serve
matcher`` in a thread, then matches the shipped sample's markets (real parsers, fee models) and
a batch ``--scale`` times larger (the sample's markets repeated under new ids), timing:

* ``local``: ``MatchingService.match`` in the caller;
* ``remote``: ``RemoteMatcher.match`` with the server's cache off (encode, push, match, answer,
  decode: the round trip a worker pays on every rediscovery);
* ``cached``: the same with the cache on (a second worker asking for the same batch).

    python bench/bench_bus_matcher.py [--rounds 20] [--scale 25]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from attrs import evolve

from arbkit.bus import matchwire
from arbkit.bus.matcher import MatcherServer, RemoteMatcher
from arbkit.engine.session import open_replay
from arbkit.matching import MatchingService
from arbkit.models import Market
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import sample_dir
from arbkit.store import open_store
from arbkit.venue import DiscoveryQuery


def sample_markets(pm: Any) -> list[Market]:
    session = open_replay(pm, sample_dir(), speed=0)

    async def discover() -> list[Market]:
        found: list[Market] = []
        for venue in session.venues:
            found += await venue.discover(DiscoveryQuery())
        await session.aclose()
        return found

    return asyncio.run(discover())


def scaled(markets: list[Market], times: int) -> list[Market]:
    """The batch repeated a week apart under new ids: ``times`` evenings of the same slate, so
    every copy is a game of its own (the matcher does the sample's work ``times`` over)."""
    out: list[Market] = []
    for n in range(times):
        shift = timedelta(days=7 * n)
        for market in markets:
            contracts = tuple(
                evolve(
                    c,
                    contract_id=f"{c.contract_id}~{n}",
                    market_id=f"{c.market_id}~{n}",
                    complement_id=None if c.complement_id is None else f"{c.complement_id}~{n}",
                )
                for c in market.contracts
            )
            identity = market.identity
            if identity is not None:
                identity = evolve(
                    identity,
                    game_date=_later(identity.game_date, shift),
                    start_time=_later(identity.start_time, shift),
                )
            out.append(
                evolve(
                    market,
                    market_id=f"{market.market_id}~{n}",
                    contracts=contracts,
                    start_time=_later(market.start_time, shift),
                    game_date=_later(market.game_date, shift),
                    close_time=_later(market.close_time, shift),
                    identity=identity,
                )
            )
    return out


def _later(value: Any, shift: timedelta) -> Any:
    return None if value is None else value + shift


def timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    runs = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    runs.sort()
    return statistics.median(runs), runs[min(len(runs) - 1, int(len(runs) * 0.99))]


def redis_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def serve(server: MatcherServer, db_path: Path) -> Callable[[], None]:
    """Run ``server`` in a thread; returns its stop function."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        server.db = open_store(db_path).db
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await server.serve(state["stop"], poll=0.2)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)

    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--scale", type=int, default=25)
    args = parser.parse_args()
    pm = make_plugin_manager()
    base = sample_markets(pm)
    with tempfile.TemporaryDirectory() as tmp:
        process, url = redis_server(Path(tmp))
        db_path = Path(tmp) / "arbkit.db"
        open_store(db_path)
        try:
            for label, markets in (("sample", base), (f"x{args.scale}", scaled(base, args.scale))):
                local = MatchingService.from_plugins(pm)

                def match_locally(m: list[Market] = markets, s: Any = local) -> object:
                    return s.match(m)

                payload = len(json.dumps([matchwire.market_to_json(m) for m in markets]))
                rounds = args.rounds if len(markets) < 1000 else max(3, args.rounds // 4)
                print(f"{label}: {len(markets)} markets, request {payload / 1024:.0f} KiB")
                p50, p99 = timed(match_locally, rounds)
                print(f"  local   p50 {p50 * 1000:8.2f} ms  p99 {p99 * 1000:8.2f} ms")
                for cache, name in ((0, "remote"), (256, "cached")):
                    stop = serve(MatcherServer(url, pm, None, cache_size=cache), db_path)
                    remote = RemoteMatcher(url, timeout=60)
                    try:
                        remote.match(markets)  # warm: league data, the cache
                        p50, p99 = timed(lambda m=markets, r=remote: r.match(m), rounds)
                    finally:
                        remote.close()
                        stop()
                    print(f"  {name:7} p50 {p50 * 1000:8.2f} ms  p99 {p99 * 1000:8.2f} ms")
        finally:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
