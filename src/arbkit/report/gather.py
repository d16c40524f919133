"""One book, one window → a :class:`Report` of every figure the renderers show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from attrs import frozen

from arbkit.errors import StoreError
from arbkit.report.execution import ExecutionFigures, gather_execution
from arbkit.report.opportunities import OpportunityFigures, gather_opportunities
from arbkit.report.outcome import OutcomeFigures, gather_outcome
from arbkit.report.scope import Book, Window
from arbkit.store import Store
from arbkit.store.db import store_errors

SCHEMA = 1  #: bumped when a JSON field changes meaning or goes away


@frozen
class Report:
    book: Book
    window: Window
    opportunities: OpportunityFigures
    execution: ExecutionFigures
    outcome: OutcomeFigures

    @property
    def empty(self) -> bool:
        """Nothing happened in the window: no opportunity, no fill, no position."""
        return not (
            self.opportunities.seen
            or self.execution.fills
            or self.outcome.open_positions
            or self.outcome.closed_positions
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            **self.book.to_json(),
            "window": self.window.to_json(),
            "opportunities": self.opportunities.to_json(),
            "execution": self.execution.to_json(),
            "pnl": self.outcome.to_json(),
        }


def build_report(store: Store, book: Book, window: Window) -> Report:
    """Every figure of ``book`` in ``window``.

    Raises:
        StoreError: the database cannot be read, or holds a value arbkit never writes (a row
            edited by hand, another program's): one line naming the tables, not a traceback.
    """
    where = store.path or "in-memory database"
    with store_errors(where), _readable(where, "opportunity_changes, decisions, opportunities"):
        opportunities = gather_opportunities(store, book, window)
    with store_errors(where), _readable(where, "fills, trades"):
        execution = gather_execution(store, book, window)
    with store_errors(where), _readable(where, "game_positions"):
        outcome = gather_outcome(store, book, window)
    return Report(book, window, opportunities, execution, outcome)


@contextmanager
def _readable(where: object, tables: str) -> Iterator[None]:
    try:
        yield
    except (ValueError, TypeError, ArithmeticError) as exc:  # a number or time that is not one
        raise StoreError(
            f"{where}: a row of {tables} holds a value arbkit cannot read ({exc!r})"
        ) from exc
