"""The one matcher: which markets of different venues are the same game, and which contracts match.

Build it from the plugin manager and the store, then call :meth:`MatchingService.match`::

    service = MatchingService.from_plugins(pm, overrides=store.db)
    report = service.match(markets)   # any venues' markets, any leagues
    for game in report.matches:
        for link in game.links:       # per venue pair: left = later venue name, right = a YES
            ...

Pipeline (docs/matching.md): resolve every market on its own (league, both teams, ET date,
what each contract pays on; see :mod:`arbkit.matching.resolve`), group each venue's markets into
games, pair every two venues (block games by ``(league, both teams)``, compare dates/start times
only inside a block), join one game's pairs into one result, and derive each contract link's
relation from the YES team. Scorers from plugins may then veto
or lower a link; stored overrides beat everything. Links under ``min_confidence`` are reported
as near-misses, never as matches.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pluggy
from attrs import define, field

from arbkit.errors import PluginError
from arbkit.matching.overrides import Override, Overrides, load_overrides
from arbkit.matching.report import MatchReport, NearMiss
from arbkit.matching.resolve import Claim, Rejected, View, resolve_market
from arbkit.matching.scoring import DEFAULT_MIN_CONFIDENCE, Candidate, Scorer
from arbkit.matching.teambook import TeamBook
from arbkit.matching.teams import LeagueData, Team
from arbkit.models import Contract, ContractLink, Market, MarketType, MatchResult, Relation

log = logging.getLogger(__name__)

#: Two start times further apart than this are two different games (doubleheaders).
START_TOLERANCE = timedelta(minutes=30)
#: A game date one day off is only accepted when the later side has no start time (UTC slug date).
ONE_DAY_CONFIDENCE = 0.85
REVERSED_CONFIDENCE = 0.6
NEAR_MISS_DAYS = 3


@define
class _Game:
    """One venue's markets of one game."""

    venue: str
    league: LeagueData
    away: Team
    home: Team
    game_date: date | None
    start: datetime | None
    views: list[View]
    confidence: float
    reasons: list[str]
    utc_date: bool = False  #: no start time and the date may be a UTC date

    @property
    def key(self) -> tuple[str, frozenset[str]]:
        return self.league.league, frozenset((self.away.id, self.home.id))

    @property
    def label(self) -> str:
        return f"{self.venue} {self.away.name} at {self.home.name} {self.game_date}"

    def first_market(self) -> Market:
        for view in self.views:
            if view.kind == MarketType.MONEYLINE:
                return view.market
        return self.views[0].market


@define
class _Pair:
    left: _Game
    right: _Game
    confidence: float
    reasons: list[str] = field(factory=list)


class MatchingService:
    """Pairs markets across venues. Stateless between calls; safe to reuse for every scan.

    Args:
        leagues: team knowledge bases (a later one for the same league adds teams).
        scorers: extra checks that may only veto or lower a link.
        overrides: stored user decisions (see :func:`arbkit.matching.load_overrides`).
        min_confidence: links below it are near-misses, not matches.

    Every two venues present in a batch are paired (any number of venues, none known by name):
    in each pair the venue whose name sorts later is the link's ``left``, the other its ``right``
    (so a Polymarket token is ``left`` of a Kalshi YES). A game matched on several venues is one
    :class:`MatchResult` holding the links of every venue pair.
    """

    def __init__(
        self,
        leagues: Iterable[LeagueData],
        scorers: Sequence[Scorer] = (),
        *,
        overrides: Overrides | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> None:
        self.book = TeamBook(leagues)
        self.scorers = list(scorers)
        self.overrides = overrides or Overrides()
        self.min_confidence = min_confidence

    @classmethod
    def from_plugins(
        cls,
        pm: pluggy.PluginManager,
        *,
        overrides: Overrides | Any | None = None,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> MatchingService:
        """The service built from everything offered through ``register_matchers``.

        ``overrides`` may be an :class:`Overrides`, a sqlite-utils ``Database`` or an
        :class:`arbkit.store.Store` (its ``match_overrides`` table is read now).

        Raises:
            PluginError: a plugin registered something that is neither LeagueData nor a Scorer.
        """
        from arbkit.registry import get_matcher_components

        leagues: list[LeagueData] = []
        scorers: list[Scorer] = []
        for item in get_matcher_components(pm):
            if isinstance(item, LeagueData):
                leagues.append(item)
            elif isinstance(item, Scorer):
                scorers.append(item)
            else:
                raise PluginError(f"register_matchers got {item!r}: not a LeagueData or a Scorer")
        if overrides is not None and not isinstance(overrides, Overrides):
            db = getattr(overrides, "db", overrides)
            overrides = load_overrides(db)
        return cls(leagues, scorers, overrides=overrides, min_confidence=min_confidence)

    # -- the pipeline --------------------------------------------------------------------------

    def match(self, markets: Sequence[Market]) -> MatchReport:
        """Pair every game of ``markets`` across every two venues of the batch."""
        report = MatchReport(matches=[], near_misses=[])
        by_venue: dict[str, list[View]] = defaultdict(list)
        for market in markets:
            try:
                view = resolve_market(self.book, market)
            except Rejected as exc:
                log.debug("skip %s %s: %s", market.venue, market.market_id, exc)
                report.skipped.append((market.venue, market.market_id, str(exc)))
                continue
            except (AttributeError, TypeError, ValueError) as exc:
                # A plugin's malformed market (a code that is no string...): skip it, not the batch.
                why = f"unreadable market fields ({type(exc).__name__}: {exc})"
                log.warning("matching: skip %s %s: %s", market.venue, market.market_id, why)
                report.skipped.append((market.venue, market.market_id, why))
                continue
            log.debug(
                "resolved %s %s: %s %s at %s %s",
                market.venue,
                market.market_id,
                view.league.league,
                view.away.id,
                view.home.id,
                view.game_date,
            )
            by_venue[market.venue].append(view)
        games: dict[str, list[_Game]] = {}
        extras: dict[tuple[str, frozenset[str]], list[_Game]] = defaultdict(list)
        for venue in sorted(by_venue, reverse=True):
            games[venue], others = _group(venue, by_venue[venue])
            for game in others:
                extras[game.key].append(game)
        pairs: list[_Pair] = []
        venues = list(games)
        for i, left in enumerate(venues):
            for right in venues[i + 1 :]:
                pairs.extend(self._pair(games[left], games[right], report))
        for component in _components(pairs):
            self._emit(component, report, extras)
        self._apply_confirmed(markets, report)
        return report

    def _emit(
        self,
        pairs: list[_Pair],
        report: MatchReport,
        extras: dict[tuple[str, frozenset[str]], list[_Game]],
    ) -> None:
        """One game's pairs (one per venue pair) → one MatchResult with all their links."""
        members = list({id(g): g for p in pairs for g in (p.left, p.right)}.values())
        per_venue: dict[str, list[_Game]] = defaultdict(list)
        for game in members:
            per_venue[game.venue].append(game)
        split = [venue for venue, found in per_venue.items() if len(found) > 1]
        if split:
            for pair in pairs:
                self._near_game(
                    report,
                    pair.left,
                    pair.right,
                    0.0,
                    [f"{split[0]} has several games that other venues pair with this one"],
                )
            return
        anchor = min(members, key=lambda g: (g.utc_date, g.game_date is None, g.venue))
        league = anchor.league
        game_date = anchor.game_date
        game_id = f"{league.league}:{game_date}:{anchor.away.code}@{anchor.home.code}"
        links: list[ContractLink] = []
        confidence = 1.0
        reasons: list[str] = []
        for pair in pairs:
            pair_links, pair_confidence, pair_reasons = self._link(pair, game_id, game_date, report)
            links.extend(pair_links)
            confidence = min(confidence, pair_confidence)
            reasons.extend(r for r in pair_reasons if r not in reasons)
        if not links:
            return
        starts = [g.start for g in members if g.start is not None]
        key = anchor.key
        report.matches.append(
            MatchResult(
                game_id=game_id,
                league=league.league,
                game_date=game_date,
                start_time=starts[0] if starts else None,
                title=f"{anchor.away.name} at {anchor.home.name}",
                markets=tuple(v.market for g in members for v in g.views)
                + tuple(
                    v.market
                    for g in extras.get(key, [])
                    if _near_date(g, game_date)
                    for v in g.views
                ),
                links=tuple(links),
                confidence=confidence,
                reasons=tuple(reasons),
                can_end_level=league.can_tie,
            )
        )
        log.debug("match %s: %d links, confidence %.2f", game_id, len(links), confidence)

    def _pair(self, lefts: list[_Game], rights: list[_Game], report: MatchReport) -> list[_Pair]:
        """Block by (league, teams), then settle dates: exact first, then one-day-off leftovers."""
        block: dict[tuple[str, frozenset[str]], list[_Game]] = defaultdict(list)
        by_team: dict[tuple[str, str], list[_Game]] = defaultdict(list)
        for game in rights:
            block[game.key].append(game)
            by_team[(game.league.league, game.away.id)].append(game)
            by_team[(game.league.league, game.home.id)].append(game)
        exact: dict[int, list[_Game]] = {}
        loose: dict[int, list[_Game]] = {}
        for i, left in enumerate(lefts):
            exact[i], loose[i] = [], []
            for right in block.get(left.key, []):
                verdict, why = _date_verdict(left, right)
                if verdict == "exact":
                    exact[i].append(right)
                elif verdict == "loose":
                    loose[i].append(right)
                elif verdict == "far" and why:
                    self._near_game(report, left, right, 0.0, [why])
        self._prefer_start_times(lefts, exact, report)
        for i, left in enumerate(lefts):
            if exact[i] and loose[i]:
                for right in exact[i] + loose[i]:
                    why = (
                        f"the same teams play on {left.game_date} and on a date next to it, "
                        "and one of the dates may be a UTC date: which game is meant is a guess"
                    )
                    self._near_game(report, left, right, 0.0, [why])
                exact[i], loose[i] = [], []
        pairs: list[_Pair] = []
        claimed: dict[int, int] = defaultdict(int)
        for candidates in exact.values():
            for right in candidates:
                claimed[id(right)] += 1
        for i, left in enumerate(lefts):
            candidates = exact[i]
            if len(candidates) > 1:
                why = (
                    f"{len(candidates)} games of the same teams on {left.game_date}"
                    " and no start time to tell them apart"
                )
                for right in candidates:
                    self._near_game(report, left, right, 0.0, [why])
                continue
            if len(candidates) == 1:
                right = candidates[0]
                if claimed[id(right)] > 1:
                    self._near_game(
                        report,
                        left,
                        right,
                        0.0,
                        ["several games on this venue claim the same game"],
                    )
                    continue
                pairs.append(_Pair(left, right, 1.0, [_date_reason(left, right)]))
        paired_left = {id(p.left) for p in pairs}
        paired_right = {id(p.right) for p in pairs}
        for i, left in enumerate(lefts):
            if id(left) in paired_left or exact[i]:
                continue
            candidates = [r for r in loose[i] if id(r) not in paired_right]
            if len(candidates) == 1:
                right = candidates[0]
                why = (
                    f"game dates differ by one day ({left.game_date} vs {right.game_date}); "
                    "taken as the UTC/US-Eastern date shift"
                )
                pairs.append(_Pair(left, right, ONE_DAY_CONFIDENCE, [why]))
                paired_right.add(id(right))
                paired_left.add(id(left))
            elif len(candidates) > 1:
                for right in candidates:
                    self._near_game(
                        report,
                        left,
                        right,
                        0.0,
                        ["several games one day apart; none on the same date"],
                    )
        for left in lefts:
            if id(left) not in paired_left:
                self._near_partial(report, left, by_team, paired_right)
        return pairs

    def _prefer_start_times(
        self, lefts: list[_Game], exact: dict[int, list[_Game]], report: MatchReport
    ) -> None:
        """Games pinned to each other by start times beat same-date games without one."""
        pinned = {id(r) for i, left in enumerate(lefts) for r in exact[i] if _timed(left, r)}
        for i, left in enumerate(lefts):
            timed = any(_timed(left, r) for r in exact[i])
            kept = []
            for right in exact[i]:
                if _timed(left, right) or not (timed or id(right) in pinned):
                    kept.append(right)
                    continue
                why = (
                    "another game of the same teams agrees by start time; "
                    "this one has no start time to tell"
                )
                self._near_game(report, left, right, 0.0, [why])
            exact[i] = kept

    def _link(
        self, pair: _Pair, game_id: str, game_date: date | None, report: MatchReport
    ) -> tuple[list[ContractLink], float, list[str]]:
        """The contract links of one venue pair of a game, its confidence and reasons."""
        left, right = pair.left, pair.right
        league = left.league
        confidence = min(pair.confidence, left.confidence, right.confidence)
        reasons = [
            f"same league {league.league}",
            f"same teams: {left.away.name} at {left.home.name}",
            *pair.reasons,
            *dict.fromkeys(left.reasons + right.reasons),
        ]
        if left.away.id != right.away.id:
            confidence = min(confidence, REVERSED_CONFIDENCE)
            reasons.append(
                f"home/away reversed: {left.venue} has {left.home.name} at home, "
                f"{right.venue} {right.home.name}"
            )
        links: list[ContractLink] = []
        for lview in left.views:
            if lview.kind != MarketType.MONEYLINE:
                continue
            for rview in right.views:
                if rview.kind != MarketType.MONEYLINE:
                    continue
                for lc in lview.market.contracts:
                    for rc in rview.market.contracts:
                        if rc.negated:
                            continue
                        link = self._contract_link(
                            game_id,
                            league,
                            confidence,
                            reasons,
                            (lview, lc, lview.claims[lc.contract_id]),
                            (rview, rc, rview.claims[rc.contract_id]),
                            report,
                            game_date,
                        )
                        if link is not None:
                            links.append(link)
        return links, confidence, reasons

    def _contract_link(
        self,
        game_id: str,
        league: LeagueData,
        confidence: float,
        game_reasons: list[str],
        left: tuple[View, Contract, Claim],
        right: tuple[View, Contract, Claim],
        report: MatchReport,
        game_date: date | None,
    ) -> ContractLink | None:
        (lview, lc, lclaim), (rview, rc, rclaim) = left, right
        relation, why = _relation(lclaim, rclaim, league.has_draw)
        if relation is None:
            log.debug("no relation %s / %s: %s", lc.contract_id, rc.contract_id, why)
            return None
        confidence = min(confidence, lclaim.confidence, rclaim.confidence)
        reasons = [*game_reasons, why]
        override = self.overrides.get(lc.contract_id, rc.contract_id)
        if override is not None:
            return self._overridden(
                override, lview, lc, rview, rc, relation, reasons, report, game_date
            )
        candidate = Candidate(
            league=league.league,
            game_id=game_id,
            left_market=lview.market,
            left=lc,
            right_market=rview.market,
            right=rc,
            relation=relation,
            confidence=confidence,
            reasons=tuple(reasons),
            can_end_level=league.can_tie,
            has_draw=league.has_draw,
        )
        for scorer in self.scorers:
            verdict = scorer.score(candidate)
            if verdict is None:
                continue
            name = getattr(scorer, "name", type(scorer).__name__)
            reasons.append(f"{name}: {verdict.reason}")
            if verdict.veto:
                log.debug(
                    "veto %s / %s by %s: %s", lc.contract_id, rc.contract_id, name, verdict.reason
                )
                self._near_link(report, lview, lc, rview, rc, confidence, reasons, game_date)
                return None
            if verdict.confidence is not None:
                confidence = min(confidence, verdict.confidence)
        if confidence < self.min_confidence:
            reasons.append(
                f"confidence {confidence:.2f} is under the minimum {self.min_confidence:.2f}"
            )
            log.debug("near-miss %s / %s: %s", lc.contract_id, rc.contract_id, reasons[-1])
            self._near_link(report, lview, lc, rview, rc, confidence, reasons, game_date)
            return None
        log.debug(
            "link %s / %s %s (%.2f): %s",
            lc.contract_id,
            rc.contract_id,
            relation.value,
            confidence,
            why,
        )
        return ContractLink(
            left=lc,
            right=rc,
            relation=relation,
            confidence=round(confidence, 4),
            reasons=tuple(reasons),
        )

    def _overridden(
        self,
        override: Override,
        lview: View,
        lc: Contract,
        rview: View,
        rc: Contract,
        relation: Relation,
        reasons: list[str],
        report: MatchReport,
        game_date: date | None,
    ) -> ContractLink | None:
        note = f" ({override.note})" if override.note else ""
        if override.decision == "reject":
            reasons.append(f"override: rejected by the user{note}")
            log.debug("override rejects %s / %s", lc.contract_id, rc.contract_id)
            self._near_link(report, lview, lc, rview, rc, 0.0, reasons, game_date)
            return None
        final = override.relation or relation
        reasons.append(f"override: confirmed by the user as {final.value}{note}")
        if final != relation:
            reasons.append(f"override: the matcher said {relation.value}")
        return ContractLink(
            left=lc, right=rc, relation=final, confidence=1.0, reasons=tuple(reasons)
        )

    def _apply_confirmed(self, markets: Sequence[Market], report: MatchReport) -> None:
        """Confirmed pairs the algorithm did not produce, when both contracts are in ``markets``."""
        if not self.overrides.confirmed:
            return
        linked = {(link.left.contract_id, link.right.contract_id) for link in report.links}
        contracts: dict[str, tuple[Market, Contract]] = {}
        for market in markets:
            for contract in market.contracts:
                contracts[contract.contract_id] = (market, contract)
        for override in self.overrides.confirmed:
            if (override.left, override.right) in linked:
                continue
            left, right = contracts.get(override.left), contracts.get(override.right)
            if left is None or right is None or override.relation is None:
                continue
            note = f" ({override.note})" if override.note else ""
            link = ContractLink(
                left=left[1],
                right=right[1],
                relation=override.relation,
                confidence=1.0,
                reasons=(f"override: confirmed by the user as {override.relation.value}{note}",),
            )
            report.near_misses[:] = [
                n
                for n in report.near_misses
                if (n.left_contract, n.right_contract) != (override.left, override.right)
            ]
            for i, match in enumerate(report.matches):
                if left[0] in match.markets or right[0] in match.markets:
                    markets_ = match.markets + tuple(
                        m for m in (left[0], right[0]) if m not in match.markets
                    )
                    report.matches[i] = _with(match, markets_, match.links + (link,))
                    break
            else:
                report.matches.append(
                    MatchResult(
                        game_id=f"override:{left[0].market_id}|{right[0].market_id}",
                        league=right[0].league or left[0].league,
                        game_date=right[0].game_date or left[0].game_date,
                        start_time=left[0].start_time or right[0].start_time,
                        title=left[0].title,
                        markets=(left[0], right[0]),
                        links=(link,),
                        confidence=1.0,
                        reasons=link.reasons,
                    )
                )
            log.debug("override confirms %s / %s", override.left, override.right)

    # -- near-misses ---------------------------------------------------------------------------

    def _near_game(
        self, report: MatchReport, left: _Game, right: _Game, confidence: float, reasons: list[str]
    ) -> None:
        log.debug("near-miss %s / %s: %s", left.label, right.label, "; ".join(reasons))
        report.near_misses.append(
            NearMiss(
                league=left.league.league,
                game_date=left.game_date,
                left_market=left.first_market().market_id,
                right_market=right.first_market().market_id,
                left_venue=left.first_market().venue,
                right_venue=right.first_market().venue,
                confidence=confidence,
                reasons=(f"{left.away.name} at {left.home.name}", *reasons),
            )
        )

    def _near_partial(
        self,
        report: MatchReport,
        left: _Game,
        by_team: dict[tuple[str, str], list[_Game]],
        paired: set[int],
    ) -> None:
        """An unmatched game that shares one team and (about) the date with an unmatched game."""
        league = left.league.league
        for team, other in ((left.away, left.home), (left.home, left.away)):
            for right in by_team.get((league, team.id), []):
                if id(right) in paired or right.key == left.key:
                    continue
                if (
                    left.game_date
                    and right.game_date
                    and abs((left.game_date - right.game_date).days) <= 1
                ):
                    right_other = right.home if right.away.id == team.id else right.away
                    self._near_game(
                        report,
                        left,
                        right,
                        0.0,
                        [
                            f"only {team.name} agrees: {other.name} on {left.venue}, "
                            f"{right_other.name} on {right.venue}"
                        ],
                    )

    def _near_link(
        self,
        report: MatchReport,
        lview: View,
        lc: Contract,
        rview: View,
        rc: Contract,
        confidence: float,
        reasons: list[str],
        game_date: date | None,
    ) -> None:
        report.near_misses.append(
            NearMiss(
                league=lview.league.league,
                game_date=game_date,
                left_market=lview.market.market_id,
                right_market=rview.market.market_id,
                left_contract=lc.contract_id,
                right_contract=rc.contract_id,
                left_outcome=lc.outcome,
                left_venue=lview.market.venue,
                right_venue=rview.market.venue,
                confidence=round(confidence, 4),
                reasons=tuple(reasons),
            )
        )


def _relation(left: Claim, right: Claim, has_draw: bool) -> tuple[Relation | None, str]:
    """How a left claim relates to a right YES claim; the YES team decides the side."""
    lname = left.team.name if left.team else "the draw"
    rname = right.team.name if right.team else "the draw"
    same_subject = (left.team is None and right.team is None) or (
        left.team is not None and right.team is not None and left.team.id == right.team.id
    )
    if same_subject:
        if left.negated:
            return Relation.OPPOSITE, f"token is 'not {lname}' and YES is {rname}: token = NO"
        return Relation.SAME, f"token team {lname} is the YES team"
    if has_draw or left.team is None or right.team is None:
        return None, f"{lname} vs {rname} in a game that can be drawn: neither same nor opposite"
    if left.negated:
        return Relation.SAME, f"token is 'not {lname}', which is {rname} winning: token = YES"
    return Relation.OPPOSITE, f"token team {lname} is the other team: {lname} wins = {rname} NO"


def _date_verdict(left: _Game, right: _Game) -> tuple[str, str]:
    """``exact`` / ``loose`` (one day off, allowed) / ``far`` (with a near-miss reason or "")."""
    if left.start is not None and right.start is not None:
        gap = abs(left.start - right.start)
        if gap <= START_TOLERANCE:
            return "exact", ""
        hours = gap.total_seconds() / 3600
        return "far", (
            f"start times differ by {hours:.1f} h" if hours <= 24 * NEAR_MISS_DAYS else ""
        )
    if left.game_date is None or right.game_date is None:
        return "far", "a game date is missing"
    days = (left.game_date - right.game_date).days
    if days == 0:
        return "exact", ""
    later, earlier = (left, right) if days > 0 else (right, left)
    if abs(days) == 1 and later.start is None and later.utc_date:
        # The later date is a slug's UTC date: the earlier game must then start after 00:00 UTC.
        if earlier.start is None or _utc_day(earlier.start) == later.game_date:
            return "loose", ""
    if abs(days) <= NEAR_MISS_DAYS:
        return "far", f"same teams on another date: {left.game_date} vs {right.game_date}"
    return "far", ""


def _timed(left: _Game, right: _Game) -> bool:
    """Both start times known: an exact verdict between them is a start-time agreement."""
    return left.start is not None and right.start is not None


def _utc_day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def _date_reason(left: _Game, right: _Game) -> str:
    if left.start is not None and right.start is not None:
        minutes = abs(left.start - right.start).total_seconds() / 60
        return f"start times agree ({left.start:%Y-%m-%d %H:%MZ}, {minutes:.0f} min apart)"
    return f"same US-Eastern game date {left.game_date}"


def _group(venue: str, views: list[View]) -> tuple[list[_Game], list[_Game]]:
    """One venue's views → games: same league, teams and date (split by start time if needed)."""
    games: list[_Game] = []
    by_key: dict[tuple[str, frozenset[str], date | None], list[_Game]] = defaultdict(list)
    for view in views:
        key = (view.league.league, view.team_ids, view.game_date)
        target = None
        for game in by_key[key]:
            # Only one event's moneylines are surely one game: another event of the same teams
            # that day is another game (a doubleheader, maybe with a placeholder start time).
            same = view.kind != MarketType.MONEYLINE or all(
                v.market.event_id == view.market.event_id
                for v in game.views
                if v.kind == MarketType.MONEYLINE
            )
            if view.start is not None and game.start is not None:
                same = same and abs(view.start - game.start) <= START_TOLERANCE
            if same:
                target = game
                break
        if target is None:
            target = _Game(
                venue=venue,
                league=view.league,
                away=view.away,
                home=view.home,
                game_date=view.game_date,
                start=view.start,
                views=[],
                confidence=1.0,
                reasons=[],
                utc_date=view.utc_date,
            )
            by_key[key].append(target)
            games.append(target)
        target.views.append(view)
        target.utc_date = target.utc_date and view.utc_date
        if target.start is None:
            target.start = view.start
        if view.kind == MarketType.MONEYLINE:
            target.confidence = min(target.confidence, view.confidence)
            target.reasons.extend(r for r in view.reasons if r not in target.reasons)
            if (view.away.id, view.home.id) != (target.away.id, target.home.id) and target.views[
                0
            ] is not view:
                target.confidence = min(target.confidence, REVERSED_CONFIDENCE)
                target.reasons.append(f"{venue}: markets of this game disagree on home/away")
    with_moneyline = [g for g in games if any(v.kind == MarketType.MONEYLINE for v in g.views)]
    others = [g for g in games if not any(v.kind == MarketType.MONEYLINE for v in g.views)]
    return with_moneyline, others


def _near_date(game: _Game, game_date: date | None) -> bool:
    """Whether a spread/total-only game belongs to a matched game's date (±1 day)."""
    if game.game_date is None or game_date is None:
        return False
    return abs((game.game_date - game_date).days) <= 1


def _components(pairs: list[_Pair]) -> list[list[_Pair]]:
    """Pairs that share a game, transitively: one list per game across all venues."""
    parent: dict[int, int] = {}

    def root(key: int) -> int:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for pair in pairs:
        parent[root(id(pair.left))] = root(id(pair.right))
    groups: dict[int, list[_Pair]] = defaultdict(list)
    for pair in pairs:
        groups[root(id(pair.left))].append(pair)
    return list(groups.values())


def _with(
    match: MatchResult, markets: tuple[Market, ...], links: tuple[ContractLink, ...]
) -> MatchResult:
    import attrs

    return attrs.evolve(match, markets=markets, links=links)
