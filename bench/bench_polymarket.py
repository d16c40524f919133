"""Polymarket hot paths, run by hand: ``python bench/bench_polymarket.py`` (figures in docs).

1. Apply one WS ``price_change`` to a local book and publish the updated OrderBook (target p99
   under 20 µs). 2. Parse a 500-market Gamma events page (target under 50 ms).
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from pathlib import Path

from arbkit_polymarket import parse
from arbkit_polymarket.stream import PolymarketDecoder

from arbkit.testing.fake_polymarket import game_event

SAMPLE = Path(__file__).parents[1] / "venues/polymarket/tests/fixtures"


def bench_price_change(rounds: int = 50_000) -> list[float]:
    event = game_event(0)
    markets = parse.parse_markets([event])
    token = markets[0].contracts[0].contract_id
    decoder = PolymarketDecoder(markets)
    levels = [{"price": f"0.{p:02d}", "size": "100"} for p in range(1, 50)]
    asks = [{"price": f"0.{p:02d}", "size": "100"} for p in range(51, 100)]
    decoder.feed({"event_type": "book", "asset_id": token, "bids": levels, "asks": asks})
    frames = []
    for i in range(rounds):
        size = str(100 + i % 7) if i % 5 else "0"  # one in five removes the level
        frames.append(
            {
                "event_type": "price_change",
                "timestamp": "1757908892351",
                "price_changes": [
                    {
                        "asset_id": token,
                        "price": "0.30",
                        "size": size,
                        "side": "BUY",
                        "best_bid": "0.49",
                        "best_ask": "0.51",
                    }
                ],
            }
        )
    samples = []
    clock = time.perf_counter_ns
    for frame in frames:
        start = clock()
        decoder.feed(frame)
        samples.append((clock() - start) / 1000)
    return samples


def bench_gamma_page(markets: int = 500, rounds: int = 20) -> list[float]:
    template = json.loads((SAMPLE / "polymarket_gamma_event_nfl_game.json").read_text())[0]
    events = []
    for i in range(markets // len(template["markets"])):
        event = copy.deepcopy(template)
        event["slug"] = f"nfl-t{i}-u{i}-2026-09-18"
        events.append(event)
    body = json.dumps({"events": events})
    samples = []
    for _ in range(rounds):
        decoded = json.loads(body)["events"]
        start = time.perf_counter()
        parsed = parse.parse_markets(decoded)
        samples.append((time.perf_counter() - start) * 1000)
    assert len(parsed) == markets
    return samples


def main() -> None:
    us = sorted(bench_price_change())
    p50, p99 = us[len(us) // 2], us[int(len(us) * 0.99)]
    print(f"price_change apply+publish: p50 {p50:.2f} µs, p99 {p99:.2f} µs (target p99 < 20)")
    ms = bench_gamma_page()
    print(
        f"500-market Gamma page (parse, after json.loads): median {statistics.median(ms):.1f} ms, "
        f"max {max(ms):.1f} ms (target < 50)"
    )


if __name__ == "__main__":
    main()
