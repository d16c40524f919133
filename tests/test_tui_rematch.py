"""A game confirmed during a replay: it is watched from then on, with its books as the
recording has them at that moment, and not marked as missing stream updates.

The recorded stream is decoded for every recorded market and passed on for the subscribed ones,
so a game confirmed later gets its updates from then on (its Kalshi books moved before the
pause). Here a game rejected before the run (so not watched when the replay starts) is
confirmed at the pause, with the same command the ``c`` key sends.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import Static
from tui_helpers import PAUSE_AT, SIZE, paused, until, venues_pm

from arbkit.engine import EngineSettings, RunEnd, RunStatus, Sink, build_engine
from arbkit.matching.overrides import CONFIRM, REJECT, Overrides, save_override
from arbkit.plugins import ArbkitPluginManager
from arbkit.registry import get_migrations
from arbkit.store import open_store
from arbkit.streaming import BookUpdate
from arbkit.tui import TuiSettings, make_app
from arbkit.tui.app import _decide
from arbkit.tui.screens.matches import NO_STREAM, MatchesScreen, MatchTable
from arbkit.tui.sink import _match_row

__all__ = ["venues_pm"]
GAME = "NBA:2026-11-24:BOS@NYK"  # its Kalshi books move in a burst before the pause


class NewestBooks(Sink):
    """Each contract's newest streamed book, watching every game."""

    def __init__(self) -> None:
        self.books: dict[str, Any] = {}

    def event(self, event: Any, at: Any) -> None:
        if isinstance(event, BookUpdate):
            self.books[event.book.contract_id] = event.book


async def test_a_game_confirmed_during_a_replay_is_streamed_from_then_on(
    venues_pm: ArbkitPluginManager, isolated_user_dir: Path
) -> None:
    played = NewestBooks()
    probe = build_engine(venues_pm, EngineSettings(sample=True), sinks=[played])
    await probe.start()
    [result] = [m for m in probe.matches if m.game_id == GAME]
    kalshi = {c for c in probe.shards[GAME].contract_ids() if c.startswith("KX")}
    opening = {c: probe.book(c) for c in kalshi}
    async for _change in probe.watch():
        pass
    await probe.close(RunEnd(RunStatus.COMPLETED))
    assert set(played.books) >= kalshi
    assert any(played.books[c] != opening[c] for c in kalshi)  # the stream moves them
    row = _match_row(result, Overrides())
    store = open_store(isolated_user_dir / "arbkit.db", extra=get_migrations(venues_pm))
    for link in row.links:  # rejected before the run: not watched when the replay starts
        save_override(store.db, link.left_contract, link.right_contract, REJECT)
    store.db.conn.close()

    # no recorded settlements: they come hours later, past the game's start, which stops it;
    # paced, so the books fetch the confirmation schedules runs before the replay ends
    settings = TuiSettings(engine=EngineSettings(sample=True, speed=200), pause_at=PAUSE_AT)
    app = make_app(venues_pm, settings)
    async with app.run_test(size=SIZE) as pilot:
        await paused(pilot)
        engine = app.runner.engine
        assert engine is not None and GAME not in engine.shards
        assert all(r.key != GAME for r in app.snapshot.matches)
        await pilot.press("2")
        assert app.runner.submit(lambda runner: _decide(runner, row, CONFIRM, None))
        await until(pilot, lambda: engine.unstreamed() == set() and GAME in engine.shards)
        await pilot.press("p")  # go on: the game's books are fetched once the engine runs
        await until(pilot, lambda: app.runner.done.is_set())
        # the books the recording ends with, as a run watching the game all along has them
        assert {c: engine.book(c) for c in kalshi} == {c: played.books[c] for c in kalshi}
        assert engine.unstreamed() == set() and app.snapshot.unstreamed == frozenset()
        screen = app.screen
        assert isinstance(screen, MatchesScreen)
        table = screen.query_one(MatchTable)
        await until(pilot, lambda: GAME in table.keys)
        table.move_cursor(row=table.keys.index(GAME))
        await pilot.pause()
        assert [str(c) for c in table.get_row(GAME)][-1] == "confirmed"
        assert "missing stream updates" not in str(table.border_title)
        console = Console(width=400, record=True, file=io.StringIO())
        console.print(screen.query_one("#match-detail-body", Static).content)
        assert "stream updates missing" not in console.export_text()
        assert all(NO_STREAM not in e.message for e in app.snapshot.log)
