"""Opportunities: every opportunity the engine reports, sortable, with both books and the edge.

New and changed rows are highlighted, vanished ones fade before they go (styles in
``opportunities.tcss``). The detail pane shows the highlighted row's books side by side and its
arithmetic: each leg's price, fee and size, then payout and cost, gross edge → fees → net.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from arbkit.models import Opportunity, OrderBook
from arbkit.tui.model import OpportunityRow, RowState, Snapshot
from arbkit.tui.plugins import TuiColumn
from arbkit.tui.screens.base import DashboardScreen
from arbkit.tui.text import clip, money, num, price, short_clock
from arbkit.tui.widgets import OrderedTable, styled

BOOK_DEPTH = 5


class Column:
    """One column: its key, label, the value rows sort by, and how it is written."""

    def __init__(
        self,
        key: str,
        label: str,
        value: Callable[[OpportunityRow], Any],
        text: Callable[[Any], str] = str,
        *,
        numeric: bool = False,
    ) -> None:
        self.key = key
        self.label = label
        self.value = value
        self.text = text
        self.numeric = numeric


def _legs(o: Opportunity) -> str:
    return " + ".join(f"{leg.outcome} ({leg.venue[:4]})" for leg in o.legs)


BUILTIN_COLUMNS: tuple[Column, ...] = (
    Column("game", "Game", lambda r: r.opportunity.title, lambda v: clip(v, 22)),
    Column("league", "League", lambda r: r.opportunity.league or ""),
    Column("legs", "Legs", lambda r: _legs(r.opportunity), lambda v: clip(v, 25)),
    Column("gross", "Gross", lambda r: r.opportunity.gross_edge, price, numeric=True),
    Column("net", "Net", lambda r: r.opportunity.net_edge, price, numeric=True),
    Column("size", "Size", lambda r: r.opportunity.size, num, numeric=True),
    Column("profit", "Profit", lambda r: r.opportunity.expected_profit, money, numeric=True),
    Column("conf", "Conf", lambda r: r.opportunity.confidence, lambda v: f"{v:.2f}", numeric=True),
    Column("state", "State", lambda r: r.state.value),
    Column("since", "Since", lambda r: r.since, short_clock),
)


def plugin_column(column: TuiColumn, index: int) -> Column:
    def value(row: OpportunityRow) -> Any:
        try:
            return column.value(row.opportunity)
        except Exception as exc:  # a plugin's bug shows in its cell, not as a crash
            return f"error: {exc}"

    return Column(f"plugin-{index}", column.label, value)


class OpportunityTable(OrderedTable):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "opportunity--new",
        "opportunity--changed",
        "opportunity--steady",
        "opportunity--vanished",
    }


class OpportunitiesScreen(DashboardScreen):
    TITLE_TEXT = "Opportunities"
    CSS_PATH = "opportunities.tcss"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse"),
    ]

    def __init__(self, columns: Sequence[TuiColumn] = ()) -> None:
        super().__init__(name="opportunities")
        self.columns = BUILTIN_COLUMNS + tuple(plugin_column(c, i) for i, c in enumerate(columns))
        self.sort_key = "profit"
        self.reverse = True
        self._rows: dict[str, OpportunityRow] = {}
        self._books: dict[str, OrderBook] = {}
        self._detail_shown: object = None  #: what the detail pane was drawn from

    def compose_body(self) -> ComposeResult:
        yield OpportunityTable(id="opportunities")
        with VerticalScroll(id="detail"):
            yield Static(id="detail-body")

    def on_mount(self) -> None:
        self.query_one(OpportunityTable).set_columns([(c.key, c.label) for c in self.columns])
        super().on_mount()

    # -- sorting ---------------------------------------------------------------------------

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.columns]
        self.sort_by(keys[(keys.index(self.sort_key) + 1) % len(keys)])

    def action_sort_reverse(self) -> None:
        self.reverse = not self.reverse
        self.redraw(self.dashboard.snapshot)

    def sort_by(self, key: str, *, reverse: bool | None = None) -> None:
        column = self._column(key)
        self.sort_key = key
        self.reverse = column.numeric if reverse is None else reverse
        self.redraw(self.dashboard.snapshot)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_key:
            self.action_sort_reverse()
        else:
            self.sort_by(key)

    def _column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def ordered(self, rows: Sequence[OpportunityRow]) -> list[OpportunityRow]:
        """Rows in the chosen order (ties by key, so equal values keep one order)."""
        column = self._column(self.sort_key)

        def sort_value(row: OpportunityRow) -> tuple[int, Any]:
            value = column.value(row)
            if value is None:
                return (1, "")
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return (0, value)
            return (0, str(value))

        rows = sorted(rows, key=lambda r: r.key)
        present = [r for r in rows if sort_value(r)[0] == 0]
        missing = [r for r in rows if sort_value(r)[0] == 1]
        try:
            present.sort(key=lambda r: sort_value(r)[1], reverse=self.reverse)
        except TypeError:  # a plugin column mixing numbers and text: sort as text
            present.sort(key=lambda r: str(sort_value(r)[1]), reverse=self.reverse)
        return present + missing

    # -- drawing ---------------------------------------------------------------------------

    def show(self, snapshot: Snapshot) -> None:
        table = self.query_one(OpportunityTable)
        styles = {
            state: table.get_component_rich_style(f"opportunity--{state}") for state in RowState
        }
        rows = self.ordered(snapshot.opportunities)
        self._rows = {row.key: row for row in rows}
        self._books = dict(snapshot.books)
        numeric = {i for i, c in enumerate(self.columns) if c.numeric}
        table.show_rows(
            [
                (
                    row.key,
                    styled(
                        [c.text(c.value(row)) for c in self.columns],
                        styles[row.state],
                        right=numeric.__contains__,
                    ),
                )
                for row in rows
            ]
        )
        arrow = "▼" if self.reverse else "▲"
        live = sum(1 for r in rows if r.state is not RowState.VANISHED)
        table.border_title = (
            f"Opportunities: {live} open — sorted by {self._column(self.sort_key).label} {arrow}"
        )
        self._draw_detail(table.selected_key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._draw_detail(str(event.row_key.value) if event.row_key.value else None)

    def _draw_detail(self, key: str | None) -> None:
        """Draw the pane only when what it shows changed: laying out its tables is the most
        expensive drawing the dashboard does."""
        row = self._rows.get(key) if key else None
        books = (
            ()
            if row is None
            else tuple(self._books.get(leg.contract_id) for leg in row.opportunity.legs)
        )
        shown = (row, books)
        if shown == self._detail_shown:
            return
        self._detail_shown = shown
        body = self.query_one("#detail-body", Static)
        if row is None:
            body.update(Text("No opportunity selected.", style="dim"))
            return
        body.update(detail(row, self._books))


#: one leg's book block: "bid size    bid    ask  ask size", then a gap to the next leg
_BLOCK = "{:>10} {:>6} {:>6} {:>10}"
_GAP = "    "


def detail(row: OpportunityRow, books: dict[str, OrderBook]) -> Text:
    """Both (all) legs' books side by side, then the edge arithmetic of the opportunity.

    Written as plain columns of text, not Rich tables: the pane is redrawn whenever one of its
    books moves, and laying tables out cost more than everything else on the screen.
    """
    o = row.opportunity
    out = Text()
    out.append(o.title, style="bold")
    out.append("\n")
    width = len(_BLOCK.format("", "", "", ""))
    titles = [clip(f"{leg.venue} · {leg.outcome}", width).ljust(width) for leg in o.legs]
    out.append(_GAP.join(titles) + "\n", style="italic")
    headers = [_BLOCK.format("bid size", "bid", "ask", "ask size") for _leg in o.legs]
    out.append(_GAP.join(headers) + "\n", style="bold")
    for depth in range(BOOK_DEPTH):
        for index, leg in enumerate(o.legs):
            if index:
                out.append(_GAP)
            _book_line(out, leg, books.get(leg.contract_id), depth)
        out.append("\n")
    doubtful = [leg.venue for leg in o.legs if not _continuous(books.get(leg.contract_id))]
    if doubtful:
        out.append(f"continuity in doubt: {', '.join(doubtful)}\n", style="bold")
    out.append("\n")
    line = "{:<4} {:<11} {:<14} {:>8} {:>10} {:>6} {:>10} {:>8}\n"
    out.append(
        line.format("leg", "venue", "outcome", "size", "avg price", "worst", "notional", "fee"),
        style="bold",
    )
    fees = sum((leg.fee for leg in o.legs), Decimal(0))
    for index, leg in enumerate(o.legs, 1):
        out.append(
            line.format(
                index,
                clip(leg.venue, 11),
                clip(leg.outcome, 14),
                num(leg.size),
                price(leg.price),
                num(leg.worst_price),
                money(leg.notional),
                money(leg.fee),
            )
        )
    fee_each = fees / o.size if o.size else Decimal(0)
    out.append("\n")
    out.append_text(
        Text.assemble(
            ("payout ", "bold"),
            f"{money(o.payout)}  −  ",
            ("cost ", "bold"),
            f"{money(o.cost)} (notional + {money(fees)} fees)  =  ",
            ("profit ", "bold"),
            f"{money(o.expected_profit)}\n",
            ("per contract: gross ", "bold"),
            f"{price(o.gross_edge)}  −  fees {price(fee_each)}  →  ",
            ("net ", "bold"),
            f"{price(o.net_edge)}   (confidence {o.confidence:.2f}, {o.strategy}, "
            f"{row.state.value})",
        )
    )
    return out


def _continuous(book: OrderBook | None) -> bool:
    return book is None or book.continuous


def _book_line(out: Text, leg: Any, book: OrderBook | None, depth: int) -> None:
    """One level of one leg's book; the ask levels the leg's size walks through in bold."""
    bid = book.bids[depth] if book is not None and depth < len(book.bids) else None
    ask = book.asks[depth] if book is not None and depth < len(book.asks) else None
    if book is None and depth == 0:
        out.append(_BLOCK.format("-", "-", "-", "-"))
        return
    out.append(f"{num(bid[1]) if bid else '':>10} {price(bid[0], 3) if bid else '':>6} ")
    walked = ask is not None and ask[0] <= leg.worst_price
    out.append(f"{price(ask[0], 3) if ask else '':>6}", style="bold" if walked else "")
    out.append(f" {num(ask[1]) if ask else '':>10}")
