"""Benchmark the dashboard (issue 15): does ``arbkit tui`` keep up with the throughput load?

Plays the load of ``bench/bench_e2e.py`` (bench/loadgen.py: N games, M stream messages, planted
crossing windows; generated once and cached) through the dashboard headless at 120×40, as fast as
the replay goes (``--speed 0``), paper trading as ``arbkit tui --replay DIR`` does, and reports:

- the stream's rate with the dashboard attached (messages / wall seconds from the app's start to
  the engine's end), against ``arbkit trade --replay DIR --speed 0`` run as a subprocess on the
  same load (the same pipeline with the status line instead);
- how many snapshots the engine thread built and how many the UI drew (a snapshot not yet drawn
  is replaced by the next), and what building one cost (p50 / p99 / max);
- how long the UI's event loop was held up: a 20 ms timer's lateness, p50 / p99 / max. The UI
  never waits for the engine, so this is what drawing costs, whatever the message rate.

    python bench/bench_tui.py [--games 500] [--messages 100000] [--runs 3] [--skip-trade]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_e2e  # noqa: E402  (bench/ is not a package)

from arbkit.engine.build import EngineSettings  # noqa: E402
from arbkit.plugins import make_plugin_manager  # noqa: E402
from arbkit.tui import TuiSettings, make_app  # noqa: E402
from arbkit.tui.sink import DashboardSink  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Timed:
    """Times every snapshot the sink builds (on the engine thread)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._original = DashboardSink.snapshot

    def __enter__(self) -> Timed:
        original, seconds = self._original, self.seconds

        def timed(sink: DashboardSink, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(sink, **kwargs)
            finally:
                seconds.append(time.perf_counter() - start)

        DashboardSink.snapshot = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        DashboardSink.snapshot = self._original  # type: ignore[method-assign]


async def one_run(load: Path, db: Path) -> dict[str, Any]:
    settings = TuiSettings(
        engine=EngineSettings(replay_dir=load, speed=0, settlements=True),
        db_path=db,
    )
    app = make_app(make_plugin_manager(), settings)
    lags: list[float] = []
    streaming: list[float] = []  #: the lateness while the stream plays (after the start-up)
    with Timed() as timed:
        start = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            loop = asyncio.get_running_loop()
            while not app.runner.done.is_set():
                before = loop.time()
                await asyncio.sleep(0.02)
                late = loop.time() - before - 0.02
                lags.append(late)
                if app.snapshot.phase == "running":
                    streaming.append(late)
            wall = time.perf_counter() - start
            await pilot.pause()
    if app.runner.error:
        raise SystemExit(f"the dashboard's run failed: {app.runner.error}")
    return {
        "wall": wall,
        "built": len(timed.seconds),
        "drawn": app.redraws,
        "build": timed.seconds,
        "lag": lags,
        "streaming": streaming,
        "phase": app.snapshot.phase,
    }


def trade_seconds(load: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        command = bench_e2e.ARBKIT + ["-q", "--db", str(Path(tmp) / "bench.db"), "trade"]
        command += ["--replay", str(load), "--speed", "0", "--json", "--no-status"]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-trade", action="store_true", help="no arbkit trade baseline")
    args = parser.parse_args()
    load, _key = bench_e2e.ensure_load(args.games, args.messages, args.seed)
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(asyncio.run(one_run(load, Path(tmp) / "bench.db")))
        print(f"run {number + 1}: {runs[-1]['wall']:.2f} s, ended {runs[-1]['phase']}", flush=True)
    rates = [args.messages / r["wall"] for r in runs]
    build = [s * 1000 for r in runs for s in r["build"]]
    lag = [s * 1000 for r in runs for s in r["lag"]]
    streaming = [s * 1000 for r in runs for s in r["streaming"]] or [0.0]
    print(f"load: {args.games} games, {args.messages} messages ({load})")
    print(
        f"tui, whole run: {bench_e2e.spread(rates, '{:,.0f}')} msg/s "
        f"(wall {bench_e2e.spread([r['wall'] for r in runs])} s)"
    )
    counts = ", ".join(f"{r['built']}/{r['drawn']}" for r in runs)
    print(f"snapshots built / drawn per run: {counts}")
    print(
        f"snapshot build ms: p50 {statistics.median(build):.2f}  p99 "
        f"{percentile(build, 0.99):.2f}  max {max(build):.2f}"
    )
    for label, values in (("whole run", lag), ("while streaming", streaming)):
        print(
            f"UI loop lateness ms, {label}: p50 {statistics.median(values):.2f}  p99 "
            f"{percentile(values, 0.99):.2f}  max {max(values):.2f}"
        )
    if not args.skip_trade:
        seconds = [trade_seconds(load) for _ in range(args.runs)]
        print(
            f"arbkit trade --replay (whole process): "
            f"{bench_e2e.spread([args.messages / s for s in seconds], '{:,.0f}')} msg/s "
            f"(wall {bench_e2e.spread(seconds)} s)"
        )


if __name__ == "__main__":
    main()
