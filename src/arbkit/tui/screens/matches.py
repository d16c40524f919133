"""Matches: every game the matcher paired across venues, with confidence and reasons, and the
near-misses. ``c`` confirms and ``x`` rejects the highlighted one; the decision is stored as a
match override (as ``arbkit match confirm|reject`` stores it) and applied to the running engine.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from arbkit.tui.model import MatchRow, Snapshot
from arbkit.tui.screens.base import DashboardScreen
from arbkit.tui.widgets import OrderedTable, styled

#: why a game confirmed during a replay does not change (the Log says it too)
NO_STREAM = (
    "confirmed during the replay, after its stream was opened: a venue whose feed reads only "
    "the markets it was opened with (Kalshi's) sends this game no updates, so its books and "
    "opportunities may be stale; replay again to watch it"
)

COLUMNS = (
    ("kind", "Kind"),
    ("league", "League"),
    ("game", "Game"),
    ("when", "When"),
    ("conf", "Conf"),
    ("links", "Links"),
    ("decision", "Decision"),
)


class MatchTable(OrderedTable):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"match--matched", "match--near"}


class MatchesScreen(DashboardScreen):
    TITLE_TEXT = "Matches"
    CSS_PATH = "matches.tcss"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("c", "app.confirm_match", "Confirm"),
        Binding("x", "app.reject_match", "Reject"),
    ]

    def __init__(self) -> None:
        super().__init__(name="matches")
        self._rows: dict[str, MatchRow] = {}
        self._unstreamed: frozenset[str] = frozenset()

    def compose_body(self) -> ComposeResult:
        yield MatchTable(id="matches")
        with VerticalScroll(id="match-detail"):
            yield Static(id="match-detail-body")

    def on_mount(self) -> None:
        self.query_one(MatchTable).set_columns(COLUMNS)
        super().on_mount()

    @property
    def selected(self) -> MatchRow | None:
        key = self.query_one(MatchTable).selected_key
        return self._rows.get(key) if key else None

    def show(self, snapshot: Snapshot) -> None:
        table = self.query_one(MatchTable)
        matched = table.get_component_rich_style("match--matched")
        near = table.get_component_rich_style("match--near")
        self._rows = {row.key: row for row in snapshot.matches}
        self._unstreamed = unstreamed = snapshot.unstreamed
        table.show_rows(
            [
                (
                    row.key,
                    styled(
                        [
                            "near-miss" if row.near_miss else "matched",
                            row.league or "",
                            row.game,
                            row.when,
                            f"{row.confidence:.2f}",
                            str(len(row.links)),
                            _decision(row, unstreamed),
                        ],
                        near if row.near_miss else matched,
                        right=lambda i: i in (4, 5),
                    ),
                )
                for row in snapshot.matches
            ]
        )
        games = sum(1 for r in snapshot.matches if not r.near_miss)
        frozen = f", {len(unstreamed)} missing stream updates" if unstreamed else ""
        table.border_title = (
            f"Matches: {games} games, {len(snapshot.matches) - games} near-misses{frozen} "
            "(c confirm, x reject)"
        )
        self._draw_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._draw_detail()

    def _draw_detail(self) -> None:
        body = self.query_one("#match-detail-body", Static)
        row = self.selected
        if row is None:
            body.update(Text("No match selected.", style="dim"))
            return
        parts: list[Text] = [Text(f"{row.game}  ({row.key})", style="bold")]
        if row.key in self._unstreamed:
            warn = self.query_one(MatchTable).get_component_rich_style("match--near")
            parts.append(
                Text(f"stream updates missing: {NO_STREAM}", style=warn + Style(bold=True))
            )
        if row.reasons:
            parts.append(Text("reasons: " + "; ".join(row.reasons)))
        for link in row.links:
            relation = link.relation or "relation unknown (you choose when confirming)"
            parts.append(
                Text.assemble(
                    ("• ", "bold"),
                    f"{link.left_venue} {link.left_outcome or link.left_contract}  ",
                    (relation.upper() if link.relation else relation, "bold"),
                    f"  {link.right_venue} {link.right_outcome or link.right_contract}  ",
                    (f"{link.confidence:.2f}", "bold"),
                )
            )
            if link.reasons:
                parts.append(Text("    " + "; ".join(link.reasons), style="dim"))
        body.update(Group(*parts))


def _decision(row: MatchRow, unstreamed: frozenset[str]) -> str:
    if row.key in unstreamed:
        return f"{row.decision or 'watched'}, may be stale"
    return row.decision
