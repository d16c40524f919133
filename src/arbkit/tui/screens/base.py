"""The base of every dashboard screen, arbkit's and plugins': a status header, a body, the footer.

A screen draws only from the :class:`~arbkit.tui.model.Snapshot` it is handed in
:meth:`DashboardScreen.show`, while it is on screen and again whenever it comes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from arbkit.tui.model import Snapshot
from arbkit.tui.widgets import BusBar, StatusBar

if TYPE_CHECKING:
    from arbkit.tui.app import ArbkitApp


class DashboardScreen(Screen[None]):
    """Subclass it, yield the body from :meth:`compose_body`, draw it in :meth:`show`."""

    #: the title in the command palette ("Show <title>")
    TITLE_TEXT = "Screen"

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield BusBar()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def dashboard(self) -> ArbkitApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.set_class(self.dashboard.snapshot.live, "-live")
        self.redraw(self.dashboard.snapshot)

    def on_screen_resume(self) -> None:
        self.redraw(self.dashboard.snapshot)

    def redraw(self, snapshot: Snapshot) -> None:
        self.set_class(snapshot.live, "-live")
        self.query_one(StatusBar).show(snapshot)
        self.query_one(BusBar).show(snapshot)
        self.show(snapshot)

    def show(self, snapshot: Snapshot) -> None:
        """Draw the body from ``snapshot`` (called at most a few times a second)."""
