"""Log: warnings and errors (and the engine's notable changes), filterable by level and text."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from arbkit.tui.model import LogEntry, Snapshot
from arbkit.tui.screens.base import DashboardScreen
from arbkit.tui.text import clock
from arbkit.tui.widgets import OrderedTable, styled

LEVELS = ("INFO", "WARNING", "ERROR")
COLUMNS = (("at", "Time"), ("level", "Level"), ("source", "Source"), ("message", "Message"))


class LogTable(OrderedTable):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"log--info", "log--warning", "log--error"}


class LogScreen(DashboardScreen):
    TITLE_TEXT = "Log"
    CSS_PATH = "log.tcss"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("f", "filter", "Filter"),
        Binding("w", "level", "Level"),
    ]

    def __init__(self) -> None:
        super().__init__(name="log")
        self.min_level = "INFO"
        self.text = ""

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter: text in the source or message (f)", id="log-filter")
        yield LogTable(id="log")

    def on_mount(self) -> None:
        self.query_one(LogTable).set_columns(COLUMNS)
        super().on_mount()
        self.query_one(LogTable).focus()

    def action_filter(self) -> None:
        self.query_one(Input).focus()

    def action_level(self) -> None:
        """Cycle the lowest level shown: all → warnings and errors → errors only."""
        self.min_level = LEVELS[(LEVELS.index(self.min_level) + 1) % len(LEVELS)]
        self.redraw(self.dashboard.snapshot)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text = event.value.strip().lower()
        self.redraw(self.dashboard.snapshot)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(LogTable).focus()

    def shown(self, entries: tuple[LogEntry, ...]) -> list[LogEntry]:
        """The entries that pass the level and text filters, newest first."""
        low = LEVELS.index(self.min_level)
        return [
            e
            for e in reversed(entries)
            if LEVELS.index(e.level if e.level in LEVELS else "ERROR") >= low
            and (not self.text or self.text in f"{e.source} {e.message}".lower())
        ]

    def show(self, snapshot: Snapshot) -> None:
        table = self.query_one(LogTable)
        styles = {lvl: table.get_component_rich_style(f"log--{lvl.lower()}") for lvl in LEVELS}
        entries = self.shown(snapshot.log)
        table.show_rows(
            [
                (
                    f"{len(snapshot.log) - i}",
                    styled(
                        [clock(e.at), e.level, e.source, e.message],
                        styles.get(e.level, styles["ERROR"]),
                        right=lambda i: False,
                    ),
                )
                for i, e in enumerate(entries)
            ]
        )
        what = {"INFO": "everything", "WARNING": "warnings and errors", "ERROR": "errors"}
        table.border_title = (
            f"Log: {len(entries)} of {len(snapshot.log)} lines — {what[self.min_level]}"
            + (f", matching {self.text!r}" if self.text else "")
        )
