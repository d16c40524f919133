"""What a replay has played so far, and which of it the engine asked for.

A game matched in the middle of a replay (a match confirmed in the TUI) starts from the books
the recording has at that moment: :class:`PlayedBooks` holds every decoded contract's newest
book, as a REST fetch then would return it (a late subscription's decoder catches up into it).
:class:`Subscription` passes on only the events of the markets the engine subscribes to now: a
game it stopped watching is still decoded, and silent.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import define, evolve, field

from arbkit import (
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    OrderBook,
    StreamEvent,
    TradePrint,
)


@define
class PlayedBooks:
    """Every decoded contract's newest book on the recorded clock; a contract whose stream
    continuity was lost (and not yet restored) is handed out with ``continuous`` False."""

    latest: dict[str, OrderBook] = field(factory=dict)
    doubted: set[str] = field(factory=set)

    def note(self, event: StreamEvent) -> None:
        if isinstance(event, BookUpdate):
            book = event.book
            self.latest[book.contract_id] = book
            if book.continuous:
                self.doubted.discard(book.contract_id)
        elif isinstance(event, ContinuityLost):
            self.doubted.update(event.contract_ids)
        elif isinstance(event, ContinuityRestored):
            self.doubted.difference_update(event.contract_ids)

    def now(self, recorded: OrderBook) -> OrderBook:
        """``recorded`` (the snapshot the recording starts from) as the stream has moved it."""
        book = self.latest.get(recorded.contract_id, recorded)
        if recorded.contract_id in self.doubted and book.continuous:
            return evolve(book, continuous=False)
        return book


@define
class Subscription:
    """The contracts the engine subscribed to; :meth:`keep` drops the other contracts' events.

    Events that name markets rather than contracts (fees, settlements) always pass: the
    scanner applies them to the games holding those markets only.
    """

    contracts: frozenset[str] = frozenset()

    def update(self, contract_ids: Iterable[str]) -> None:
        self.contracts = frozenset(contract_ids)

    def keep(self, event: StreamEvent) -> StreamEvent | None:
        wanted = self.contracts
        if isinstance(event, BookUpdate):
            return event if event.book.contract_id in wanted else None
        if isinstance(event, TradePrint):
            return event if event.contract_id in wanted else None
        if isinstance(event, ContinuityLost | ContinuityRestored):
            ids = tuple(c for c in event.contract_ids if c in wanted)
            if len(ids) == len(event.contract_ids):
                return event
            return evolve(event, contract_ids=ids) if ids else None
        return event
