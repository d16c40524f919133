"""The scanner: discover games on every venue, match them, run one shard per game.

The loop is one direction: venues → markets → the matching service → shards → strategies →
changes. Every time rule (look-ahead window, start cut-off) asks the scanner's clock, which is
the recording's clock in a replay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from attrs import field, frozen

from arbkit.clock import Clock
from arbkit.errors import ArbkitError, OperationFailed
from arbkit.matching.scoring import DEFAULT_MIN_CONFIDENCE
from arbkit.models import Market, MarketType, MatchResult, Opportunity
from arbkit.scan.shard import Change, GameShard
from arbkit.strategy import Strategy
from arbkit.streaming import BookUpdate, ContinuityLost, ContinuityRestored, FeesChanged
from arbkit.venue import DiscoveryQuery, Venue

log = logging.getLogger(__name__)
EASTERN = ZoneInfo("America/New_York")


class Matcher(Protocol):
    def match(self, markets: Sequence[Market]) -> Any:
        """A report with ``.matches`` (MatchResult list)."""
        ...


@frozen(kw_only=True)
class ScanOptions:
    """What to scan and when a game stops being watched."""

    leagues: frozenset[str] = frozenset()
    lookahead: timedelta | None = timedelta(hours=48)  #: ignore games starting later than this
    start_cutoff: timedelta = timedelta(0)  #: stop watching a game this long before its start
    min_confidence: float = DEFAULT_MIN_CONFIDENCE  #: the one threshold (the matcher's too)
    rediscover_every: timedelta | None = None  #: live runs: look for new games this often
    market_types: frozenset[MarketType] = field(factory=lambda: frozenset({MarketType.MONEYLINE}))


class Scanner:
    """Discover → match → shards → changes: the pipeline an :class:`arbkit.engine.Engine` runs.

    It holds no loop of its own: the engine feeds it stream events (:meth:`apply`) and decides
    when to re-discover (:meth:`refresh`).
    """

    def __init__(
        self,
        *,
        venues: Sequence[Venue],
        matcher: Matcher,
        strategies: Sequence[Strategy],
        clock: Clock,
        options: ScanOptions | None = None,
        progress: Callable[[str], None] | None = None,
        on_event: Callable[[object], None] | None = None,
    ) -> None:
        self.venues = list(venues)
        self.matcher = matcher
        self.strategies = list(strategies)
        self.clock = clock
        self.options = options or ScanOptions()
        self.progress = progress or (lambda message: None)
        self.on_event = on_event  #: sees every stream event first (``--record``)
        self.markets: list[Market] = []
        self.matches: list[MatchResult] = []
        #: the last match's near-misses (the matcher's report), for reviewing matches
        self.near_misses: list[Any] = []
        self.shards: dict[str, GameShard] = {}
        self._by_contract: dict[str, GameShard] = {}
        self.skipped: list[tuple[str, str]] = []  #: (game, reason) not watched, for the user
        self._cutoff_at: datetime | None = None  #: the earliest start cut-off of a watched game
        self.failures: dict[str, str] = {}  #: venue → why its discovery failed

    # -- discovery and matching ----------------------------------------------------------------

    async def discover(self) -> list[Market]:
        query = DiscoveryQuery(leagues=self.options.leagues)

        async def one(venue: Venue) -> list[Market]:
            self.progress(f"discovering {venue.name} ...")
            markets = await venue.discover(query)
            self.progress(f"{venue.name}: {len(markets)} markets")
            return markets

        results = await asyncio.gather(*(one(v) for v in self.venues), return_exceptions=True)
        markets: list[Market] = []
        failed: dict[str, str] = {}
        for venue, result in zip(self.venues, results, strict=True):
            if isinstance(result, ArbkitError):
                log.info("%s: discovery failed: %s", venue.name, result)
                failed[venue.name] = str(result)
                self.progress(f"{venue.name}: discovery failed: {result}")
                continue
            if isinstance(result, BaseException):
                raise result
            self.failures.pop(venue.name, None)  # it recovered: an old outage no longer counts
            markets.extend(result)
        self.failures.update(failed)
        if self.venues and len(failed) == len(self.venues):
            details = "; ".join(failed.values())
            raise OperationFailed(f"no venue could be reached ({details})")
        self.markets = [m for m in markets if self._wanted(m)]
        return self.markets

    def _wanted(self, market: Market) -> bool:
        if market.market_type not in self.options.market_types or not market.active:
            return False
        if self.options.leagues and market.league not in self.options.leagues:
            return False
        return self._in_window(market.start_time, market.game_date)

    def _in_window(self, start: datetime | None, game_date: Any) -> bool:
        """Whether a market may be for a game still ahead: it needs a start time or a date.

        A market with neither is never treated as a future game. A date alone keeps it for
        matching (another venue may know the start); :meth:`match` then decides.
        """
        now = self.clock.now()
        if start is not None:
            if start - self.options.start_cutoff <= now:
                return False
            return self.options.lookahead is None or start <= now + self.options.lookahead
        if game_date is None:
            return False
        today = now.astimezone(EASTERN).date()
        if game_date < today:
            return False
        if self.options.lookahead is not None:
            return game_date <= (now + self.options.lookahead).astimezone(EASTERN).date()
        return True

    def _unknown_start_may_have_begun(self, result: MatchResult) -> bool:
        """No venue gave a start time: only a game dated after today (ET) is surely ahead."""
        if result.start_time is not None:
            return False
        today = self.clock.now().astimezone(EASTERN).date()
        return result.game_date is None or result.game_date <= today

    def match(self) -> list[MatchResult]:
        self.progress(f"matching {len(self.markets)} markets ...")
        report = self.matcher.match(self.markets)
        self.near_misses = list(getattr(report, "near_misses", None) or ())
        self.skipped = []
        kept = []
        for result in report.matches:
            if result.confidence < self.options.min_confidence:
                self.skipped.append((result.game_id, f"match confidence {result.confidence:.2f}"))
            elif self._unknown_start_may_have_begun(result):
                self.skipped.append(
                    (result.game_id, "start time unknown: it may already have begun")
                )
            elif not self._in_window(result.start_time, result.game_date):
                self.skipped.append((result.game_id, "starts before the cut-off"))
            else:
                kept.append(result)
        self.matches = kept
        self.progress(f"{len(kept)} games matched across venues")
        return kept

    # -- shards and books ----------------------------------------------------------------------

    def build_shards(self) -> list[Change]:
        """Bring the shards in line with the current matches: start new games, stop gone ones.

        Shards of games still matched keep their books; returns the STOPPED changes.
        """
        now = self.clock.now()
        current = {result.game_id: result for result in self.matches}
        changes: list[Change] = []
        for game_id in [g for g in self.shards if g not in current]:
            changes += self._remove_shard(game_id, now, "no longer listed on every venue")
        for game_id, result in current.items():
            shard = self.shards.get(game_id)
            if shard is None:
                shard = GameShard(result, self.strategies)
                self.shards[game_id] = shard
            elif shard.state.match != result:  # rediscovered: fresh markets, fees and contracts
                for contract_id in shard.contract_ids():
                    self._by_contract.pop(contract_id, None)
                changes += shard.rematch(result, now)
            for contract_id in shard.contract_ids():
                self._by_contract[contract_id] = shard
        self._cutoff_at = self._next_cutoff()
        return changes

    def _remove_shard(self, game_id: str, now: datetime, reason: str) -> list[Change]:
        shard = self.shards.pop(game_id)
        for contract_id in shard.contract_ids():
            self._by_contract.pop(contract_id, None)
        return shard.stop(now, reason)

    def markets_by_venue(self) -> dict[str, list[Market]]:
        grouped: dict[str, list[Market]] = {}
        for result in self.matches:
            for market in result.markets:
                grouped.setdefault(market.venue, []).append(market)
        return grouped

    async def load_books(self, games: set[str] | None = None) -> None:
        """Fetch the current book of every contract of the matched games (or just ``games``)."""
        grouped: dict[str, list[Market]] = {}
        for result in self.matches:
            if games is None or result.game_id in games:
                for market in result.markets:
                    grouped.setdefault(market.venue, []).append(market)
        venues = {v.name: v for v in self.venues}
        self.progress("fetching order books ...")
        tasks = {
            name: venues[name].fetch_books(ms) for name, ms in grouped.items() if name in venues
        }
        results = await asyncio.gather(*tasks.values(), return_exceptions=True)
        for name, result in zip(tasks, results, strict=True):
            if isinstance(result, ArbkitError):
                log.info("%s: books failed: %s", name, result)
                self.failures[name] = str(result)
                self.progress(f"{name}: books failed: {result}")
                continue
            if isinstance(result, BaseException):
                raise result
            self.failures.pop(name, None)
            for book in result.values():
                shard = self._by_contract.get(book.contract_id)
                if shard is not None:
                    shard.set_book(book)

    async def prepare(self) -> None:
        await self.discover()
        self.match()
        self.build_shards()
        await self.load_books()

    # -- results -----------------------------------------------------------------------------------

    def evaluate_all(self) -> list[Change]:
        now = self.clock.now()
        changes: list[Change] = []
        for shard in self.shards.values():
            changes += shard.evaluate(now)
        return changes

    def opportunities(self) -> list[Opportunity]:
        """Every currently reported opportunity, most profitable first."""
        found = [o for shard in self.shards.values() for o in shard.current.values()]
        return sorted(found, key=lambda o: (o.expected_profit, o.net_edge), reverse=True)

    async def refresh(self) -> list[Change]:
        """Re-discover and re-match (live runs, on a schedule).

        New games get shards and books, games no longer matched are stopped, games still matched
        take their fresh markets (fees, tick sizes) and keep their books. If no venue answers,
        the watch goes on with what it has and tries again next time.
        """
        try:
            await self.discover()
        except OperationFailed as exc:
            log.warning("rediscovery failed, keeping the current games: %s", exc)
            self.progress(f"rediscovery failed, keeping the current games: {exc}")
            return []
        changes, fresh = self.rematch()
        return changes + await self.start_games(fresh)

    def rematch(self, matcher: Matcher | None = None) -> tuple[list[Change], set[str]]:
        """Match the markets already discovered again — with ``matcher`` from now on, say one
        that reads overrides stored since — and bring the shards in line.

        Returns the changes (a game no longer matched is STOPPED, its opportunities vanish) and
        the games newly watched, whose books :meth:`start_games` fetches.
        """
        if matcher is not None:
            self.matcher = matcher
        known = {c for shard in self.shards.values() for c in shard.contract_ids()}
        self.match()
        changes = self.build_shards()
        fresh = {
            game_id
            for game_id, shard in self.shards.items()
            if any(c not in known for c in shard.contract_ids())
        }
        return changes, fresh

    async def start_games(self, games: set[str]) -> list[Change]:
        """Fetch the books of newly watched ``games`` and evaluate each once."""
        games = {g for g in games if g in self.shards}
        if not games:
            return []
        await self.load_books(games)
        now = self.clock.now()
        changes: list[Change] = []
        for game_id in sorted(games):
            if game_id in self.shards:  # still watched after the (awaited) fetch
                changes += self.shards[game_id].evaluate(now)
        return changes

    def apply(self, event: object) -> list[Change]:
        """The hot path: one stream event → its game's shard → changes."""
        now = self.clock.now()
        if self.on_event is not None:
            self.on_event(event)
        changes = self._stop_started(now)
        if isinstance(event, BookUpdate):
            shard = self._by_contract.get(event.book.contract_id)
            if shard is not None:
                changes += shard.on_book(event.book, now)
        elif isinstance(event, ContinuityLost):
            for shard in self._shards_for(event.contract_ids):
                changes += shard.on_continuity_lost(event.contract_ids, now, event.reason)
        elif isinstance(event, ContinuityRestored):
            for shard in self._shards_for(event.contract_ids):
                changes += shard.on_continuity_restored(event.contract_ids, now)
        elif isinstance(event, FeesChanged):
            for shard in list(self.shards.values()):  # rare: any game may hold these markets
                changes += shard.on_fees_changed(event.venue, event.market_ids, event.fees, now)
        return changes

    def shard_for(self, contract_id: str) -> GameShard | None:
        """The shard watching ``contract_id``, if any."""
        return self._by_contract.get(contract_id)

    def _shards_for(self, contract_ids: Sequence[str]) -> list[GameShard]:
        shards = {id(s): s for c in contract_ids if (s := self._by_contract.get(c)) is not None}
        return list(shards.values())

    def _next_cutoff(self) -> datetime | None:
        starts = [
            s.state.match.start_time - self.options.start_cutoff
            for s in self.shards.values()
            if s.state.match.start_time is not None
        ]
        return min(starts) if starts else None

    def _stop_started(self, now: datetime) -> list[Change]:
        if self._cutoff_at is None or now < self._cutoff_at:
            return []
        changes: list[Change] = []
        for game_id, shard in list(self.shards.items()):
            start = shard.state.match.start_time
            if start is not None and start - self.options.start_cutoff <= now:
                changes += self._remove_shard(game_id, now, "game start cut-off reached")
        self._cutoff_at = self._next_cutoff()
        return changes
