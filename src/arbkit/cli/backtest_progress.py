"""How far a backtest has got: recorded messages played out of the total, as a rich bar.

The replay session reads each venue's recorded stream lazily; wrapping those streams counts
every message as it is played (one counter step per message, reported every
:data:`REPORT_EVERY`), and their lengths give the total before anything plays. A session
that does not expose its recordings (a third-party player) simply has no total.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

#: messages between two progress reports (a power of two: the check is a mask)
REPORT_EVERY = 1024

Tick = Callable[[int], None]


class CountedStream:
    """A recorded stream that reports how many of its messages were played."""

    def __init__(self, stream: Iterable[Any], tick: Tick) -> None:
        self.stream = stream
        self.tick = tick

    def __len__(self) -> int:
        return len(self.stream)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        played = 0
        mask = REPORT_EVERY - 1
        tick = self.tick
        for item in self.stream:
            yield item
            played += 1
            if not played & mask:
                tick(REPORT_EVERY)
        tick(played & mask)


def count_messages(session: Any, tick: Tick) -> int | None:
    """Wrap the session's recorded streams so that ``tick(n)`` hears of every ``n`` messages
    played; the total number of messages, or None when the session has no recordings."""
    total = 0
    found = False
    for venue in getattr(session, "venues", ()):
        recording = getattr(venue, "recording", None)
        stream = getattr(recording, "stream", None)
        if stream is None or not hasattr(stream, "__len__") or not attrs.has(type(recording)):
            continue
        venue.recording = attrs.evolve(recording, stream=CountedStream(stream, tick))
        total += len(stream)
        found = True
    return total if found else None


class MessageBar:
    """A rich progress bar on stderr (transient); every method is a no-op when disabled."""

    def __init__(self, *, enabled: bool, description: str = "backtest") -> None:
        self.enabled = enabled
        self.description = description
        self._progress: Any = None
        self._task: Any = None

    @staticmethod
    def wanted(*, quiet: bool) -> bool:
        """On for a person at a terminal: off with -q, and off when stderr is not a terminal
        (a script reading --json, or a log file that would fill with redraws). With --json
        on a terminal it stays: it is drawn on stderr, stdout keeps only the JSON."""
        return not quiet and sys.stderr.isatty()

    def __enter__(self) -> MessageBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("messages"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Take the bar off the terminal (before the results are printed)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def log(self, message: str) -> bool:
        """Print a line above the bar; False when there is no bar to print above."""
        if self._progress is None:
            return False
        self._progress.console.print(message, highlight=False, markup=False)
        return True

    def total(self, messages: int | None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=messages)

    def advance(self, messages: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, messages)

    def set(self, messages: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=messages)
