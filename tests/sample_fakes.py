"""Both fake venues on loopback serving the sample slate, and the live clients pointed at them.

The same games, books and fees as ``--sample``, but discovered over HTTP (Gamma keyset pages,
Kalshi cursor pages of five, series), books fetched over REST and streams on websockets, through
the venues' live clients (tests/test_scan_live.py, tests/test_record_live.py). The slate is in
the past: a clock at :data:`CAPTURED` says when.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from arbkit_kalshi.venue import KalshiVenue
from arbkit_polymarket.venue import PolymarketVenue

from arbkit.clock import Clock, parse_timestamp
from arbkit.recordings import sample_dir
from arbkit.testing.fake_kalshi import FakeKalshi
from arbkit.testing.fake_polymarket import FakePolymarket
from arbkit.venue import VenueSettings

SAMPLE = sample_dir()
#: Polymarket's sports list for the sample's leagues (Gamma ``/sports``).
SPORTS = [
    {"sport": "nba", "tags": "1,745,100639", "primaryTagId": 745, "ordering": "away"},
    {"sport": "nhl", "tags": "1,899,100639", "primaryTagId": 899, "ordering": "away"},
    {"sport": "cbb", "tags": "1,101178,100639", "primaryTagId": 101178, "ordering": "away"},
]


def load(*parts: str) -> Any:
    """A file of the shipped sample, parsed."""
    return json.loads(SAMPLE.joinpath(*parts).read_text())


CAPTURED = parse_timestamp(load("manifest.json")["captured_at"])


@contextmanager
def serving_the_sample(rsa_key: Any) -> Iterator[tuple[FakePolymarket, FakeKalshi]]:
    """The two fakes stocked with the sample's events, series and books, serving until exit."""
    polymarket = FakePolymarket(events=0)
    polymarket.events = load("polymarket", "events.json")
    polymarket.sports = SPORTS
    polymarket.books = {book["asset_id"]: book for book in load("polymarket", "books.json")}
    kalshi = FakeKalshi(rsa_key.public_key(), "unused-key-id", page_size=5)
    for series in load("kalshi", "series.json"):
        kalshi.add_series(series)
    for event in load("kalshi", "events.json"):
        kalshi.add_event(event)
    for ticker, body in load("kalshi", "orderbooks.json").items():
        book = body["orderbook_fp"]
        kalshi.set_book(ticker, book.get("yes_dollars") or [], book.get("no_dollars") or [])
    with polymarket, kalshi:
        yield polymarket, kalshi


def base_urls(polymarket: FakePolymarket, kalshi: FakeKalshi) -> dict[str, dict[str, str]]:
    """Each venue's ``[venues.NAME.urls]``: the fakes' addresses."""
    return {
        "polymarket": {
            "gamma": polymarket.http_url,
            "clob": polymarket.http_url,
            "ws": polymarket.ws_url,
        },
        "kalshi": {"api": kalshi.base_url, "ws": kalshi.websocket_url},
    }


def urls_config(polymarket: FakePolymarket, kalshi: FakeKalshi) -> str:
    """A config file's text pointing both venues at the fakes (no account)."""
    sections = []
    for venue, urls in base_urls(polymarket, kalshi).items():
        lines = "\n".join(f'{name} = "{url}"' for name, url in urls.items())
        sections.append(f"[venues.{venue}.urls]\n{lines}\n")
    return "\n".join(sections)


def live_venues(
    polymarket: FakePolymarket, kalshi: FakeKalshi, clock: Clock | None = None
) -> tuple[PolymarketVenue, KalshiVenue]:
    """The venues' live clients, without credentials, talking to the fakes."""
    urls = base_urls(polymarket, kalshi)
    return (
        PolymarketVenue(VenueSettings(base_urls=urls["polymarket"]), clock=clock),
        KalshiVenue(VenueSettings(base_urls=urls["kalshi"]), clock=clock),
    )
