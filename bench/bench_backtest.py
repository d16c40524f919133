"""Benchmark ``arbkit backtest`` (issue 14) as the user runs it: the whole command, a process each.

1. The sample evening: ``arbkit -q --db TMP backtest --sample --json``; how many times faster
   than its recorded duration (first to last stream message) it plays. Target ≥ 100×.
2. The throughput bench's load (bench/loadgen.py, 500 games, 100,000 messages, as
   bench/bench_e2e.py builds it): ``arbkit -q --db TMP backtest --replay LOAD --json`` with the
   paper executor on; messages/s of the whole process. Target ≥ 8,000 messages/s.
3. A sweep of two values on the sample (``--sweep min-edge=0.01,0.05``) against one backtest:
   what the worker processes cost and save.

Every figure is min / median / max over ``--runs`` runs with the child's CPU time (user +
system, from ``os.wait4``) beside the wall time: the machine is shared, CPU time is steadier.
``--profile`` runs the load's backtest once under cProfile and prints where the time goes, by
area of the code (bench_e2e's breakdown).

    python bench/bench_backtest.py [--runs 5] [--games 500 --messages 100000] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_e2e  # noqa: E402  (bench/ is not a package)

from arbkit.recordings import read_stream_file, sample_dir  # noqa: E402

SAMPLE_TARGET = 100.0  #: times faster than recorded
LOAD_TARGET = 8000.0  #: messages/s, whole process


def backtest_command(db: Path, *args: str) -> list[str]:
    return [*bench_e2e.ARBKIT, "-q", "--db", str(db), "backtest", *args, "--json"]


def time_backtest(runs: int, *args: str) -> list[bench_e2e.Run]:
    """``runs`` whole backtest processes, each on a fresh database."""
    done = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            result = bench_e2e.run(backtest_command(Path(tmp) / "bench.db", *args))
        if result.returncode != 0:
            raise SystemExit(f"backtest {' '.join(args)} failed:\n{result.stderr}")
        done.append(result)
    return done


def stream_span_seconds(directory: Path) -> float:
    """First to last recorded stream message of a replay directory, in seconds."""
    stamps = [ts for path in directory.glob("*/stream.jsonl") for ts, _ in read_stream_file(path)]
    return (max(stamps) - min(stamps)) / 1000 if stamps else 0.0


def show(label: str, results: list[bench_e2e.Run]) -> None:
    print(f"  {label}")
    print(f"    wall s          {bench_e2e.spread([r.seconds for r in results])}")
    print(f"    cpu s           {bench_e2e.spread([r.cpu_seconds for r in results])}")
    print(f"    peak RSS MB     {bench_e2e.spread([r.rss_mb for r in results], '{:.0f}')}")


def trades_of(result: bench_e2e.Run) -> str:
    report = json.loads(result.stdout)
    taken = report["opportunities"]["taken"]
    rejected = ", ".join(f"{k} {v}" for k, v in report["rejections"].items()) or "none"
    return f"{report['opportunities']['seen']} opportunities, {taken} taken; rejected: {rejected}"


def bench_sample(runs: int) -> None:
    span = stream_span_seconds(sample_dir())
    results = time_backtest(runs, "--sample")
    print(f"sample evening ({span:.0f} s of recorded stream):")
    show("arbkit backtest --sample --json", results)
    walls = [r.seconds for r in results]
    cpus = [r.cpu_seconds for r in results]
    speed = span / statistics.median(walls)
    print(
        f"    speed           {bench_e2e.spread([span / w for w in walls], '{:.0f}')}x recorded "
        f"(wall), {span / statistics.median(cpus):.0f}x by median CPU; target ≥ "
        f"{SAMPLE_TARGET:.0f}x: {'met' if speed >= SAMPLE_TARGET else 'MISSED'}"
    )
    print(f"    {trades_of(results[0])}")


def bench_load(games: int, messages: int, seed: int, runs: int) -> None:
    load, key = bench_e2e.ensure_load(games, messages, seed)
    results = time_backtest(runs, "--replay", str(load))
    print(f"load: {games} games, {key['messages']:,} messages ({load}):")
    show("arbkit backtest --replay LOAD --json (paper executor on)", results)
    rates = [key["messages"] / r.seconds for r in results]
    cpu_rates = [key["messages"] / r.cpu_seconds for r in results]
    rate = statistics.median(rates)
    print(
        f"    messages/s      {bench_e2e.spread(rates, '{:,.0f}')} (wall), "
        f"{bench_e2e.spread(cpu_rates, '{:,.0f}')} (CPU); target ≥ {LOAD_TARGET:,.0f}: "
        f"{'met' if rate >= LOAD_TARGET else 'MISSED'} by wall"
    )
    print(f"    {trades_of(results[0])}")


def bench_sweep(runs: int) -> None:
    values = "0.01,0.05"
    results = time_backtest(runs, "--sample", "--sweep", f"min-edge={values}")
    single = time_backtest(runs, "--sample")
    print(f"sweep of 2 values on the sample ({os.cpu_count()} cpus):")
    show(f"arbkit backtest --sample --sweep min-edge={values} --json", results)
    print(
        f"    one backtest: wall {statistics.median(r.seconds for r in single):.2f} s, "
        f"CPU {statistics.median(r.cpu_seconds for r in single):.2f} s (median); the sweep's CPU "
        "is the command's own: its workers are the fork server's children, out of its wait4"
    )


def profile(games: int, messages: int, seed: int, top: int = 20) -> None:
    load, _ = bench_e2e.ensure_load(games, messages, seed)
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "backtest.prof"
        command = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "arbkit"]
        command += backtest_command(Path(tmp) / "bench.db", "--replay", str(load))[
            len(bench_e2e.ARBKIT) :
        ]
        result = bench_e2e.run(command, capture=False)
        print(f"profiled run: {result.seconds:.2f} s (cProfile overhead included)")
        pstats.Stats(str(stats), stream=sys.stdout).sort_stats("tottime").print_stats(top)
        areas = bench_e2e.own_time_by_area(pstats.Stats(str(stats)))
        total = sum(areas.values())
        print("own time by area:")
        for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1]):
            print(f"  {area:34s} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile the load's backtest")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
    if args.profile:
        profile(args.games, args.messages, args.seed)
        return 0
    bench_sample(args.runs)
    bench_load(args.games, args.messages, args.seed, args.runs)
    if not args.skip_sweep:
        bench_sweep(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
