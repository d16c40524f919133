"""Positions & P&L: open positions marked to market, realized P&L, exits with their reasons,
and the cumulative P&L curve as a sparkline (one point per minute of the engine's clock)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Sparkline, Static

from arbkit.tui.model import PositionRow, Snapshot
from arbkit.tui.screens.base import DashboardScreen
from arbkit.tui.text import clip, money, num, price, short_clock, short_game
from arbkit.tui.widgets import OrderedTable, styled

COLUMNS = (
    ("game", "Game"),
    ("status", "Status"),
    ("legs", "Legs"),
    ("cost", "Cost"),
    ("fees", "Fees"),
    ("realized", "Realized"),
    ("marked", "Marked"),
    ("exit", "Exit"),
)


class PositionTable(OrderedTable):
    TALL_ROWS = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"position--open", "position--closed"}


class PositionsScreen(DashboardScreen):
    TITLE_TEXT = "Positions & P&L"
    CSS_PATH = "positions.tcss"

    def __init__(self) -> None:
        super().__init__(name="positions")

    def compose_body(self) -> ComposeResult:
        yield Static(id="pnl-summary")
        yield Sparkline([], id="pnl-curve")
        yield PositionTable(id="positions")

    def on_mount(self) -> None:
        self.query_one(PositionTable).set_columns(COLUMNS)
        super().on_mount()

    def show(self, snapshot: Snapshot) -> None:
        table = self.query_one(PositionTable)
        open_style = table.get_component_rich_style("position--open")
        closed_style = table.get_component_rich_style("position--closed")
        positions = sorted(snapshot.positions, key=lambda p: (p.status != "open", p.game))
        table.show_rows(
            [
                (
                    p.game,
                    styled(
                        _cells(p),
                        open_style if p.status == "open" else closed_style,
                        right=lambda i: 3 <= i <= 6,
                    ),
                )
                for p in positions
            ]
        )
        opened = sum(1 for p in positions if p.status == "open")
        exits = [p for p in positions if p.exit_reason]
        table.border_title = f"Positions: {opened} open, {len(positions) - opened} closed"
        total = snapshot.realized + snapshot.unrealized
        summary = Text.assemble(
            ("P&L ", "bold"),
            (money(total), "bold"),
            f"   realized {money(snapshot.realized)}   marked {money(snapshot.unrealized)}   ",
            f"exits fired {len(exits)}",
        )
        marked = [p.marked_at for p in positions if p.status == "open" and p.marked_at]
        if marked:
            summary.append(f"   marked at {short_clock(max(marked))}")
        if exits:
            last = max(exits, key=lambda p: p.closed_at or p.marked_at or snapshot.as_of)  # type: ignore[arg-type, return-value]
            summary.append(f"   last: {last.game} — {last.exit_reason}")
        self.query_one("#pnl-summary", Static).update(summary)
        curve = self.query_one(Sparkline)
        curve.data = [float(point) for point in snapshot.pnl_series] or [0.0]


def _cells(p: PositionRow) -> list[str]:
    legs = "\n".join(
        f"{leg.outcome} ({leg.venue[:4]}) "
        + (num(leg.held) if leg.held == leg.bought else f"{num(leg.held)}/{num(leg.bought)}")
        + f"@{price(leg.avg_price, 3)}"
        for leg in p.legs
    )
    return [
        short_game(p.game),
        p.status,
        legs,
        money(p.cost),
        money(p.fees),
        money(p.realized),
        money(p.unrealized),
        clip(p.exit_reason, 20),
    ]
