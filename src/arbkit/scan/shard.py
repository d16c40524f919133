"""One shard per matched game: the latest book of every contract, and what changed.

A book update touches exactly one game, so it re-evaluates that game's strategies only; the
shard compares the result with what it reported before and emits appeared / changed / vanished
changes. While any of the game's books has lost continuity the game is *suspended*: nothing is
reported for it until fresh snapshots restore it.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from attrs import frozen

from arbkit.fees import FeeModel
from arbkit.models import MatchResult, Opportunity, OrderBook
from arbkit.strategy import GameState, Strategy

log = logging.getLogger(__name__)


class ChangeKind(enum.StrEnum):
    APPEARED = "appeared"
    CHANGED = "changed"
    VANISHED = "vanished"
    SUSPENDED = "suspended"  # continuity lost: the game's opportunities are withdrawn
    RESTORED = "restored"  # continuity back: the game is evaluated again
    STOPPED = "stopped"  # the game reached its start cut-off


@frozen
class Change:
    kind: ChangeKind
    game_id: str
    at: datetime | None
    opportunity: Opportunity | None = None
    reason: str = ""


class GameShard:
    """Holds one game's books and evaluates its strategies on every update."""

    def __init__(self, match: MatchResult, strategies: Sequence[Strategy]) -> None:
        self.state = GameState.for_match(match)
        self.strategies = list(strategies)
        self.current: dict[str, Opportunity] = {}
        self.evaluations = 0

    @property
    def game_id(self) -> str:
        return self.state.match.game_id

    @property
    def suspended(self) -> bool:
        return bool(self.state.suspect)

    def contract_ids(self) -> list[str]:
        return list(self.state.contracts)

    def set_book(self, book: OrderBook) -> None:
        """Store a book without evaluating (initial load)."""
        self.state.books[book.contract_id] = book
        if book.continuous:
            self.state.suspect.discard(book.contract_id)

    def on_book(self, book: OrderBook, now: datetime | None) -> list[Change]:
        was_suspended = self.suspended
        self.set_book(book)
        changes: list[Change] = []
        if was_suspended and not self.suspended:
            changes.append(Change(ChangeKind.RESTORED, self.game_id, now, reason="fresh book"))
        return changes + self.evaluate(now)

    def on_continuity_lost(
        self, contract_ids: Sequence[str], now: datetime | None, reason: str
    ) -> list[Change]:
        ours = [c for c in contract_ids if c in self.state.contracts]
        if not ours:
            return []
        was_suspended = self.suspended
        self.state.suspect.update(ours)
        changes = []
        if not was_suspended:
            log.info("%s suspended: %s", self.game_id, reason)
            changes.append(Change(ChangeKind.SUSPENDED, self.game_id, now, reason=reason))
        changes += self._withdraw_all(now, reason="continuity lost")
        return changes

    def on_continuity_restored(
        self, contract_ids: Sequence[str], now: datetime | None
    ) -> list[Change]:
        ours = [c for c in contract_ids if c in self.state.suspect]
        if not ours:
            return []
        self.state.suspect.difference_update(ours)
        if self.suspended:
            return []
        log.info("%s restored", self.game_id)
        return [Change(ChangeKind.RESTORED, self.game_id, now, reason="continuity restored")] + (
            self.evaluate(now)
        )

    def rematch(self, match: MatchResult, now: datetime | None) -> list[Change]:
        """Rediscovery saw the game again: take its fresh markets (fees, ticks, contracts).

        Books of contracts the game still has are kept, and so is their continuity state;
        strategies' per-game caches are rebuilt, since their pairs came from the old markets.
        """
        old = self.state
        self.state = GameState.for_match(match)
        self.state.books = {c: b for c, b in old.books.items() if c in self.state.contracts}
        self.state.suspect = {c for c in old.suspect if c in self.state.contracts}
        return self.evaluate(now)

    def on_fees_changed(
        self, venue: str, market_ids: Sequence[str], fees: FeeModel, now: datetime | None
    ) -> list[Change]:
        """New fees for some of this game's markets: re-price at once if any is ours."""
        if not self.state.replace_fees(venue, market_ids, fees):
            return []
        log.info("%s: fees changed on %s %s", self.game_id, venue, ", ".join(market_ids))
        return self.evaluate(now)

    def evaluate(self, now: datetime | None) -> list[Change]:
        """Run every strategy; return how the reported opportunities changed."""
        if self.suspended:
            return []
        self.state.now = now
        self.evaluations += 1
        found: dict[str, Opportunity] = {}
        for strategy in self.strategies:
            for opportunity in strategy.evaluate(self.state):
                found[opportunity.key] = opportunity
        return self._diff(found, now)

    def stop(self, now: datetime | None, reason: str) -> list[Change]:
        changes = self._withdraw_all(now, reason=reason)
        return [*changes, Change(ChangeKind.STOPPED, self.game_id, now, reason=reason)]

    def _withdraw_all(self, now: datetime | None, *, reason: str) -> list[Change]:
        changes = [
            Change(ChangeKind.VANISHED, self.game_id, now, opportunity, reason)
            for opportunity in self.current.values()
        ]
        self.current = {}
        return changes

    def _diff(self, found: dict[str, Opportunity], now: datetime | None) -> list[Change]:
        changes = []
        for key, opportunity in found.items():
            before = self.current.get(key)
            if before is None:
                changes.append(Change(ChangeKind.APPEARED, self.game_id, now, opportunity))
            elif _material(before) != _material(opportunity):
                changes.append(Change(ChangeKind.CHANGED, self.game_id, now, opportunity))
        for key, opportunity in self.current.items():
            if key not in found:
                changes.append(
                    Change(ChangeKind.VANISHED, self.game_id, now, opportunity, "edge gone")
                )
        self.current = found
        return changes


def _material(opportunity: Opportunity) -> tuple[object, ...]:
    """What makes an opportunity different to a user: its legs' prices and sizes and its edge."""
    return (
        opportunity.size,
        opportunity.net_edge,
        tuple((leg.price, leg.size) for leg in opportunity.legs),
    )


ChangeSink = Callable[[Change], None]
