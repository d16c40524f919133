"""The ``register_tui`` hook: a plugin adds a screen and an opportunities column."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.widgets import Static
from tui_helpers import SIZE, paused, paused_sample_app

import arbkit
from arbkit.errors import PluginError
from arbkit.plugins import make_plugin_manager
from arbkit.tui import DashboardScreen, Snapshot, TuiColumn, TuiScreen
from arbkit.tui.model import RowState
from arbkit.tui.plugins import tui_extensions
from arbkit.tui.screens.opportunities import OpportunityTable


class EdgeScreen(DashboardScreen):
    """A plugin's screen: the open opportunities' total expected profit."""

    TITLE_TEXT = "Edges"

    def compose_body(self) -> ComposeResult:
        yield Static(id="edges")

    def show(self, snapshot: Snapshot) -> None:
        open_ = [r for r in snapshot.opportunities if r.state is not RowState.VANISHED]
        total = sum((r.opportunity.expected_profit for r in open_), Decimal(0))
        self.query_one("#edges", Static).update(f"{len(open_)} open, {total} expected")


def basis_points(opportunity: Any) -> int:
    return int(opportunity.net_edge * 10000)


class EdgePlugin:
    @arbkit.hookimpl
    def register_tui(self, register: Any) -> None:
        register(TuiScreen(name="edges", title="Edges", key="9", factory=EdgeScreen))
        register(TuiColumn(label="Edge bp", value=basis_points))


class Offering:
    """A plugin registering whatever it is given (for the refusals)."""

    def __init__(self, *items: Any) -> None:
        self.items = items

    @arbkit.hookimpl
    def register_tui(self, register: Any) -> None:
        for item in self.items:
            register(item)


async def test_a_plugin_screen_and_column() -> None:
    pm = make_plugin_manager()
    pm.register(EdgePlugin(), name="edges")
    app = paused_sample_app(pm)
    async with app.run_test(size=SIZE) as pilot:
        await paused(pilot)
        table = app.screen.query_one(OpportunityTable)
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[-1] == "Edge bp"
        expected = {r.key: str(basis_points(r.opportunity)) for r in app.snapshot.opportunities}
        shown = {key: table.get_cell(key, "plugin-0").plain for key in table.keys}
        assert shown == expected
        await pilot.press("9")
        await pilot.pause()
        assert isinstance(app.screen, EdgeScreen)
        open_ = [r for r in app.snapshot.opportunities if r.state is not RowState.VANISHED]
        total = sum((r.opportunity.expected_profit for r in open_), Decimal(0))
        text = str(app.screen.query_one("#edges", Static).render())
        assert text == f"{len(open_)} open, {total} expected"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Show Edges" in titles


def _screen(name: str = "extra", key: str = "8") -> TuiScreen:
    return TuiScreen(name=name, title=name, key=key, factory=EdgeScreen)


@pytest.mark.parametrize(
    ("items", "words"),
    [
        ((_screen(key="h"),), "arbkit's own"),  # the halt key is never a plugin's
        ((_screen(name="log"),), "arbkit's own"),
        ((_screen(), _screen(name="other")), "key 8 registered by both"),
        ((TuiColumn(label="x", value=str), TuiColumn(label="x", value=repr)), "column x"),
        ((TuiColumn(label="x", value=str, table="positions"),), "only the opportunities"),
        (("a string",), "not a TuiScreen/TuiColumn"),
    ],
)
def test_bad_registrations_are_refused(items: tuple[Any, ...], words: str) -> None:
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(Offering(*items), name="offering")
    with pytest.raises(PluginError, match=words):
        tui_extensions(pm)
