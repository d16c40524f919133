"""arbkit's one matcher: which markets on different venues are the same game and the same side.

Public surface::

    from arbkit.matching import MatchingService
    service = MatchingService.from_plugins(pm, overrides=store)   # store: arbkit.store.Store
    report = service.match(markets)   # MatchReport(matches=[MatchResult], near_misses=[NearMiss])

Plugins add knowledge through the ``register_matchers`` hook: a :class:`LeagueData` (a league's
teams; see docs/team-data.md) or a :class:`Scorer` (may only veto or lower a link's confidence).

Names are imported on first use (PEP 562), as in the package root: the registry needs only
:class:`LeagueData` and :class:`Scorer` at start-up, not the service and the store it reads.
"""

import importlib
import typing

if typing.TYPE_CHECKING:
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
    from arbkit.matching.scoring import (
        DEFAULT_MIN_CONFIDENCE,
        Candidate,
        Scorer,
        SettlementRiskScorer,
        Verdict,
    )
    from arbkit.matching.service import MatchingService
    from arbkit.matching.teambook import TeamBook, TeamHit
    from arbkit.matching.teams import (
        LeagueData,
        Team,
        builtin_leagues,
        load_league_dir,
        load_league_file,
    )

#: Where each name lives, ``{module: (name, ...)}``; a test keeps it equal to ``__all__``.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "arbkit.matching.identifiers": (
        "KalshiTicker",
        "PolymarketSlug",
        "parse_kalshi_ticker",
        "parse_polymarket_slug",
    ),
    "arbkit.matching.overrides": (
        "Override",
        "Overrides",
        "load_overrides",
        "save_matches",
        "save_override",
        "stored_matches",
    ),
    "arbkit.matching.report": (
        "MatchReport",
        "NearMiss",
    ),
    "arbkit.matching.scoring": (
        "DEFAULT_MIN_CONFIDENCE",
        "Candidate",
        "Scorer",
        "SettlementRiskScorer",
        "Verdict",
    ),
    "arbkit.matching.service": ("MatchingService",),
    "arbkit.matching.teambook": (
        "TeamBook",
        "TeamHit",
    ),
    "arbkit.matching.teams": (
        "LeagueData",
        "Team",
        "builtin_leagues",
        "load_league_dir",
        "load_league_file",
    ),
}

_WHERE: dict[str, str] = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> object:
    """Import a name's module on first use and keep the value here for the next one."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


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
