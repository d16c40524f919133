"""The websocket: decoder rules offline, then the live feed against the fake (real sockets)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest
from arbkit_kalshi import parse
from arbkit_kalshi.fees import KalshiFees
from arbkit_kalshi.stream import KalshiStreamDecoder
from arbkit_kalshi.venue import KalshiVenue

from arbkit import (
    BadResponse,
    BookUpdate,
    ContinuityLost,
    ContinuityRestored,
    FeesChanged,
    OrderRequest,
    Side,
    TimeInForce,
    TradePrint,
)

from .conftest import NBA_SAS, active_nba_event, make_settings

T = "KXNBAGAME-26JUN13NYKSAS-NYK"


def snapshot(sid: int, seq: int, ticker: str = T, **sides: Any) -> dict[str, Any]:
    return {
        "type": "orderbook_snapshot",
        "sid": sid,
        "seq": seq,
        "msg": {"market_ticker": ticker, **sides},
    }


def delta(sid: int, seq: int, price: str, amount: str, side: str = "yes", ticker: str = T) -> dict:
    body = {"market_ticker": ticker, "price_dollars": price, "delta_fp": amount, "side": side}
    return {"type": "orderbook_delta", "sid": sid, "seq": seq, "msg": body}


# -- decoder, offline ----------------------------------------------------------------------------


def test_gap_drops_deltas_until_the_requested_snapshot() -> None:
    decoder = KalshiVenue.stream_decoder([])
    decoder.feed(snapshot(1, 1, yes_dollars_fp=[["0.40", "10"]], no_dollars_fp=[["0.55", "5"]]))
    assert decoder.feed(delta(1, 3, "0.41", "7")) == [
        ContinuityLost("kalshi", (f"{T}:yes", f"{T}:no"), "sequence gap on sid 1: 1 → 3")
    ]
    (command,) = decoder.outbox
    assert command["cmd"] == "update_subscription"
    assert command["params"] == {"market_tickers": [T], "action": "get_snapshot", "sids": [1]}
    assert decoder.feed(delta(1, 4, "0.42", "1")) == []  # dropped: book not trusted
    assert decoder.books(T) is None
    events = decoder.feed(snapshot(1, 5, yes_dollars_fp=[["0.41", "7"]], no_dollars_fp=[]))
    assert isinstance(events[0], BookUpdate) and events[0].book.bids == ((D("0.41"), D("7")),)
    assert events[-1] == ContinuityRestored("kalshi", (f"{T}:yes", f"{T}:no"))
    assert len(decoder.feed(delta(1, 6, "0.41", "-7"))) == 2  # in sequence again


def test_delta_adds_and_removes_levels_and_old_seq_is_ignored() -> None:
    decoder = KalshiVenue.stream_decoder([])
    decoder.feed(snapshot(3, 1, yes_dollars_fp=[["0.40", "10"]], no_dollars_fp=[["0.55", "5"]]))
    yes, no = (e.book for e in decoder.feed(delta(3, 2, "0.40", "2.5")))
    assert yes.bids == ((D("0.40"), D("12.5")),) and no.asks == ((D("0.60"), D("12.5")),)
    yes, no = (e.book for e in decoder.feed(delta(3, 3, "0.55", "-5", side="no")))
    assert yes.asks == () and no.bids == ()
    assert decoder.feed(delta(3, 3, "0.40", "1")) == []  # a duplicate: already applied
    assert decoder.books(T)[0].bids == ((D("0.40"), D("12.5")),)


def test_random_deltas_match_a_book_rebuilt_from_scratch() -> None:
    """The decoder patches its published ladders in place; a naive rebuild must agree."""
    import random

    rng = random.Random(11)
    decoder = KalshiVenue.stream_decoder([])
    decoder.feed(snapshot(9, 1, yes_dollars_fp=[], no_dollars_fp=[]))
    model: dict[str, dict[D, D]] = {"yes": {}, "no": {}}
    for seq in range(2, 2000):
        side = rng.choice(("yes", "no"))
        price = D(rng.randint(1, 30)) / 100
        held = model[side].get(price, D(0))
        amount = D(rng.randint(-int(held), 60))  # below zero would be a continuity loss
        model[side][price] = held + amount
        if model[side][price] <= 0:
            del model[side][price]
        decoder.feed(delta(9, seq, f"{price:.2f}", f"{amount}", side=side))
        yes, no = decoder.books(T)
        want_yes = tuple(sorted(model["yes"].items(), reverse=True))
        want_no = tuple(sorted(model["no"].items(), reverse=True))
        assert yes.bids == want_yes and no.bids == want_no
        assert yes.asks == tuple((1 - p, q) for p, q in want_no)
        assert no.asks == tuple((1 - p, q) for p, q in want_yes)


def test_apply_delta_changes_the_local_book_without_publishing() -> None:
    decoder = KalshiVenue.stream_decoder([])
    decoder.feed(snapshot(4, 1, yes_dollars_fp=[["0.40", "10"]], no_dollars_fp=[]))
    assert decoder.apply_delta(delta(4, 2, "0.40", "5")) == T
    assert decoder.books(T)[0].bids == ((D("0.40"), D("15")),)
    (lost,) = decoder.apply_delta(delta(4, 9, "0.40", "1"))  # seq 3..8 missing
    assert isinstance(lost, ContinuityLost)


def test_legacy_cent_messages() -> None:
    decoder = KalshiVenue.stream_decoder([])
    decoder.feed(snapshot(1, 1, yes=[[40, 10]], no=[[55, 5]]))
    legacy = {
        "type": "orderbook_delta",
        "sid": 1,
        "seq": 2,
        "msg": {"market_ticker": T, "price": 41, "delta": 3, "side": "yes"},
    }
    yes, _ = (e.book for e in decoder.feed(legacy))
    assert yes.bids == ((D("0.41"), D(3)), (D("0.40"), D(10)))
    assert yes.asks == ((D("0.45"), D(5)),)


def test_seeded_books_accept_deltas_and_unknown_markets_ask_for_snapshots() -> None:
    decoder = KalshiVenue.stream_decoder([])
    decoder.seed(parse.parse_orderbook(T, {"orderbook_fp": {"yes_dollars": [["0.30", "4"]]}}))
    yes, _ = (e.book for e in decoder.feed(delta(9, 17, "0.30", "1")))
    assert yes.bids == ((D("0.30"), D("5")),)
    lost = decoder.feed(delta(9, 18, "0.30", "1", ticker="OTHER"))
    assert lost[0].contract_ids == ("OTHER:yes", "OTHER:no")
    assert decoder.outbox[-1]["params"]["market_tickers"] == ["OTHER"]


def test_terminal_error_resubscribes_and_malformed_messages_are_dropped() -> None:
    decoder = KalshiVenue.stream_decoder([])
    decoder.feed(snapshot(1, 1, yes_dollars_fp=[["0.40", "10"]]))
    (lost,) = decoder.feed(delta(1, 2, "oops", "1"))  # the book may be wrong now
    assert isinstance(lost, ContinuityLost) and "oops" in lost.reason
    assert decoder.books(T) is None
    assert decoder.feed({"type": "orderbook_delta", "msg": {}}) == []
    assert isinstance(decoder.feed(snapshot(1, 3, yes_dollars_fp=[]))[-1], ContinuityRestored)
    decoder.outbox.clear()
    events = decoder.feed({"type": "error", "msg": {"code": 25, "msg": "buffer overflow"}})
    assert isinstance(events[0], ContinuityLost)
    assert [m["cmd"] for m in decoder.outbox] == ["subscribe", "subscribe"]
    assert decoder.errors[-1].code == "25"


def test_decoder_only_keeps_its_markets() -> None:
    (market,) = [m for m in parse.parse_markets([active_nba_event()]) if m.market_id == T]
    decoder = KalshiVenue.stream_decoder([market])
    assert decoder.feed(snapshot(1, 1, ticker="ELSE", yes_dollars_fp=[])) == []
    assert len(decoder.feed(snapshot(1, 2, yes_dollars_fp=[]))) == 2


# -- the live feed against the fake ------------------------------------------------------------


async def take(events: AsyncIterator[Any], count: int) -> list[Any]:
    return [await asyncio.wait_for(anext(events), 5) for _ in range(count)]


async def until(events: AsyncIterator[Any], kind: type) -> list[Any]:
    seen = []
    while not seen or not isinstance(seen[-1], kind):
        seen.append(await asyncio.wait_for(anext(events), 5))
    return seen


@pytest.fixture
def market() -> Any:
    return next(m for m in parse.parse_markets([active_nba_event()]) if m.market_id == NBA_SAS)


async def test_snapshot_then_deltas(venue: KalshiVenue, fake, market) -> None:
    feed = venue.stream_feed([market])
    events = feed.events()
    yes, no = (e.book for e in await take(events, 2))
    assert yes.best_ask == (D("0.7100"), D("80390.47")) and no.best_bid[0] == D("0.2900")
    fake.push_delta(NBA_SAS, "no", "0.29", "-80390.47")
    yes, no = (e.book for e in await take(events, 2))
    assert yes.best_ask == (D("0.7200"), D("130848.00"))
    assert yes.sequence == 2 and yes.timestamp is not None
    fake.push_trade(NBA_SAS, "0.7200", "3.00")
    assert await take(events, 1) == [TradePrint("kalshi", f"{NBA_SAS}:yes", D("0.72"), D(3))]
    subscribe = fake.commands[0]
    assert subscribe["params"] == {"channels": ["orderbook_delta"], "market_tickers": [NBA_SAS]}
    feed.stop()
    await events.aclose()


async def test_sequence_gap_triggers_a_resnapshot(venue, fake, market) -> None:
    feed = venue.stream_feed([market])
    events = feed.events()
    await take(events, 2)
    fake.skip_sequence(NBA_SAS)
    fake.push_delta(NBA_SAS, "yes", "0.70", "-359")  # arrives with seq 3 after 1
    (lost,) = await take(events, 1)
    assert isinstance(lost, ContinuityLost) and "sequence gap" in lost.reason
    yes, _no, restored = await take(events, 3)
    assert restored == ContinuityRestored("kalshi", (f"{NBA_SAS}:yes", f"{NBA_SAS}:no"))
    assert yes.book.best_bid == (D("0.6900"), D("500.00"))  # the lost delta is in the snapshot
    assert fake.wait_for_command("update_subscription", "get_snapshot")
    await events.aclose()


async def test_reconnect_resubscribes_after_a_drop(venue, fake, market) -> None:
    feed = venue.stream_feed([market])
    events = feed.events()
    await take(events, 2)
    fake.drop_websockets()
    (lost,) = await take(events, 1)
    assert lost.reason == "websocket disconnected"
    seen = await until(events, ContinuityRestored)
    assert [type(e) for e in seen] == [BookUpdate, BookUpdate, ContinuityRestored]
    assert fake.ws_connections == 2 and feed.reconnects == 1
    await events.aclose()


async def test_a_silent_socket_is_replaced(fake, pem, key_id, market) -> None:
    venue = KalshiVenue(make_settings(fake, pem, key_id, ws_stale_after=0.3))
    events = venue.stream_feed([market]).events()
    await take(events, 2)
    fake.silent = True
    (lost,) = await take(events, 1)
    assert isinstance(lost, ContinuityLost)
    fake.silent = False
    assert isinstance((await until(events, ContinuityRestored))[-1], ContinuityRestored)
    await events.aclose()
    await venue.aclose()


async def test_a_quiet_but_healthy_subscription_is_kept_alive(fake, pem, key_id, market) -> None:
    """No book changes for longer than the staleness limit: the keep-alive answers keep the
    socket visibly alive, so there is no reconnect and no false continuity loss."""
    settings = make_settings(fake, pem, key_id, ws_stale_after=0.4, ws_keepalive=0.1)
    venue = KalshiVenue(settings)
    feed = venue.stream_feed([market])
    events = feed.events()
    await take(events, 2)  # the snapshot's YES and NO books
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(1.2)  # three staleness windows of silence from the market
    assert not pending.done(), pending.result()  # nothing was emitted: no ContinuityLost
    assert fake.commands_answered >= 5 and feed.reconnects == 0 and fake.ws_connections == 1
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    await events.aclose()
    await venue.aclose()


async def test_malformed_frames_are_skipped(venue, fake, market) -> None:
    events = venue.stream_feed([market]).events()
    await take(events, 2)
    fake.broadcast("{not json")
    fake.broadcast({"type": "orderbook_delta", "sid": 1, "seq": 2, "msg": {"nonsense": True}})
    # A dropped delta of the subscription: its books are in doubt until the re-snapshot.
    (lost,) = await take(events, 1)
    assert isinstance(lost, ContinuityLost) and NBA_SAS + ":yes" in lost.contract_ids
    await until(events, ContinuityRestored)
    fake.push_delta(NBA_SAS, "yes", "0.70", "1")
    (yes, _) = (e.book for e in await take(events, 2))
    assert yes.best_bid == (D("0.7000"), D("360.00"))
    await events.aclose()


async def test_account_fills_arrive_on_the_private_channel(venue, fake, market) -> None:
    feed = venue.stream_feed([market], private=True)
    events = feed.events()
    await take(events, 2)
    order = OrderRequest(
        venue="kalshi",
        contract_id=f"{NBA_SAS}:yes",
        side=Side.BUY,
        price="0.71",
        size="4",
        client_order_id=str(uuid.uuid4()),
        time_in_force=TimeInForce.IOC,
    )
    await venue.place_order(order)
    yes, _ = (e.book for e in await take(events, 2))  # our fill took 4 off the best NO bid
    assert yes.best_ask == (D("0.7100"), D("80386.47"))
    fake.push_trade(NBA_SAS, "0.71", "1.00")  # anything after the fill message
    await until(events, TradePrint)
    (fill,) = feed.decoder.fills
    assert (fill.contract_id, fill.size, fill.price) == (f"{NBA_SAS}:yes", 4, D("0.71"))
    await events.aclose()


async def test_websocket_rejects_a_wrong_key(fake, pem, market) -> None:
    venue = KalshiVenue(make_settings(fake, pem, "not-the-key-id"))
    feed = venue.stream_feed([market])
    feed.max_reconnects = 1
    with pytest.raises(BadResponse, match="gave up"):
        async for _ in feed.events():
            pass
    assert fake.auth_failures >= 1
    await venue.aclose()


async def test_event_fee_update_replaces_the_markets_fee_model(venue, fake, market) -> None:
    feed = venue.stream_feed([market])
    events = feed.events()
    await take(events, 2)
    for _ in range(100):  # the lifecycle subscription may land just after the snapshots
        if any(s.channel == "market_lifecycle_v2" for s in fake.subscriptions):
            break
        await asyncio.sleep(0.02)
    assert any(c["params"] == {"channels": ["market_lifecycle_v2"]} for c in fake.commands)
    fake.push_fee_update(market.event_id, None, "0")  # a waiver
    (waived,) = await take(events, 1)
    assert isinstance(waived, FeesChanged) and waived.market_ids == (NBA_SAS,)
    assert waived.fees == KalshiFees("quadratic", D(0))
    assert waived.fees.order_fee([(D("0.50"), D("100"))]) == 0
    fake.push_fee_update("KXNBAGAME-OTHER", "quadratic_with_maker_fees", "2")  # not our event
    fake.push_fee_update(market.event_id, "quadratic_with_maker_fees", None)
    (raised,) = await take(events, 1)
    assert raised.fees == KalshiFees("quadratic_with_maker_fees", D(1))  # series multiplier
    await events.aclose()


def test_a_stream_fill_without_direction_is_dropped_not_booked_as_a_yes_buy(caplog) -> None:
    decoder = KalshiStreamDecoder([T], private=True)
    body = {"order_id": "o", "market_ticker": T, "yes_price_dollars": "0.40", "count_fp": "2.00"}
    with caplog.at_level(logging.WARNING):
        assert decoder.feed({"type": "fill", "sid": 9, "msg": body}) == []
    assert decoder.fills == [] and "no direction" in caplog.text
    decoder.feed(
        {"type": "fill", "sid": 9, "msg": {**body, "outcome_side": "no", "book_side": "bid"}}
    )
    (fill,) = decoder.fills
    assert (fill.contract_id, fill.side, fill.price) == (f"{T}:no", Side.BUY, D("0.60"))


def test_an_unknown_fee_type_override_stops_trading_the_event() -> None:
    (market,) = [m for m in parse.parse_markets([active_nba_event()]) if m.market_id == T]
    decoder = KalshiVenue.stream_decoder([market])
    body = {
        "event_ticker": market.event_id,
        "fee_type_override": "tiered",
        "fee_multiplier_override": None,
    }
    (lost,) = decoder.feed({"type": "event_fee_update", "sid": 3, "msg": body})
    assert isinstance(lost, ContinuityLost) and lost.contract_ids == (f"{T}:yes", f"{T}:no")
