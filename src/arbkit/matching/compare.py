"""Comparing two team names (``arbkit match team``): same team, and in which league?

Without a league, a pair only matches when exactly one league knows both names as the same
team, so "Lakers" never meets "Los Angeles Dodgers" and "Kings" vs "Kings" asks for ``--league``.
"""

from __future__ import annotations

from attrs import frozen

from arbkit.matching.teambook import TeamBook, TeamHit


@frozen(kw_only=True)
class TeamComparison:
    a: str
    b: str
    match: bool
    confidence: float
    league: str | None
    team: str | None  #: canonical name when matched
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "match": self.match,
            "confidence": self.confidence,
            "league": self.league,
            "team": self.team,
            "reasons": list(self.reasons),
        }


def compare_teams(book: TeamBook, a: str, b: str, league: str | None = None) -> TeamComparison:
    """Whether ``a`` and ``b`` name the same team (inside ``league`` if given)."""
    leagues = [league.upper()] if league else book.leagues
    for fuzzy in (False, True):
        found: list[tuple[str, TeamHit, TeamHit]] = []
        seen: list[str] = []
        for code in leagues:
            ha, hb = book.lookup(a, code, fuzzy=fuzzy), book.lookup(b, code, fuzzy=fuzzy)
            if ha and hb and ha.team is hb.team:
                found.append((code, ha, hb))
            for hit in (ha, hb):
                if hit:
                    seen.append(f"{code}: {hit.how}")
        if len(found) == 1:
            code, ha, hb = found[0]
            assert ha.team is not None
            return TeamComparison(
                a=a,
                b=b,
                match=True,
                confidence=round(min(ha.confidence, hb.confidence), 3),
                league=code,
                team=ha.team.name,
                reasons=(ha.how, hb.how),
            )
        if len(found) > 1:
            where = ", ".join(code for code, _, _ in found)
            return TeamComparison(
                a=a,
                b=b,
                match=False,
                confidence=0.0,
                league=None,
                team=None,
                reasons=(f"both names fit a team in several leagues ({where}): give --league",),
            )
        if fuzzy or league:
            if league and not fuzzy:
                continue
            reasons = tuple(dict.fromkeys(seen)) or (
                f"neither name is a known team in {', '.join(leagues)}",
            )
            return TeamComparison(
                a=a,
                b=b,
                match=False,
                confidence=0.0,
                league=league.upper() if league else None,
                team=None,
                reasons=("no single league knows both names as one team", *reasons),
            )
    raise AssertionError("unreachable")
