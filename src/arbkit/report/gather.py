"""One book, one window → a :class:`Report` of every figure the renderers show."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from arbkit.report.execution import ExecutionFigures, gather_execution
from arbkit.report.opportunities import OpportunityFigures, gather_opportunities
from arbkit.report.outcome import OutcomeFigures, gather_outcome
from arbkit.report.scope import Book, Window
from arbkit.store import Store

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
    return Report(
        book=book,
        window=window,
        opportunities=gather_opportunities(store, book, window),
        execution=gather_execution(store, book, window),
        outcome=gather_outcome(store, book, window),
    )
