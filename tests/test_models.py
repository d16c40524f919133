"""The domain model: exact values, frozen records, and the few behaviours models carry."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import arbkit
from arbkit import Market, OrderBook, OrderStatus, Quote, Side


def _market(**overrides: object) -> Market:
    contracts = (
        arbkit.Contract(venue="v", contract_id="t-yes", market_id="m", outcome="Lakers"),
        arbkit.Contract(
            venue="v", contract_id="t-no", market_id="m", outcome="not Lakers", negated=True
        ),
    )
    fields: dict[str, object] = {
        "venue": "v",
        "market_id": "m",
        "event_id": "e",
        "title": "Lakers vs Celtics",
        "contracts": contracts,
    }
    return Market(**{**fields, **overrides})  # type: ignore[arg-type]


def test_prices_and_sizes_are_exact_decimals() -> None:
    order = arbkit.Order(
        venue="v",
        order_id="1",
        client_order_id=None,
        contract_id="c",
        side=Side.BUY,
        price=0.1,
        size="3",
        filled=1,
    )
    assert order.price == Decimal("0.1")  # a float converts through repr, not its binary value
    assert order.remaining == Decimal(2)
    market = _market(tick_size="0.001", line=-3.5)
    assert market.tick_size == Decimal("0.001") and market.line == Decimal("-3.5")
    assert _market().line is None


def test_garbage_price_is_a_bad_response() -> None:
    with pytest.raises(arbkit.BadResponse):
        arbkit.Fill(
            venue="v", fill_id="f", order_id=None, contract_id="c", side=Side.BUY, price="x", size=1
        )


def test_values_are_frozen_and_evolve() -> None:
    market = _market()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        market.title = "other"  # type: ignore[misc]
    assert attrs.evolve(market, active=False).active is False


def test_raw_payload_does_not_affect_equality() -> None:
    assert _market(raw={"id": 1}) == _market(raw={"id": 2})


def test_market_contract_lookup() -> None:
    market = _market()
    assert market.contract("t-no").negated is True
    with pytest.raises(KeyError):
        market.contract("missing")


def test_book_best_levels_and_quote() -> None:
    book = OrderBook(
        venue="v",
        contract_id="c",
        bids=((Decimal("0.45"), Decimal("10")), (Decimal("0.44"), Decimal("5"))),
        asks=((Decimal("0.47"), Decimal("7")),),
    )
    quote = Quote.from_book(book)
    assert (quote.bid, quote.bid_size, quote.ask, quote.ask_size) == (
        Decimal("0.45"),
        Decimal("10"),
        Decimal("0.47"),
        Decimal("7"),
    )
    empty = Quote.from_book(OrderBook(venue="v", contract_id="c"))
    assert empty.bid is None and empty.ask is None and empty.ask_size == 0


def test_order_status_finality() -> None:
    assert OrderStatus.FILLED.is_final and OrderStatus.REJECTED.is_final
    assert not OrderStatus.UNKNOWN.is_final  # a lost answer must be reconciled, not forgotten
    assert not OrderStatus.PARTIALLY_FILLED.is_final


def test_position_average_price() -> None:
    position = arbkit.Position(venue="v", contract_id="c")
    assert position.average_price is None
    position.size, position.cost = Decimal(4), Decimal("1.80")
    assert position.average_price == Decimal("0.45")


def _leg(contract_id: str) -> arbkit.Leg:
    one = Decimal(1)
    return arbkit.Leg(
        venue="v",
        market_id="m",
        contract_id=contract_id,
        outcome=contract_id,
        side=Side.BUY,
        price=Decimal("0.4"),
        size=one,
        fee=Decimal(0),
        worst_price=Decimal("0.4"),
    )


def test_opportunity_key_ignores_leg_order() -> None:
    common = {
        "strategy": "s",
        "game_id": "g",
        "title": "t",
        "league": None,
        "start_time": None,
        "cost": Decimal("0.8"),
        "payout": Decimal(1),
        "gross_edge": Decimal("0.2"),
        "net_edge": Decimal("0.2"),
        "size": Decimal(1),
        "expected_profit": Decimal("0.2"),
        "confidence": 1.0,
    }
    a = arbkit.Opportunity(legs=(_leg("x"), _leg("y")), **common)  # type: ignore[arg-type]
    b = arbkit.Opportunity(legs=(_leg("y"), _leg("x")), **common)  # type: ignore[arg-type]
    assert a.key == b.key == "s|x|y"


def test_no_fees_is_a_fee_model() -> None:
    fees = arbkit.NoFees()
    assert isinstance(fees, arbkit.FeeModel)
    assert fees.fee(Decimal("0.5"), Decimal(10)) == 0
    assert _market().fees == fees


def test_parse_optional_timestamp_never_fails_an_optional_field():
    from datetime import UTC, datetime

    from arbkit import parse_optional_timestamp

    moment = datetime(2026, 9, 18, 0, 15, tzinfo=UTC)
    assert parse_optional_timestamp("2026-09-18 00:15:00+00") == moment
    assert parse_optional_timestamp("2026-09-18T00:15:00Z") == moment
    assert parse_optional_timestamp(str(int(moment.timestamp()))) == moment  # epoch seconds
    assert parse_optional_timestamp(int(moment.timestamp() * 1000)) == moment  # epoch ms
    for missing in (None, "", 0, "0", "soon", True):
        assert parse_optional_timestamp(missing) is None
