"""The dashboard app: five screens over one engine, the kill switch a key away.

The app is one more consumer of the engine (see :mod:`arbkit.tui.runner`): it never builds a
pipeline of its own, never touches the store or the venues, and never waits for the engine.
Snapshots arrive as messages (a newer one replaces one not yet drawn) and are drawn only by the
screen on display. Every action has a key in the footer and an entry in the command palette.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import pluggy
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from arbkit.matching.overrides import CONFIRM, REJECT
from arbkit.models import Relation
from arbkit.secrets import RedactingFilter
from arbkit.tui.messages import SnapshotReady
from arbkit.tui.model import MatchRow, starting
from arbkit.tui.plugins import TuiExtensions, tui_extensions
from arbkit.tui.runner import EngineRunner, TuiSettings
from arbkit.tui.screens.base import DashboardScreen
from arbkit.tui.screens.log import LogScreen
from arbkit.tui.screens.matches import NO_STREAM, MatchesScreen
from arbkit.tui.screens.opportunities import OpportunitiesScreen
from arbkit.tui.screens.orders import OrdersScreen
from arbkit.tui.screens.positions import PositionsScreen
from arbkit.tui.sink import LogCapture
from arbkit.tui.widgets import ChoiceDialog, ConfirmDialog

#: the built-in screens in key order: (name, key)
SCREENS = (
    ("opportunities", "1"),
    ("matches", "2"),
    ("positions", "3"),
    ("orders", "4"),
    ("log", "5"),
)


class ArbkitApp(App[None]):
    """``arbkit tui``. Build it with :func:`make_app`."""

    CSS_PATH = "app.tcss"
    TITLE = "arbkit"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("1", "show('opportunities')", "Opps"),
        Binding("2", "show('matches')", "Matches"),
        Binding("3", "show('positions')", "P&L"),
        Binding("4", "show('orders')", "Orders"),
        Binding("5", "show('log')", "Log"),
        Binding("h", "halt", "HALT"),
        Binding("r", "resume", "Resume"),
        Binding("p", "pause", "Pause"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        pm: pluggy.PluginManager,
        settings: TuiSettings,
        *,
        venue_factory: Callable[[str], Any] | None = None,
        extensions: TuiExtensions | None = None,
    ) -> None:
        super().__init__()
        self.pm = pm
        self.settings = settings
        self.extensions = extensions if extensions is not None else tui_extensions(pm)
        self.snapshot = starting(settings.trade.mode.value, settings.engine.source)
        self.capture = LogCapture(clock=lambda: self.runner.now())
        self.capture.addFilter(RedactingFilter())
        self.runner = EngineRunner(
            pm,
            settings,
            publish=lambda snapshot: self.post_message(SnapshotReady(snapshot)),
            capture=self.capture,
            venue_factory=venue_factory,
        )
        self._handlers: list[logging.Handler] = []
        self.redraws = 0  #: snapshots drawn (fewer than built: one not yet drawn is replaced)
        for screen in self.extensions.screens:
            self.bind(screen.key, f"show('{screen.name}')", description=screen.title)

    # -- life cycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        root = logging.getLogger()
        self._handlers = list(root.handlers)
        root.handlers[:] = [self.capture]  # nothing may write over the screen
        self.install_screen(OpportunitiesScreen(self.extensions.columns), "opportunities")
        self.install_screen(MatchesScreen(), "matches")
        self.install_screen(PositionsScreen(), "positions")
        self.install_screen(OrdersScreen(), "orders")
        self.install_screen(LogScreen(), "log")
        for extra in self.extensions.screens:
            self.install_screen(extra.factory(), extra.name)
        self.push_screen("opportunities")
        # A thread worker: the engine gets a loop of its own, the UI's never waits for it.
        self.run_worker(self.runner.run, name="engine", group="engine", thread=True)

    def on_unmount(self) -> None:
        self.runner.stop()
        logging.getLogger().handlers[:] = self._handlers

    async def action_quit(self) -> None:
        await asyncio.to_thread(self.runner.stop)
        self.exit()

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        before = self.snapshot
        self.snapshot = message.snapshot
        # the screen on display, or the one under a dialog: the others redraw when shown
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DashboardScreen):
                screen.redraw(self.snapshot)
                self.redraws += 1
                break
        if before.phase != self.snapshot.phase and self.snapshot.phase in ("ended", "failed"):
            severity = "error" if self.snapshot.phase == "failed" else "information"
            self.notify(f"run {self.snapshot.note}", title="arbkit", severity=severity)

    # -- screens ------------------------------------------------------------------------------

    def action_show(self, name: str) -> None:
        if isinstance(self.screen, ModalScreen):
            return  # a dialog waits for its answer: switching would drop it unanswered
        if self.screen.name != name:
            self.switch_screen(name)

    # -- the kill switch and the replay -------------------------------------------------------

    def action_halt(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.runner.submit(_halt)
                self.notify("HALTED: no new entries (exits and hedges go on)", severity="warning")

        self.push_screen(
            ConfirmDialog(
                "Halt trading? The kill switch stops every new entry (this run and any other "
                "trader on this database); exits, hedges and cancels go on.",
                yes="Halt (y)",
            ),
            answered,
        )

    def action_resume(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.runner.submit(_resume)
                self.notify("resumed: entries allowed again")

        self.push_screen(
            ConfirmDialog("Resume trading? Clears the kill switch and any halt.", yes="Resume (y)"),
            answered,
        )

    def action_pause(self) -> None:
        if self.snapshot.source == "live":
            self.notify("pausing is for replays: a live feed cannot wait", severity="warning")
            return
        paused = self.runner.toggle_pause()
        self.notify("replay paused" if paused else "replay goes on")

    # -- matches ------------------------------------------------------------------------------

    def _selected_match(self) -> MatchRow | None:
        screen = self.get_screen("matches")
        row = screen.selected if isinstance(screen, MatchesScreen) else None
        if row is None:
            self.notify("select a match on the Matches screen (2) first", severity="warning")
        elif not row.links:
            self.notify(
                f"{row.game}: the matcher named no contract pair here; decide it with "
                "`arbkit match confirm LEFT RIGHT --relation ...`",
                severity="warning",
            )
            return None
        return row

    def action_confirm_match(self) -> None:
        row = self._selected_match()
        if row is None:
            return
        if not row.near_miss:
            self.runner.submit(lambda r: _decide(r, row, CONFIRM, None))
            self.notify(f"confirmed {row.game}")
            return

        def chosen(answer: str | None) -> None:
            if answer:
                self.runner.submit(lambda r: _decide(r, row, CONFIRM, Relation(answer)))
                self.notify(f"confirmed {row.game} ({answer})")

        self.push_screen(
            ChoiceDialog(
                f"Confirm {row.game}? same: the left contract pays when the right one's YES "
                "does; opposite: when its NO does.",
                ["same", "opposite"],
            ),
            chosen,
        )

    def action_reject_match(self) -> None:
        row = self._selected_match()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.runner.submit(lambda r: _decide(r, row, REJECT, None))
                self.notify(f"rejected {row.game}: its opportunities are withdrawn")

        self.push_screen(
            ConfirmDialog(
                f"Reject {row.game}? It is never matched again (stored as an override) and "
                "its opportunities vanish now.",
                yes="Reject (y)",
            ),
            answered,
        )

    # -- the command palette ------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, key in SCREENS:
            title = self.get_screen(name).TITLE_TEXT  # type: ignore[attr-defined]
            yield SystemCommand(
                f"Show {title}",
                f"Switch to the {title} screen ({key})",
                _call(self.action_show, name),
            )
        for extra in self.extensions.screens:
            yield SystemCommand(
                f"Show {extra.title}",
                f"A plugin's screen ({extra.key})",
                _call(self.action_show, extra.name),
            )
        yield SystemCommand("Halt trading (kill switch)", "No new entries (h)", self.action_halt)
        yield SystemCommand("Resume trading", "Clear the kill switch (r)", self.action_resume)
        yield SystemCommand("Pause or continue the replay", "Replays only (p)", self.action_pause)
        yield SystemCommand(
            "Confirm the selected match", "Store a confirm override (c)", self.action_confirm_match
        )
        yield SystemCommand(
            "Reject the selected match", "Store a reject override (x)", self.action_reject_match
        )
        opportunities = self.get_screen("opportunities")
        if isinstance(opportunities, OpportunitiesScreen):
            yield SystemCommand(
                "Sort opportunities by the next column", "(s)", opportunities.action_sort_next
            )
            yield SystemCommand(
                "Reverse the opportunities' order", "(S)", opportunities.action_sort_reverse
            )
        log_screen = self.get_screen("log")
        if isinstance(log_screen, LogScreen):
            yield SystemCommand(
                "Filter the log",
                "Type text to match (f)",
                _then(self, "log", log_screen.action_filter),
            )
            yield SystemCommand(
                "Cycle the log level", "All, warnings, errors (w)", log_screen.action_level
            )


def _call(function: Callable[[str], None], name: str) -> Callable[[], None]:
    return lambda: function(name)


def _then(app: ArbkitApp, screen: str, action: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        app.action_show(screen)
        app.call_later(action)

    return run


# -- commands run on the engine's thread --------------------------------------------------------


def _halt(runner: EngineRunner) -> None:
    assert runner.trader is not None
    switch = runner.trader.gate.kill_switch
    if switch is None:
        raise RuntimeError("this trader has no kill switch")
    reason = "halted from arbkit tui"
    switch.trip(reason)
    assert runner.engine is not None
    # as `arbkit halt` does: the halt is on record even if no entry is asked for meanwhile
    trader = runner.trader
    trader.records.risk_event(
        at=runner.engine.now(), state="halted", reason=reason, source="arbkit tui", mode=trader.mode
    )


def _resume(runner: EngineRunner) -> None:
    assert runner.trader is not None and runner.engine is not None
    runner.trader.gate.resume(runner.engine.now())


def _decide(runner: EngineRunner, row: MatchRow, decision: str, relation: Relation | None) -> Any:
    from arbkit.tui.rematch import decide

    engine = runner.engine
    assert engine is not None and runner.store is not None and runner.sink is not None
    done = decide(engine, runner.pm, runner.store, row, decision, relation)
    runner.sink.refresh_matches()
    vanished = sum(1 for c in done.changes if c.kind.value == "vanished")
    runner.capture.add(
        "WARNING" if decision == REJECT else "INFO",
        "matching",
        f"{decision} {row.game}: {vanished} opportunities withdrawn, {len(done.added)} games added",
    )
    for game in sorted(done.unstreamed):
        runner.capture.add("WARNING", "matching", f"{game}: {NO_STREAM}")
    return engine.start_games(done.added) if done.added else None


def make_app(
    pm: pluggy.PluginManager,
    settings: TuiSettings | None = None,
    *,
    venue_factory: Callable[[str], Any] | None = None,
) -> ArbkitApp:
    """The dashboard for ``settings`` (paper trading on the sample by default), used by
    ``arbkit tui`` and the tests alike."""
    if settings is None:
        from arbkit.engine.build import EngineSettings

        settings = TuiSettings(engine=EngineSettings(sample=True, settlements=True))
    return ArbkitApp(pm, settings, venue_factory=venue_factory)
