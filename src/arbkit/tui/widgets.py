"""Widgets every screen shares: the status header, the dialogs, a table kept in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from arbkit.tui.model import Snapshot
from arbkit.tui.text import clock, money


class StatusBar(Static):
    """Mode (PAPER / LIVE, impossible to miss), source, engine clock, risk state, venues, P&L."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--paper",
        "status--live",
        "status--ok",
        "status--warn",
        "status--bad",
        "status--dim",
    }

    DEFAULT_CSS = """
    StatusBar {
        dock: top; height: 2; padding: 0 1; background: $panel;
        text-wrap: nowrap; text-overflow: ellipsis;  /* a long reason must not hide line two */
    }
    StatusBar > .status--paper { background: $success; color: $background; text-style: bold; }
    StatusBar > .status--live { background: $error; color: white; text-style: bold; }
    StatusBar > .status--ok { color: $success; text-style: bold; }
    StatusBar > .status--warn { color: $warning; text-style: bold; }
    StatusBar > .status--bad { color: $error; text-style: bold reverse; }
    StatusBar > .status--dim { color: $text-muted; }
    """

    def show(self, snapshot: Snapshot) -> None:
        style = self.get_component_rich_style
        line = Text()
        badge = "status--live" if snapshot.live else "status--paper"
        line.append(f" {snapshot.mode.upper()} ", style=style(badge))
        line.append(f"  {snapshot.source}  ")
        line.append(clock(snapshot.as_of), style=style("status--dim"))
        if snapshot.phase != "running":
            phase = "status--bad" if snapshot.phase == "failed" else "status--warn"
            line.append(f"  {snapshot.phase.upper()}", style=style(phase))
        line.append("   risk ")
        risk = {"active": "status--ok", "reducing": "status--warn"}.get(
            snapshot.risk, "status--bad"
        )
        line.append(f" {snapshot.risk.upper()} ", style=style(risk))
        if snapshot.risk_reason:
            line.append(f" {snapshot.risk_reason}", style=style("status--dim"))
        second = Text()
        for venue in snapshot.venues:
            ok = venue.connected and venue.continuity and venue.detail == "ok"
            mark = (
                "status--ok" if ok else ("status--bad" if not venue.connected else "status--warn")
            )
            second.append("● ", style=style(mark))
            second.append(f"{venue.name} {venue.detail}   ")
        second.append(f"seen {snapshot.seen}  taken {snapshot.taken}  ")
        second.append(
            f"P&L {money(snapshot.realized)} realized, {money(snapshot.unrealized)} marked"
        )
        self.update(Text("\n").join([line, second]))


class BusBar(Static):
    """``--bus``: the trading lease and the matching service, one line under the header.

    Hidden without ``--bus``. While the lease is not held or the matching service is down the
    whole line turns red (as LIVE does the frame): entries are halted or paused, and a trader
    must see why at a glance.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"bus--ok", "bus--warn", "bus--dim"}

    DEFAULT_CSS = """
    BusBar {
        height: 1; padding: 0 1; background: $panel; display: none;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    BusBar.-on { display: block; }
    BusBar.-alarm { background: $error; color: white; text-style: bold; }
    BusBar > .bus--ok { color: $success; text-style: bold; }
    BusBar > .bus--warn { color: $warning; text-style: bold; }
    BusBar > .bus--dim { color: $text-muted; }
    """

    def show(self, snapshot: Snapshot) -> None:
        bus = snapshot.bus
        self.set_class(bus is not None, "-on")
        if bus is None:
            return
        self.set_class(bus.alarm, "-alarm")
        # on the red line every word is white: the colours of a calm line would not show
        calm = (lambda name: self.get_component_rich_style(name)) if not bus.alarm else _plain
        line = Text()  # the states first, then the details (cut short at the edge)
        line.append("bus ", style=calm("bus--dim"))
        line.append(bus.url)
        line.append("   lease ", style=calm("bus--dim"))
        lease = bus.lease.value
        details = []
        if lease == "held":
            line.append(f" HELD #{bus.token} ", style=calm("bus--ok"))
        elif lease == "none":
            line.append(" taking it… ", style=calm("bus--warn"))
        else:  # waiting, lost, expiring
            line.append(f" {lease.upper()} ", style=calm("bus--warn"))
            suffix = " — no new entries" if lease == "lost" else ""
            details.append(f"{bus.detail}{suffix}")
        line.append("   matcher ", style=calm("bus--dim"))
        if bus.matcher_down is None:
            line.append(" ok ", style=calm("bus--ok"))
        else:
            line.append(" MATCHING SERVICE UNAVAILABLE ")
            details.append(f"matcher: {bus.matcher_down}")
        details.append(bus.account)
        line.append("   " + "; ".join(details), style=calm("bus--dim"))
        self.update(line)


def _plain(_name: str) -> str:
    return ""


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y and n answer it from the keyboard."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Grid {
        grid-size: 2; grid-gutter: 1 2; grid-rows: auto 3; padding: 1 2;
        width: 64; height: auto; border: thick $warning; background: $surface;
    }
    ConfirmDialog Label { column-span: 2; width: 100%; }
    ConfirmDialog Button { width: 100%; }
    """

    def __init__(self, question: str, yes: str = "Yes (y)", no: str = "No (n)") -> None:
        super().__init__()
        self.question = question
        self.labels = (yes, no)

    def compose(self) -> ComposeResult:
        with Grid():
            yield Label(self.question, id="question")
            yield Button(self.labels[0], variant="error", id="yes")
            yield Button(self.labels[1], variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few answers (a near-miss's relation); escape cancels."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Grid {
        grid-size: 3; grid-gutter: 1 2; grid-rows: auto 3; padding: 1 2;
        width: 72; height: auto; border: thick $primary; background: $surface;
    }
    ChoiceDialog Label { column-span: 3; width: 100%; }
    ChoiceDialog Button { width: 100%; }
    """

    def __init__(self, question: str, choices: Sequence[str]) -> None:
        super().__init__()
        self.question = question
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Grid():
            yield Label(self.question)
            for choice in self.choices:
                yield Button(choice, id=f"choice-{choice}")
            yield Button("cancel", variant="primary", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        self.dismiss(button.removeprefix("choice-") if button.startswith("choice-") else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OrderedTable(DataTable[Any]):
    """A row-cursor table redrawn from ``(key, cells)`` rows, the cursor kept on its row.

    Cells that changed are updated in place while the rows keep their order and every column
    its width; otherwise the table is rebuilt with each column exactly as wide as its widest
    cell now. Widths therefore depend only on what is shown, never on what was shown before (a
    table that only grew would draw the same data differently after a different history).
    """

    #: rows as tall as their tallest cell (legs one per line); False: one line each
    TALL_ROWS = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._keys: list[str] = []
        self._cells: dict[str, tuple[Any, ...]] = {}
        self._labels: tuple[tuple[str, str], ...] = ()
        self._widths: tuple[int, ...] = ()

    def set_columns(self, columns: Sequence[tuple[str, str]]) -> None:
        """``(key, label)`` pairs; a different set clears the table."""
        labels = tuple(columns)
        if labels == self._labels:
            return
        self._labels = labels
        self._rebuild([], tuple(cell_len(label) for _key, label in labels))

    @property
    def selected_key(self) -> str | None:
        if not self._keys or self.cursor_row < 0 or self.cursor_row >= len(self._keys):
            return None
        return self._keys[self.cursor_row]

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def show_rows(self, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        keys = [key for key, _cells in rows]
        widths = self._needed(rows)
        if keys != self._keys or widths != self._widths:
            self._rebuild(rows, widths)
            return
        for key, cells in rows:
            before = self._cells[key]
            after = _signature(cells)
            if before == after:
                continue
            for column, cell in enumerate(cells):
                if before[column] != after[column]:
                    self.update_cell(key, self._labels[column][0], cell)
            self._cells[key] = after

    def _needed(self, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> tuple[int, ...]:
        """Each column's width: its label's or its widest cell line's."""
        widths = [cell_len(label) for _key, label in self._labels]
        for _key, cells in rows:
            for column, cell in enumerate(cells):
                text = cell.plain if isinstance(cell, Text) else str(cell)
                widest = max((cell_len(line) for line in text.split("\n")), default=0)
                widths[column] = max(widths[column], widest)
        return tuple(widths)

    def _rebuild(
        self, rows: Sequence[tuple[str, tuple[Any, ...]]], widths: tuple[int, ...]
    ) -> None:
        selected = self.selected_key
        self.clear(columns=True)
        for (key, label), width in zip(self._labels, widths, strict=True):
            self.add_column(label, key=key, width=width)
        for key, cells in rows:
            self.add_row(*cells, key=key, height=None if self.TALL_ROWS else 1)
        self._keys = [key for key, _cells in rows]
        self._cells = {key: _signature(cells) for key, cells in rows}
        self._widths = widths
        if selected in self._cells:
            self.move_cursor(row=self._keys.index(selected), animate=False)


def _signature(cells: Sequence[Any]) -> tuple[Any, ...]:
    """What makes a cell look different: its text and its style (Rich's ``Text.__eq__``
    ignores the style, so a row fading out would not be redrawn)."""
    return tuple(
        (cell.plain, str(cell.style)) if isinstance(cell, Text) else (str(cell), "")
        for cell in cells
    )


def styled(values: Sequence[Any], style: Any, *, right: Callable[[int], bool]) -> tuple[Text, ...]:
    """Cells as Rich text in one row style; numeric columns right-aligned."""
    return tuple(
        Text(str(value), style=style, justify="right" if right(i) else "left")
        for i, value in enumerate(values)
    )
