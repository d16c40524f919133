"""A rig for the whole ``arbkit trade --live`` command against the two fake venues on loopback.

One game of the sample slate (Denver at Minnesota, NBA) is served on both fakes: Polymarket's
"Nuggets" asks 0.44 × 400 then 0.47 (wider than the sample's 0.47, so an edge survives both
venues' fees) and Kalshi's "MIN" YES asks 0.48 (NO bids 0.52); the gate sizes it to 179
contracts. Polymarket's book is the thinner within the limits, so it is leg 1 and Kalshi leg 2.
The fake Polymarket fills every order whole at its limit. Credentials come from the
environment, the venues' URLs from a config file, and the engine's wall clock is pinned to the
sample's capture time (the slate is in the past), as in tests/test_scan_live.py.

Run as a script (``python tests/trade_live_helpers.py [arbkit args...]``) it is ``arbkit``
itself (``arbkit.cli.main``: the console script's error handling) with the same pinned clock:
the child of the SIGKILL tests and the process of the refusal tests.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from arbkit.recordings import sample_dir
from arbkit.testing.fake_polymarket import book_payload

SAMPLE = sample_dir()
PM_SLUG = "nba-den-min-2026-11-24"
KX_EVENT = "KXNBAGAME-26NOV24DENMIN"
KX_MIN = f"{KX_EVENT}-MIN"
KX_CREATE = "/trade-api/v2/portfolio/events/orders"
#: Polymarket "Nuggets" book served (the sample's best ask was 0.47)
NUGGETS_BIDS = [("0.42", "500"), ("0.43", "400")]
NUGGETS_ASKS = [("0.44", "400"), ("0.47", "3000")]
#: The well-known first Hardhat/Anvil development key: public, never funded.
PM_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def load(*parts: str) -> Any:
    return json.loads(SAMPLE.joinpath(*parts).read_text())


def captured_at() -> str:
    return str(load("manifest.json")["captured_at"])


def pm_event() -> dict[str, Any]:
    return next(e for e in load("polymarket", "events.json") if e["slug"] == PM_SLUG)


def pm_tokens() -> dict[str, str]:
    """Outcome name → token id of the game's moneyline market."""
    market = pm_event()["markets"][0]
    return dict(
        zip(json.loads(market["outcomes"]), json.loads(market["clobTokenIds"]), strict=True)
    )


def stock_polymarket(fake: Any) -> None:
    """The one game, its two books, and a fill of every order at its limit."""
    fake.events = [pm_event()]
    fake.sports = [
        {"sport": "nba", "tags": "1,745,100639", "primaryTagId": 745, "ordering": "away"}
    ]
    tokens = set(pm_tokens().values())
    books = {b["asset_id"]: b for b in load("polymarket", "books.json") if b["asset_id"] in tokens}
    nuggets = pm_tokens()["Nuggets"]
    # wider than the sample's cross (0.47): enough edge after both venues' fees
    books[nuggets] = book_payload(nuggets, NUGGETS_BIDS, NUGGETS_ASKS)
    fake.books = books
    fake.fill_ratio = Decimal(1)
    fake.positions_from_trades = True


def stock_kalshi(fake: Any) -> None:
    for series in load("kalshi", "series.json"):
        if series["ticker"] == "KXNBAGAME":
            fake.add_series(series)
    for event in load("kalshi", "events.json"):
        if event["event_ticker"] == KX_EVENT:
            fake.add_event(event)
    for ticker, body in load("kalshi", "orderbooks.json").items():
        if ticker.startswith(KX_EVENT):
            book = body["orderbook_fp"]
            fake.set_book(ticker, book.get("yes_dollars") or [], book.get("no_dollars") or [])


def config_text(polymarket: Any, kalshi: Any, extra: str = "") -> str:
    return f"""
[venues.polymarket]
retry_backoff = 0.01

[venues.polymarket.urls]
gamma = "{polymarket.http_url}"
clob = "{polymarket.http_url}"
data = "{polymarket.http_url}"
ws = "{polymarket.ws_url}"

[venues.kalshi]
backoff_base = 0.01
backoff_cap = 0.05

[venues.kalshi.urls]
api = "{kalshi.base_url}"
ws = "{kalshi.websocket_url}"
{extra}
"""


def credentials_env(pem: str, key_id: str) -> dict[str, str]:
    """Both venues' credentials as ``ARBKIT_<VENUE>_<NAME>`` variables (docs/configuration.md)."""
    from arbkit.testing import fake_polymarket as fp

    return {
        "ARBKIT_KALSHI_API_KEY_ID": key_id,
        "ARBKIT_KALSHI_PRIVATE_KEY": pem,
        "ARBKIT_POLYMARKET_PRIVATE_KEY": PM_KEY,
        "ARBKIT_POLYMARKET_API_KEY": fp.API_KEY,
        "ARBKIT_POLYMARKET_API_SECRET": fp.API_SECRET,
        "ARBKIT_POLYMARKET_API_PASSPHRASE": fp.API_PASSPHRASE,
    }


def kalshi_creates(fake: Any) -> list[dict[str, Any]]:
    return [r.json() for r in fake.requests if r.path == KX_CREATE and r.method == "POST"]


def pm_posts(fake: Any) -> list[dict[str, Any]]:
    return [r.json() for r in fake.requests if r.path == "/order" and r.method == "POST"]


def duplicates(fake_kalshi: Any) -> dict[str, int]:
    """Client order ids Kalshi received more than once (an empty dict: none)."""
    counts = Counter(body["client_order_id"] for body in kalshi_creates(fake_kalshi))
    return {cid: n for cid, n in counts.items() if n > 1}


def pm_held(fake: Any) -> dict[str, Decimal]:
    """Shares per token the fake Polymarket's matched trades add up to (bought − sold)."""
    held: dict[str, Decimal] = {}
    for trade in fake.trades:
        size = Decimal(trade["size"]) * (1 if trade["side"] == "BUY" else -1)
        held[trade["asset_id"]] = held.get(trade["asset_id"], Decimal(0)) + size
    return {token: size for token, size in held.items() if size}


def kalshi_fee(price: Decimal, count: Decimal) -> Decimal:
    """Kalshi's taker fee: 0.07 × C × P × (1 − P), rounded up to the cent (venue formula)."""
    return (Decimal("0.07") * count * price * (1 - price)).quantize(
        Decimal("0.01"), rounding=ROUND_CEILING
    )


def pm_fee(price: Decimal, shares: Decimal) -> Decimal:
    """Polymarket's sports taker fee of this market: C × 0.05 × p × (1 − p), to 5 decimals
    (rounded up: venue-notes 1.6 says the venue floors; up is the conservative side)."""
    fee = shares * Decimal("0.05") * price * (1 - price)
    return fee.quantize(Decimal("0.00001"), rounding=ROUND_CEILING)


def pin_clock() -> None:
    """The engine's wall clock reads the sample's capture time (its games are in the past)."""
    from arbkit.clock import ReplayClock, parse_timestamp
    from arbkit.engine import session

    moment = parse_timestamp(captured_at())
    session.WallClock = lambda: ReplayClock(moment)  # type: ignore[assignment, misc]


def child(args: list[str]) -> int:
    """Run ``arbkit ARGS...`` in this process with the pinned clock (the SIGKILL test's child)."""
    pin_clock()
    from arbkit.cli import main

    sys.argv = ["arbkit", *args]
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(child(sys.argv[1:]))
