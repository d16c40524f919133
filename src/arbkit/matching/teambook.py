"""The team index: any label or code → one team, always inside one league.

Names shared across leagues (Kings, Rangers, Panthers, LAC...) are only ever looked up with a
league, so they cannot cross sports. Inside a league a key that names two teams at the same
strength (a shared city such as "Los Angeles") resolves to nothing rather than to a guess.
Exact keys are plain dict hits; rapidfuzz runs only when they miss, only over that league's
labels, and its answers are cached.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import attrs
from attrs import frozen

from arbkit.matching.normalize import normalize
from arbkit.matching.teams import LeagueData, Team

log = logging.getLogger(__name__)

#: How strongly each kind of label identifies a team: (rank, confidence). Lower rank wins a tie.
KINDS: dict[str, tuple[int, float]] = {
    "name": (0, 1.0),
    "alias": (1, 0.97),
    "nickname": (1, 0.97),
    "school": (1, 0.97),
    "city": (2, 0.95),
    "former name": (3, 0.9),
}
CODE_CONFIDENCE = 1.0
FUZZY_CUTOFF = 88.0  #: rapidfuzz ratio (spaces removed) needed to accept a fuzzy hit
FUZZY_MARGIN = 4.0  #: and how far ahead of the best other team it must be
FUZZY_MAX_CONFIDENCE = 0.9
#: Words that tell two schools apart ("Eastern"/"Western" Kentucky, "Tennessee St"/"Tennessee"):
#: a fuzzy hit may fix a spelling but never add, drop or swap one of them.
QUALIFIERS = frozenset(
    "north south east west northern southern eastern western central middle northeastern "
    "northwestern southeastern southwestern n s e w c ne nw se sw state tech".split()
)


@frozen
class TeamHit:
    """A lookup answer: the team (None when unresolved), how sure, and why."""

    team: Team | None
    confidence: float
    how: str

    def __bool__(self) -> bool:
        return self.team is not None


@frozen
class _Entry:
    team: Team | None  # None: ambiguous
    rank: int
    confidence: float
    kind: str
    others: tuple[str, ...] = ()


class _LeagueIndex:
    """Everything about one league's names, built once."""

    def __init__(self, data: LeagueData) -> None:
        self.data = data
        self.names: dict[str, _Entry] = {}
        self.codes: dict[str, dict[str, Team]] = {}  # venue -> CODE -> team
        self.any_code: dict[str, Team | None] = {}
        self.fuzzy_keys: list[str] = []
        self.fuzzy_words: list[frozenset[str]] = []
        self.fuzzy_teams: list[Team] = []
        self.fuzzy_cache: dict[str, TeamHit] = {}
        for team in data.teams:
            self._add_team(team)
        for key, entry in self.names.items():
            if entry.team is not None and entry.kind != "city":
                self.fuzzy_keys.append(key.replace(" ", ""))
                self.fuzzy_words.append(_words(key))
                self.fuzzy_teams.append(entry.team)

    def _add_team(self, team: Team) -> None:
        labels: list[tuple[str, str]] = [("name", team.name)]
        labels += [("alias", a) for a in team.aliases]
        if team.nickname:
            labels.append(("nickname", team.nickname))
        if team.school:
            labels.append(("school", team.school))
        if team.city:
            labels.append(("city", team.city))
        labels += [("former name", f) for f in team.former_names]
        for venue, codes in team.codes.items():
            table = self.codes.setdefault(venue, {})
            for code in codes:
                table[code] = team
                if team.nickname:  # Kalshi NHL style "LA Kings"
                    labels.append(("alias", f"{code} {team.nickname}"))
                previous = self.any_code.get(code, team)
                self.any_code[code] = team if previous is team else None
        for kind, label in labels:
            self._add_name(normalize(label), kind, team)

    def _add_name(self, key: str, kind: str, team: Team) -> None:
        if not key:
            return
        rank, confidence = KINDS[kind]
        current = self.names.get(key)
        if current is None or rank < current.rank:
            self.names[key] = _Entry(team, rank, confidence, kind)
        elif rank == current.rank and current.team is not team:
            others = {*current.others, team.name}
            if current.team is not None:
                others.add(current.team.name)
            self.names[key] = _Entry(None, rank, confidence, kind, tuple(sorted(others)))


class TeamBook:
    """Index of every registered league's teams. Build once, look up many times."""

    def __init__(self, leagues: Iterable[LeagueData]) -> None:
        merged: dict[str, LeagueData] = {}
        for data in leagues:
            merged[data.league] = _merge(merged.get(data.league), data)
        self._leagues = {code: _LeagueIndex(data) for code, data in merged.items()}
        self._series: dict[str, str] = {}
        self._series_core: dict[str, str] = {}
        self._prefixes: dict[str, str] = {}
        for code, data in merged.items():
            for series in data.kalshi_series:
                self._series[series] = code
                self._series_core[_series_core(series)] = code
            for prefix in data.polymarket_prefixes:
                self._prefixes[prefix] = code

    # -- leagues -------------------------------------------------------------------------------

    @property
    def leagues(self) -> list[str]:
        return sorted(self._leagues)

    def league(self, code: str | None) -> LeagueData | None:
        if not code:
            return None
        index = self._leagues.get(code.upper())
        return index.data if index else None

    def league_for_series(self, series: str) -> tuple[str | None, bool]:
        """``(league, is_game_series)`` of a Kalshi series (``KXNBASPREAD`` → NBA, False)."""
        series = series.upper()
        if series in self._series:
            return self._series[series], True
        return self._series_core.get(_series_core(series)), False

    def league_for_prefix(self, prefix: str) -> str | None:
        """The league of a Polymarket slug prefix (``"nba"`` → ``"NBA"``)."""
        return self._prefixes.get(prefix.lower())

    # -- teams ---------------------------------------------------------------------------------

    def lookup(self, text: str, league: str, *, fuzzy: bool = True) -> TeamHit:
        """Resolve a name, alias, city label or code inside ``league``."""
        index = self._leagues.get(league.upper()) if league else None
        if index is None:
            return TeamHit(None, 0.0, f"unknown league {league!r}")
        key = normalize(text)
        if not key:
            return TeamHit(None, 0.0, "empty name")
        entry = index.names.get(key)
        if entry is not None:
            if entry.team is None:
                return TeamHit(
                    None, 0.0, f"{text!r} is ambiguous in {league}: {', '.join(entry.others)}"
                )
            return TeamHit(
                entry.team, entry.confidence, f"{text!r} is the {entry.kind} of {entry.team.name}"
            )
        if " " not in key and len(key) <= 5:
            team = index.any_code.get(key.upper())
            if team is not None:
                return TeamHit(team, KINDS["alias"][1], f"{text!r} is a code of {team.name}")
        if not fuzzy or len(key) < 4:
            return TeamHit(None, 0.0, f"{text!r} is not a {league} team")
        cached = index.fuzzy_cache.get(key)
        if cached is None:
            cached = _fuzzy(index, text, key)
            index.fuzzy_cache[key] = cached
        return cached

    def by_code(self, code: str, league: str, venue: str | None = None) -> Team | None:
        """A team by a venue's code (falls back to standard codes, then any unique code)."""
        index = self._leagues.get(league.upper())
        if index is None:
            return None
        code = code.upper()
        for table in (venue, "standard"):
            if table and (team := index.codes.get(table, {}).get(code)) is not None:
                return team
        return index.any_code.get(code)

    def split_codes(
        self, joined: str, league: str, venue: str | None = None
    ) -> list[tuple[Team, Team]]:
        """Every way ``"CHAUTA"`` splits into two known codes of different teams."""
        found = []
        joined = joined.upper()
        for cut in range(1, len(joined)):
            first = self.by_code(joined[:cut], league, venue)
            second = self.by_code(joined[cut:], league, venue)
            if first is not None and second is not None and first is not second:
                found.append((first, second))
        return found

    def teams(self, league: str) -> Sequence[Team]:
        index = self._leagues.get(league.upper())
        return index.data.teams if index else ()


def _fuzzy(index: _LeagueIndex, text: str, key: str) -> TeamHit:
    from rapidfuzz import fuzz, process  # only on an exact miss: start-up does not pay for it

    hits = process.extract(
        key.replace(" ", ""),
        index.fuzzy_keys,
        scorer=fuzz.ratio,
        limit=8,
        score_cutoff=FUZZY_CUTOFF - FUZZY_MARGIN,
    )
    if not hits:
        return TeamHit(None, 0.0, f"{text!r} is not a {index.data.league} team")
    best_key, best_score, best_pos = hits[0]
    team = index.fuzzy_teams[best_pos]
    rival = max(
        (score for _k, score, pos in hits[1:] if index.fuzzy_teams[pos] is not team), default=0.0
    )
    if best_score < FUZZY_CUTOFF:
        return TeamHit(
            None,
            0.0,
            f"{text!r} is not a {index.data.league} team (closest {team.name}, {best_score:.0f})",
        )
    if best_score - rival < FUZZY_MARGIN:
        return TeamHit(None, 0.0, f"{text!r} is too close to two {index.data.league} teams")
    words, best_words = _words(key), index.fuzzy_words[best_pos]
    differ = words ^ best_words
    if words < best_words or best_words < words or differ & QUALIFIERS:
        return TeamHit(
            None,
            0.0,
            f"{text!r} is not a {index.data.league} team: it resembles {best_key!r} of "
            f"{team.name} but differs by a word ({', '.join(sorted(differ))})",
        )
    confidence = round(FUZZY_MAX_CONFIDENCE * best_score / 100, 3)
    log.debug("fuzzy %r -> %s (%r, %.1f)", text, team.id, best_key, best_score)
    return TeamHit(
        team, confidence, f"{text!r} resembles {best_key!r} of {team.name} ({best_score:.0f}/100)"
    )


def _words(key: str) -> frozenset[str]:
    """A normalised label's words, "St" read as Saint first and as State after a name."""
    words = key.split()
    return frozenset(
        ("saint" if i == 0 else "state") if w == "st" else w for i, w in enumerate(words)
    )


def _series_core(series: str) -> str:
    core = series.upper().removeprefix("KX")
    for suffix in ("GAME", "SPREAD", "TOTAL", "MATCH"):
        if core.endswith(suffix):
            return core[: -len(suffix)]
    return core


def _merge_team(base: Team | None, extra: Team) -> Team:
    """A later same-id team replaces the earlier one, except that the earlier one's codes for
    venues it does not name stay: a plugin adding its own venue's codes keeps Kalshi's."""
    if base is None:
        return extra
    return attrs.evolve(extra, codes={**base.codes, **extra.codes})


def _merge(base: LeagueData | None, extra: LeagueData) -> LeagueData:
    """A later registration of the same league adds teams (same id: the later one wins)."""
    if base is None:
        return extra
    teams = {team.id: team for team in base.teams}
    for team in extra.teams:
        teams[team.id] = _merge_team(teams.get(team.id), team)
    return LeagueData(
        league=base.league,
        sport=base.sport,
        name=base.name,
        teams=tuple(teams.values()),
        kalshi_series=tuple(dict.fromkeys(base.kalshi_series + extra.kalshi_series)),
        polymarket_prefixes=tuple(
            dict.fromkeys(base.polymarket_prefixes + extra.polymarket_prefixes)
        ),
        has_draw=base.has_draw,
        home_first=base.home_first,
        can_tie=base.can_tie or extra.can_tie,
        source=f"{base.source} + {extra.source}",
    )
