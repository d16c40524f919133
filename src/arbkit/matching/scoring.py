"""Plugin scorers: extra checks that may veto a link or lower its confidence, never raise it.

Deterministic identity checks (league, date, both teams, market type, YES side) always run first
inside :class:`~arbkit.matching.MatchingService`; a scorer only ever sees links that passed them.
That ordering is what keeps a clever plugin from ever turning a doubtful pair into a trade.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from attrs import frozen

from arbkit.models import Contract, Market, Relation

#: The one match-confidence threshold: `arbkit match`, `scan` and the engine all default to it.
#: Here, not in the service, so a command's ``--min-confidence`` default costs no service import.
DEFAULT_MIN_CONFIDENCE = 0.9


@frozen(kw_only=True)
class Candidate:
    """One proposed link, as scorers see it."""

    league: str
    game_id: str
    left_market: Market
    left: Contract
    right_market: Market
    right: Contract
    relation: Relation
    confidence: float
    reasons: tuple[str, ...]
    #: league facts from the league data (``can_tie``, ``has_draw``)
    can_end_level: bool = False
    has_draw: bool = False


@frozen(kw_only=True)
class Verdict:
    """A scorer's answer. ``confidence`` above the current one is ignored (scorers only lower)."""

    reason: str
    veto: bool = False
    confidence: float | None = None


@runtime_checkable
class Scorer(Protocol):
    """Register an instance through ``register_matchers``; return None to abstain."""

    name: str

    def score(self, candidate: Candidate) -> Verdict | None: ...


class SettlementRiskScorer:
    """Caps confidence where the venues' settlement rules differ for the same game.

    A league whose games can end level without a draw market (the league data's ``can_tie``
    without ``has_draw``: the NFL) has ties that Polymarket resolves 50-50 while Kalshi's
    game-winner markets settle their own way; cancelled games settle differently too (venue-notes
    §2 item 8). Such a pair is still the same game and side, but not a riskless one, so the link
    says so.
    """

    name = "settlement-risk"

    def __init__(self, leagues: dict[str, str] | None = None, cap: float = 0.95) -> None:
        self.leagues = leagues or {
            "NCAAF": "cancelled/postponed college games may settle differently per venue",
        }
        self.cap = cap

    def score(self, candidate: Candidate) -> Verdict | None:
        note = self.leagues.get(candidate.league)
        if note is None and candidate.can_end_level and not candidate.has_draw:
            note = f"{candidate.league} ties: Polymarket resolves 50-50, Kalshi settles its own way"
        if note is None:
            return None
        return Verdict(reason=f"settlement risk: {note}", confidence=self.cap)
