"""The Orders screen's trade states while paper trades are in flight.

A simulated trade's states are stored together when it ends, so while one is in flight the
journal still says ``planned``; the dashboard shows the state the trader holds in memory.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from arbkit.engine import EngineSettings, RunStatus, build_engine
from arbkit.plugins import make_plugin_manager
from arbkit.store import open_store
from arbkit.trading.books import choose_book
from arbkit.trading.model import Mode, TradeState
from arbkit.trading.setup import TradeSettings, build_trader
from arbkit.tui.sink import DashboardSink, LogCapture


async def test_in_flight_paper_trades_show_their_live_state(tmp_path: Path) -> None:
    pm = make_plugin_manager()
    store = open_store(tmp_path / "arbkit.db")
    engine = build_engine(pm, EngineSettings(sample=True, settlements=True), overrides=store.db)
    book = choose_book(store, Mode.PAPER, "sample")
    trader = build_trader(pm, engine, store, TradeSettings(), run_id="r1", book_id=book.book_id)
    # a second leg sent a minute after the first fills: the trade stays in flight meanwhile
    trader.executor.leg_gap = timedelta(minutes=1)
    sink = DashboardSink(
        trader, source="sample", highlight=timedelta(seconds=30), log=LogCapture(engine.now)
    )
    engine.attach(sink)
    seen: list[Any] = []

    def look(at: Any) -> None:
        stored = dict(trader.journal.trades())
        in_flight = {p.trade_id: s for p, s in stored.items() if s is TradeState.PLANNED}
        rows = {row.trade_id: row for row in sink.snapshot().orders}
        if in_flight and not seen and any(r.state != "planned" for r in rows.values()):
            seen.append((in_flight, rows))
        if seen:
            engine.stop(RunStatus.INTERRUPTED)

    sink.checkpoint = look
    try:
        await engine.run(watch=True)
    except BaseException:  # the stop above cancels the run
        pass
    assert seen, "no paper trade was ever in flight past 'planned'"
    [(in_flight, rows)] = seen
    moving = [rows[t] for t in in_flight if t in rows and rows[t].state != "planned"]
    assert moving
    for row in moving:
        assert row.state == TradeState.LEG2_SENT.value  # leg 1 filled, leg 2 due in a minute
        assert row.detail.startswith("leg ") and "IOC" in row.detail
    store.db.conn.close()
