"""Matching benchmark (run by hand): dev-set precision/recall, lookup p99, 5,000 x 5,000 pairing.

    /work/venv/bin/python bench/bench_matching.py

Figures go in docs/performance.md (section "Matching").
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from matching_devset import markets as dev_markets  # noqa: E402
from matching_devset import pairs, token_id  # noqa: E402

from arbkit import Contract, Market, MarketType  # noqa: E402
from arbkit.matching import MatchingService  # noqa: E402
from arbkit.plugins import make_plugin_manager  # noqa: E402


def dev_set(service: MatchingService) -> None:
    report = service.match(dev_markets())
    links = {(k.left.contract_id, k.right.contract_id): k.relation.value for k in report.links}
    tp = fp = fn = wrong = 0
    for pair in pairs():
        outcome = pair.get("poly_outcome")
        key = (token_id(pair["poly"], outcome), pair["kalshi"] + ":yes") if outcome else None
        found = links.get(key) if key else None
        if pair["label"] == "different":
            fp += found is not None
        elif found is None:
            fn += 1
        else:
            tp += 1
            wrong += found != ("same" if pair["label"] == "same_game_same_side" else "opposite")
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"dev set: {tp} true, {fp} false, {fn} missed, {wrong} wrong side")
    print(f"  precision {precision:.3f}  recall {tp / (tp + fn):.3f}")


def lookups(service: MatchingService) -> None:
    book = service.book
    queries = [(t.name, lg) for lg in ("NBA", "NFL", "NHL", "MLB") for t in book.teams(lg)]
    queries += [(t.nickname or t.name, lg) for lg in ("NBA", "NHL") for t in book.teams(lg)]
    queries += [("Los Angeles C", "NBA"), ("LA Kings", "NHL"), ("Trailblazers", "NBA")]
    for text, league in queries:  # warm-up
        book.lookup(text, league)
    samples = []
    for _ in range(50):
        for text, league in queries:
            start = time.perf_counter_ns()
            book.lookup(text, league)
            samples.append(time.perf_counter_ns() - start)
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    print(f"team lookup: {len(samples)} lookups, p50 {p50:.2f} us, p99 {p99:.2f} us")


def slate(service: MatchingService, games: int = 2500) -> None:
    """5,000 Polymarket + 5,000 Kalshi moneyline markets: 2,500 games over 60 days, 4 leagues."""
    rng = random.Random(7)
    leagues = ["NBA", "NFL", "NHL", "MLB"]
    poly: list[Market] = []
    kalshi: list[Market] = []
    base = date(2026, 1, 1)
    for n in range(games):
        league = leagues[n % 4]
        teams = list(service.book.teams(league))
        away, home = rng.sample(teams, 2)
        day = base + timedelta(days=rng.randrange(60))
        start = datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC)
        codes = (away.codes["polymarket"][0].lower(), home.codes["polymarket"][0].lower())
        slug = f"{league.lower()}-{codes[0]}-{codes[1]}-{day}"
        # Polymarket: a moneyline (two tokens) and a spread per game: 2 markets a game.
        for kind in ("", "-spread-home-1pt5"):
            mid = slug + kind
            poly.append(
                Market(
                    venue="polymarket",
                    market_id=mid,
                    event_id=slug,
                    title="x",
                    market_type=MarketType.SPREAD if kind else MarketType.MONEYLINE,
                    league=league,
                    start_time=start,
                    game_date=day,
                    away=away.nickname,
                    home=home.nickname,
                    contracts=tuple(
                        Contract(
                            venue="polymarket",
                            contract_id=f"{mid}:{t.id}",
                            market_id=mid,
                            outcome=t.nickname or t.name,
                            subject=t.nickname or t.name,
                        )
                        for t in (away, home)
                    ),
                )
            )
        code = f"{away.codes['kalshi'][0]}{home.codes['kalshi'][0]}"
        event = f"KX{league}GAME-{day:%y}{day.strftime('%b').upper()}{day:%d}{code}"
        for team in (away, home):
            ticker = f"{event}-{team.codes['kalshi'][0]}"
            label = next(a for a in (*team.aliases, team.city or team.name))
            kalshi.append(
                Market(
                    venue="kalshi",
                    market_id=ticker,
                    event_id=event,
                    title="x",
                    league=league,
                    game_date=day,
                    away=None,
                    home=None,
                    contracts=(
                        Contract(
                            venue="kalshi",
                            contract_id=f"{ticker}:yes",
                            market_id=ticker,
                            outcome=label,
                            subject=label,
                        ),
                        Contract(
                            venue="kalshi",
                            contract_id=f"{ticker}:no",
                            market_id=ticker,
                            outcome=f"not {label}",
                            subject=label,
                            negated=True,
                        ),
                    ),
                )
            )
    runs = []
    for _ in range(3):
        start_ns = time.perf_counter()
        report = service.match(poly + kalshi)
        runs.append(time.perf_counter() - start_ns)
    print(
        f"slate: {len(poly)} Polymarket x {len(kalshi)} Kalshi markets -> "
        f"{len(report.matches)} games, {len(report.links)} links, {len(report.skipped)} skipped; "
        f"median {statistics.median(runs):.3f} s"
    )


def main() -> None:
    service = MatchingService.from_plugins(make_plugin_manager(load_entrypoints=False))
    dev_set(service)
    lookups(service)
    slate(service)


if __name__ == "__main__":
    main()
