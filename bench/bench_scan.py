"""Benchmark the scan hot path: one book update → its game's strategies → changes.

Builds a synthetic slate of games (real fee models of both venues, ~10 levels per side), then
applies pre-built book updates through ``Scanner.apply`` and reports per-update latency
percentiles, sustained updates per second and peak RSS.

    python bench/bench_scan.py [--games 500] [--updates 10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from arbkit_kalshi.fees import KalshiFees
from arbkit_polymarket.fees import PolymarketFees

from arbkit.clock import ReplayClock
from arbkit.models import Contract, ContractLink, Market, MatchResult, OrderBook, Relation
from arbkit.scan.orchestrator import Scanner, ScanOptions
from arbkit.scan.strategies import CompleteSet, CrossVenue
from arbkit.streaming import BookUpdate

D = Decimal
NOW = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def make_game(index: int) -> MatchResult:
    start = NOW + timedelta(hours=2)
    pm_id, k_id = f"pm-{index}", f"K{index}-AAA"
    a = Contract(
        venue="polymarket",
        contract_id=f"{pm_id}-a",
        market_id=pm_id,
        outcome="A",
        subject="A",
        complement_id=f"{pm_id}-b",
    )
    b = Contract(
        venue="polymarket",
        contract_id=f"{pm_id}-b",
        market_id=pm_id,
        outcome="B",
        subject="B",
        complement_id=f"{pm_id}-a",
    )
    yes = Contract(
        venue="kalshi",
        contract_id=f"{k_id}:yes",
        market_id=k_id,
        outcome="A",
        subject="A",
        complement_id=f"{k_id}:no",
    )
    no = Contract(
        venue="kalshi",
        contract_id=f"{k_id}:no",
        market_id=k_id,
        outcome="not A",
        subject="A",
        negated=True,
        complement_id=f"{k_id}:yes",
    )
    pm = Market(
        venue="polymarket",
        market_id=pm_id,
        event_id=pm_id,
        title="A vs. B",
        league="NBA",
        start_time=start,
        contracts=(a, b),
        fees=PolymarketFees(rate=D("0.03")),
        size_increment=D("0.01"),
        min_size=D(5),
    )
    kalshi = Market(
        venue="kalshi",
        market_id=k_id,
        event_id=k_id,
        title="A at B",
        league="NBA",
        contracts=(yes, no),
        fees=KalshiFees(),
    )
    link = ContractLink(left=a, right=yes, relation=Relation.SAME, confidence=0.99)
    return MatchResult(
        game_id=f"NBA:{index}",
        league="NBA",
        game_date=date(2026, 11, 24),
        start_time=start,
        title="A at B",
        markets=(pm, kalshi),
        links=(link,),
        confidence=0.99,
    )


FAIR: dict[str, int] = {}


def make_book(rng: random.Random, venue: str, contract_id: str) -> OrderBook:
    """Asks near the game's fair price plus a spread, jittered so edges come and go."""
    game = contract_id.rsplit("-", 1)[0].split(":")[0].removeprefix("pm-").removeprefix("K")
    fair = FAIR.setdefault(game, rng.randint(25, 75))
    claims_a = contract_id.endswith(("-a", ":yes"))
    cents = (fair if claims_a else 100 - fair) + rng.choice([-2, -1, 0, 1, 1, 2, 2, 3])
    best = D(max(2, min(98, cents))) / 100
    asks = tuple((best + D(i) / 100, D(rng.randint(10, 2000))) for i in range(10))
    bids = tuple((best - D(i + 1) / 100, D(rng.randint(10, 2000))) for i in range(10))
    return OrderBook(venue=venue, contract_id=contract_id, asks=asks, bids=bids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--updates", type=int, default=10000)
    args = parser.parse_args()
    rng = random.Random(7)
    games = [make_game(i) for i in range(args.games)]

    class Matcher:
        def match(self, markets):
            return type("Report", (), {"matches": games})()

    scanner = Scanner(
        venues=[],
        matcher=Matcher(),
        strategies=[CrossVenue(), CompleteSet()],
        clock=ReplayClock(NOW),
        options=ScanOptions(),
    )
    scanner.match()
    scanner.build_shards()
    contracts = [(c.venue, c.contract_id) for g in games for m in g.markets for c in m.contracts]
    for venue, contract_id in contracts:
        scanner.apply(BookUpdate(make_book(rng, venue, contract_id)))
    updates = [BookUpdate(make_book(rng, *rng.choice(contracts))) for _ in range(args.updates)]

    latencies = []
    changes = 0
    started = time.perf_counter()
    for update in updates:
        t0 = time.perf_counter_ns()
        changes += len(scanner.apply(update))
        latencies.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - started
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000  # noqa: E731
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"games={args.games} updates={args.updates} changes={changes}")
    print(
        f"per update: p50={p(0.50):.1f}us p99={p(0.99):.1f}us max={latencies[-1] / 1000:.1f}us "
        f"mean={statistics.mean(latencies) / 1000:.1f}us"
    )
    print(
        f"throughput: {args.updates / elapsed:,.0f} updates/s on one core; peak RSS {rss_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
