"""Benchmark paper trading (issue 13): decision → paper fill recorded in SQLite, p99 under 2 ms;
and the whole ``arbkit trade --sample --json`` command as the user runs it.

Part 1 builds what ``arbkit trade --sample`` builds (the sample engine with settlements, its
hook and store sinks, ``build_trader`` on a file database in a fresh temporary directory, the
paper executor at latency 0) with limits loose enough that every opportunity the gate can size
is taken, and plays the recorded evening. Every call of ``Trader._consider`` is timed from the
call until it returns: with latency 0 that is the gate and sizing, the decision row, the paper
fill of both legs, the trade and each of its transitions, both fills and the position row, each
write committed (checked after every sample from a second connection, which sees only what was
committed). The sample evening takes only a handful of opportunities, so at every moment the
engine reports one, the same opportunity is decided again ``--repeats`` times on the live engine
state: between two samples (untimed) the game is released in the gate, the position book and
the executor's consumed liquidity are reset and the verdict memory for that opportunity is
dropped, so each sample is a first entry that writes every row again. ``--dbs`` fresh traders
and databases are used. ``--synchronous`` sets that pragma on the store (a what-if; arbkit
leaves SQLite's default). When p99 misses 2 ms, one more database is run under cProfile and the
functions that cost the most are printed.

Part 2 runs ``arbkit trade --sample --json`` ``--runs`` times as a subprocess, each on a fresh
user directory and database, and reports its wall time, peak RSS (by ``/usr/bin/time``) and how
much faster than recorded time the evening's stream played.

    python bench/bench_trade.py [--dbs 5 --repeats 200] [--runs 5] [--synchronous NORMAL]
        [--dir DIR] [--profile | --no-profile] [--skip-decisions | --skip-cli]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import math
import os
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from arbkit.engine import EngineSettings, HookSink, StoreSink, build_engine
from arbkit.engine.sinks import Sink
from arbkit.models import Opportunity
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import read_stream_file, sample_dir
from arbkit.registry import get_migrations
from arbkit.scan.shard import Change, ChangeKind
from arbkit.store import open_store
from arbkit.trading.model import RiskLimits
from arbkit.trading.paper_book import ConsumedLiquidity
from arbkit.trading.positions import PositionBook
from arbkit.trading.setup import TradeSettings, build_trader
from arbkit.trading.trader import Trader

TARGET_US = 2000.0
BOOK = "paper:bench"
BIG = Decimal(10**9)


def loose_limits() -> RiskLimits:
    """Every opportunity the books can size is taken (the full path, sizing and fills)."""
    return RiskLimits(
        min_confidence=0.0,
        max_entry_price=Decimal("0.99"),
        min_edge=Decimal(0),
        max_book_age=None,
        start_cutoff=timedelta(0),
        max_per_game=BIG,
        max_per_venue=BIG,
        max_per_league=BIG,
        max_total=BIG,
        max_open_positions=10**6,
        daily_loss_limit=BIG,
        bankroll={"polymarket": BIG, "kalshi": BIG},
        kelly_fraction=Decimal(1),
    )


class Probe:
    """Something run around each decision of the extra, instrumented database."""

    def install(self, trader: Trader) -> None:
        pass

    def begin(self) -> None:
        pass

    def end(self, accepted: bool) -> None:
        pass


class Profiler(Probe):
    def __init__(self) -> None:
        self.profile = cProfile.Profile()

    def begin(self) -> None:
        self.profile.enable()

    def end(self, accepted: bool) -> None:
        self.profile.disable()


#: the writes (and the gate) a decision makes, timed one by one by :class:`Breakdown`
PARTS = (
    ("gate", "evaluate", "trading/risk.py:RiskGate.evaluate (gate + sizing)"),
    ("records", "decision", "trading/tradestore.py:TradeStore.decision (sqlite_utils insert)"),
    ("journal", "plan", "trading/journal.py:TradeJournal.plan"),
    ("journal", "transition", "trading/journal.py:TradeJournal.transition"),
    ("journal", "fill", "trading/journal.py:TradeJournal.fill"),
    ("journal", "order_intent", "trading/journal.py:TradeJournal.order_intent"),
    ("journal", "order", "trading/journal.py:TradeJournal.order (read back)"),
    ("journal", "order_update", "trading/journal.py:TradeJournal.order_update"),
    ("journal", "fills_batch", "trading/journal.py:TradeJournal.fills_batch (executemany)"),
    ("journal", "orders_batch", "trading/journal.py:TradeJournal.orders_batch (executemany)"),
    ("journal", "record_transitions", "trading/journal.py:TradeJournal.record_transitions"),
    ("records", "position", "trading/tradestore.py:TradeStore.position (sqlite_utils upsert)"),
)


class Breakdown(Probe):
    """Wall time of each write of a decision (wrapped on the instances, no profiler), and the
    SQL statements and commits it issues."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()  #: label -> ns, over accepted decisions
        self.calls: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()
        self.accepted = 0
        self.whole = 0  #: ns of the accepted decisions, all of it
        self._now: Counter[str] = Counter()
        self._calls: Counter[str] = Counter()
        self._sql: list[str] = []
        self._start = 0

    def install(self, trader: Trader) -> None:
        for owner, name, label in PARTS:
            target = getattr(trader, owner)
            method = getattr(target, name, None)
            if method is not None:
                setattr(target, name, self._timed(method, label))
        trader.records.db.conn.set_trace_callback(self._sql.append)

    def _timed(self, method, label: str):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter_ns()
            try:
                return method(*args, **kwargs)
            finally:
                self._now[label] += time.perf_counter_ns() - start
                self._calls[label] += 1

        return timed

    def begin(self) -> None:
        self._now.clear()
        self._calls.clear()
        self._sql.clear()
        self._start = time.perf_counter_ns()

    def end(self, accepted: bool) -> None:
        if not accepted:
            return
        self.whole += time.perf_counter_ns() - self._start
        self.accepted += 1
        self.totals.update(self._now)
        self.calls.update(self._calls)
        for sql in self._sql:
            words = sql.split()
            kind = " ".join(words[:3]) if words and words[0].lower() == "select" else words[0]
            self.statements[kind.upper() if kind.isalpha() else kind] += 1


class Sampler:
    """Times every decision of one trader and checks each accepted one is on disk."""

    def __init__(self, trader: Trader, db_path: Path, probe: Probe | None) -> None:
        self.trader = trader
        self.check = sqlite3.connect(db_path)  # a second connection: sees only committed rows
        self.probe = probe
        self.accepted: list[tuple[float, float]] = []  #: (wall µs, thread CPU µs)
        self.refused: list[float] = []
        self.outcomes: Counter[str] = Counter()
        self.fills: Counter[int] = Counter()  #: accepted decisions by fills written
        self._consider = trader._consider
        trader._consider = self.consider  # type: ignore[method-assign]
        if probe is not None:
            probe.install(trader)

    def consider(self, opportunity: Opportunity, game_id: str, now: datetime) -> None:
        trader = self.trader
        taken = trader.taken
        probe = self.probe
        if probe is not None:
            probe.begin()
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        self._consider(opportunity, game_id, now)
        cpu = (time.thread_time_ns() - start_cpu) / 1000
        wall = (time.perf_counter_ns() - start) / 1000
        if probe is not None:
            probe.end(trader.taken != taken)
        if trader.taken == taken:
            self.refused.append(wall)  # the reasons are the trader's own count
            self.outcomes["refused"] += 1
            return
        self.outcomes[self.verify(game_id)] += 1
        self.accepted.append((wall, cpu))
        self.release(opportunity, game_id)

    def verify(self, game_id: str) -> str:
        """The newest trade's state, its fills and the position row, as committed on disk."""
        trade_id, state = self.check.execute(
            "SELECT trade_id, state FROM trades ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        fills = self.check.execute(
            "SELECT count(*) FROM fills WHERE trade_id = ?", [trade_id]
        ).fetchone()[0]
        row = self.check.execute(
            "SELECT legs FROM game_positions WHERE book = ? AND game_id = ?", [BOOK, game_id]
        ).fetchone()
        in_position = 0
        if row is not None:
            legs = json.loads(row[0])
            in_position = sum(1 for leg in legs for f in leg["fills"] if f["trade_id"] == trade_id)
        self.fills[fills] += 1
        if state == "hedged" and fills >= 2 and in_position == fills:
            return "hedged, every fill in the journal and the position row"
        return f"{state}, {fills} fill(s) journaled, {in_position} in the position row"

    def release(self, opportunity: Opportunity, game_id: str) -> None:
        """Untimed: make the next decision on this game a first entry again."""
        trader = self.trader
        trader.gate.released(game_id, {})
        trader.positions = PositionBook(trader.mode)
        trader.executor.consumed = ConsumedLiquidity()  # type: ignore[attr-defined]
        trader._last_verdict.pop(opportunity.key, None)  # the decision row is written again


class Repeater(Sink):
    """After the trader has seen a change, decides the same opportunity again and again."""

    def __init__(self, trader: Trader, repeats: int) -> None:
        self.trader = trader
        self.repeats = repeats
        self.moments = 0

    def change(self, change: Change) -> None:
        if change.opportunity is None or change.kind not in (
            ChangeKind.APPEARED,
            ChangeKind.CHANGED,
        ):
            return
        self.moments += 1
        again = Change(ChangeKind.APPEARED, change.game_id, change.at, change.opportunity)
        for _ in range(self.repeats - 1):
            self.trader.change(again)


async def one_database(
    folder: Path, repeats: int, synchronous: str | None, probe: Probe | None = None
) -> tuple[Sampler, dict[str, str], int]:
    pm = make_plugin_manager()
    if not WITH_PLUGINS:  # arbkit's own cost: third-party hooks (a notifier's file writes) off
        for name in [n for n, _ in pm.list_name_plugin() if n and not _arbkit_own(pm, n)]:
            pm.unregister(name=name)
    path = folder / "arbkit.db"
    store = open_store(path, extra=get_migrations(pm))
    settings = EngineSettings(sample=True, settlements=True, min_edge=Decimal(0))
    engine = build_engine(pm, settings, overrides=store.db)
    store_sink = StoreSink(store, command="trade", source=settings.source, options={"book": BOOK})
    engine.attach(HookSink(pm))
    engine.attach(store_sink)
    trader = build_trader(
        pm,
        engine,
        store,
        TradeSettings(limits=loose_limits(), latency=timedelta(0)),
        run_id=store_sink.run_id,
        book_id=BOOK,
    )
    if synchronous:  # a what-if over what build_trader chose
        store.db.execute(f"PRAGMA synchronous = {synchronous}")
    pragmas = {
        "journal_mode": store.db.execute("PRAGMA journal_mode").fetchone()[0],
        "synchronous": store.db.execute("PRAGMA synchronous").fetchone()[0],
    }
    sampler = Sampler(trader, path, probe)
    repeater = Repeater(trader, repeats)
    engine.attach(repeater)
    await engine.run(watch=True)
    await trader.executor.drain()
    sampler.check.close()
    store.close()
    return sampler, pragmas, repeater.moments


WITH_PLUGINS = False  #: ``--with-plugins``: keep the installed third-party plugins


def _arbkit_own(pm: object, name: str) -> bool:
    """arbkit's default plugins and the venues it ships (not a third-party package)."""
    return name.startswith("arbkit.") or pm.is_builtin(name)  # type: ignore[attr-defined]


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank."""
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def fs_type(folder: Path) -> str:
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                parts = line.split()
                point = parts[1]
                inside = str(folder.resolve()).startswith(point.rstrip("/") + "/")
                if (inside or point == "/") and len(point) > len(best):
                    best, kind = point, parts[2]
    except OSError:
        pass
    return kind


def decisions(args: argparse.Namespace) -> None:
    base = Path(args.dir) if args.dir else None
    walls: list[float] = []
    cpus: list[float] = []
    refused: list[float] = []
    outcomes: Counter[str] = Counter()
    rejections: Counter[str] = Counter()
    fills: Counter[int] = Counter()
    pragmas: dict[str, str] = {}
    moments = 0
    names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    for _ in range(args.dbs):
        with tempfile.TemporaryDirectory(dir=base) as tmp:
            sampler, pragmas, seen = asyncio.run(
                one_database(Path(tmp), args.repeats, args.synchronous)
            )
            where = fs_type(Path(tmp))
        moments += seen
        walls += [w for w, _ in sampler.accepted]
        cpus += [c for _, c in sampler.accepted]
        refused += sampler.refused
        outcomes.update(sampler.outcomes)
        fills.update(sampler.fills)
        rejections.update(sampler.trader.rejections)
    sync = names.get(int(pragmas["synchronous"]), pragmas["synchronous"])
    print("== decision → paper fill recorded in SQLite (Trader._consider, latency 0) ==")
    print(
        f"{args.dbs} fresh trader(s) + database(s) on the sample evening; {moments} moments with"
        f" an opportunity x {args.repeats} decisions each"
    )
    print(
        f"SQLite {sqlite3.sqlite_version}: journal_mode={pragmas['journal_mode']},"
        f" synchronous={sync} ({'set by --synchronous' if args.synchronous else 'the default'}),"
        f" database on {where} in {base or tempfile.gettempdir()}"
    )
    print(f"outcomes: {dict(outcomes)}; refusals by reason (first of each): {dict(rejections)}")
    print(f"accepted decisions by fills journaled: {dict(sorted(fills.items()))}")
    if not walls:
        print("no accepted decision: nothing to time")
        return
    for name, values in (("wall", walls), ("thread CPU", cpus)):
        ordered = sorted(values)
        print(
            f"accepted ({name}, n={len(ordered)}): p50 {statistics.median(ordered):.0f} µs,"
            f" p99 {percentile(ordered, 0.99):.0f} µs, max {ordered[-1]:.0f} µs"
        )
    if refused:
        ordered = sorted(refused)
        print(
            f"refused (wall, n={len(ordered)}): p50 {statistics.median(ordered):.0f} µs,"
            f" p99 {percentile(ordered, 0.99):.0f} µs"
        )
    p99 = percentile(sorted(walls), 0.99)
    print(f"target p99 < {TARGET_US:.0f} µs: {'met' if p99 < TARGET_US else 'MISSED'}")
    if args.profile or (p99 >= TARGET_US and not args.no_profile):
        profile(args, base)


def profile(args: argparse.Namespace, base: Path | None) -> None:
    """Where the time goes: one more database timed write by write, one under cProfile."""
    repeats = min(args.repeats, 40)
    breakdown = Breakdown()
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        asyncio.run(one_database(Path(tmp), repeats, args.synchronous, breakdown))
    n = breakdown.accepted
    if n:
        whole = breakdown.whole / n / 1000
        print(f"\n== where an accepted decision's {whole:.0f} µs go (mean of {n}, wall) ==")
        for label, total in breakdown.totals.most_common():
            mean = total / n / 1000
            calls = breakdown.calls[label] / n
            print(f"{mean:8.0f} µs {100 * mean / whole:4.0f} %  {calls:4.1f} calls  {label}")
        rest = whole - sum(breakdown.totals.values()) / n / 1000
        print(
            f"{rest:8.0f} µs {100 * rest / whole:4.0f} %              the rest: paper fills, trader"
        )
        sql = ", ".join(f"{k} {v / n:.1f}" for k, v in breakdown.statements.most_common())
        print(f"SQL statements per accepted decision: {sql}")
    profiler = Profiler()
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        sampler, _, _ = asyncio.run(one_database(Path(tmp), repeats, args.synchronous, profiler))
    calls = len(sampler.accepted) + len(sampler.refused)
    out = io.StringIO()
    stats = pstats.Stats(profiler.profile, stream=out)
    stats.sort_stats("tottime").print_stats(12)
    print(f"\n== cProfile of {calls} decisions ({len(sampler.accepted)} accepted), by own time ==")
    print(_trim(out.getvalue()))
    out = io.StringIO()
    stats = pstats.Stats(profiler.profile, stream=out)
    stats.sort_stats("cumulative").print_stats(r"arbkit|sqlite_utils", 20)
    print("== by cumulative time (arbkit and sqlite_utils functions) ==")
    print(_trim(out.getvalue()))


def _trim(text: str) -> str:
    """The table of a pstats listing, paths shortened to the package."""
    lines = [line for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    keep = []
    for line in lines[start:]:
        for marker in ("/site-packages/", "/src/", "/lib/python3"):
            at = line.find(marker)
            if at >= 0:
                head = line[:at].rsplit(" ", 1)[0]
                line = f"{head} {line[at + len(marker) :]}"
                break
        keep.append(line)
    return "\n".join(keep)


def stream_span() -> timedelta:
    """From the first to the last recorded stream message of the sample evening."""
    first: int | None = None
    last: int | None = None
    for stream in sorted(sample_dir().glob("*/stream.jsonl")):
        for ts, _ in read_stream_file(stream):
            first = ts if first is None else min(first, ts)
            last = ts if last is None else max(last, ts)
    if first is None or last is None:
        return timedelta(0)
    return timedelta(milliseconds=last - first)


def command(args: argparse.Namespace) -> None:
    exe = shutil.which("arbkit")
    argv = [exe, "trade", "--sample", "--json"] if exe else None
    if argv is None:
        argv = [sys.executable, "-m", "arbkit", "trade", "--sample", "--json"]
    # ru_maxrss of a child counts the pages it had from its parent until exec (this process,
    # grown by part 1), so the peak is read by /usr/bin/time, whose own child starts small.
    timer = shutil.which("time", path="/usr/bin:/bin")
    walls: list[float] = []
    rss_mib: list[float] = []
    as_of = None
    base = Path(args.dir) if args.dir else None
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(dir=base) as tmp:
            env = {
                **os.environ,
                "ARBKIT_USER_PATH": tmp,
                "ARBKIT_DB": str(Path(tmp) / "arbkit.db"),
                "ARBKIT_CONFIG": str(Path(tmp) / "config.toml"),
            }
            out_path, rss_path = Path(tmp) / "out.json", Path(tmp) / "rss"
            run = [timer, "-f", "%M", "-o", str(rss_path), *argv] if timer else argv
            with out_path.open("wb") as out:
                start = time.perf_counter()
                proc = subprocess.Popen(run, stdout=out, stderr=subprocess.DEVNULL, env=env)
                _, status, usage = os.wait4(proc.pid, 0)
                walls.append(time.perf_counter() - start)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} exited with {proc.returncode}")
            report = json.loads(out_path.read_text())
            as_of = report["as_of"]
            kib = int(rss_path.read_text().split()[-1]) if timer else usage.ru_maxrss
            rss_mib.append(kib / 1024)
    rss_by = "/usr/bin/time %M" if timer else "wait4 ru_maxrss, an upper bound"
    span = stream_span()
    median = statistics.median(walls)
    print("\n== the whole command ==")
    print(f"$ {' '.join(['arbkit', *argv[-3:]])}   x {args.runs}, fresh user directory each")
    print(
        f"wall: min {min(walls):.2f} s, median {median:.2f} s, max {max(walls):.2f} s;"
        f" peak RSS ({rss_by}): max {max(rss_mib):.0f} MiB, median"
        f" {statistics.median(rss_mib):.0f} MiB"
    )
    print(
        f"the sample evening's stream spans {span.total_seconds():.0f} s of recorded time: played"
        f" {span.total_seconds() / median:.0f}x faster than recorded (the settlements that follow"
        f" in recorded time, as of {as_of}, are played at once)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbs", type=int, default=5, help="fresh traders and databases")
    parser.add_argument("--repeats", type=int, default=200, help="decisions per moment")
    parser.add_argument("--runs", type=int, default=5, help="runs of the whole command")
    parser.add_argument(
        "--synchronous", choices=["OFF", "NORMAL", "FULL", "EXTRA"], help="what-if pragma"
    )
    parser.add_argument("--dir", help="where the temporary databases go (default: $TMPDIR)")
    parser.add_argument("--profile", action="store_true", help="always profile")
    parser.add_argument("--no-profile", action="store_true", help="never profile")
    parser.add_argument("--skip-decisions", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument(
        "--with-plugins",
        action="store_true",
        help="keep third-party plugins' hooks (e.g. arbkit-notify) in the decisions timed",
    )
    args = parser.parse_args()
    global WITH_PLUGINS
    WITH_PLUGINS = args.with_plugins
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"arbkit bench_trade, {stamp}, Python {sys.version.split()[0]}")
    if not args.skip_decisions:
        decisions(args)
    if not args.skip_cli:
        command(args)


if __name__ == "__main__":
    main()
