"""Kalshi hot paths, run by hand: ``python bench/bench_kalshi.py``.

1. Applying one ``orderbook_delta`` to a local book (target p99 < 20 µs): a 2 × 25-level book,
   deltas that change, add and remove levels on both sides, timed twice: applied to the local
   book only (``apply_delta``), and applied then published as the two contract books (YES and
   NO) the scanner reads (``feed``). Bursts of three deltas share an exchange timestamp.
2. Signing one request (RSA-PSS SHA-256, 2048-bit key; target < 1 ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from arbkit_kalshi.auth import KalshiSigner
from arbkit_kalshi.stream import KalshiStreamDecoder
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from arbkit import Secret

TICKER = "KXNBAGAME-26JUN13NYKSAS-SAS"


def percentile(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # µs


def bench_deltas(count: int, *, publish: bool = True) -> list[int]:
    """Time each delta: applied to the local book only, or applied and published as books."""
    decoder = KalshiStreamDecoder([TICKER])
    yes = [[f"{p / 100:.4f}", "100.00"] for p in range(30, 55)]
    no = [[f"{p / 100:.4f}", "100.00"] for p in range(20, 45)]
    decoder.feed(
        {
            "type": "orderbook_snapshot",
            "sid": 1,
            "seq": 1,
            "msg": {"market_ticker": TICKER, "yes_dollars_fp": yes, "no_dollars_fp": no},
        }
    )
    rng = random.Random(7)
    held: dict[tuple[str, str], int] = {}
    messages = []
    for seq in range(2, count + 2):
        side = rng.choice(("yes", "no"))
        low = 30 if side == "yes" else 20
        price = f"{rng.randint(low - 3, low + 27) / 100:.4f}"
        have = held.get((side, price), 100 if low <= float(price) * 100 < low + 25 else 0)
        change = rng.randint(-have, 150) or 1  # below 0 would be a continuity loss, not a delta
        held[(side, price)] = have + change
        amount = f"{change}.00"
        messages.append(
            {
                "type": "orderbook_delta",
                "sid": 1,
                "seq": seq,
                "msg": {
                    "market_ticker": TICKER,
                    "price_dollars": price,
                    "delta_fp": amount,
                    "side": side,
                    "ts_ms": 1790000000000 + seq // 3,  # bursts of three share a timestamp
                },
            }
        )
    timings = []
    clock = time.perf_counter_ns
    if not publish:
        for message in messages:
            start = clock()
            changed = decoder.apply_delta(message)
            timings.append(clock() - start)
            assert changed == TICKER, changed
        return timings
    for message in messages:
        start = clock()
        events = decoder.feed(message)
        timings.append(clock() - start)
        assert len(events) == 2, events
    return timings


def bench_signing(count: int) -> list[int]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    signer = KalshiSigner(Secret("bench-key-id"), Secret(pem))
    timings = []
    for _ in range(count):
        start = time.perf_counter_ns()
        signer.headers("POST", "/trade-api/v2/portfolio/events/orders")
        timings.append(time.perf_counter_ns() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=200_000)
    parser.add_argument("--signatures", type=int, default=2_000)
    args = parser.parse_args()
    for name, timings in (
        ("orderbook_delta → local book", bench_deltas(args.deltas, publish=False)),
        ("orderbook_delta → 2 books", bench_deltas(args.deltas)),
        ("sign one request", bench_signing(args.signatures)),
    ):
        print(
            f"{name:28s} n={len(timings):7d} p50={percentile(timings, 0.5):8.2f} µs "
            f"p99={percentile(timings, 0.99):8.2f} µs "
            f"mean={statistics.fmean(timings) / 1000:8.2f} µs"
        )


if __name__ == "__main__":
    main()
