"""The report's figures over a small book whose every number is worked by hand.

Book ``paper:x#1`` (one run, r1) on the engine's clock, 2026-11-24 evening:

opportunities (opportunity_changes)
  A  appears 23:00:00 (edge 0.02), changes 23:00:05 (0.03), vanishes 23:00:12.5 "edge gone":
     lives 12.5 s; appears again 2026-11-25 00:30:00 (0.025), vanishes 00:31:00 "cut-off": 60 s
  B  appears 23:10:00 (0.004), vanishes 23:10:00.4 "edge gone": 0.4 s
  C  appears 2026-11-25 01:00:00 (0.02) and is still there when the run ends
  confidences (opportunities rows): A 0.97, B 0.93, C 0.999 (stored as floats)
gate (decisions): A accepted; B refused edge_below_min; C refused too_small, then
  price_above_max (its last reason)
trades and fills
  A  entry 00001 23:00:00, quoted PM 0.40 and Kalshi 0.55; filled 23:00:00.25 PM 10 @ 0.41
     (fee 0.10: 0.01 worse, slippage 0.10) and Kalshi 10 @ 0.55 (fee 0.18); settled 03:00,
     PM pays 1: realized 10 − 9.60 − 0.28 = 0.12
  D  a complete_set entry 00002 at 23:20:00 on Kalshi, 5 YES @ 0.30 (fee 0.11) + 5 NO @ 0.60
     (fee 0.12), quoted 0.30 / 0.58; sold 10 s later by convergence (exit 00003, quoted 0.35 /
     0.66) at 0.35 / 0.65 (fees 0.11 each): proceeds 5.00 − cost 4.50 − fees 0.45 = 0.05, an
     exit within 15 s. Slippage: NO bought 0.02 over (0.10), NO sold 0.01 under (0.05).
Another book, ``backtest:x#1`` (run r2, newer), holds one opportunity and nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from arbkit.models import Settlement, Side
from arbkit.report.gather import Report, build_report
from arbkit.report.scope import Window, choose_book, parse_day
from arbkit.store import Store, open_store
from arbkit.trading.model import LegPlan, Mode, PlanKind, TradeFill, TradePlan
from arbkit.trading.positions import PositionBook, position_row

EVENING = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
BOOK = "paper:x#1"


def at(**delta: float) -> datetime:
    return EVENING + timedelta(**delta)


def _change(run: str, when: datetime, kind: str, key: str, edge: str = "", reason: str = ""):
    return {
        "run_id": run,
        "at": when.isoformat(),
        "kind": kind,
        "game_id": "G:" + key,
        "key": key,
        "strategy": "cross_venue",
        "net_edge": edge or None,
        "reason": reason,
    }


def _leg(venue: str, contract: str, side: Side, quoted: str) -> LegPlan:
    return LegPlan(
        venue=venue,
        market_id="m-" + contract,
        contract_id=contract,
        outcome=contract,
        side=side,
        size=D(10),
        limit_price=D(1),
        expected_price=D(quoted),
    )


def _plan(number: int, game: str, kind: PlanKind, legs: tuple[LegPlan, ...], **extra: Any):
    return TradePlan(
        trade_id=f"{BOOK}/{number:05d}",
        kind=kind,
        mode=Mode.PAPER,
        game_id=game,
        league=game.split(":")[0],
        strategy=extra.pop("strategy", "cross_venue"),
        opportunity_key=extra.pop("key", ""),
        legs=legs,
        size=D(10),
        decided_at=extra.pop("decided", EVENING),
        **extra,
    )


def _fill(plan: TradePlan, leg: int, price: str, size: str, fee: str, when: datetime):
    spec = plan.legs[leg]
    return TradeFill(
        trade_id=plan.trade_id,
        leg=leg,
        venue=spec.venue,
        market_id=spec.market_id,
        contract_id=spec.contract_id,
        side=spec.side,
        price=D(price),
        size=D(size),
        fee=D(fee),
        at=when,
        fill_id=f"{plan.trade_id}-{leg}:1",
    )


def _store_trade(store: Store, plan: TradePlan, fills: list[TradeFill]) -> None:
    legs = [{"expected_price": str(leg.expected_price)} for leg in plan.legs]
    store.db["trades"].insert(
        {
            "trade_id": plan.trade_id,
            "run_id": "r1",
            "mode": "paper",
            "kind": plan.kind.value,
            "game_id": plan.game_id,
            "league": plan.league,
            "strategy": plan.strategy,
            "opportunity_key": plan.opportunity_key,
            "state": "hedged",
            "plan": json.dumps({"legs": legs}),
            "created_at": plan.decided_at.isoformat(),
        }
    )
    for fill in fills:
        store.db["fills"].insert(
            {
                "venue": fill.venue,
                "fill_id": fill.fill_id,
                "trade_id": fill.trade_id,
                "leg": fill.leg,
                "side": fill.side.value,
                "price": str(fill.price),
                "size": str(fill.size),
                "fee": str(fill.fee),
                "filled_at": fill.at.isoformat(),
                "run_id": "r1",
            }
        )


def build_book(store: Store) -> None:
    db = store.db
    for run, book, command, started in (
        ("r1", BOOK, "trade", "2026-12-01T10:00:00+00:00"),
        ("r2", "backtest:x#1", "backtest", "2026-12-02T10:00:00+00:00"),
    ):
        options = json.dumps({"book": book, "mode": "paper"})
        db["runs"].insert(
            {
                "run_id": run,
                "command": command,
                "source": "sample",
                "options": options,
                "started_at": started,
                "status": "completed",
            }
        )
    day2 = EVENING + timedelta(hours=1)
    db["opportunity_changes"].insert_all(
        [
            _change("r1", at(), "appeared", "A", "0.02"),
            _change("r1", at(seconds=5), "changed", "A", "0.03"),
            _change("r1", at(seconds=12.5), "vanished", "A", "0.03", "edge gone"),
            _change("r1", at(minutes=10), "appeared", "B", "0.004"),
            _change("r1", at(minutes=10, seconds=0.4), "vanished", "B", "0.004", "edge gone"),
            _change("r1", day2 + timedelta(minutes=30), "appeared", "A", "0.025"),
            _change("r1", day2 + timedelta(minutes=31), "vanished", "A", "0.025", "cut-off"),
            _change("r1", day2 + timedelta(hours=1), "appeared", "C", "0.02"),
            _change("r2", at(), "appeared", "Z", "0.05"),
        ]
    )
    db["opportunities"].insert_all(
        [
            {"key": key, "run_id": "r1", "confidence": confidence}
            for key, confidence in (("A", 0.97), ("B", 0.93), ("C", 0.999))
        ]
    )
    db["decisions"].insert_all(
        [
            {"book": BOOK, "at": at().isoformat(), "key": "A", "accepted": 1},
            {
                "book": BOOK,
                "at": at(minutes=10).isoformat(),
                "key": "B",
                "accepted": 0,
                "reason": "edge_below_min",
            },
            {
                "book": BOOK,
                "at": (day2 + timedelta(hours=1)).isoformat(),
                "key": "C",
                "accepted": 0,
                "reason": "too_small",
            },
            {
                "book": BOOK,
                "at": (day2 + timedelta(hours=1, seconds=1)).isoformat(),
                "key": "C",
                "accepted": 0,
                "reason": "price_above_max",
            },
        ]
    )
    positions = PositionBook(Mode.PAPER)
    a = _plan(
        1,
        "NBA:A",
        PlanKind.ENTRY,
        (_leg("polymarket", "pa", Side.BUY, "0.40"), _leg("kalshi", "KA:no", Side.BUY, "0.55")),
        key="A",
    )
    a_fills = [
        _fill(a, 0, "0.41", "10", "0.10", at(seconds=0.25)),
        _fill(a, 1, "0.55", "10", "0.18", at(seconds=0.25)),
    ]
    d_in = _plan(
        2,
        "NHL:D",
        PlanKind.ENTRY,
        (_leg("kalshi", "KD:yes", Side.BUY, "0.30"), _leg("kalshi", "KD:no", Side.BUY, "0.58")),
        key="D",
        strategy="complete_set",
        decided=at(minutes=20),
    )
    d_in_fills = [
        _fill(d_in, 0, "0.30", "5", "0.11", at(minutes=20)),
        _fill(d_in, 1, "0.60", "5", "0.12", at(minutes=20)),
    ]
    d_out = _plan(
        3,
        "NHL:D",
        PlanKind.EXIT,
        (_leg("kalshi", "KD:yes", Side.SELL, "0.35"), _leg("kalshi", "KD:no", Side.SELL, "0.66")),
        strategy="complete_set",
        decided=at(minutes=20, seconds=10),
        reason="convergence: selling now makes 0.05 after fees",
    )
    d_out_fills = [
        _fill(d_out, 0, "0.35", "5", "0.11", at(minutes=20, seconds=10)),
        _fill(d_out, 1, "0.65", "5", "0.11", at(minutes=20, seconds=10)),
    ]
    for plan, fills in ((a, a_fills), (d_in, d_in_fills), (d_out, d_out_fills)):
        _store_trade(store, plan, fills)
        for fill in fills:
            positions.apply(plan, fill)
    settled = EVENING + timedelta(hours=4)
    positions.settle(
        Settlement(venue="polymarket", market_id="m-pa", payouts={"pa": D(1)}), settled
    )
    positions.settle(
        Settlement(venue="kalshi", market_id="m-KA:no", payouts={"KA:no": D(0)}), settled
    )
    for position in positions.all():
        db["game_positions"].insert({**position_row(position, "r1"), "book": BOOK})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(tmp_path / "arbkit.db")
    build_book(opened)
    return opened


def report_of(store: Store, window: Window | None = None) -> Report:
    return build_report(store, choose_book(store, BOOK), window or Window())


def test_the_newest_book_is_the_default_and_books_keep_apart(store: Store) -> None:
    assert choose_book(store, None).book_id == "backtest:x#1"
    other = build_report(store, choose_book(store, None), Window())
    assert other.opportunities.seen == 1 and not other.execution.fills
    assert report_of(store).opportunities.seen == 3  # Z is the other book's


def test_seen_taken_and_why_the_rest_were_not_taken(store: Store) -> None:
    figures = report_of(store).opportunities
    assert (figures.seen, figures.taken) == (3, 1)
    assert figures.not_taken_by_reason == {"edge_below_min": 1, "price_above_max": 1}
    assert figures.refusals_by_reason == {"edge_below_min": 1, "price_above_max": 1, "too_small": 1}


def test_lifetimes_on_the_engine_clock(store: Store) -> None:
    figures = report_of(store).opportunities
    lives = [(life.key, life.seconds) for life in figures.lifetimes]
    assert lives == [("A", D("12.5")), ("B", D("0.4")), ("A", D(60)), ("C", None)]
    assert figures.still_open == 1
    assert figures.lifetime.count == 3
    assert (figures.lifetime.median, figures.lifetime.maximum) == (D("12.5"), D(60))
    assert {b.label: b.count for b in figures.lifetime_bins if b.count} == {
        "< 1 s": 1,
        "10–60 s": 1,
        "1–10 min": 1,
    }
    assert figures.vanished_by_reason == {"edge gone": 2, "cut-off": 1}


def test_edges_and_confidence(store: Store) -> None:
    figures = report_of(store).opportunities
    assert figures.best_edges == {"A": D("0.03"), "B": D("0.004"), "C": D("0.02")}
    assert sum(b.count for b in figures.edge_bins) == 3
    (top,) = [b for b in figures.edge_bins if b.low is not None and b.low <= D("0.03") < b.high]
    assert top.count == 1
    assert figures.confidences == {"A": D("0.97"), "B": D("0.93"), "C": D("0.999")}
    assert {b.label: b.count for b in figures.confidence_bins if b.count} == {
        "0.92–0.94": 1,
        "0.96–0.98": 1,
        "0.99–1": 1,
    }


def test_fills_and_slippage_against_the_quote(store: Store) -> None:
    execution = report_of(store).execution
    assert execution.total.fills == 6
    assert execution.total.fees == D("0.10") + D("0.18") + D("0.23") + D("0.22")
    # A's PM leg 0.01 over on 10, D's NO bought 0.02 over and sold 0.01 under, on 5 each
    assert execution.total.slippage == D("0.10") + D("0.10") + D("0.05")
    assert execution.total.contracts == D(40)
    assert execution.by_venue["polymarket"].slippage == D("0.10")
    assert execution.by_venue["kalshi"].slippage == D("0.15")
    assert execution.by_kind["exit"].slippage == D("0.05")
    assert execution.trades_by_state == {"entry hedged": 2, "exit hedged": 1}


def test_pnl_exits_and_the_seed_checks(store: Store) -> None:
    outcome = report_of(store).outcome
    assert outcome.pnl.realized == D("0.12") + D("0.05")
    assert outcome.pnl.fees == D("0.28") + D("0.45")
    assert set(outcome.pnl.by_league) == {"NBA", "NHL"}
    assert outcome.pnl.by_strategy["complete_set"].realized == D("0.05")
    assert outcome.pnl.checks["exits_within_min_hold"] == 1  # D, sold after 10 s
    assert outcome.pnl.checks["entries_above_max_price"] == 0
    assert {k: (v.positions, v.realized) for k, v in outcome.exits_by_reason.items()} == {
        "convergence": (1, D("0.05")),
        "settled": (1, D("0.12")),
    }
    assert [(c.game_id, c.reason) for c in outcome.closed] == [
        ("NHL:D", "convergence: selling now makes 0.05 after fees"),
        ("NBA:A", "settled"),
    ]
    # D closed first (23:20:10), A settled at 03:00
    assert [(p.game_id, p.cumulative) for p in outcome.cumulative] == [
        ("NHL:D", D("0.05")),
        ("NBA:A", D("0.17")),
    ]


def test_a_day_takes_only_what_happened_on_it(store: Store) -> None:
    day = report_of(store, Window.day(parse_day("2026-11-24")))
    assert (day.opportunities.seen, day.opportunities.taken) == (2, 1)  # A and B
    assert [life.seconds for life in day.opportunities.lifetimes] == [D("12.5"), D("0.4")]
    assert day.opportunities.not_taken_by_reason == {"edge_below_min": 1}
    assert day.outcome.closed_positions == 1  # D; A settled on the 25th
    assert day.outcome.pnl.realized == D("0.05")
    next_day = report_of(store, Window.day(parse_day("2026-11-25")))
    assert next_day.opportunities.seen == 2  # A again, and C
    assert next_day.execution.total.fills == 0
    assert next_day.outcome.pnl.realized == D("0.12")
    assert report_of(store, Window.day(parse_day("2026-11-20"))).empty


def test_days_in_a_time_zone(store: Store) -> None:
    """In New York the whole evening is 2026-11-24: 23:00 UTC is 18:00 there, and A's second
    appearance (00:30 UTC), C (01:00 UTC) and the settlement (03:00 UTC) are all before 23:00."""
    try:
        from zoneinfo import ZoneInfo

        new_york = ZoneInfo("America/New_York")
    except Exception:  # pragma: no cover - a system without the time zone database
        pytest.skip("no time zone database")
    day = report_of(store, Window.day(parse_day("2026-11-24", new_york), new_york))
    assert day.window.start == datetime(2026, 11, 24, 5, tzinfo=UTC)
    assert day.opportunities.seen == 3
    assert len(day.opportunities.lifetimes) == 4
    assert day.outcome.closed_positions == 2
    assert set(day.outcome.pnl.by_day) == {"2026-11-24"}
    assert day.outcome.pnl.realized == D("0.17")
    utc = report_of(store, Window.day(parse_day("2026-11-24")))
    assert set(utc.outcome.pnl.by_day) == {"2026-11-24"}  # D only: A settled on the 25th UTC


def test_json_has_every_figure_with_decimals_as_strings(store: Store) -> None:
    data = report_of(store).to_json()
    assert data["book"] == BOOK
    assert data["opportunities"]["lifetime_seconds"]["median"] == "12.5"
    assert data["execution"]["total"]["slippage"] == "0.25"
    assert data["pnl"]["realized"] == "0.17"
    assert data["pnl"]["checks"]["exits_within_min_hold"] == 1

    def no_floats(value: Any) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for item in value.values():
                no_floats(item)
        if isinstance(value, list):
            for item in value:
                no_floats(item)

    no_floats(data)
    json.dumps(data)  # plain JSON types only
