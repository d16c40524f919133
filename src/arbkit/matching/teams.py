"""Team knowledge base: :class:`Team` and :class:`LeagueData`, and loading them from JSON files.

One JSON file per league (format in docs/team-data.md). The built-in files live in
``arbkit/matching/data/leagues/``; a plugin registers its own :class:`LeagueData` through the
``register_matchers`` hook. Files are validated on load so a typo fails loudly, not as a silent
non-match at trading time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import field, frozen

from arbkit.errors import ConfigError

#: Sports whose games can end in a draw: a NO on one team is not the other team's win there.
DRAW_SPORTS = frozenset({"soccer"})
#: Sports whose venues list the home team first in tickers and slugs (US leagues: away first).
HOME_FIRST_SPORTS = frozenset({"soccer"})


def _codes(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise TypeError("codes must be an object of venue -> list of codes")
    return {str(k): tuple(str(c).upper() for c in v) for k, v in value.items()}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@frozen(kw_only=True)
class Team:
    """One team of one league, with every label and code the venues use for it."""

    id: str  #: stable id, e.g. ``"nba-lal"``
    league: str
    name: str  #: full name, e.g. ``"Los Angeles Lakers"``
    city: str | None = None
    nickname: str | None = None
    #: venue (``"kalshi"``, ``"polymarket"``, ...) or ``"standard"`` → codes, uppercase
    codes: Mapping[str, tuple[str, ...]] = field(factory=dict, converter=_codes)
    aliases: tuple[str, ...] = field(default=(), converter=_strings)
    former_names: tuple[str, ...] = field(default=(), converter=_strings)
    school: str | None = None  #: college teams
    conference: str | None = None

    @property
    def code(self) -> str:
        """The canonical code used in game ids: the first standard code."""
        for key in ("standard", "kalshi", "polymarket"):
            if self.codes.get(key):
                return self.codes[key][0]
        return self.id.rsplit("-", 1)[-1].upper()


@frozen(kw_only=True)
class LeagueData:
    """A league's team knowledge base plus how the venues name the league."""

    league: str  #: canonical code, e.g. ``"NBA"``
    sport: str
    name: str
    teams: tuple[Team, ...]
    kalshi_series: tuple[str, ...] = ()
    polymarket_prefixes: tuple[str, ...] = ()
    has_draw: bool = False  #: three-way games (soccer): venues list a draw market/outcome
    home_first: bool = False  #: venues list home before away in tickers/slugs
    #: games can end level (NFL ties, soccer draws): "A wins" and "B wins" are then no complements
    can_tie: bool = False
    source: str = ""  #: where it was loaded from (for error messages)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> LeagueData:
        """Build and validate from the documented JSON shape.

        Raises:
            ConfigError: a required key is missing, or an id or a code is used twice.
        """
        where = source or "league data"
        try:
            league = str(data["league"]).upper()
            sport = str(data["sport"]).lower()
            teams = tuple(_team(league, raw) for raw in data["teams"])
            result = cls(
                league=league,
                sport=sport,
                name=str(data.get("name") or league),
                teams=teams,
                kalshi_series=tuple(str(s).upper() for s in data.get("kalshi_series", ())),
                polymarket_prefixes=tuple(
                    str(p).lower() for p in data.get("polymarket_prefixes", ())
                ),
                has_draw=_flag(data, "has_draw", sport in DRAW_SPORTS),
                home_first=_flag(data, "home_first", sport in HOME_FIRST_SPORTS),
                can_tie=_flag(data, "can_tie", sport in DRAW_SPORTS),
                source=source,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: invalid league data ({exc!r})") from exc
        result._validate(where)
        return result

    def _validate(self, where: str) -> None:
        seen_ids: set[str] = set()
        seen_codes: dict[tuple[str, str], str] = {}
        for team in self.teams:
            if team.id in seen_ids:
                raise ConfigError(f"{where}: team id {team.id!r} is used twice")
            seen_ids.add(team.id)
            for venue, codes in team.codes.items():
                for code in codes:
                    other = seen_codes.setdefault((venue, code), team.id)
                    if other != team.id:
                        raise ConfigError(
                            f"{where}: {venue} code {code!r} names both {other} and {team.id}"
                        )


def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise TypeError(f"{key} must be true or false, not {value!r}")
    return value


def _team(league: str, raw: Mapping[str, Any]) -> Team:
    return Team(
        id=str(raw["id"]),
        league=league,
        name=str(raw["name"]),
        city=raw.get("city"),
        nickname=raw.get("nickname"),
        codes=raw.get("codes", {}),
        aliases=raw.get("aliases", ()),
        former_names=raw.get("former_names", ()),
        school=raw.get("school"),
        conference=raw.get("conference"),
    )


def load_league_file(path: Path | str) -> LeagueData:
    """Read one league JSON file.

    Raises:
        ConfigError: the file is missing, not JSON, or not valid league data.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read league data {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a JSON object")
    return LeagueData.from_dict(data, source=str(path))


def builtin_league_dir() -> Path:
    """Where the shipped league files live."""
    return Path(str(resources.files("arbkit.matching") / "data" / "leagues"))


def load_league_dir(directory: Path | str) -> list[LeagueData]:
    """Every ``*.json`` league file of a directory, sorted by file name."""
    return [load_league_file(p) for p in sorted(Path(directory).glob("*.json"))]


def builtin_leagues() -> list[LeagueData]:
    """The leagues arbkit ships (registered by the built-in matcher plugin)."""
    return load_league_dir(builtin_league_dir())


@functools.cache
def _builtin_by_code() -> dict[str, LeagueData]:
    return {data.league: data for data in builtin_leagues()}


def lists_home_first(league: str | None) -> bool:
    """Whether the venues write this league's games home team first ("PSG vs Chelsea",
    soccer tickers and slugs): the ``home_first`` fact of the shipped league data.

    Venue parsers ask this instead of keeping their own league list; an unknown league is
    away-first, the US convention.
    """
    data = _builtin_by_code().get(league.upper()) if league else None
    return bool(data and data.home_first)


def teams_by_id(leagues: Iterable[LeagueData]) -> dict[str, Team]:
    return {team.id: team for data in leagues for team in data.teams}
