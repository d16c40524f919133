"""P&L summaries and the seed checks, over four positions whose figures are worked by hand.

A  NBA cross_venue: 10 PM at 0.40 (fee 0.10) + 10 Kalshi at 0.55 (fee 0.18), settled:
   PM pays 1, Kalshi 0. Realized 10 − 9.50 − 0.28 = 0.22 (PM 5.90, Kalshi −5.68).
B  NFL complete_set on Kalshi: 5 YES at 0.30 + 5 NO at 0.60 (fees 0.11, 0.12), sold 10 s
   later by convergence at 0.35 / 0.66 (fees 0.11, 0.11): 5.05 − 4.50 − 0.45 = 0.10. An exit
   within 15 s.
C  NBA cross_venue, open and one-legged: 4 Kalshi at 0.86 (fee 0.04, above 0.85), marked at a
   0.80 bid: 3.20 − ceil¢(0.07 × 4 × 0.8 × 0.2) (0.05) − 3.44 = −0.29. Realized −0.04.
D  NHL cross_venue: 3 PM at 0.50 (fee 0.0375) unwound 4 s later at 0.48 (fee 0.03744):
   1.44 − 1.50 − 0.07494 = −0.13494. Not an exit rule's exit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from arbkit_kalshi.fees import KalshiFees

from arbkit.models import Market, OrderBook, Settlement, Side
from arbkit.trading.model import LegPlan, Mode, PlanKind, TradeFill, TradePlan
from arbkit.trading.pnl import seed_checks, summarize
from arbkit.trading.positions import PositionBook

DAY = datetime(2026, 11, 25, tzinfo=UTC)


def _plan(game: str, league: str, strategy: str, kind: PlanKind, reason: str = "") -> TradePlan:
    leg = LegPlan(
        venue="v",
        market_id="m",
        contract_id="c",
        outcome="o",
        side=Side.BUY,
        size=D(1),
        limit_price=D(1),
        expected_price=D(1),
    )
    return TradePlan(
        trade_id=f"{game}-{kind}",
        kind=kind,
        mode=Mode.PAPER,
        game_id=game,
        league=league,
        strategy=strategy,
        opportunity_key="k",
        legs=(leg, leg),
        size=D(1),
        decided_at=DAY,
        reason=reason,
    )


def _fill(venue: str, market: str, contract: str, side: Side, price: str, size: str, fee: str, at):
    return TradeFill(
        trade_id="t",
        leg=0,
        venue=venue,
        market_id=market,
        contract_id=contract,
        side=side,
        price=D(price),
        size=D(size),
        fee=D(fee),
        at=at,
        fill_id=f"{contract}-{side}-{at.isoformat()}",
    )


def four_positions() -> PositionBook:
    book = PositionBook(Mode.PAPER)
    buy, sell = Side.BUY, Side.SELL
    a = _plan("NBA:A", "NBA", "cross_venue", PlanKind.ENTRY)
    t = DAY + timedelta(hours=2)
    book.apply(a, _fill("polymarket", "pa", "pa-1", buy, "0.40", "10", "0.10", t))
    book.apply(a, _fill("kalshi", "KA", "KA:no", buy, "0.55", "10", "0.18", t))
    settled = DAY + timedelta(hours=6)
    book.settle(Settlement(venue="polymarket", market_id="pa", payouts={"pa-1": D(1)}), settled)
    book.settle(Settlement(venue="kalshi", market_id="KA", payouts={"KA:no": D(0)}), settled)

    b = _plan("NFL:B", "NFL", "complete_set", PlanKind.ENTRY)
    t = DAY + timedelta(hours=3)
    book.apply(b, _fill("kalshi", "KB", "KB:yes", buy, "0.30", "5", "0.11", t))
    book.apply(b, _fill("kalshi", "KB", "KB:no", buy, "0.60", "5", "0.12", t))
    out = _plan("NFL:B", "NFL", "complete_set", PlanKind.EXIT, "convergence: 0.1")
    t += timedelta(seconds=10)
    book.apply(out, _fill("kalshi", "KB", "KB:yes", sell, "0.35", "5", "0.11", t))
    book.apply(out, _fill("kalshi", "KB", "KB:no", sell, "0.66", "5", "0.11", t))

    c = _plan("NBA:C", "NBA", "cross_venue", PlanKind.ENTRY)
    t = DAY + timedelta(days=1, hours=4)
    position = book.apply(c, _fill("kalshi", "KC", "KC:yes", buy, "0.86", "4", "0.04", t))
    bids = {"KC:yes": OrderBook(venue="kalshi", contract_id="KC:yes", bids=((D("0.8"), D(9)),))}
    market = Market(venue="kalshi", market_id="KC", event_id="e", title="C", fees=KalshiFees())
    book.mark(position, bids.get, {"KC:yes": market}.get, t)

    d = _plan("NHL:D", "NHL", "cross_venue", PlanKind.ENTRY)
    t = DAY + timedelta(days=1, hours=1)
    book.apply(d, _fill("polymarket", "pd", "pd-1", buy, "0.50", "3", "0.0375", t))
    unwind = _plan("NHL:D", "NHL", "cross_venue", PlanKind.EXIT)
    t += timedelta(seconds=4)
    book.apply(unwind, _fill("polymarket", "pd", "pd-1", sell, "0.48", "3", "0.03744", t))
    return book


def test_totals_and_the_seed_checks() -> None:
    report = summarize(four_positions().all())
    assert report.realized == D("0.22") + D("0.10") - D("0.04") - D("0.13494")
    assert report.unrealized == D("-0.29")
    assert report.fees == D("0.28") + D("0.45") + D("0.04") + D("0.07494")
    assert report.checks == {
        "exits_within_min_hold": 1,  # B; D's unwind is no exit rule's
        "entries_above_max_price": 1,  # C's fill at 0.86
        "one_legged": 1,  # C
    }


def test_the_seed_checks_follow_their_thresholds() -> None:
    positions = four_positions().all()
    looser = seed_checks(positions, max_entry_price=D("0.86"), min_hold=timedelta(seconds=10))
    assert looser == {"exits_within_min_hold": 0, "entries_above_max_price": 0, "one_legged": 1}
    stricter = seed_checks(positions, max_entry_price=D("0.5"))
    assert stricter["entries_above_max_price"] == 3  # 0.55, 0.60 and 0.86


def test_a_game_whose_trade_broke_counts_as_one_legged_even_once_closed() -> None:
    positions = four_positions().all()
    closed = [p.game_id for p in positions if not p.is_open]
    assert closed, "the fixture has closed positions"
    assert seed_checks(positions)["one_legged"] == 1  # C, one-legged now
    # a closed game whose trade once broke counts too, and C (broken and one-legged) once
    checks = seed_checks(positions, broken={closed[0], "NBA:C"})
    assert checks["one_legged"] == 2


def test_breakdowns_per_position_league_venue_strategy_and_day() -> None:
    report = summarize(four_positions().all())
    assert {k: v.realized for k, v in report.by_position.items()} == {
        "NBA:A": D("0.22"),
        "NFL:B": D("0.10"),
        "NBA:C": D("-0.04"),
        "NHL:D": D("-0.13494"),
    }
    assert report.by_game.keys() == report.by_position.keys()
    nba = report.by_league["NBA"]
    assert (nba.realized, nba.unrealized, nba.fees, nba.positions) == (
        D("0.18"),
        D("-0.29"),
        D("0.32"),
        2,
    )
    pm, kalshi = report.by_venue["polymarket"], report.by_venue["kalshi"]
    assert (pm.realized, pm.fees, pm.positions) == (D("5.90") - D("0.13494"), D("0.17494"), 2)
    assert (kalshi.realized, kalshi.fees, kalshi.positions) == (D("-5.62"), D("0.67"), 3)
    assert kalshi.unrealized is None  # marks are per position
    assert {k: v.realized for k, v in report.by_strategy.items()} == {
        "cross_venue": D("0.22") - D("0.04") - D("0.13494"),
        "complete_set": D("0.10"),
    }
    assert {k: v.positions for k, v in report.by_day.items()} == {"2026-11-25": 2, "2026-11-26": 2}


def test_days_follow_the_given_calendar() -> None:
    def eastern(at: datetime) -> date:
        return (at - timedelta(hours=5)).date()

    report = summarize(four_positions().all(), day_of=eastern)
    assert {k: v.realized for k, v in report.by_day.items()} == {
        "2026-11-25": D("0.22") - D("0.04") - D("0.13494"),  # A, C, D
        "2026-11-24": D("0.10"),  # B closed at 22:00 Eastern
    }


def test_since_keeps_open_positions_and_those_closed_after_it() -> None:
    report = summarize(four_positions().all(), since=DAY + timedelta(days=1))
    assert set(report.by_position) == {"NBA:C", "NHL:D"}
    assert report.realized == D("-0.04") - D("0.13494")


def test_json_has_every_decimal_as_a_string() -> None:
    data = summarize(four_positions().all()).to_json()
    assert (data["realized"], data["unrealized"], data["fees"]) == ("0.14506", "-0.29", "0.84494")
    assert data["by_venue"]["kalshi"] == {
        "realized": "-5.62",
        "unrealized": None,
        "fees": "0.67",
        "positions": 3,
    }
    assert data["by_league"]["NHL"]["realized"] == "-0.13494"
    assert data["checks"]["one_legged"] == 1
