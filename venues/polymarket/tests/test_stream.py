"""The market-channel decoder, and the live stream against the fake over a real websocket."""

from __future__ import annotations

import asyncio
import copy
import json
from decimal import Decimal

from arbkit_polymarket import parse
from arbkit_polymarket.stream import PolymarketDecoder

from arbkit import BookUpdate, ContinuityLost, ContinuityRestored, TradePrint

D = Decimal


def decoder_for(load) -> tuple[PolymarketDecoder, dict]:
    book = load("polymarket_ws_book.json")
    event = load("polymarket_gamma_event_nfl_game.json")[0]
    market = event["markets"][0]
    other = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
    market["clobTokenIds"] = json.dumps([book["asset_id"], other])
    markets = parse.parse_markets([event])[:1]
    return PolymarketDecoder(markets), book


def test_snapshot_restores_then_price_change_sets_absolute_sizes(load) -> None:
    decoder, book = decoder_for(load)
    token = book["asset_id"]
    events = decoder.feed(book)
    assert isinstance(events[0], BookUpdate) and events[1] == ContinuityRestored(
        "polymarket", (token,)
    )
    change = {
        "event_type": "price_change",
        "timestamp": "1757908892400",
        "price_changes": [
            {
                "asset_id": token,
                "price": "0.50",
                "size": "7",
                "side": "BUY",
                "best_bid": "0.50",
                "best_ask": "0.52",
            },
            {
                "asset_id": token,
                "price": "0.52",
                "size": "0",
                "side": "SELL",
                "best_bid": "0.50",
                "best_ask": "0.53",
            },
        ],
    }
    (update,) = decoder.feed(change)
    assert update.book.bids[0] == (D("0.50"), D("7"))  # set, not added to 15
    assert update.book.asks[0] == (D("0.53"), D("60"))  # 0.52 removed
    assert update.book.continuous


def test_sample_price_change_frame_covers_two_assets(load) -> None:
    frame = load("polymarket_ws_price_change.json")
    tokens = [c["asset_id"] for c in frame["price_changes"]]
    event = load("polymarket_gamma_event_nfl_game.json")[0]
    event["markets"][0]["clobTokenIds"] = f'["{tokens[0]}", "{tokens[1]}"]'
    decoder = PolymarketDecoder(parse.parse_markets([event])[:1])
    for token in tokens:
        decoder.feed({"event_type": "book", "asset_id": token, "bids": [], "asks": []})
    updates = decoder.feed(frame)
    assert [u.book.contract_id for u in updates] == tokens
    assert updates[0].book.bids == ((D("0.5"), D("200")),)
    assert updates[1].book.asks == ((D("0.5"), D("200")),)


def test_top_of_book_mismatch_loses_continuity_and_resubscribes(load) -> None:
    decoder, book = decoder_for(load)
    token = book["asset_id"]
    decoder.feed(book)
    change = {
        "event_type": "price_change",
        "price_changes": [
            {
                "asset_id": token,
                "price": "0.45",
                "size": "1",
                "side": "BUY",
                "best_bid": "0.51",
                "best_ask": "0.52",
            }
        ],
    }
    (lost,) = decoder.feed(change)
    assert isinstance(lost, ContinuityLost) and lost.contract_ids == (token,)
    assert decoder.outbox == [{"operation": "subscribe", "assets_ids": [token]}]
    assert not decoder.is_live(token)
    # Updates before the fresh snapshot are ignored; the snapshot restores the token.
    assert decoder.feed(change) == []
    assert isinstance(decoder.feed(book)[-1], ContinuityRestored)


def test_unreadable_update_is_contained(load) -> None:
    decoder, book = decoder_for(load)
    decoder.feed(book)
    broken = {
        "event_type": "price_change",
        "asset_id": book["asset_id"],
        "price_changes": [{"asset_id": book["asset_id"], "price": "x", "size": "1", "side": "BUY"}],
    }
    (lost,) = decoder.feed(broken)
    assert isinstance(lost, ContinuityLost) and "unreadable" in lost.reason


def test_tick_size_and_last_trade(load) -> None:
    decoder, book = decoder_for(load)
    trade, tick = load("polymarket_ws_last_trade_and_tick_size.json")
    assert decoder.feed(tick) == []
    assert decoder.tick_sizes[book["asset_id"]] == D("0.001")
    trade["asset_id"] = book["asset_id"]
    assert decoder.feed(trade) == [
        TradePrint("polymarket", book["asset_id"], D("0.456"), D("219.217767"))
    ]


def test_reset_loses_every_live_token(load) -> None:
    decoder, book = decoder_for(load)
    assert decoder.reset() == []
    decoder.feed(book)
    (lost,) = decoder.reset()
    assert lost.contract_ids == (book["asset_id"],)


async def collect_until(stream, predicate, limit: int = 200) -> list:
    seen = []
    async for event in stream:
        seen.append(event)
        if predicate(seen) or len(seen) >= limit:
            return seen
    return seen


async def test_live_stream_snapshot_updates_and_drop(server, make_venue) -> None:
    venue = make_venue()
    markets = await venue.discover()
    market = markets[0]
    token = market.contracts[0].contract_id
    stream = venue.stream_books([market])
    try:
        first = await asyncio.wait_for(
            collect_until(stream, lambda s: sum(isinstance(e, ContinuityRestored) for e in s) == 2),
            5,
        )
        assert {e.contract_ids[0] for e in first if isinstance(e, ContinuityRestored)} == {
            c.contract_id for c in market.contracts
        }
        assert server.subscriptions[0]["assets_ids"] == [c.contract_id for c in market.contracts]
        server.broadcast(
            {
                "event_type": "price_change",
                "price_changes": [
                    {
                        "asset_id": token,
                        "price": "0.49",
                        "size": "5",
                        "side": "BUY",
                        "best_bid": "0.49",
                        "best_ask": "0.52",
                    }
                ],
            }
        )
        (update,) = await asyncio.wait_for(collect_until(stream, lambda s: True), 5)
        assert update.book.bids[0] == (D("0.49"), D("5"))
        server.drop_websockets()
        after = await asyncio.wait_for(
            collect_until(stream, lambda s: sum(isinstance(e, ContinuityRestored) for e in s) == 2),
            5,
        )
        assert isinstance(after[0], ContinuityLost) and "disconnected" in after[0].reason
        assert server.ws_connections >= 2
        # The fresh snapshot replaced the local book: the pre-drop 0.49 level is gone.
        books = [e.book for e in after if isinstance(e, BookUpdate) and e.book.contract_id == token]
        assert books[-1].bids[0] == (D("0.48"), D("50"))
    finally:
        await stream.aclose()
        await venue.aclose()


async def test_tick_size_change_on_the_stream_governs_orders(server, make_venue) -> None:
    venue = make_venue()
    markets = await venue.discover()
    token = markets[0].contracts[0].contract_id
    stream = venue.stream_books(markets[:1])
    try:
        await asyncio.wait_for(
            collect_until(stream, lambda s: sum(isinstance(e, ContinuityRestored) for e in s) == 2),
            5,
        )
        server.broadcast(
            {
                "event_type": "tick_size_change",
                "asset_id": token,
                "market": markets[0].raw.get("conditionId"),
                "old_tick_size": "0.01",
                "new_tick_size": "0.001",
                "timestamp": "1790000000000",
            }
        )
        server.broadcast(  # a book change after it: once it arrives, the tick change was read
            {
                "event_type": "price_change",
                "price_changes": [
                    {
                        "asset_id": token,
                        "price": "0.49",
                        "size": "5",
                        "side": "BUY",
                        "best_bid": "0.49",
                        "best_ask": "0.52",
                    }
                ],
            }
        )
        await asyncio.wait_for(
            collect_until(
                stream,
                lambda s: isinstance(s[-1], BookUpdate) and s[-1].book.bids[0][0] == D("0.49"),
            ),
            5,
        )
        assert venue._ticks[token] == D("0.001")  # the table orders are checked against
    finally:
        await stream.aclose()
        await venue.aclose()


async def test_silent_socket_is_detected_and_replaced(server, make_venue) -> None:
    venue = make_venue(stale_after=0.3)
    markets = await venue.discover()
    stream = venue.stream_books(markets[:1])
    try:
        await asyncio.wait_for(
            collect_until(stream, lambda s: sum(isinstance(e, ContinuityRestored) for e in s) == 2),
            5,
        )
        server.silent = True  # socket stays open, pings go unanswered, nothing arrives
        lost = await asyncio.wait_for(collect_until(stream, lambda s: True), 5)
        assert isinstance(lost[0], ContinuityLost)
        server.silent = False
        back = await asyncio.wait_for(
            collect_until(stream, lambda s: isinstance(s[-1], ContinuityRestored)), 5
        )
        assert isinstance(back[-1], ContinuityRestored)
        assert server.ws_connections >= 2
        assert "PING" not in [m for m in server.subscriptions]  # pings are not subscriptions
    finally:
        await stream.aclose()
        await venue.aclose()


def test_fake_snapshot_is_worst_first_on_the_wire(server) -> None:
    wire = copy.deepcopy(server.books[server.tokens()[0]])
    assert wire["bids"][0]["price"] == "0.47" and wire["asks"][0]["price"] == "0.53"


def test_patched_levels_match_a_naive_rebuild() -> None:
    import random

    from arbkit_polymarket.stream import _Side

    rng = random.Random(7)
    for descending in (True, False):
        side = _Side([(D("0.10"), D("1"))], descending=descending)
        reference = {D("0.10"): D("1")}
        for _ in range(2000):
            price = D(rng.randint(1, 30)) / 100
            size = D(rng.choice([0, 0, 1, 2, 5]))
            side.set(price, size)
            if size:
                reference[price] = size
            else:
                reference.pop(price, None)
            expected = tuple(sorted(reference.items(), reverse=descending))
            assert side.levels == expected
