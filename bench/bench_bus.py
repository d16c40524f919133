"""Benchmark ``scan --bus``: messages/s and tick → decision latency, 1 and 2 workers vs one process.

Starts its own redis-server on a free port, generates two loads with bench/loadgen.py (the same
games, M and M/2 messages) and measures:

* **throughput**: whole ``arbkit scan --replay DIR --watch --json --no-store`` processes, single
  and with ``--bus`` and 1 or 2 ``arbkit worker`` processes, as the marginal rate
  ``(M - M/2) / (t(M) - t(M/2))`` (what one more message costs, start-up and discovery cancel);
  plus the CPU seconds per message of the orchestrator, the workers and redis-server;
* **latency**: at the recorded rate (``--speed 1``), from the moment the engine takes a book
  update to the moment its decision is known — in one process the strategies' evaluation of
  that update; over the bus the worker's commit of it, as read back by the orchestrator (run in
  this process, with the same workers);
* **Redis cost**: redis-server CPU per message, bytes per book message on the wire, peak memory.

Every run's reported changes are checked against the answer key (planted windows caught, no
false positives), so a fast wrong answer does not count.

    python bench/bench_bus.py [--games 100 --messages 20000 --runs 2 --latency-messages 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402  (bench/ is not a package)

ARBKIT = [sys.executable, "-m", "arbkit", "-q"]
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc (children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Redis:
    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is not installed")
        args = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(directory)]
        args += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        import redis

        self.client = redis.Redis(port=self.port)
        for _ in range(50):
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


class Workers:
    """``count`` workers and, with them, the matching service every ``--bus`` scan asks."""

    def __init__(self, url: str, count: int, tmp: Path) -> None:
        self.matcher = subprocess.Popen(
            [*ARBKIT, "--db", str(tmp / "matcher.db"), "serve", "matcher", "--bus", url],
            env=CHILD_ENV,
        )
        self.processes = []
        for i in range(count):
            command = [*ARBKIT, "--db", str(tmp / f"w{i}.db"), "worker", "--bus", url, "--json"]
            process = subprocess.Popen(
                [*command, "--name", f"bench{i}"],
                stdout=subprocess.PIPE,
                text=True,
                env=CHILD_ENV,
            )
            assert process.stdout is not None
            process.stdout.readline()  # started
            self.processes.append(process)

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in [*self.processes, self.matcher]:
            process.terminate()
        for process in [*self.processes, self.matcher]:
            process.communicate(timeout=30)


def scan_once(load: Path, tmp: Path, bus: str | None) -> tuple[float, float, str]:
    """Wall seconds, the scan's own CPU seconds, stdout."""
    command = [*ARBKIT, "--db", str(tmp / "scan.db"), "scan", "--replay", str(load), "--watch"]
    command += ["--json", "--no-store", "--min-edge", "0", "--lookahead", "0"]
    if bus is not None:
        command += ["--bus", bus]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=CHILD_ENV)
    assert process.stdout is not None
    stdout = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"scan failed ({process.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, stdout


def throughput(
    loads: dict[int, tuple[Path, Any]], tmp: Path, runs: int, redis: Redis | None, workers: int
) -> dict[str, Any]:
    """Marginal messages/s and CPU µs per message for one mode (``workers`` 0: one process).

    Every figure is ``(x(M) - x(M/2)) / (M - M/2)`` over the medians of ``runs`` runs: wall
    time, the scan process's CPU, the workers' CPU and redis-server's CPU.
    """
    pool = Workers(redis.url, workers, tmp) if redis is not None and workers else None
    figures: dict[int, dict[str, list[float]]] = {
        m: {"wall": [], "scan": [], "workers": [], "redis": []} for m in loads
    }
    try:
        for _ in range(runs):
            for messages, (load, key) in loads.items():
                redis_before = redis.cpu() if pool is not None else 0.0
                workers_before = pool.cpu() if pool is not None else 0.0
                wall, scan_cpu, stdout = scan_once(load, tmp, redis.url if pool else None)
                verdict = loadgen.check(key, stdout.splitlines())
                if verdict.false_positives or verdict.caught != len(key["windows"]):
                    raise SystemExit(f"wrong answer with {workers} workers: {verdict}")
                row = figures[messages]
                row["wall"].append(wall)
                row["scan"].append(scan_cpu)
                row["workers"].append(pool.cpu() - workers_before if pool else 0.0)
                row["redis"].append(redis.cpu() - redis_before if pool else 0.0)
    finally:
        if pool is not None:
            pool.stop()
    big, small = max(loads), min(loads)

    def marginal(name: str) -> float:
        return statistics.median(figures[big][name]) - statistics.median(figures[small][name])

    per_msg = big - small
    return {
        "marginal_msgs_per_s": round(per_msg / marginal("wall")),
        "wall_s": round(statistics.median(figures[big]["wall"]), 2),
        "scan_cpu_us_per_msg": round(marginal("scan") / per_msg * 1e6, 1),
        "workers_cpu_us_per_msg": round(marginal("workers") / per_msg * 1e6, 1),
        "redis_cpu_us_per_msg": round(marginal("redis") / per_msg * 1e6, 1),
    }


async def latency(load: Path, url: str | None, messages: int) -> dict[str, Any]:
    """Tick → decision at the recorded rate, in this process (the orchestrator or the engine)."""
    from arbkit.engine import EngineSettings, build_engine
    from arbkit.plugins import make_plugin_manager

    pm = make_plugin_manager()
    engine = build_engine(pm, EngineSettings(replay_dir=load, speed=1.0, lookahead_hours=0))
    samples: list[float] = []
    if url is None:
        scanner = engine.scanner
        apply = scanner.apply

        def timed(event: object) -> Any:
            start = time.perf_counter()
            try:
                return apply(event)
            finally:
                samples.append(time.perf_counter() - start)

        scanner.apply = timed  # type: ignore[method-assign]
    else:
        from arbkit.bus.orchestrator import attach_bus

        link = await attach_bus(engine, url, pm, measure=True)
    await engine.run(watch=True)
    if url is not None:
        samples = link.latencies or []
    samples.sort()
    return {
        "samples": len(samples),
        "p50_ms": round(samples[len(samples) // 2] * 1000, 3),
        "p99_ms": round(samples[int(len(samples) * 0.99)] * 1000, 3),
        "max_ms": round(samples[-1] * 1000, 3),
    }


def book_message_bytes() -> int:
    """Bytes of one book message as sent (fields v, kind, body), over the sample's books."""
    from arbkit.bus.codec import book_to_wire
    from arbkit.bus.wire import encode
    from arbkit.engine import EngineSettings, build_engine
    from arbkit.plugins import make_plugin_manager

    engine = build_engine(make_plugin_manager(), EngineSettings(sample=True))

    async def books() -> list[Any]:
        await engine.start()
        await engine.session.aclose()
        return engine.books()

    found = asyncio.run(books())
    sizes = []
    for book in found:
        fields = encode("book", {"b": book_to_wire(book), "at": "2026-11-24T23:00:00+00:00"})
        sizes.append(sum(len(k) + len(v) for k, v in fields.items()))
    return round(statistics.mean(sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--latency-messages", type=int, default=3_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="arbkit-bench-bus-"))
    loads = {}
    for messages in (args.messages, args.messages // 2):
        out = tmp / f"load-{messages}"
        loads[messages] = (out, loadgen.generate(out, args.games, messages, seed=7))
    slow = tmp / "load-latency"
    loadgen.generate(slow, args.games, args.latency_messages, seed=7)
    redis = Redis(tmp)
    report: dict[str, Any] = {
        "games": args.games,
        "messages": args.messages,
        "cpus": os.cpu_count(),
    }
    try:
        report["single"] = throughput(loads, tmp, args.runs, None, 0)
        for workers in (1, 2):
            report[f"bus_{workers}w"] = throughput(loads, tmp, args.runs, redis, workers)
        report["latency_single"] = asyncio.run(latency(slow, None, args.latency_messages))
        for workers in (1, 2):
            pool = Workers(redis.url, workers, tmp)
            try:
                report[f"latency_bus_{workers}w"] = asyncio.run(
                    latency(slow, redis.url, args.latency_messages)
                )
            finally:
                pool.stop()
        report["book_message_bytes"] = book_message_bytes()
        memory = redis.client.info("memory")
        report["redis_peak_memory_mb"] = round(memory["used_memory_peak"] / 2**20, 1)
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
