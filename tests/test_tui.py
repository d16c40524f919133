"""``arbkit tui``: the dashboard driven with Pilot on the sample, paused on its recorded clock.

Each test runs the real pipeline (engine, paper trader, store) on its own thread behind the app,
as ``arbkit tui --sample`` does, and presses the keys a trader would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from textual.screen import ModalScreen
from tui_helpers import paused, paused_sample_app, until, venues_pm

from arbkit.engine.build import EngineSettings
from arbkit.plugins import ArbkitPluginManager
from arbkit.tui import TuiSettings, make_app
from arbkit.tui.app import SCREENS
from arbkit.tui.messages import SnapshotReady
from arbkit.tui.model import RowState
from arbkit.tui.screens.matches import MatchesScreen, MatchTable
from arbkit.tui.screens.opportunities import OpportunitiesScreen, OpportunityTable
from arbkit.tui.screens.orders import OrderTable
from arbkit.tui.screens.positions import PositionTable
from arbkit.tui.widgets import StatusBar

SIZE = (120, 40)
__all__ = ["venues_pm"]  # the fixture, imported for pytest


def _open_games(snapshot: Any) -> set[str]:
    return {
        row.opportunity.game_id
        for row in snapshot.opportunities
        if row.state is not RowState.VANISHED
    }


def _db(user: Path) -> sqlite3.Connection:
    return sqlite3.connect(user / "arbkit.db")


async def test_screens_sorting_and_palette(venues_pm: ArbkitPluginManager) -> None:
    app = paused_sample_app(venues_pm)
    async with app.run_test(size=SIZE) as pilot:
        await paused(pilot)
        snapshot = app.snapshot
        assert snapshot.opportunities and snapshot.positions and snapshot.orders
        await _every_screen(pilot, snapshot)
        await pilot.press("1")
        await _sorting(pilot)
        await _palette(pilot)


async def _every_screen(pilot: Any, snapshot: Any) -> None:
    app = pilot.app
    assert isinstance(app.screen, OpportunitiesScreen)
    assert app.screen.query_one(OpportunityTable).row_count == len(snapshot.opportunities)
    for name, key in SCREENS:
        await pilot.press(key)
        await pilot.pause()
        assert app.screen.name == name
    await pilot.press("2")
    await pilot.pause()
    matched = [row for row in snapshot.matches if not row.near_miss]
    assert app.screen.query_one(MatchTable).row_count == len(snapshot.matches)
    assert len(matched) == 22  # the sample's games (docs/sample-data.md)
    await pilot.press("3")
    await pilot.pause()
    assert app.screen.query_one(PositionTable).row_count == len(snapshot.positions)
    await pilot.press("4")
    await pilot.pause()
    assert app.screen.query_one(OrderTable).row_count == len(snapshot.orders)
    header = str(app.screen.query_one(StatusBar).render())
    assert "PAPER" in header and "PAUSED" in header and "ACTIVE" in header


async def _sorting(pilot: Any) -> None:
    app = pilot.app
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, OpportunitiesScreen)
    table = screen.query_one(OpportunityTable)
    profit = {row.key: row.opportunity.expected_profit for row in app.snapshot.opportunities}
    assert [profit[k] for k in table.keys] == sorted(profit.values(), reverse=True)
    # s moves the sort to the next column: profit → conf → state → since → game
    for _ in range(4):
        await pilot.press("s")
    await pilot.pause()
    assert screen.sort_key == "game" and not screen.reverse
    title = {row.key: row.opportunity.title for row in app.snapshot.opportunities}
    assert [title[k] for k in table.keys] == sorted(title.values())
    await pilot.press("S")
    await pilot.pause()
    assert [title[k] for k in table.keys] == sorted(title.values(), reverse=True)
    # a click on the Size header sorts by size, largest first
    columns = table.ordered_columns
    index = next(i for i, c in enumerate(columns) if c.key.value == "size")
    x = 1 + sum(c.get_render_width(table) for c in columns[:index]) + 1  # past the border
    await pilot.click(OpportunityTable, offset=(x, 1))  # y 1: the header, under the border
    await pilot.pause()
    sizes = {row.key: row.opportunity.size for row in app.snapshot.opportunities}
    assert screen.sort_key == "size"
    assert [sizes[k] for k in table.keys] == sorted(sizes.values(), reverse=True)


async def _palette(pilot: Any) -> None:
    app = pilot.app
    commands = list(app.get_system_commands(app.screen))
    titles = " | ".join(c.title for c in commands)
    for words in (
        "Show Opportunities",
        "Show Matches",
        "Show Positions & P&L",
        "Show Orders",
        "Show Log",
        "Halt trading",
        "Resume trading",
        "Pause",
        "Confirm the selected match",
        "Reject the selected match",
        "Sort opportunities",
        "Reverse the opportunities",
        "Filter the log",
        "Cycle the log level",
        "Quit",
    ):
        assert words in titles
    next(c for c in commands if "Halt" in c.title).callback()
    await pilot.pause()
    assert type(app.screen).__name__ == "ConfirmDialog"
    await pilot.press("n")
    await pilot.pause()
    assert app.snapshot.risk == "active"


async def _log_filters(pilot: Any) -> None:
    app = pilot.app
    await pilot.press("5")
    await pilot.pause()
    screen = app.screen
    everything = screen.shown(app.snapshot.log)
    assert any(e.level == "WARNING" for e in everything)
    assert any(e.level == "INFO" for e in everything)
    await pilot.press("w")
    await pilot.pause()
    warnings = screen.shown(app.snapshot.log)
    assert warnings and all(e.level in ("WARNING", "ERROR") for e in warnings)
    await pilot.press("f")
    for char in "sequence gap":
        await pilot.press("space" if char == " " else char)
    await pilot.pause()
    found = screen.shown(app.snapshot.log)
    assert found and all("sequence gap" in e.message for e in found)


async def test_confirm_and_reject_matches(
    venues_pm: ArbkitPluginManager, isolated_user_dir: Path
) -> None:
    app = paused_sample_app(venues_pm)
    async with app.run_test(size=SIZE) as pilot:
        await paused(pilot)
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MatchesScreen)
        table = screen.query_one(MatchTable)
        # confirm: stored with each link's own relation; the game goes on being watched
        kept = "NHL:2026-11-24:NJD@WSH"
        table.move_cursor(row=table.keys.index(kept))
        await pilot.press("c")
        await until(pilot, lambda: _decisions(app).get(kept) == "confirmed")
        links = next(r for r in app.snapshot.matches if r.key == kept).links
        assert sorted(_stored(isolated_user_dir, "confirm")) == sorted(
            link.relation for link in links
        )
        assert kept in _open_games(app.snapshot)
        # reject: stored, the game stops, its opportunities vanish (for the trader too)
        gone = "NBA:2026-11-24:DEN@MIN"
        assert gone in _open_games(app.snapshot)
        table.move_cursor(row=table.keys.index(gone))
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: gone not in _open_games(app.snapshot))
        assert any(r.opportunity.game_id == gone for r in app.snapshot.opportunities)  # fading
        assert kept in _open_games(app.snapshot)
        assert gone not in _decisions(app)
        assert app.runner.engine is not None and gone not in app.runner.engine.shards
        assert len(_stored(isolated_user_dir, "reject")) == 4  # both venues' YES/NO links
        assert "reject" in " ".join(e.message for e in app.snapshot.log)
        # a near-miss the matcher named no contracts for cannot be decided here: it says so
        near = next(r for r in app.snapshot.matches if r.near_miss and not r.links)
        table.move_cursor(row=table.keys.index(near.key))
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, ModalScreen)
        assert len(_stored(isolated_user_dir, "confirm")) == len(links)


def _decisions(app: Any) -> dict[str, str]:
    return {row.key: row.decision for row in app.snapshot.matches}


def _stored(user: Path, decision: str) -> list[str | None]:
    with _db(user) as db:
        rows = db.execute(
            "select relation from match_overrides where decision = ?", [decision]
        ).fetchall()
    return [row[0] for row in rows]


async def test_halt_resume_live_badge_the_end_and_the_log(
    venues_pm: ArbkitPluginManager, isolated_user_dir: Path
) -> None:
    app = paused_sample_app(venues_pm)
    switch = isolated_user_dir / "arbkit.halt"
    async with app.run_test(size=SIZE) as pilot:
        await paused(pilot)
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("2")  # a dialog waits for its answer: no screen switch under it
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("n")  # the confirmation: no means nothing happens
        await pilot.pause(0.2)
        assert not switch.exists() and app.snapshot.risk == "active"
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: app.snapshot.risk == "halted")
        assert switch.exists()  # the same file `arbkit halt` writes
        header = str(app.screen.query_one(StatusBar).render())
        assert "HALTED" in header and "kill switch: halted from arbkit tui" in header
        await until(pilot, lambda: any("(arbkit tui)" in e.message for e in app.snapshot.log))
        with _db(isolated_user_dir) as db:
            stored = db.execute("select state, source from risk_events").fetchall()
        assert ("halted", "arbkit tui") in stored
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: app.snapshot.risk == "active")
        assert not switch.exists()
        # LIVE: another colour and a heavy border on every screen
        assert not app.screen.has_class("-live")
        paper = app.snapshot
        app.post_message(SnapshotReady(evolve(paper, mode="live")))
        await until(pilot, lambda: app.screen.has_class("-live"))
        assert "LIVE" in str(app.screen.query_one(StatusBar).render())
        assert app.screen.styles.border_top[0] == "heavy"
        app.post_message(SnapshotReady(paper))
        await until(pilot, lambda: not app.screen.has_class("-live"))
        # p: the replay goes on to its end; the venues settle every position
        before = app.snapshot.as_of
        await pilot.press("p")
        await until(pilot, lambda: app.snapshot.phase == "ended")
        assert app.snapshot.as_of is not None and before is not None
        assert app.snapshot.as_of > before
        assert {p.status for p in app.snapshot.positions} == {"settled"}
        assert not _open_games(app.snapshot)
        assert app.runner.report is not None and app.runner.report["mode"] == "paper"
        assert len(app.snapshot.pnl_series) > 3
        await _log_filters(pilot)


async def test_a_run_that_cannot_start_says_why(
    venues_pm: ArbkitPluginManager, tmp_path: Path
) -> None:
    settings = TuiSettings(engine=EngineSettings(replay_dir=tmp_path / "missing", speed=0))
    app = make_app(venues_pm, settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.snapshot.phase == "failed")
        assert app.runner.error and "missing" in app.runner.error
        assert app.snapshot.note == app.runner.error
        assert "FAILED" in str(app.screen.query_one(StatusBar).render())
        assert any(e.level == "ERROR" for e in app.snapshot.log)


@pytest.mark.parametrize("args", [["--sample", "--live"], ["--sample", "--replay", "."]])
def test_bad_combinations_are_one_line_errors(invoke: Any, args: list[str]) -> None:
    result = invoke(["tui", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "Error:" in result.output


def test_needs_a_terminal(invoke: Any) -> None:
    result = invoke(["tui", "--sample"])
    assert result.exit_code == 1
    assert "needs a terminal" in str(result.exception)


def test_help_has_examples(invoke: Any) -> None:
    result = invoke(["tui", "--help"])
    assert result.exit_code == 0
    assert "arbkit tui --sample" in result.output and "--pause-at" in result.output


def test_pause_at_must_be_a_time(invoke: Any) -> None:
    result = invoke(["tui", "--sample", "--pause-at", "teatime"])
    assert result.exit_code == 2 and "not a time" in result.output


def test_every_screen_has_its_stylesheet_in_the_package() -> None:
    """The .tcss files ship inside the package (the wheel packages src/arbkit whole)."""
    import inspect

    from arbkit.tui.app import ArbkitApp
    from arbkit.tui.screens.log import LogScreen
    from arbkit.tui.screens.orders import OrdersScreen
    from arbkit.tui.screens.positions import PositionsScreen

    for cls in (
        ArbkitApp,
        OpportunitiesScreen,
        MatchesScreen,
        PositionsScreen,
        OrdersScreen,
        LogScreen,
    ):
        css = Path(inspect.getfile(cls)).parent / str(cls.CSS_PATH)
        assert css.is_file() and css.read_text(encoding="utf-8").strip(), css
