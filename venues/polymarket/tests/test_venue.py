"""PolymarketVenue against the fake over real sockets: discovery, books, orders, reconciliation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from arbkit_polymarket import signing

from arbkit import (
    BadRequest,
    BadResponse,
    DiscoveryQuery,
    InsufficientFunds,
    InvalidOrder,
    OrderRequest,
    OrderStateUnknown,
    OrderStatus,
    PermissionDenied,
    RateLimited,
    ReplayClock,
    Side,
    TimeInForce,
    WallClock,
)
from arbkit.testing import Fault

D = Decimal


async def test_discovery_pages_with_after_cursor(server, make_venue) -> None:
    server.initial_events = 7
    server.reset()
    venue = make_venue()
    venue.gamma.page_limit = 3
    try:
        markets = await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
    finally:
        await venue.aclose()
    assert len(markets) == 7
    assert len({m.market_id for m in markets}) == 7
    pages = [r for r in server.requests if r.path == "/events/keyset"]
    assert [r.arg("after_cursor") for r in pages] == [None, "3", "6"]
    assert all(r.query["tag_id"] == ["450"] for r in pages)
    assert markets[0].league == "NFL" and (markets[0].home, markets[0].away) == ("Bills", "Lions")
    server.initial_events = 3


async def test_repeating_cursor_stops_with_bad_response(server, make_venue) -> None:
    server.initial_events = 7
    server.reset()
    server.repeat_cursor = True
    venue = make_venue()
    venue.gamma.page_limit = 3
    try:
        with pytest.raises(BadResponse, match="repeated"):
            await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
    finally:
        await venue.aclose()
        server.initial_events = 3


async def test_discovery_is_cached(server, make_venue) -> None:
    venue = make_venue()
    try:
        await venue.discover()
        first = len(server.requests)
        await venue.discover()
    finally:
        await venue.aclose()
    assert len(server.requests) == first


async def test_books_are_best_first_and_exact(server, make_venue) -> None:
    venue = make_venue()
    try:
        markets = await venue.discover()
        books = await venue.fetch_books(markets[:1])
    finally:
        await venue.aclose()
    assert set(books) == {c.contract_id for c in markets[0].contracts}
    book = next(iter(books.values()))
    assert book.bids == ((D("0.48"), D("50")), (D("0.47"), D("100")))
    assert book.asks == ((D("0.52"), D("80")), (D("0.53"), D("40")))


async def test_429_then_success_is_retried_for_reads(server, make_venue) -> None:
    server.inject(Fault(status=429, body={"error": "Too Many Requests"}, times=2, path="/book"))
    venue = make_venue()
    try:
        book = await venue.clob.book(server.tokens()[0])
    finally:
        await venue.aclose()
    assert book.best_bid == (D("0.48"), D("50"))
    assert [r.path for r in server.requests].count("/book") == 3


async def test_persistent_429_surfaces_rate_limited(server, make_venue) -> None:
    server.inject(Fault(status=429, body={"error": "Too Many Requests"}, times=10, path="/book"))
    venue = make_venue()
    try:
        with pytest.raises(RateLimited, match="Too Many Requests"):
            await venue.clob.book(server.tokens()[0])
    finally:
        await venue.aclose()


async def test_an_html_error_page_is_one_line_with_status_and_path(server, make_venue) -> None:
    page = "<html>\n<head><title>403 Forbidden</title></head>\n<body>\n<h1>Blocked</h1>" + (
        "<p>cdn</p>\n" * 100
    )
    server.inject(Fault(status=403, body=page, path="/book"))
    venue = make_venue()
    try:
        with pytest.raises(PermissionDenied) as raised:
            await venue.clob.book(server.tokens()[0])
    finally:
        await venue.aclose()
    message = str(raised.value)
    assert "\n" not in message and "<" not in message and len(message) < 220
    assert "HTTP 403 Forbidden on GET /book: 403 Forbidden Blocked cdn" in message


async def test_malformed_json_is_a_clear_bad_response(server, make_venue) -> None:
    server.inject(Fault(malformed=True, path="/sports"))
    venue = make_venue()
    try:
        with pytest.raises(BadResponse, match="malformed JSON"):
            await venue.discover()
        # Nothing is broken afterwards: the next call works.
        assert await venue.discover()
    finally:
        await venue.aclose()


def request(server, client_order_id: str, **changes) -> OrderRequest:
    fields = dict(
        venue="polymarket",
        contract_id=server.tokens()[0],
        side=Side.BUY,
        price=D("0.34"),
        size=D("10"),
        client_order_id=client_order_id,
    )
    fields.update(changes)
    return OrderRequest(**fields)


async def test_order_is_signed_verifiably_and_rests(server, make_venue) -> None:
    venue = make_venue()
    try:
        order = await venue.place_order(request(server, "c-1"))
        fetched = await venue.get_order(client_order_id="c-1")
        opened = await venue.open_orders()
    finally:
        await venue.aclose()
    assert order.status is OrderStatus.OPEN and order.filled == 0
    assert fetched.order_id == order.order_id and fetched.client_order_id == "c-1"
    assert [o.client_order_id for o in opened] == ["c-1"]
    signed = server.orders[order.order_id]["signed"]
    assert (signed["makerAmount"], signed["takerAmount"]) == ("3400000", "10000000")
    unsigned = signing.UnsignedOrder(
        salt=signed["salt"],
        maker=signed["maker"],
        signer=signed["signer"],
        token_id=signed["tokenId"],
        maker_amount=int(signed["makerAmount"]),
        taker_amount=int(signed["takerAmount"]),
        side=0,
        signature_type=signed["signatureType"],
        timestamp_ms=int(signed["timestamp"]),
    )
    recovered = signing.recover_order_signer(unsigned, signed["signature"], neg_risk=False)
    assert recovered == signed["signer"] == venue.address


async def test_neg_risk_market_is_signed_for_the_neg_risk_exchange(server, make_venue) -> None:
    """Without discovery the venue asks ``/neg-risk`` (as the official client does); signing
    a neg-risk order for the plain exchange would be refused by the CLOB."""
    token = server.tokens()[0]
    server.books[token]["neg_risk"] = True
    venue = make_venue()
    try:
        order = await venue.place_order(request(server, "nr-1"))
    finally:
        await venue.aclose()
    assert order.status is OrderStatus.OPEN
    assert [r.path for r in server.requests].count("/neg-risk") == 1


async def test_fake_refuses_what_the_clob_refuses(server, make_venue) -> None:
    venue = make_venue()
    token = server.tokens()[0]
    try:
        with pytest.raises(InvalidOrder, match="lower than the minimum"):
            await venue.place_order(request(server, "m-1", size=D("2")))  # min_order_size 5
        venue._neg_risk[token] = True  # signed for the wrong exchange
        with pytest.raises(BadRequest, match="invalid signature"):
            await venue.place_order(request(server, "s-1"))
        venue._neg_risk[server.tokens()[1]] = False
        venue._ticks[server.tokens()[1]] = D("0.001")  # a stale tick: the book's is 0.01
        with pytest.raises(InvalidOrder, match="minimum tick size"):
            await venue.place_order(
                request(server, "t-1", contract_id=server.tokens()[1], price=D("0.345"))
            )
    finally:
        await venue.aclose()
    assert not server.orders


async def test_credentials_are_derived_from_the_key(server, make_venue) -> None:
    venue = make_venue(derive=True)
    try:
        assert await venue.balance() == D("1000")
    finally:
        await venue.aclose()
    derive = [r for r in server.requests if r.path == "/auth/derive-api-key"]
    assert len(derive) == 1 and derive[0].headers["poly_address"] == venue.address


async def test_partial_fill_of_fak_and_cancel(server, make_venue) -> None:
    server.fill_ratio = D("0.4")
    venue = make_venue()
    try:
        fak = await venue.place_order(request(server, "f-1", time_in_force=TimeInForce.IOC))
        gtc = await venue.place_order(request(server, "g-1"))
        cancelled = await venue.cancel_order(gtc.order_id)
        fills = await venue.fills()
    finally:
        await venue.aclose()
    assert (fak.status, fak.filled, fak.average_price) == (OrderStatus.CANCELLED, D("4"), D("0.34"))
    assert gtc.status is OrderStatus.PARTIALLY_FILLED and gtc.filled == D("4")
    assert cancelled.status is OrderStatus.CANCELLED
    assert sorted(f.order_id for f in fills) == sorted([fak.order_id, gtc.order_id])


async def test_rejected_order_maps_to_specific_error(server, make_venue) -> None:
    server.reject_orders = "not enough balance / allowance"
    venue = make_venue()
    try:
        with pytest.raises(InsufficientFunds, match="not enough balance"):
            await venue.place_order(request(server, "r-1"))
    finally:
        await venue.aclose()


async def test_lost_answer_is_unknown_then_reconciled(server, make_venue) -> None:
    # The venue accepts the order, then the answer is lost (a gateway 502).
    server.inject(Fault(status=502, swallow=True, path="/order"))
    venue = make_venue()
    try:
        with pytest.raises(OrderStateUnknown) as caught:
            await venue.place_order(request(server, "u-1"))
        assert caught.value.client_order_id == "u-1"
        assert len(server.orders) == 1  # it exists on the venue, and was not re-sent
        order = await venue.get_order(client_order_id="u-1")
    finally:
        await venue.aclose()
    assert order.status is OrderStatus.OPEN
    assert order.order_id == next(iter(server.orders))
    assert order.client_order_id == "u-1"
    assert [r.path for r in server.requests].count("/order") == 1


async def test_timed_out_fill_is_reconciled_from_trades(server, make_venue) -> None:
    server.fill_ratio = D("1")
    server.inject(Fault(delay=0.6, path="/order"))
    venue = make_venue(timeout=0.2)
    try:
        with pytest.raises(OrderStateUnknown):
            await venue.place_order(request(server, "t-1", time_in_force=TimeInForce.FOK))
        # Wait (on state, not time) until the slow venue has acted.
        for _ in range(200):
            if server.trades:
                break
            await __import__("asyncio").sleep(0.01)
        order = await venue.get_order(client_order_id="t-1")
    finally:
        await venue.aclose()
    assert (order.status, order.filled) == (OrderStatus.FILLED, D("10"))


async def test_order_that_never_arrived_is_unknown_then_rejected(server, make_venue) -> None:
    server.inject(Fault(status=502, path="/order"))  # refused before the venue acted
    clock = ReplayClock(WallClock().now())
    venue = make_venue(clock=clock, reconcile_grace=30)
    try:
        with pytest.raises(OrderStateUnknown):
            await venue.place_order(request(server, "n-1"))
        assert (await venue.get_order(client_order_id="n-1")).status is OrderStatus.UNKNOWN
        clock.advance(timedelta(seconds=31))
        assert (await venue.get_order(client_order_id="n-1")).status is OrderStatus.REJECTED
    finally:
        await venue.aclose()
    assert not server.orders


def _signed_body(venue, token: str, size: Decimal, price: Decimal, order_type: str) -> dict:
    """A POST /order body signed exactly as requested, bypassing the client's resizing."""
    maker, taker = signing.amounts(Side.BUY, price, size, D("0.01"))
    unsigned = signing.UnsignedOrder(
        salt=signing.new_salt(),
        maker=venue.address,
        signer=venue.address,
        token_id=token,
        maker_amount=maker,
        taker_amount=taker,
        side=0,
        signature_type=signing.EOA,
        timestamp_ms=1790000000000,
    )
    return {
        "order": signing.order_body(
            unsigned, signing.sign_order(unsigned, venue._key, neg_risk=False)
        ),
        "owner": venue._creds.api_key.reveal(),
        "orderType": order_type,
        "deferExec": False,
        "postOnly": False,
    }


async def test_fake_refuses_too_precise_fok_but_accepts_it_as_gtc(server, make_venue) -> None:
    venue = make_venue()
    token = server.tokens()[0]
    try:
        await venue._ensure_auth()
        with pytest.raises(BadRequest, match="market buy orders maker amount supports a max"):
            await venue.clob.post_order(
                _signed_body(venue, token, D("10.05"), D("0.34"), "FOK"), "x"
            )
        await venue.clob.post_order(_signed_body(venue, token, D("10.05"), D("0.34"), "GTC"), "y")
    finally:
        await venue.aclose()
    assert [o["order_type"] for o in server.orders.values()] == ["GTC"]


async def test_fok_is_resized_to_the_largest_valid_size(server, make_venue, caplog) -> None:
    server.fill_ratio = D("1")
    venue = make_venue()
    try:
        buy = await venue.place_order(
            request(server, "k-1", size=D("10.05"), time_in_force=TimeInForce.FOK)
        )
        sell = await venue.place_order(
            request(
                server,
                "k-2",
                side=Side.SELL,
                size=D("10.07"),
                price=D("0.34"),
                time_in_force=TimeInForce.IOC,
            )
        )
    finally:
        await venue.aclose()
    # BUY 10.05 @ 0.34 would pay 3.417 pUSD (3 dp): 10.00 is the largest size paying ≤ 2 dp.
    assert (buy.size, buy.filled, buy.status) == (D("10.00"), D("10.00"), OrderStatus.FILLED)
    # SELL 10.07 @ 0.34 receives 3.4238 pUSD (4 dp): valid as sent.
    assert sell.size == D("10.07")
    signed = server.orders[buy.order_id]["signed"]
    assert (signed["makerAmount"], signed["takerAmount"]) == ("3400000", "10000000")
    assert "FOK/FAK amount precision allows 10.00 of the 10.05" in caplog.text


def test_immediate_size_rule() -> None:
    assert signing.immediate_size(Side.BUY, D("0.34"), D("10.05"), D("0.01")) == D("10.00")
    assert signing.immediate_size(Side.SELL, D("0.347"), D("10.01"), D("0.001")) == D("10.00")
    with pytest.raises(InvalidOrder):
        signing.immediate_size(Side.BUY, D("0.347"), D("5.00"), D("0.001"))


@pytest.fixture
def new_account():
    from arbkit.testing.fake_polymarket import FakePolymarket

    with FakePolymarket(new_account=True) as server:
        yield server


def _venue_on(server, **options):
    from arbkit_polymarket.venue import PolymarketVenue

    from arbkit import Secret, VenueSettings

    key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # public dev key

    urls = {"gamma": server.http_url, "clob": server.http_url, "data": server.http_url}
    settings = VenueSettings(
        base_urls={**urls, "ws": server.ws_url},
        timeout=2.0,
        credentials={"private_key": Secret(key)},
        options={"retry_backoff": 0.01, **options},
    )
    return PolymarketVenue(settings)


async def test_new_account_refuses_eoa_and_trades_by_deposit_wallet(new_account) -> None:
    wallet = "0x1234567890AbcdEF1234567890aBcdef12345678"
    eoa = _venue_on(new_account)
    deposit = _venue_on(new_account, signature_type=3, funder=wallet)
    try:
        with pytest.raises(BadRequest, match="please use the deposit wallet flow"):
            await eoa.place_order(request(new_account, "e-1"))
        order = await deposit.place_order(request(new_account, "w-1"))
    finally:
        await eoa.aclose()
        await deposit.aclose()
    assert order.status is OrderStatus.OPEN
    signed = new_account.orders[order.order_id]["signed"]
    assert (signed["maker"], signed["signer"], signed["signatureType"]) == (wallet, wallet, 3)
    # Credentials: the first venue created the key (POST), the second had to derive it (GET).
    auth_calls = [(r.method, r.path) for r in new_account.requests if r.path.startswith("/auth")]
    assert auth_calls == [
        ("POST", "/auth/api-key"),
        ("POST", "/auth/api-key"),
        ("GET", "/auth/derive-api-key"),
    ]


async def test_v2_market_is_signed_for_exchange_v3(server, make_venue) -> None:
    """A Gamma "v2" market trades by positionIds on ExchangeV3; the fake checks the V3 domain."""
    import json

    market = server.events[0]["markets"][0]
    positions = ["777000001", "777000002"]
    market["version"], market["positionIds"] = "v2", json.dumps(positions)
    for position in positions:
        server.books[position] = dict(server.books[server.tokens()[0]], asset_id=position)
        server.exchange_versions[position] = 3
    venue = make_venue()
    try:
        markets = await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
        v2 = next(m for m in markets if m.market_id == market["slug"])
        assert [c.contract_id for c in v2.contracts] == positions
        order = await venue.place_order(request(server, "v3-1", contract_id=positions[0]))
        venue._exchange_versions[positions[1]] = 2  # signed for the V2 exchange: refused
        with pytest.raises(BadRequest, match="invalid signature"):
            await venue.place_order(request(server, "v3-2", contract_id=positions[1]))
    finally:
        await venue.aclose()
    assert order.status is OrderStatus.OPEN
    signed = server.orders[order.order_id]["signed"]
    assert signed["tokenId"] == positions[0]


async def test_fee_enabled_market_without_schedule_uses_clob_fd_or_is_excluded(
    server, make_venue
) -> None:
    from arbkit_polymarket import parse

    fd_market, missing, no_fd = (e["markets"][0] for e in server.events)
    for market in (fd_market, missing, no_fd):
        del market["feeSchedule"]  # feesEnabled stays true
    server.clob_fd[fd_market["conditionId"]] = {"r": 0.03, "e": 1, "to": True}
    server.clob_markets_missing.add(missing["conditionId"])
    server.clob_markets_no_fd.add(no_fd["conditionId"])
    venue = make_venue()
    try:
        markets = await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
    finally:
        await venue.aclose()
    assert [m.market_id for m in markets] == [fd_market["slug"]]
    assert markets[0].fees.rate == D("0.03")
    assert markets[0].fees.fee(D("0.5"), D("100")) == D("0.75")
    skipped = dict(parse.SKIPPED[-2:])
    assert set(skipped) == {missing["slug"], no_fd["slug"]}
    assert all("fees unknown" in reason for reason in skipped.values())


async def test_fills_carry_their_fee_from_the_market_fee_model(server, make_venue) -> None:
    server.fill_ratio = D("1")
    venue = make_venue()
    try:
        await venue.place_order(request(server, "fee-1", time_in_force=TimeInForce.FOK))
        undiscovered = await venue.fills()  # model fetched from /clob-markets by condition id
        await venue.discover(DiscoveryQuery(leagues=frozenset({"NFL"})))
        discovered = await venue.fills()
    finally:
        await venue.aclose()
    # 10 shares @ 0.34 at rate 0.05: 10 × 0.05 × 0.34 × 0.66 = 0.1122 pUSD on top.
    assert [f.fee for f in undiscovered] == [D("0.1122")] == [f.fee for f in discovered]
