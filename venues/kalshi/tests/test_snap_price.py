"""Limit prices on Kalshi's banded grid, for both sides of the YES book."""

from __future__ import annotations

from decimal import Decimal as D

from arbkit_kalshi.venue import KalshiVenue

from arbkit import Market

BANDS = [
    {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
    {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
    {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
]


def market(raw: dict | None = None) -> Market:
    return Market(
        venue="kalshi",
        market_id="KXNBAGAME-26NOV24MIAORL-ORL",
        event_id="KXNBAGAME-26NOV24MIAORL",
        title="Miami at Orlando",
        raw={"ticker": "KXNBAGAME-26NOV24MIAORL-ORL", "price_ranges": BANDS}
        if raw is None
        else raw,
    )


def test_a_yes_price_snaps_to_its_band_down_for_a_buy_and_up_for_a_sell() -> None:
    m = market()
    assert KalshiVenue.snap_price(m, m.market_id + ":yes", D("0.4567")) == D("0.45")
    assert KalshiVenue.snap_price(m, m.market_id + ":yes", D("0.4567"), up=True) == D("0.46")
    assert KalshiVenue.snap_price(m, m.market_id + ":yes", D("0.0467")) == D("0.046")


def test_a_no_price_is_snapped_on_the_yes_book_the_other_way_round() -> None:
    m = market()
    # NO 0.9534 is YES 0.0466, in the fine band: a NO buy may pay at most 0.9534, so the YES
    # price goes up to 0.047 and the NO limit becomes 0.953 (never worse than asked).
    assert KalshiVenue.snap_price(m, m.market_id + ":no", D("0.9534")) == D("0.953")
    # NO 0.4567 is YES 0.5433 in the cent band: YES up to 0.55, NO 0.45.
    assert KalshiVenue.snap_price(m, m.market_id + ":no", D("0.4567")) == D("0.45")
    assert KalshiVenue.snap_price(m, m.market_id + ":no", D("0.4567"), up=True) == D("0.46")


def test_without_price_ranges_the_cent_grid_applies() -> None:
    m = market({"ticker": "KXNBAGAME-26NOV24MIAORL-ORL"})
    assert KalshiVenue.snap_price(m, m.market_id + ":yes", D("0.4567")) == D("0.45")
