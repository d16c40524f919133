"""Orders: every two-leg trade of this book and the state it is in (planned … hedged, unwinding,
broken); a trade that needs a person (one-legged, unwinding, partly filled) is highlighted."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult

from arbkit.tui.model import Snapshot
from arbkit.tui.screens.base import DashboardScreen
from arbkit.tui.text import clip, short_clock, short_game
from arbkit.tui.widgets import OrderedTable, styled

COLUMNS = (
    ("trade", "Trade"),
    ("kind", "Kind"),
    ("game", "Game"),
    ("state", "State"),
    ("legs", "Legs"),
    ("at", "Decided"),
    ("detail", "Detail"),
)


class OrderTable(OrderedTable):
    TALL_ROWS = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"order--ok", "order--attention"}


class OrdersScreen(DashboardScreen):
    TITLE_TEXT = "Orders"
    CSS_PATH = "orders.tcss"

    def __init__(self) -> None:
        super().__init__(name="orders")

    def compose_body(self) -> ComposeResult:
        yield OrderTable(id="orders")

    def on_mount(self) -> None:
        self.query_one(OrderTable).set_columns(COLUMNS)
        super().on_mount()

    def show(self, snapshot: Snapshot) -> None:
        table = self.query_one(OrderTable)
        ok = table.get_component_rich_style("order--ok")
        attention = table.get_component_rich_style("order--attention")
        rows = sorted(snapshot.orders, key=lambda o: (not o.attention, o.trade_id))
        table.show_rows(
            [
                (
                    o.trade_id,
                    styled(
                        [
                            o.trade_id.rsplit("/", 1)[-1],
                            o.kind,
                            short_game(o.game),
                            o.state.upper() if o.attention else o.state,
                            o.legs,
                            short_clock(o.decided_at),
                            clip(o.detail, 28),
                        ],
                        attention if o.attention else ok,
                        right=lambda i: False,
                    ),
                )
                for o in rows
            ]
        )
        needs = sum(1 for o in rows if o.attention)
        table.border_title = f"Trades: {len(rows)}, {needs} need attention"
