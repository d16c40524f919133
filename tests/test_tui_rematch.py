"""A game confirmed during a replay: the Matches screen says its stream updates are missing.

A recording's stream is opened once with the games matched when it starts; Kalshi's decoder
reads only those markets, so a game confirmed later gets none of its Kalshi updates. Here a game
rejected before the run (so not watched when the replay starts) is confirmed at the pause, with
the same command the ``c`` key sends.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Static
from tui_helpers import SIZE, paused, paused_sample_app, until, venues_pm

from arbkit.engine import EngineSettings, build_engine
from arbkit.matching.overrides import CONFIRM, REJECT, Overrides, save_override
from arbkit.plugins import ArbkitPluginManager
from arbkit.registry import get_migrations
from arbkit.store import open_store
from arbkit.tui.app import _decide
from arbkit.tui.screens.matches import NO_STREAM, MatchesScreen, MatchTable
from arbkit.tui.sink import _match_row

__all__ = ["venues_pm"]
GAME = "NBA:2026-11-24:BOS@NYK"  # its Kalshi books move all evening in the sample


async def test_a_game_confirmed_during_a_replay_is_marked_on_the_matches_screen(
    venues_pm: ArbkitPluginManager, isolated_user_dir: Path
) -> None:
    probe = build_engine(venues_pm, EngineSettings(sample=True))
    await probe.start()
    [result] = [m for m in probe.matches if m.game_id == GAME]
    await probe.session.aclose()
    row = _match_row(result, Overrides())
    store = open_store(isolated_user_dir / "arbkit.db", extra=get_migrations(venues_pm))
    for link in row.links:  # rejected before the run: not watched when the replay starts
        save_override(store.db, link.left_contract, link.right_contract, REJECT)
    store.db.conn.close()

    app = paused_sample_app(venues_pm)
    async with app.run_test(size=SIZE) as pilot:
        await paused(pilot)
        assert app.runner.engine is not None and GAME not in app.runner.engine.shards
        assert all(r.key != GAME for r in app.snapshot.matches)
        await pilot.press("2")
        assert app.runner.submit(lambda runner: _decide(runner, row, CONFIRM, None))
        await until(pilot, lambda: app.snapshot.unstreamed == {GAME})
        assert GAME in app.runner.engine.shards  # watched again
        screen = app.screen
        assert isinstance(screen, MatchesScreen)
        table = screen.query_one(MatchTable)
        await until(pilot, lambda: GAME in table.keys)
        table.move_cursor(row=table.keys.index(GAME))
        await pilot.pause()
        cells = [str(c) for c in table.get_row(GAME)]
        assert cells[-1] == "confirmed, may be stale"
        assert "1 missing stream updates" in str(table.border_title)
        console = Console(width=400, record=True, file=io.StringIO())
        console.print(screen.query_one("#match-detail-body", Static).content)
        assert f"stream updates missing: {NO_STREAM}" in console.export_text()
        warnings = [e.message for e in app.snapshot.log if e.level == "WARNING"]
        assert f"{GAME}: {NO_STREAM}" in warnings
        # a game watched from the start is not marked
        other = next(r.key for r in app.snapshot.matches if not r.near_miss and r.key != GAME)
        assert "stale" not in str(table.get_row(other)[-1])
