"""Hand-built games for scan tests: two venues' markets, fee models written from the formulas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal

from attrs import frozen

from arbkit.models import (
    Contract,
    ContractLink,
    Level,
    Market,
    MatchResult,
    OrderBook,
    Relation,
)

D = Decimal
START = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


@frozen
class PolymarketStyleFee:
    """Polymarket-style: C × rate × p(1−p) per fill, paid in cash on top, to 5 places."""

    rate: Decimal

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        raw = size * self.rate * price * (1 - price)
        return (raw / D("0.00001")).to_integral_value(ROUND_CEILING) * D("0.00001")

    def order_fee(self, fills: Sequence[Level], *, maker: bool = False) -> Decimal:
        return sum((self.fee(p, s) for p, s in fills), D(0))


@frozen
class CashFee:
    """Kalshi-style: 0.07 × C × P × (1 − P) per fill up to $0.0001, the sum up to the cent."""

    coef: Decimal = D("0.07")

    def fee(self, price: Decimal, size: Decimal, *, maker: bool = False) -> Decimal:
        return self.order_fee([(price, size)])

    def order_fee(self, fills: Sequence[Level], *, maker: bool = False) -> Decimal:
        per_fill = sum((_ceil(self.coef * s * p * (1 - p), "0.0001") for p, s in fills), D(0))
        return _ceil(per_fill, "0.01")


def _ceil(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(ROUND_CEILING) * D(step)


def game(
    *,
    league: str = "NBA",
    pm_rate: str = "0.05",
    relation: Relation = Relation.SAME,
    confidence: float = 0.99,
    pm_min_size: str = "1",
) -> MatchResult:
    """A Heat at Bulls game: Polymarket tokens HEAT/BULLS, Kalshi market on MIA (YES = Heat)."""
    pm_fees = PolymarketStyleFee(D(pm_rate))
    heat = Contract(
        venue="polymarket",
        contract_id="tok-heat",
        market_id="nba-mia-chi",
        outcome="Heat",
        subject="Heat",
        complement_id="tok-bulls",
    )
    bulls = Contract(
        venue="polymarket",
        contract_id="tok-bulls",
        market_id="nba-mia-chi",
        outcome="Bulls",
        subject="Bulls",
        complement_id="tok-heat",
    )
    pm = Market(
        venue="polymarket",
        market_id="nba-mia-chi",
        event_id="nba-mia-chi",
        title="Heat vs. Bulls",
        league=league,
        start_time=START,
        game_date=date(2026, 11, 24),
        contracts=(heat, bulls),
        fees=pm_fees,
        min_size=D(pm_min_size),
        size_increment=D("0.01"),
    )
    yes = Contract(
        venue="kalshi",
        contract_id="K-MIA:yes",
        market_id="K-MIA",
        outcome="Miami",
        subject="Miami",
        complement_id="K-MIA:no",
    )
    no = Contract(
        venue="kalshi",
        contract_id="K-MIA:no",
        market_id="K-MIA",
        outcome="not Miami",
        subject="Miami",
        negated=True,
        complement_id="K-MIA:yes",
    )
    kalshi = Market(
        venue="kalshi",
        market_id="K-MIA",
        event_id="K",
        title="Miami at Chicago",
        league=league,
        game_date=date(2026, 11, 24),
        contracts=(yes, no),
        fees=CashFee(),
    )
    left = heat if relation is Relation.SAME else bulls
    link = ContractLink(
        left=left, right=yes, relation=relation, confidence=confidence, reasons=("test link",)
    )
    return MatchResult(
        game_id=f"{league}:2026-11-24:MIA@CHI",
        league=league,
        game_date=date(2026, 11, 24),
        start_time=START,
        title="Heat at Bulls",
        markets=(pm, kalshi),
        links=(link,),
        confidence=confidence,
        can_end_level=league == "NFL",
    )


def book(venue: str, contract_id: str, asks: Sequence[tuple[str, str]], bids=()) -> OrderBook:
    return OrderBook(
        venue=venue,
        contract_id=contract_id,
        asks=tuple((D(p), D(s)) for p, s in asks),
        bids=tuple((D(p), D(s)) for p, s in bids),
    )
