"""What :meth:`MatchingService.match` returns: matched games and the near-misses to review."""

from __future__ import annotations

from datetime import date
from typing import Any

from attrs import field, frozen

from arbkit.models import MatchResult


@frozen(kw_only=True)
class NearMiss:
    """A pair (or a game) that almost matched, with every reason it did not."""

    league: str | None
    game_date: date | None
    left_market: str | None
    right_market: str | None
    confidence: float
    reasons: tuple[str, ...]
    left_contract: str | None = None
    right_contract: str | None = None
    left_outcome: str | None = None
    left_venue: str | None = None
    right_venue: str | None = None


@frozen(kw_only=True)
class MatchReport:
    """Matched games (each with its contract links) and near-misses."""

    matches: list[MatchResult]
    near_misses: list[NearMiss]
    #: markets the service could not place in a game: ``(venue, market_id, reason)``
    skipped: list[tuple[str, str, str]] = field(factory=list)

    @property
    def links(self) -> list[Any]:
        return [link for match in self.matches for link in match.links]
