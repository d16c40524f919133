"""Benchmark what recording costs the scanner: the same engine on the throughput load, tap off/on.

Uses the load of bench/bench_e2e.py (bench/loadgen.py, cached), and runs, in this process, the
engine every front end builds (``build_engine``: discovery, matching, shards, strategies, the
replay feed) over it, alternately without a tap and with a :class:`arbkit.record.Recorder` on a
fresh database — the same thing ``arbkit record --replay`` runs. It reports, min / median / max
over ``--runs``:

- engine wall time and messages/s over the whole load (discovery included), tap off and on;
- the engine thread's own CPU time per message, as a marginal figure (the same games with
  half the messages: discovery and matching cancel out), tap off and on: what recording
  costs the hot path itself, steady on a busy machine where wall time is not;
- the writer thread's CPU time (serialising, zlib, SQLite: off the engine's thread) and the
  time ``Recorder.close()`` takes after the run (the last batch);
- what was stored: payloads, batches (commits), raw and compressed bytes, the database size.

    python bench/bench_record.py [--games 500 --messages 20000 --runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_e2e import ensure_load, spread  # noqa: E402  (bench/ is not a package)

from arbkit.engine import EngineSettings, build_engine  # noqa: E402
from arbkit.plugins import make_plugin_manager  # noqa: E402
from arbkit.record.recorder import Recorder  # noqa: E402
from arbkit.store import open_store  # noqa: E402


def one_run(load: Path, record: bool) -> dict:
    logging.getLogger().setLevel(logging.ERROR)  # the load's deliberate odd markets warn
    pm = make_plugin_manager()
    settings = EngineSettings(replay_dir=load, lookahead_hours=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "rec.db"
        recorder = None
        if record:
            open_store(db).close()
            recorder = Recorder(db).start()
        cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        engine = build_engine(pm, settings, tap=recorder)
        asyncio.run(engine.run(watch=True))
        wall = time.perf_counter() - wall0
        engine_cpu = time.thread_time() - thread0
        close = 0.0
        stats = None
        if recorder is not None:
            close0 = time.perf_counter()
            stats = recorder.close()
            close = time.perf_counter() - close0
        cpu = time.process_time() - cpu0
        size = sum(p.stat().st_size for p in Path(tmp).glob("rec.db*"))
    return {
        "wall": wall,
        "cpu": cpu,
        "engine_cpu": engine_cpu,
        "writer_cpu": stats.writer_cpu if stats else 0.0,
        "close": close,
        "stats": stats,
        "db_bytes": size,
    }


def tap_call_cost(load: Path, calls: int = 200_000) -> None:
    """What the live tap costs per frame: ``str.encode`` of a real frame plus the call (append)."""
    lines = (load / "polymarket" / "stream.jsonl").read_text("utf-8").splitlines()[:1000]
    frames = [json.dumps(json.loads(line)["msg"]) for line in lines]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "rec.db"
        open_store(db).close()
        recorder = Recorder(db, flush_every=10**9, flush_seconds=3600)  # not started: no writer
        count = len(frames)
        start = time.perf_counter()
        for i in range(calls):
            recorder("polymarket", "stream", i, frames[i % count].encode())
        per_call = (time.perf_counter() - start) / calls
    size = sum(len(f) for f in frames) / len(frames)
    print(f"live tap: {per_call * 1e9:,.0f} ns a frame (encode + call, {size:,.0f}-byte frames)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    load, key = ensure_load(args.games, args.messages, args.seed)
    half_load, _ = ensure_load(args.games, args.messages // 2, args.seed)
    messages = key["messages"]
    extra = messages - messages // 2
    print(f"load: {args.games} games, {messages:,} messages ({load})")
    one_run(load, False)  # warm-up: imports, bytecode, the page cache
    runs: dict[tuple[bool, bool], list[dict]] = {}
    for _ in range(args.runs):  # interleaved, so a slow spell of the machine hits all alike
        for record in (False, True):
            for full in (True, False):
                result = one_run(load if full else half_load, record)
                runs.setdefault((record, full), []).append(result)
    medians = {}
    for record, label in ((False, "tap off"), (True, "tap on (recording)")):
        full, half = runs[record, True], runs[record, False]
        print(f"{label}:")
        print(f"  engine wall s       {spread([r['wall'] for r in full])}   (whole load)")
        print(f"  messages/s          {spread([messages / r['wall'] for r in full], '{:,.0f}')}")
        print(f"  engine thread cpu s {spread([r['engine_cpu'] for r in full])}")
        per_message = [
            1e6 * (f["engine_cpu"] - h["engine_cpu"]) / extra
            for f, h in zip(full, half, strict=True)
        ]
        medians[record] = statistics.median(per_message)
        print(
            f"  engine µs/message   {spread(per_message, '{:.1f}')}   "
            "(engine thread cpu, marginal: M vs M/2)"
        )
        if record:
            print(f"  writer thread cpu s {spread([r['writer_cpu'] for r in full])}")
            print(f"  close (last batch)  {spread([r['close'] for r in full], '{:.3f}')} s")
    off_us, on_us = medians[False], medians[True]
    print(
        f"recording: {on_us - off_us:+.1f} µs a message on the engine's thread "
        f"({100 * (on_us / off_us - 1):+.1f} %, medians); stream rate on the engine thread "
        f"{1e6 / off_us:,.0f} → {1e6 / on_us:,.0f} msg/s"
    )
    on = runs[True, True]
    tap_call_cost(load)
    stats = on[-1]["stats"]
    print(
        f"  stored {stats.messages:,} payloads in {stats.commits} batches, "
        f"{stats.raw_bytes / 1e6:.1f} MB JSON → {stats.stored_bytes / 1e6:.2f} MB zlib "
        f"({stats.raw_bytes / stats.stored_bytes:.1f}×); database file "
        f"{on[-1]['db_bytes'] / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
