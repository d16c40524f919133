"""Running backtests: one in this process, or a sweep of several in worker processes.

A backtest is a paper trading run (:class:`~arbkit.cli.trading_run.TradingPipeline`, exactly
what ``arbkit trade --replay`` runs) over recorded data on the replay clock, as fast as the
machine plays it. It trades in a book of its own, ``backtest:<source>#N`` (N counts the
backtests of that source in the database), and its ``runs`` row says ``command =
'backtest'``: ``arbkit trade`` never resumes it and the reading commands never mistake it for
a paper session, while ``arbkit report`` reports it like any book.

A sweep runs one backtest per value, each in a database of its own (temporary unless a
directory is given), in up to one process per core: SQLite has one writer per file, and
separate files let the runs share nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import field, frozen

from arbkit.cli.backtest_progress import MessageBar, Tick, count_messages
from arbkit.cli.trading_run import TradingPipeline
from arbkit.errors import ArbkitError, ConfigError

if TYPE_CHECKING:
    from arbkit.engine import EngineSettings
    from arbkit.store import Store
    from arbkit.trading.setup import TradeSettings

COMMAND = "backtest"
#: A backtest plays each stream file up to this size from the lines its check decoded (each
#: line decoded once, ~15 % of the 100,000-message load's CPU) for about five times the size in
#: memory while it plays; a bigger file is decoded again as it plays (docs/backtesting.md).
HOLD_STREAM_BYTES = 64 << 20


@frozen(kw_only=True)
class BacktestSpec:
    """Everything one backtest needs; plain values, so a sweep can send it to a worker."""

    engine: EngineSettings
    trade: TradeSettings
    #: what the run is labelled in the store (``sample``, the directory, ``recording:...``)
    source: str
    #: the parameters, stored in the run's ``runs.options`` (JSON-able)
    options: dict[str, Any] = field(factory=dict)
    #: ``--bus URL``: the games run on ``arbkit worker`` processes (not with a sweep)
    bus: str | None = None


@frozen(kw_only=True)
class BacktestResult:
    """A finished backtest: its report and where its trades are stored."""

    report: dict[str, Any]
    book_id: str
    run_id: str


def backtest_book(store: Store, source: str) -> str:
    """``backtest:<source>#N``: a fresh book for every backtest of ``source``."""
    count = 0
    if store.db["runs"].exists():
        count = store.db.execute(
            "select count(*) from runs where command = ? and source = ?", [COMMAND, source]
        ).fetchone()[0]
    return f"{COMMAND}:{source}#{count + 1}"


def run_backtest(
    pm: pluggy.PluginManager,
    store: Store,
    spec: BacktestSpec,
    *,
    tick: Tick | None = None,
    on_total: Callable[[int | None], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """One backtest in this process; its report is what ``arbkit trade --json`` prints.

    ``tick(n)`` hears of every ``n`` recorded messages played, ``on_total`` of how many
    there are (before any plays); ``progress`` gets the engine's one-line messages.
    """
    return asyncio.run(_run(pm, store, spec, tick, on_total, progress))


async def _run(
    pm: pluggy.PluginManager,
    store: Store,
    spec: BacktestSpec,
    tick: Tick | None,
    on_total: Callable[[int | None], None] | None,
    progress: Callable[[str], None] | None,
) -> BacktestResult:
    from arbkit.engine import RunStatus
    from arbkit.recordings import hold_checked_streams

    limit = hold_checked_streams(HOLD_STREAM_BYTES)
    try:
        pipeline = TradingPipeline.open(
            pm,
            store,
            spec.engine,
            command=COMMAND,
            book_id=backtest_book(store, spec.source),
            options={"mode": spec.trade.mode.value, **spec.options},
            progress=progress,
            source=spec.source,
        )
    finally:
        hold_checked_streams(limit)
    on_bus = None
    if spec.bus is not None:  # before the trader: its changes come back through the engine
        from arbkit.bus.tradebus import BusTradingRun

        on_bus = await BusTradingRun.attach(
            pipeline.engine,
            spec.bus,
            pm,
            run_id=pipeline.store_sink.run_id,
            book_id=pipeline.book_id,
        )
    try:
        pipeline.arm(pm, spec.trade)
        if on_bus is not None:
            on_bus.follow()
        if tick is not None:
            total = count_messages(pipeline.engine.session, tick)
            if on_total is not None:
                on_total(total)
        try:
            end = await pipeline.engine.run(watch=True)
        except asyncio.CancelledError:
            if on_bus is not None:
                on_bus.raise_failure()  # the bus failed: its one line
            raise
        report = pipeline.report()
        if on_bus is not None:
            await on_bus.finish()
            report["bus"] = on_bus.summary()
    finally:
        if on_bus is not None:
            await on_bus.close()
    pipeline.store_sink.check()
    if end.status is RunStatus.FAILED:
        raise ConfigError(end.reason)
    return BacktestResult(
        report=report, book_id=pipeline.book_id, run_id=pipeline.store_sink.run_id
    )


# -- sweeps ---------------------------------------------------------------------------------


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def sweep_db_name(index: int, label: str) -> str:
    """A file name for a sweep run's database: its position and value, filesystem-safe."""
    return f"{index + 1:02d}-{re.sub(r'[^0-9A-Za-z._=-]+', '_', label)}.db"


def run_sweep(
    pm: pluggy.PluginManager,
    specs: Sequence[BacktestSpec],
    labels: Sequence[str],
    *,
    db_dir: Path | None = None,
    workers: int | None = None,
    bar: MessageBar | None = None,
) -> list[dict[str, Any]]:
    """One backtest per spec, each in its own database; the reports in the specs' order.

    ``workers`` processes (default: one per spec, at most one per core) run them; with one
    worker they run here, one after the other, with ``pm``. Worker processes load the
    installed plugins as ``arbkit`` does.
    """
    bar = bar or MessageBar(enabled=False)
    count = min(len(specs), available_cores()) if workers is None else workers
    with tempfile.TemporaryDirectory(prefix="arbkit-sweep-") as scratch:
        folder = db_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / sweep_db_name(i, label) for i, label in enumerate(labels)]
        for path in paths:
            if path.exists():
                raise ConfigError(f"{path} exists: a sweep writes fresh databases")
        if count <= 1:
            runs = len(specs)
            return [_serial(pm, s, path, bar, runs) for s, path in zip(specs, paths, strict=True)]
        return _parallel(specs, paths, count, bar)


def _serial(
    pm: pluggy.PluginManager, spec: BacktestSpec, path: Path, bar: MessageBar, runs: int
) -> dict[str, Any]:
    from arbkit.registry import get_migrations
    from arbkit.store import open_store

    def total(messages: int | None) -> None:
        bar.total(None if messages is None else messages * runs)

    store = open_store(path, extra=get_migrations(pm))
    try:
        tick = bar.advance if bar.enabled else None  # no counter without a bar to show it
        return run_backtest(pm, store, spec, tick=tick, on_total=total).report
    finally:
        store.close()


def _parallel(
    specs: Sequence[BacktestSpec], paths: Sequence[Path], count: int, bar: MessageBar
) -> list[dict[str, Any]]:
    context = worker_context()
    played = context.Value("q", 0)
    per_run = context.Value("q", -1)
    level = logging.getLogger().level  # -q / -v, for the workers' warnings too
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_init,
        initargs=(played, per_run, level),
    ) as pool:
        pairs = zip(specs, paths, strict=True)
        futures = [pool.submit(_worker, spec, path, bar.enabled) for spec, path in pairs]
        pending = set(futures)
        while pending:
            _, pending = concurrent.futures.wait(pending, timeout=0.2)
            if per_run.value >= 0:
                bar.total(per_run.value * len(specs))
            bar.set(played.value)
        results = [future.result() for future in futures]
    for result in results:
        if "error" in result:
            raise ConfigError(result["error"])
    return [result["report"] for result in results]


#: what a forkserver loads once, so each worker forked from it starts with them imported
PRELOAD = [
    "arbkit.cli.backtest_run",
    "arbkit.plugins",
    "arbkit.engine.build",
    "arbkit.engine.core",
    "arbkit.trading.setup",
    "arbkit.trading.trader",
    "arbkit.trading.paper",
    "arbkit.cli.tradeview",
]


def worker_context() -> Any:
    """Fresh worker processes, never a fork of this one (it may run threads: the progress
    bar's): a fork server with arbkit's modules loaded, else (no fork server here) spawn."""
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - a platform without fork
        return multiprocessing.get_context("spawn")
    context.set_forkserver_preload(PRELOAD)
    return context


_played: Any = None
_per_run: Any = None


def _init(played: Any, per_run: Any, level: int) -> None:
    """In each worker: the shared counters, and logging as the command has it (redacted)."""
    from arbkit.secrets import RedactingFilter

    global _played, _per_run
    _played, _per_run = played, per_run
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _tick(messages: int) -> None:
    with _played.get_lock():
        _played.value += messages


def _total(messages: int | None) -> None:
    if messages is not None:
        _per_run.value = messages


def _worker(spec: BacktestSpec, path: Path, counted: bool) -> dict[str, Any]:
    """In a worker process: one backtest in its own database; an error as its one line."""
    from arbkit.plugins import make_plugin_manager
    from arbkit.registry import get_migrations
    from arbkit.store import open_store

    try:
        pm = make_plugin_manager()
        store = open_store(path, extra=get_migrations(pm))
        try:
            tick = _tick if counted else None
            result = run_backtest(pm, store, spec, tick=tick, on_total=_total)
            return {"report": result.report}
        finally:
            store.close()
    except ArbkitError as exc:
        return {"error": str(exc)}
