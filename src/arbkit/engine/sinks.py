"""Sinks: everything that consumes what an engine sees — the store, the event hooks, a printer.

A sink overrides only the methods it needs. They are called on the engine's task, in the order
the sinks were attached, so they must be quick and must not block on the network; the store
sink batches its writes for that reason. Later front ends (the risk gate, the TUI) are sinks too.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import frozen

from arbkit.scan.persist import ScanRecorder
from arbkit.scan.shard import Change, ChangeKind
from arbkit.store import Store
from arbkit.streaming import BookUpdate, StreamEvent

if TYPE_CHECKING:
    from arbkit.engine.core import Engine


class RunStatus(enum.StrEnum):
    COMPLETED = "completed"  #: a one-shot run finished, or a replay's stream ended
    INTERRUPTED = "interrupted"  #: Ctrl-C (SIGINT)
    TERMINATED = "terminated"  #: SIGTERM
    FAILED = "failed"  #: an error ended the run


@frozen
class RunEnd:
    """How a run ended, handed to every sink's :meth:`Sink.finished`."""

    status: RunStatus
    reason: str = ""


class Sink:
    """Base class of engine sinks: every method is optional."""

    def started(self, engine: Engine) -> None:
        """Discovery, matching and the first books are done; nothing was evaluated yet."""

    def event(self, event: StreamEvent, at: datetime) -> None:
        """A raw stream event, before the engine applies it."""

    @property
    def wants_events(self) -> bool:
        """Whether :meth:`event` does anything: the engine skips the per-message call if not."""
        return type(self).event is not Sink.event

    def change(self, change: Change) -> None:
        """An opportunity appeared, changed or vanished; a game suspended, restored or stopped."""

    async def drain(self) -> None:
        """Finish work in flight before the venues close (a trader's open orders)."""

    def finished(self, engine: Engine, end: RunEnd) -> None:
        """The run is over (also after an error or a signal)."""


class HookSink(Sink):
    """Fires the ``opportunity_found`` plugin hook for every appeared or changed opportunity."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.hook = pm.hook

    def change(self, change: Change) -> None:
        if change.opportunity is not None and change.kind in _REPORTED:
            self.hook.opportunity_found(opportunity=change.opportunity)


_REPORTED = frozenset({ChangeKind.APPEARED, ChangeKind.CHANGED})


class StoreSink(Sink):
    """Writes a run into the store: its marker row, every change, every reported opportunity,
    and with ``record_books`` the markets and every book the streams delivered."""

    def __init__(
        self,
        store: Store,
        *,
        command: str,
        source: str,
        options: Mapping[str, Any] | None = None,
        record_books: bool = False,
    ) -> None:
        self.recorder = ScanRecorder(store)
        self.command = command
        self.source = source
        self.options = dict(options or {})
        self.record_books = record_books
        self.changes = 0

    @property
    def run_id(self) -> str:
        return self.recorder.run_id

    def started(self, engine: Engine) -> None:
        now = engine.clock.now()
        self.recorder.run_started(
            command=self.command, source=self.source, options=self.options, clock_now=now
        )
        if self.record_books:
            self.recorder.markets(engine.markets, now)
            for book in engine.books():
                self.recorder.book(book, now)

    @property
    def wants_events(self) -> bool:
        return self.record_books  # books are only stored with --record

    def event(self, event: StreamEvent, at: datetime) -> None:
        if isinstance(event, BookUpdate):
            self.recorder.book(event.book, at)

    def change(self, change: Change) -> None:
        self.changes += 1
        self.recorder.change(change)
        if change.opportunity is not None and change.kind in _REPORTED:
            self.recorder.opportunity(change.opportunity)

    def finished(self, engine: Engine, end: RunEnd) -> None:
        self.recorder.run_ended(
            status=end.status.value,
            reason=end.reason,
            games=len(engine.matches),
            changes=self.changes,
        )

    def check(self) -> None:
        """Raise the first failed write (after the run's results were printed)."""
        self.recorder.check()
