"""Order, fill and price-grid parsing as Kalshi states them since the 2026 API changes."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from arbkit_kalshi.orders import (
    band_step,
    direction,
    fill_from_object,
    order_from_object,
    price_bands,
    snap_price,
)

from arbkit import BadResponse, InvalidOrder, Side

ORDER: dict[str, Any] = {
    "order_id": "o-1",
    "client_order_id": "c-1",
    "ticker": "KXNBAGAME-26JUN13NYKSAS-SAS",
    "status": "resting",
    "yes_price_dollars": "0.4000",
    "no_price_dollars": "0.6000",
    "initial_count_fp": "2.50",
    "fill_count_fp": "0.00",
    "remaining_count_fp": "2.50",
}
FILL: dict[str, Any] = {
    "fill_id": "f-1",
    "order_id": "o-1",
    "market_ticker": "KXNBAGAME-26JUN13NYKSAS-SAS",
    "yes_price_dollars": "0.4000",
    "no_price_dollars": "0.6000",
    "count_fp": "1.25",
    "fee_cost": "0.0300",
    "is_taker": True,
}


def test_new_direction_fields_are_read_first() -> None:
    # a sell of NO, with stale deprecated fields that say "buy yes"
    obj = {"outcome_side": "no", "book_side": "ask", "side": "yes", "action": "buy"}
    assert direction(obj) == ("no", Side.SELL)
    order = order_from_object({**ORDER, **obj})
    assert (order.contract_id, order.side, order.price) == (
        f"{ORDER['ticker']}:no",
        Side.SELL,
        D("0.6"),
    )
    fill = fill_from_object({**FILL, **obj})
    assert (fill.contract_id, fill.side, fill.size) == (
        f"{FILL['market_ticker']}:no",
        Side.SELL,
        D("1.25"),
    )


def test_deprecated_fields_are_only_a_fallback() -> None:
    assert direction({"side": "no", "action": "sell"}) == ("no", Side.SELL)
    assert direction({"outcome_side": "yes", "action": "sell"}) == ("yes", Side.SELL)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"outcome_side": "no"},
        {"book_side": "bid"},
        {"outcome_side": "maybe", "book_side": "bid"},
    ],
)
def test_a_record_without_a_direction_is_an_error_not_a_yes_buy(fields: dict[str, str]) -> None:
    with pytest.raises(BadResponse, match="no direction"):
        order_from_object({**ORDER, **fields})
    with pytest.raises(BadResponse, match="no direction"):
        fill_from_object({**FILL, **fields})


def test_order_fee_is_what_the_order_says_it_was_charged() -> None:
    order = order_from_object(
        {
            **ORDER,
            "outcome_side": "yes",
            "book_side": "bid",
            "taker_fees_dollars": "0.0300",
            "maker_fees_dollars": "0.0100",
        }
    )
    assert order.fee == D("0.04")


BANDS = price_bands(
    {
        "price_ranges": [
            {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
            {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
            {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
        ]
    }
)


def test_a_price_snaps_to_the_step_of_its_own_band() -> None:
    assert band_step(BANDS, D("0.505")) == D("0.01")  # not the finest 0.001
    assert snap_price(BANDS, D("0.505")) == D("0.50")
    assert snap_price(BANDS, D("0.505"), up=True) == D("0.51")
    assert snap_price(BANDS, D("0.0555")) == D("0.055")
    assert snap_price(BANDS, D("0.9555"), up=True) == D("0.956")
    assert band_step(price_bands({}), D("0.5")) == D("0.01")  # no ranges: the 1¢ grid
    with pytest.raises(InvalidOrder):
        band_step(BANDS, D("1.5"))
