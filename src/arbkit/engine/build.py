"""Building an engine from a user's settings: which venues, leagues, strategies and thresholds.

Every front end (``scan``, later ``trade``, ``backtest``, ``tui``) turns its options into
:class:`EngineSettings` and calls :func:`build_engine`, so a name the user mistyped is refused
the same way everywhere, with the same one-line error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pluggy
from attrs import frozen

from arbkit.engine.core import Engine
from arbkit.engine.session import LiveSession, Session, live_venue_names, open_replay
from arbkit.engine.sinks import Sink
from arbkit.errors import ConfigError
from arbkit.matching.scoring import DEFAULT_MIN_CONFIDENCE
from arbkit.recordings import sample_dir
from arbkit.registry import get_matcher_components, get_strategies, get_venues
from arbkit.scan.orchestrator import ScanOptions
from arbkit.strategy import Strategy, StrategySettings
from arbkit.venue import Venue


@frozen(kw_only=True)
class EngineSettings:
    """What the user asked for; names are checked by :func:`build_engine`."""

    sample: bool = False  #: run on the shipped sample evening
    replay_dir: Path | None = None  #: run on a recording
    venues: tuple[str, ...] = ()  #: venue names (empty: every available venue)
    leagues: tuple[str, ...] = ()  #: league codes, any case (empty: every league)
    strategies: tuple[str, ...] = ()  #: strategy names (empty: every registered strategy)
    min_edge: Decimal = Decimal(0)
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    max_size: Decimal | None = None
    lookahead_hours: float = 48.0  #: 0: no limit
    cutoff_minutes: float = 0.0
    speed: float = 0.0  #: replay speed (0: as fast as possible)
    poll_seconds: float = 5.0  #: live: REST polling interval for venues without a stream
    rediscover_minutes: float = 10.0  #: live: rediscovery interval (0: never)
    #: a replay also plays its recorded settlements (trading); a scan ends with the stream
    settlements: bool = False

    @property
    def source(self) -> str:
        """``sample``, ``live`` or the replay directory: how the run is labelled in the store."""
        if self.sample:
            return "sample"
        return str(self.replay_dir) if self.replay_dir is not None else "live"


VenueFactory = Callable[[str], Venue]


def build_engine(
    pm: pluggy.PluginManager,
    settings: EngineSettings,
    *,
    venue_factory: VenueFactory | None = None,
    overrides: Any = None,
    sinks: Iterable[Sink] = (),
    progress: Callable[[str], None] | None = None,
    tap: Callable[..., None] | None = None,
) -> Engine:
    """The engine for ``settings``.

    Args:
        venue_factory: builds a live venue client by name (with its config and credentials);
            required for live runs.
        overrides: match overrides: an :class:`arbkit.matching.Overrides`, a store or its db.
        tap: a recording tap (``arbkit record``) the venues and the replay hand every raw
            payload they receive; None, the default, records nothing.

    Raises:
        ConfigError: an unknown venue, league or strategy; a league without team data; both a
            sample and a replay directory.
    """
    from arbkit.matching import MatchingService

    leagues = resolve_leagues(pm, settings.leagues)
    strategies = resolve_strategies(pm, settings)
    session = open_session(pm, settings, venue_factory, tap=tap)
    options = ScanOptions(
        leagues=leagues,
        lookahead=timedelta(hours=settings.lookahead_hours) if settings.lookahead_hours else None,
        start_cutoff=timedelta(minutes=settings.cutoff_minutes),
        min_confidence=settings.min_confidence,
        rediscover_every=(
            timedelta(minutes=settings.rediscover_minutes) if settings.rediscover_minutes else None
        ),
    )
    matcher = MatchingService.from_plugins(
        pm, overrides=overrides, min_confidence=settings.min_confidence
    )
    return Engine(
        session=session,
        matcher=matcher,
        strategies=strategies,
        options=options,
        sinks=sinks,
        progress=progress,
    )


def open_session(
    pm: pluggy.PluginManager,
    settings: EngineSettings,
    venue_factory: VenueFactory | None,
    *,
    tap: Callable[..., None] | None = None,
) -> Session:
    """A replay session for a sample or a recording, else live venue clients (``tap``: see
    :func:`build_engine`)."""
    if settings.sample and settings.replay_dir is not None:
        raise ConfigError("use either --sample or --replay DIR, not both")
    directory = sample_dir() if settings.sample else settings.replay_dir
    if directory is not None:
        session = open_replay(pm, Path(directory), speed=settings.speed)
        if settings.settlements and hasattr(session, "play_settlements"):
            session.play_settlements = True
        wanted = pick_venues(settings.venues, {v.name for v in session.venues})
        session.venues[:] = [v for v in session.venues if v.name in wanted]
        if tap is not None:
            if not hasattr(session, "record_to"):
                raise ConfigError("this replay player cannot be recorded (it has no record_to)")
            session.record_to(tap)
        return session
    if venue_factory is None:
        raise ConfigError("a live run needs venue clients (no venue factory given)")
    names = sorted(pick_venues(settings.venues, live_venue_names(pm)))
    venues = [venue_factory(name) for name in names]
    if tap is not None:
        for venue in venues:
            venue.tap = tap  # type: ignore[attr-defined]  # venues that record read it
    return LiveSession(venues, poll_interval=settings.poll_seconds)


def pick_venues(wanted: Iterable[str], available: set[str]) -> set[str]:
    """The venues to use; an unknown name is an error listing the available ones."""
    names = {name.strip() for name in wanted if name.strip()}
    if not names:
        return available
    unknown = names - available
    if unknown:
        raise ConfigError(
            f"unknown venue(s) {', '.join(sorted(unknown))} (available: "
            f"{', '.join(sorted(available))})"
        )
    return names


def resolve_leagues(pm: pluggy.PluginManager, leagues: Iterable[str]) -> frozenset[str]:
    """The league codes, upper-cased; unknown or without team data is an error, never empty."""
    wanted = frozenset(league.upper() for league in leagues)
    known = {code for cls in get_venues(pm).values() for code in cls.leagues}
    unknown = sorted(wanted - known)
    if unknown:
        raise ConfigError(
            f"unknown league {unknown[0].lower()!r} (known: "
            f"{', '.join(sorted(code.lower() for code in known))})"
        )
    with_data = leagues_with_team_data(pm)
    missing = sorted(wanted - with_data)
    if missing:
        raise ConfigError(
            f"league {missing[0].lower()!r} has no team data, so its games cannot be matched "
            f"(leagues with team data: {', '.join(sorted(c.lower() for c in with_data))})"
        )
    return wanted


def leagues_with_team_data(pm: pluggy.PluginManager) -> set[str]:
    """Leagues the matcher knows teams for (built-in files and plugins' LeagueData)."""
    from arbkit.matching.teams import LeagueData

    return {
        item.league
        for item in get_matcher_components(pm)
        if isinstance(item, LeagueData)
        and item.teams  # a file of league facts alone matches nothing
    }


def resolve_strategies(pm: pluggy.PluginManager, settings: EngineSettings) -> list[Strategy]:
    """One instance of each strategy asked for (every registered one by default)."""
    registered = get_strategies(pm)
    names = settings.strategies or tuple(registered)
    unknown = [name for name in names if name not in registered]
    if unknown:
        raise ConfigError(
            f"unknown strategy {unknown[0]!r} (known: {', '.join(sorted(registered))})"
        )
    limits = StrategySettings(min_edge=settings.min_edge, max_size=settings.max_size)
    return [registered[name](limits) for name in names]
