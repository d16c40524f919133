"""arbkit's one matcher: which markets on different venues are the same game and the same side.

Public surface::

    from arbkit.matching import MatchingService
    service = MatchingService.from_plugins(pm, overrides=store)   # store: arbkit.store.Store
    report = service.match(markets)   # MatchReport(matches=[MatchResult], near_misses=[NearMiss])

Plugins add knowledge through the ``register_matchers`` hook: a :class:`LeagueData` (a league's
teams; see docs/team-data.md) or a :class:`Scorer` (may only veto or lower a link's confidence).
"""

from arbkit.matching.identifiers import (
    KalshiTicker,
    PolymarketSlug,
    parse_kalshi_ticker,
    parse_polymarket_slug,
)
from arbkit.matching.overrides import (
    Override,
    Overrides,
    load_overrides,
    save_matches,
    save_override,
    stored_matches,
)
from arbkit.matching.report import MatchReport, NearMiss
from arbkit.matching.scoring import Candidate, Scorer, SettlementRiskScorer, Verdict
from arbkit.matching.service import DEFAULT_MIN_CONFIDENCE, MatchingService
from arbkit.matching.teambook import TeamBook, TeamHit
from arbkit.matching.teams import (
    LeagueData,
    Team,
    builtin_leagues,
    load_league_dir,
    load_league_file,
)

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "Candidate",
    "KalshiTicker",
    "LeagueData",
    "MatchReport",
    "MatchingService",
    "NearMiss",
    "Override",
    "Overrides",
    "PolymarketSlug",
    "Scorer",
    "SettlementRiskScorer",
    "Team",
    "TeamBook",
    "TeamHit",
    "Verdict",
    "builtin_leagues",
    "load_league_dir",
    "load_league_file",
    "load_overrides",
    "parse_kalshi_ticker",
    "parse_polymarket_slug",
    "save_matches",
    "save_override",
    "stored_matches",
]
