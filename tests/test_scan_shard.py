"""Shards and the scanner's hot path: appear / change / vanish, continuity, start cut-off."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from scan_helpers import START, book, game

from arbkit.clock import ReplayClock
from arbkit.scan.orchestrator import Scanner, ScanOptions
from arbkit.scan.shard import ChangeKind, GameShard
from arbkit.scan.strategies import CrossVenue
from arbkit.streaming import BookUpdate, ContinuityLost, ContinuityRestored

D = Decimal
GOOD_PM = book("polymarket", "tok-heat", [("0.40", "100")])
GOOD_K = book("kalshi", "K-MIA:no", [("0.50", "100")])
BAD_K = book("kalshi", "K-MIA:no", [("0.62", "100")])


class OneGameMatcher:
    def __init__(self, match):
        self.result = match

    def match(self, markets):
        return type("Report", (), {"matches": [self.result], "near_misses": []})()


def make_scanner(now) -> Scanner:
    match = game()
    scanner = Scanner(
        venues=[],
        matcher=OneGameMatcher(match),
        strategies=[CrossVenue()],
        clock=ReplayClock(now),
        options=ScanOptions(start_cutoff=timedelta(minutes=5)),
    )
    scanner.markets = list(match.markets)
    scanner.match()
    scanner.build_shards()
    return scanner


def kinds(changes):
    return [c.kind for c in changes]


def test_opportunity_appears_changes_and_vanishes():
    shard = GameShard(game(), [CrossVenue()])
    shard.set_book(GOOD_PM)
    assert kinds(shard.on_book(GOOD_K, None)) == [ChangeKind.APPEARED]
    assert shard.on_book(GOOD_K, None) == []  # nothing material changed
    deeper = book("kalshi", "K-MIA:no", [("0.49", "100")])
    assert kinds(shard.on_book(deeper, None)) == [ChangeKind.CHANGED]
    assert kinds(shard.on_book(BAD_K, None)) == [ChangeKind.VANISHED]
    assert shard.current == {}


def test_lost_continuity_withdraws_and_blocks_until_restored():
    scanner = make_scanner(START - timedelta(hours=2))
    assert scanner.apply(BookUpdate(GOOD_PM)) == []
    assert kinds(scanner.apply(BookUpdate(GOOD_K))) == [ChangeKind.APPEARED]
    lost = scanner.apply(ContinuityLost("kalshi", ("K-MIA:no", "K-MIA:yes"), "sequence gap"))
    assert kinds(lost) == [ChangeKind.SUSPENDED, ChangeKind.VANISHED]
    # A delta during the gap would show an edge: it must not be reported.
    assert scanner.apply(BookUpdate(GOOD_PM)) == []
    assert scanner.opportunities() == []
    restored = scanner.apply(ContinuityRestored("kalshi", ("K-MIA:no", "K-MIA:yes")))
    assert kinds(restored) == [ChangeKind.RESTORED, ChangeKind.APPEARED]


def test_a_book_flagged_discontinuous_suspends_the_game():
    scanner = make_scanner(START - timedelta(hours=2))
    scanner.apply(BookUpdate(GOOD_PM))
    scanner.apply(BookUpdate(GOOD_K))
    scanner.apply(ContinuityLost("kalshi", ("K-MIA:no",), "socket dropped"))
    fresh = book("kalshi", "K-MIA:no", [("0.50", "100")])
    assert kinds(scanner.apply(BookUpdate(fresh))) == [ChangeKind.RESTORED, ChangeKind.APPEARED]


def test_games_stop_at_the_start_cut_off_on_the_scanner_clock():
    scanner = make_scanner(START - timedelta(hours=2))
    scanner.apply(BookUpdate(GOOD_PM))
    scanner.apply(BookUpdate(GOOD_K))
    scanner.clock.advance_to(START - timedelta(minutes=4))  # inside the 5-minute cut-off
    changes = scanner.apply(BookUpdate(GOOD_K))
    assert kinds(changes) == [ChangeKind.VANISHED, ChangeKind.STOPPED]
    assert scanner.shards == {}


@pytest.mark.parametrize("minutes_before", [-10, 3])
def test_games_past_the_cut_off_are_not_watched_at_all(minutes_before):
    scanner = make_scanner(START - timedelta(minutes=minutes_before))
    assert scanner.shards == {}
    assert scanner.skipped and "cut-off" in scanner.skipped[0][1]


async def test_discovery_failing_on_every_venue_is_one_clear_error():
    from arbkit.errors import OperationFailed, VenueUnavailable
    from arbkit.venue import Venue

    class Down(Venue):
        name = "down"

        async def discover(self, query=None):
            raise VenueUnavailable("HTTP 503", venue="down")

    class Empty(Venue):
        name = "empty"

        async def discover(self, query=None):
            return []

    match = game()
    partial = Scanner(
        venues=[Down(), Empty()],
        matcher=OneGameMatcher(match),
        strategies=[],
        clock=ReplayClock(START),
    )
    assert await partial.discover() == []
    assert partial.failures == {"down": "down: HTTP 503"}
    total = Scanner(
        venues=[Down()], matcher=OneGameMatcher(match), strategies=[], clock=ReplayClock(START)
    )
    with pytest.raises(OperationFailed, match="no venue could be reached .*HTTP 503"):
        await total.discover()


def test_a_match_under_the_one_confidence_threshold_gets_no_shard():
    doubtful = game(confidence=0.6)
    scanner = Scanner(
        venues=[],
        matcher=OneGameMatcher(doubtful),
        strategies=[CrossVenue()],
        clock=ReplayClock(START - timedelta(hours=2)),
        options=ScanOptions(min_confidence=0.9),
    )
    scanner.markets = list(doubtful.markets)
    assert scanner.match() == []
    assert scanner.skipped == [(doubtful.game_id, "match confidence 0.60")]
    assert scanner.build_shards() == [] and scanner.shards == {}


def test_a_fee_change_mid_stream_reprices_the_game_at_once():
    from scan_helpers import CashFee

    from arbkit.fees import NoFees
    from arbkit.streaming import FeesChanged

    scanner = make_scanner(START - timedelta(hours=2))
    # 0.47 + 0.51 = 0.98 gross; fees 0.012455 (Polymarket) + 0.017493 (Kalshi) eat it.
    scanner.apply(BookUpdate(book("polymarket", "tok-heat", [("0.47", "100")])))
    assert scanner.apply(BookUpdate(book("kalshi", "K-MIA:no", [("0.51", "100")]))) == []
    other = scanner.apply(FeesChanged("kalshi", ("K-OTHER",), NoFees(), "another event"))
    assert other == []
    waived = scanner.apply(FeesChanged("kalshi", ("K-MIA",), NoFees(), "event fee waiver"))
    assert kinds(waived) == [ChangeKind.APPEARED]
    [opp] = scanner.opportunities()
    k_leg = next(leg for leg in opp.legs if leg.venue == "kalshi")
    assert k_leg.fee == 0
    # The waiver ends: the series fee is back and the edge is gone again.
    restored = scanner.apply(FeesChanged("kalshi", ("K-MIA",), CashFee(), "waiver over"))
    assert kinds(restored) == [ChangeKind.VANISHED]


def test_a_game_whose_start_is_unknown_is_never_taken_for_a_future_game():
    from attrs import evolve

    now = START - timedelta(hours=2)  # 22:30 ET on the game's date
    today = game().game_date
    untimed_today = evolve(game(), start_time=None, game_date=today)
    untimed_tomorrow = evolve(
        game(league="NHL"), start_time=None, game_date=today + timedelta(days=1)
    )
    undated = evolve(game(league="NFL"), start_time=None, game_date=None)

    class Report:
        matches = [untimed_today, untimed_tomorrow, undated]

    class Matcher:
        def match(self, markets):
            return Report()

    scanner = Scanner(
        venues=[],
        matcher=Matcher(),
        strategies=[CrossVenue()],
        clock=ReplayClock(now),
        options=ScanOptions(lookahead=None),
    )
    assert [m.game_id for m in scanner.match()] == [untimed_tomorrow.game_id]
    reasons = dict(scanner.skipped)
    assert reasons[untimed_today.game_id] == "start time unknown: it may already have begun"
    assert reasons[undated.game_id] == "start time unknown: it may already have begun"
    # a market with neither a start time nor a date never even reaches the matcher
    bare = evolve(game().markets[0], start_time=None, game_date=None)
    assert not scanner._wanted(bare)
    assert scanner._wanted(evolve(bare, game_date=today + timedelta(days=1)))
