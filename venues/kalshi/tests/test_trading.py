"""Orders against the fake's matching engine: fills, partial fills, reconciliation, fallbacks."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from arbkit_kalshi.venue import KalshiVenue
from attrs import evolve

from arbkit import (
    BadRequest,
    DuplicateOrderId,
    InvalidOrder,
    MarketClosed,
    NotFound,
    OrderRequest,
    OrderStateUnknown,
    OrderStatus,
    Side,
    TimeInForce,
    VenueError,
)
from arbkit.testing.fake_kalshi import FakeKalshi

from .conftest import NBA_SAS, make_settings

CREATE = "/trade-api/v2/portfolio/events/orders"


def request(
    contract: str, side: Side, price: str, size: str, tif=TimeInForce.IOC, **kw
) -> OrderRequest:
    return OrderRequest(
        venue="kalshi",
        contract_id=f"{NBA_SAS}:{contract}",
        side=side,
        price=price,
        size=size,
        client_order_id=kw.pop("client_order_id", str(uuid.uuid4())),
        time_in_force=tif,
        **kw,
    )


def created(fake: FakeKalshi) -> dict:
    """The body of the last Create Order V2 request (a filled order is then read back)."""
    return [r for r in fake.requests if r.path == CREATE][-1].json()


async def test_buy_yes_fills_at_the_ask_with_the_taker_fee(venue: KalshiVenue, fake) -> None:
    order = await venue.place_order(request("yes", Side.BUY, "0.71", "10"))
    assert (order.status, order.filled, order.average_price) == (OrderStatus.FILLED, 10, D("0.71"))
    assert order.fee == D("0.15")  # ceil(0.07 × 10 × 0.71 × 0.29 = 0.14413)
    sent = created(fake)
    assert (sent["side"], sent["price"], sent["count"]) == ("bid", "0.7100", "10.00")
    assert sent["self_trade_prevention_type"] == "taker_at_cross"
    assert sent["time_in_force"] == "immediate_or_cancel"
    assert await venue.balance() == D("1000") - D("7.10") - D("0.15")
    (position,) = await venue.positions()
    assert (position.contract_id, position.size) == (f"{NBA_SAS}:yes", 10)


async def test_buy_no_is_an_ask_on_the_yes_book_and_fills_partially(venue, fake) -> None:
    order = await venue.place_order(request("no", Side.BUY, "0.31", "1000"))
    sent = created(fake)
    assert (sent["side"], sent["price"]) == ("ask", "0.6900")
    # NO asks: 0.30 × 359 and 0.31 × 500 (1 − YES bids 0.70 and 0.69); IOC cancels the rest
    assert order.filled == 859
    assert order.status is OrderStatus.CANCELLED
    expected = 1 - (D("0.70") * 359 + D("0.69") * 500) / 859
    assert abs(order.average_price - expected) < D("0.0001")
    (position,) = await venue.positions()
    assert (position.contract_id, position.size) == (f"{NBA_SAS}:no", 859)


async def test_resting_remainder_then_filled_by_a_counterparty(venue, fake) -> None:
    placed = await venue.place_order(request("yes", Side.BUY, "0.71", "80400", TimeInForce.GTC))
    assert placed.status is OrderStatus.PARTIALLY_FILLED
    assert placed.filled == D("80390.47")
    (resting,) = await venue.open_orders()
    assert resting.order_id == placed.order_id and resting.remaining == D("9.53")
    fake.fill_resting(placed.order_id, "9.53")
    done = await venue.get_order(order_id=placed.order_id)
    assert (done.status, done.filled) == (OrderStatus.FILLED, 80400)
    fills = await venue.fills()
    assert [f.is_taker for f in fills] == [True, False]
    assert fills[1].fee == D("0.00")  # maker: series is plain quadratic


async def test_cancel_a_resting_order(venue, fake) -> None:
    placed = await venue.place_order(request("yes", Side.BUY, "0.50", "10", TimeInForce.GTC))
    assert placed.status is OrderStatus.OPEN
    assert fake.books[NBA_SAS]["yes"][D("0.50")] == 10
    cancelled = await venue.cancel_order(placed.order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert D("0.50") not in fake.books[NBA_SAS]["yes"]
    assert await venue.open_orders() == []


async def test_timeout_is_reconciled_by_client_order_id(fake, pem, key_id) -> None:
    venue = KalshiVenue(make_settings(fake, pem, key_id, timeout=0.3))
    fake.order_delay = 1.0  # the venue fills, then answers too late
    try:
        order = await venue.place_order(
            request("no", Side.BUY, "0.30", "5", client_order_id="reconcile-me")
        )
    finally:
        await venue.aclose()
    assert order.client_order_id == "reconcile-me"
    assert (order.contract_id, order.side) == (f"{NBA_SAS}:no", Side.BUY)
    assert (order.status, order.filled, order.price) == (OrderStatus.FILLED, 5, D("0.30"))
    assert len([r for r in fake.requests if r.path == CREATE]) == 1  # never re-sent


async def test_lost_write_that_never_happened_stays_unknown(venue, fake) -> None:
    fake.inject(status=504, path=CREATE)  # the gateway failed before Kalshi acted
    with pytest.raises(OrderStateUnknown) as caught:
        await venue.place_order(request("yes", Side.BUY, "0.71", "1", client_order_id="lost-1"))
    assert caught.value.client_order_id == "lost-1"
    assert len([r for r in fake.requests if r.path == CREATE]) == 1
    assert fake.orders == {}


async def test_mutations_use_v2_paths_and_the_fake_refuses_legacy_ones(venue, fake) -> None:
    placed = await venue.place_order(request("yes", Side.BUY, "0.50", "10", TimeInForce.GTC))
    amended = await venue.amend_order(
        placed, price=D("0.52"), size=D("6"), client_order_id="amend-v2"
    )
    cancelled = await venue.cancel_order(placed.order_id)
    assert (amended.price, amended.remaining) == (D("0.52"), 6)
    assert cancelled.status is OrderStatus.CANCELLED
    writes = [r for r in fake.requests if r.method != "GET"]
    assert [(r.method, r.path) for r in writes] == [
        ("POST", CREATE),
        ("POST", f"{CREATE}/{placed.order_id}/amend"),
        ("DELETE", f"{CREATE}/{placed.order_id}"),
    ]
    assert writes[2].query == {"market_ticker": [NBA_SAS]}  # routes to the market's shard
    for method, path in (
        ("POST", "/portfolio/orders"),
        ("DELETE", f"/portfolio/orders/{placed.order_id}"),
        ("POST", f"/portfolio/orders/{placed.order_id}/amend"),
        ("POST", f"/portfolio/orders/{placed.order_id}/decrease"),
    ):
        body = {"ticker": NBA_SAS} if method == "POST" else None
        with pytest.raises(VenueError, match="Please switch to the V2 endpoints") as caught:
            await venue.client._request(method, path, body=body, private=True)
        assert caught.value.status_code == 410


async def test_v2_cancel_answers_ids_and_needs_the_market_ticker(venue, fake) -> None:
    placed = await venue.place_order(request("yes", Side.BUY, "0.50", "3.25", TimeInForce.GTC))
    with pytest.raises(NotFound):  # another market's shard does not know the order
        await venue.client.cancel_order(placed.order_id, "KXNFLGAME-26SEP20PHITEN-PHI")
    answer = await venue.client.cancel_order(placed.order_id, NBA_SAS)
    assert answer == {
        "order_id": placed.order_id,
        "client_order_id": placed.client_order_id,
        "reduced_by": "3.25",
    }


async def test_venue_refusals_map_to_arbkit_errors(venue, fake) -> None:
    await venue.place_order(request("yes", Side.BUY, "0.50", "1", client_order_id="dup"))
    with pytest.raises(DuplicateOrderId):
        await venue.place_order(request("yes", Side.BUY, "0.50", "1", client_order_id="dup"))
    fake.markets[NBA_SAS]["status"] = "closed"
    with pytest.raises(MarketClosed, match="not open"):
        await venue.place_order(request("yes", Side.BUY, "0.50", "1"))


def _multi_band(fake: FakeKalshi) -> None:
    """Give the NBA market a 0.1¢ grid at the edges and a 1¢ grid in the centre."""
    fake.markets[NBA_SAS]["price_ranges"] = [
        {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
        {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
        {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
    ]


async def test_prices_are_checked_against_their_own_band(venue, fake) -> None:
    _multi_band(fake)
    await venue.discover()
    # 0.505 is on the finest step (0.001) but not on the 1¢ step of the centre band
    with pytest.raises(InvalidOrder, match=r"0\.505 is not on the 0\.0100 step"):
        await venue.place_order(request("yes", Side.BUY, "0.505", "1", TimeInForce.GTC))
    assert not [r for r in fake.requests if r.path == CREATE]  # refused before sending
    edge = await venue.place_order(request("yes", Side.BUY, "0.055", "1", TimeInForce.GTC))
    assert edge.status is OrderStatus.OPEN  # the edge band steps by 0.1¢
    # NO at 0.055 is a YES ask at 0.945: on the upper edge's grid
    no_edge = await venue.place_order(request("no", Side.BUY, "0.055", "1", TimeInForce.GTC))
    assert no_edge.status is OrderStatus.OPEN


async def test_fake_refuses_off_band_prices_and_accepts_fractions(venue, fake) -> None:
    _multi_band(fake)
    raw = {
        "ticker": NBA_SAS,
        "client_order_id": "raw-1",
        "side": "bid",
        "count": "1.00",
        "price": "0.5050",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
    }
    with pytest.raises(InvalidOrder, match="tick grid"):
        await venue.client.create_order_v2(raw)
    raw.update(price="0.0550")
    assert (await venue.client.create_order_v2(raw))["remaining_count"] == "1.00"
    # fractional counts on a market whose (deprecated) flag says no
    nfl = "KXNFLGAME-26SEP20PHITEN-PHI"
    fake.markets[nfl]["fractional_trading_enabled"] = False
    half = evolve(
        request("yes", Side.BUY, "0.50", "1.5", TimeInForce.GTC), contract_id=f"{nfl}:yes"
    )
    placed = await venue.place_order(half)
    assert (placed.status, placed.size) == (OrderStatus.OPEN, D("1.5"))
    raw.update(client_order_id="raw-2", side="yes")  # a legacy side word
    with pytest.raises(BadRequest, match="bid or ask"):
        await venue.client.create_order_v2(raw)
    del raw["self_trade_prevention_type"]
    raw["side"] = "bid"
    with pytest.raises(BadRequest, match="self_trade_prevention_type"):
        await venue.client.create_order_v2(raw)


async def test_prices_and_counts_finer_than_the_wire_are_refused_not_rounded(venue, fake) -> None:
    for price, size in (("0.12345", "1"), ("0.50", "1.005")):
        with pytest.raises(InvalidOrder, match="more decimals"):
            await venue.place_order(request("yes", Side.BUY, price, size))
    assert not [r for r in fake.requests if r.path == CREATE]


async def test_amend_changes_price_and_size(venue: KalshiVenue, fake: FakeKalshi) -> None:
    placed = await venue.place_order(request("yes", Side.BUY, "0.50", "10", TimeInForce.GTC))
    amended = await venue.amend_order(
        placed, price=D("0.55"), size=D("4"), client_order_id="amended-1"
    )
    assert (amended.price, amended.remaining, amended.client_order_id) == (
        D("0.55"),
        4,
        "amended-1",
    )
    assert fake.books[NBA_SAS]["yes"][D("0.55")] == 4


async def test_fake_sends_only_the_new_direction_fields(venue, fake) -> None:
    placed = await venue.place_order(request("no", Side.BUY, "0.31", "3"))
    order, fill = fake.orders[placed.order_id], fake.fills[-1]
    for record in (order, fill):
        assert (record["outcome_side"], record["book_side"]) == ("yes", "ask")
        assert "side" not in record and "action" not in record
    (read,) = await venue.fills()
    assert (read.contract_id, read.side) == (f"{NBA_SAS}:yes", Side.SELL)


async def test_filled_order_fee_is_the_charged_total_not_the_rounded_average(venue, fake) -> None:
    # 0.07 × 3 × 0.71 × 0.29 = 0.043239 → 0.0433 → $0.05; the average 0.016667 × 3 = 0.050001
    order = await venue.place_order(request("yes", Side.BUY, "0.71", "3"))
    assert order.fee == D("0.05")
    assert fake.orders[order.order_id]["taker_fees_dollars"] == "0.0500"
