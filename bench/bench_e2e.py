"""Benchmark the whole scan end to end: the real ``arbkit`` command as a process, on a big replay.

Generates (or reuses) a load with bench/loadgen.py, then times, as whole processes,

    arbkit -q --db TMP scan --replay DIR --watch --json --min-edge 0 --lookahead 0 [--no-store]

and reports messages/s, peak RSS (the child's own ``ru_maxrss`` from ``os.wait4``), how many
planted windows were reported while open and whether anything else was (false positives). It also
times start-up (``arbkit --version``, ``--help``, ``scan --sample``) and, with ``--scaling``, the
stream rate at 100 / 500 / 2,000 games (same total messages) and discovery + matching (a one-shot
``scan --replay DIR --json --lookahead 0``) at 1,000 and 5,000 games a venue. Each figure is
min / median / max over ``--runs`` runs.

The per-message cost is measured as a *marginal* rate: the same games with half the messages,
``(M - M/2) / (t(M) - t(M/2))``, so everything done once per game (discovery, matching, seeding
the stream decoders with every book, Kalshi's opening snapshot of each market, the interpreter's
exit) cancels out and what is left is what one more message costs.

Children run without ``PYTHONDONTWRITEBYTECODE`` (an installed arbkit has its bytecode), and
each figure also gives the child's CPU time (user + sys), steadier than wall time on a busy box.

    python bench/bench_e2e.py [--games 500 --messages 100000 --runs 3] [--scaling] [--profile]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen  # noqa: E402  (bench/ is not a package)

CACHE = Path(tempfile.gettempdir()) / "arbkit-bench"
#: The console script of this interpreter's environment (what a user types), else ``-m arbkit``.
_SCRIPT = Path(sys.executable).with_name("arbkit")
ARBKIT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "arbkit"]
SCAN_FLAGS = ["--json", "--min-edge", "0", "--lookahead", "0"]


#: The children's environment: a user's, where Python writes and reuses bytecode.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Run:
    seconds: float
    rss_mb: float
    stdout: str
    returncode: int
    stderr: str = ""
    cpu_seconds: float = 0.0  #: the child's user + system time


def run(args: list[str], *, capture: bool = True) -> Run:
    """One child process: wall time, its own peak RSS, its output."""
    out = tempfile.TemporaryFile(mode="w+", encoding="utf-8") if capture else subprocess.DEVNULL
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        errors = err.read()
    text = ""
    if capture:
        assert not isinstance(out, int)
        out.seek(0)
        text = out.read()
        out.close()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 1024, text, child.returncode, errors, cpu)


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """min / median / max, the form every figure of docs/performance.md takes."""
    parts = (min(values), statistics.median(values), max(values))
    return " / ".join(fmt.format(v) for v in parts)


def generator_version() -> str:
    """A digest of the generator's code, so a cached load is never one an older generator made."""
    digest = hashlib.sha256()
    for path in (Path(loadgen.__file__), loadgen.REPO / "tools" / "make_sample.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def ensure_load(games: int, messages: int, seed: int) -> tuple[Path, dict]:
    """The load for these parameters, generated once and reused from the cache directory."""
    out = CACHE / f"g{games}-m{messages}-s{seed}-{generator_version()}"
    key_path = out / "answer_key.json"
    if not key_path.exists():
        print(f"generating {out} ...", flush=True)
        # In a child process: Linux carries a process's peak RSS across fork and exec, so a
        # bench grown by generating a load in-process would lend its peak to every scan it times.
        command = [sys.executable, loadgen.__file__, "--games", str(games)]
        command += ["--messages", str(messages), "--seed", str(seed), "--out", str(out)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out, json.loads(key_path.read_text("utf-8"))


def scan_command(load: Path, db: Path, *, watch: bool = True, store: bool = True) -> list[str]:
    command = ARBKIT + ["-q", "--db", str(db), "scan", "--replay", str(load)]
    command += (["--watch"] if watch else []) + SCAN_FLAGS
    return command + ([] if store else ["--no-store"])


def time_scan(load: Path, runs: int, *, watch: bool = True, store: bool = True) -> list[Run]:
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            result = run(scan_command(load, Path(tmp) / "bench.db", watch=watch, store=store))
        if result.returncode != 0:
            command = " ".join(scan_command(load, Path("TMP"), watch=watch, store=store))
            raise SystemExit(f"scan failed ({result.returncode}): {command}\n{result.stderr}")
        results.append(result)
    return results


def report_stream(label: str, key: dict, runs: list[Run], oneshot: list[Run]) -> None:
    """messages/s of the whole process, and of the stream alone (minus the one-shot time)."""
    messages = key["messages"]
    rates = [messages / r.seconds for r in runs]
    base = statistics.median(r.seconds for r in oneshot)
    stream_rates = [messages / max(r.seconds - base, 1e-9) for r in runs]
    verdict = loadgen.check(key, runs[0].stdout.splitlines())
    print(f"{label}:")
    print(f"  wall s            {spread([r.seconds for r in runs])}")
    print(f"  cpu s             {spread([r.cpu_seconds for r in runs])}")
    print(f"  messages/s        {spread(rates, '{:,.0f}')}   (whole process)")
    print(f"  stream msg/s      {spread(stream_rates, '{:,.0f}')}   (minus one-shot {base:.2f} s)")
    print(f"  peak RSS MB       {spread([r.rss_mb for r in runs], '{:.0f}')}")
    print(
        f"  planted windows   {verdict.caught}/{verdict.windows} reported while open "
        f"({verdict.pairs_caught}/{verdict.pairs} pairs); "
        f"false positives: {len(verdict.false_positives)}"
    )
    for line in verdict.false_positives[:5]:
        print(f"    {line}")


def bench_load(games: int, messages: int, seed: int, runs: int) -> None:
    load, key = ensure_load(games, messages, seed)
    print(f"load: {games} games, {messages:,} messages, {len(key['windows'])} windows ({load})")
    oneshot = time_scan(load, runs, watch=False)
    print(f"one-shot (discovery + match + first evaluation): {spread([r.seconds for r in oneshot])} s, "  # noqa: E501
          f"RSS {spread([r.rss_mb for r in oneshot], '{:.0f}')} MB")  # fmt: skip
    report_stream("scan --watch (store on)", key, time_scan(load, runs), oneshot)
    report_stream("scan --watch --no-store", key, time_scan(load, runs, store=False), oneshot)


def bench_startup(runs: int) -> None:
    """Start-up figures of the commands a user types first."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sample.db")
        commands = {
            "arbkit --version": ARBKIT + ["--version"],
            "arbkit --help": ARBKIT + ["--help"],
            "arbkit scan --sample": ARBKIT + ["--db", db, "scan", "--sample"],
        }
        for label, command in commands.items():
            run(command, capture=False)  # the first run writes the bytecode: not timed
            done = [run(command, capture=False) for _ in range(runs)]
            print(
                f"  {label:22s} {spread([r.seconds for r in done])} s"
                f"  (cpu {spread([r.cpu_seconds for r in done])} s)"
            )


def report_marginal(messages: int, full: list[Run], half: list[Run]) -> None:
    """What one more message costs: the time the second half of the messages adds, paired by run.

    Both loads hold the same games, so the work done once per game cancels out.
    """
    extra = messages - messages // 2
    rates = [extra / max(f.seconds - h.seconds, 1e-9) for f, h in zip(full, half, strict=True)]
    cpu = [
        extra / max(f.cpu_seconds - h.cpu_seconds, 1e-9) for f, h in zip(full, half, strict=True)
    ]
    print(f"  per message       {spread(rates, '{:,.0f}')} msg/s marginal (wall), ", end="")
    print(f"{spread(cpu, '{:,.0f}')} (cpu); {1e6 / statistics.median(rates):.1f} µs a message")


def bench_scaling(messages: int, seed: int, runs: int) -> None:
    """Stream rate against the number of games (same total messages), then discovery cost."""
    for games in (100, 500, 2000):
        load, key = ensure_load(games, messages, seed)
        half_load, _ = ensure_load(games, messages // 2, seed)
        oneshot = time_scan(load, runs, watch=False)
        full, half = [], []
        for _ in range(runs):  # interleaved, so a slow spell of the machine hits both alike
            full += time_scan(load, 1)
            half += time_scan(half_load, 1)
        report_stream(f"{games} games, {messages:,} messages", key, full, oneshot)
        report_marginal(messages, full, half)
    for games in (1000, 5000):
        load, _ = ensure_load(games, 2 * games + 200, seed)
        oneshot = time_scan(load, runs, watch=False)
        print(
            f"discovery + match, {games} games a venue: {spread([r.seconds for r in oneshot])} s, "
            f"RSS {spread([r.rss_mb for r in oneshot], '{:.0f}')} MB"
        )


def profile(games: int, messages: int, seed: int, top: int = 25) -> None:
    """The store-on watch scan under cProfile; the top entries by cumulative and own time."""
    load, _ = ensure_load(games, messages, seed)
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "scan.prof"
        command = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "arbkit"]
        command += scan_command(load, Path(tmp) / "bench.db")[len(ARBKIT) :]
        result = run(command, capture=False)
        print(f"profiled run: {result.seconds:.2f} s (cProfile overhead included)")
        for order in ("cumulative", "tottime"):
            print(f"--- top {top} by {order}")
            pstats.Stats(str(stats), stream=sys.stdout).sort_stats(order).print_stats(top)
        print("--- own time by area (sums to the total; cProfile inflates small calls)")
        areas = own_time_by_area(pstats.Stats(str(stats)))
        total = sum(areas.values())
        for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1]):
            print(f"  {area:34s} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")


#: (substring of a profiled function's file, or of "file:function"), area; first match wins
AREAS = (
    ("json/", "JSON decode (json module)"),
    ("{method 'decode'", "JSON decode (json module)"),
    ("arbkit/safejson", "JSON decode (json module)"),
    ("recordings.py", "reading recordings"),
    ("arbkit_replay", "replay feed (merge, clock)"),
    ("arbkit/clock", "replay feed (merge, clock)"),
    ("heapq", "replay feed (merge, clock)"),
    ("arbkit/money", "Decimal parsing and rounding"),
    ("selectors", "asyncio scheduling"),
    ("arbkit_polymarket", "Polymarket decode + book patching"),
    ("arbkit_kalshi", "Kalshi decode + book patching"),
    ("arbkit/matching", "discovery + matching"),
    ("arbkit/scan/strategies", "evaluation (strategies)"),
    ("arbkit/scan/pricing", "evaluation (strategies)"),
    ("arbkit/scan/walk", "evaluation (strategies)"),
    ("arbkit/strategy.py", "evaluation (strategies)"),
    ("arbkit/scan/", "scanner (shards, diff)"),
    ("arbkit/store", "store (SQLite)"),
    ("sqlite", "store (SQLite)"),
    ("arbkit/cli", "printing + CLI"),
    ("arbkit/engine", "engine loop"),
    ("asyncio", "asyncio scheduling"),
    ("arbkit/models", "model objects (attrs)"),
    ("attrs generated", "model objects (attrs)"),
    ("arbkit/", "other arbkit"),
)


def area_of(func: tuple[str, int, str]) -> str:
    where = f"{func[0]}:{func[2]}"
    return next((label for key, label in AREAS if key in where), "other (imports, start-up)")


def own_time_by_area(stats: pstats.Stats) -> dict[str, float]:
    """Each function's own time, summed per area of the code: where the time goes.

    A builtin's time (``dict.get``, ``isinstance``, ``max``...) is charged to the areas of its
    callers, in proportion to what each call site spent in it, so builtins are not an area.
    """
    areas: dict[str, float] = {}
    for func, (_, _, own, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func[0] == "~" and callers and "decode" not in func[2]:
            for caller, edge in callers.items():
                areas[area_of(caller)] = areas.get(area_of(caller), 0.0) + edge[2]
        else:
            areas[area_of(func)] = areas.get(area_of(func), 0.0) + own
    return areas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scaling", action="store_true", help="also 100/500/2000 and 1k/5k games")
    parser.add_argument("--profile", action="store_true", help="run the scan under cProfile")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    if args.profile:
        profile(args.games, args.messages, args.seed)
        return 0
    if not args.skip_startup:
        print("start-up:")
        bench_startup(max(args.runs, 5))
    bench_load(args.games, args.messages, args.seed, args.runs)
    if args.scaling:
        bench_scaling(args.messages, args.seed, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
