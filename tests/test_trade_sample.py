"""``arbkit trade --sample`` (issue 13): the recorded evening paper-traded to positions and P&L.

Every figure of the command's JSON is recomputed here from the outside, without
:mod:`arbkit.trading`: each entry's plan is read from the store; the recorded books at the
fill moment are rebuilt by replaying the sample's streams through the venue plugins' own
decoders (they define what a recorded book is), merged by timestamp as the replay venue
merges them; the fill moment is the latency rule (the books as they stand just before the
first stream event at or after ``decided_at + latency``, i.e. after every message stamped
earlier); the fees are the venues' published formulas written out below; the payouts come
from the raw settlement files.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import pytest
from arbkit_kalshi.venue import KalshiVenue
from arbkit_polymarket.venue import PolymarketVenue
from trade_helpers import (
    SAMPLE,
    book_trades,
    entry_plans,
    jumped_bids,
    rows,
    run_trade,
    runs,
    thin_books,
)

from arbkit.models import OrderBook
from arbkit.streaming import BookUpdate, ContinuityLost, ContinuityRestored

D = Decimal
DEFAULT_LATENCY = timedelta(milliseconds=250)  #: documented default of --latency
MIN_HOLD = timedelta(seconds=15)
MAX_ENTRY_PRICE = D("0.85")
KALSHI_TAKER = D("0.07")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the replay merges venues' streams by timestamp; equal stamps keep venue order (by name)
VENUES = {"kalshi": KalshiVenue, "polymarket": PolymarketVenue}


def ceil_to(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(ROUND_CEILING) * D(step)


def when(text: str) -> datetime:
    """ISO 8601, or Gamma's ``2026-11-25 03:09:46+00``."""
    text = text.replace(" ", "T")
    return datetime.fromisoformat(text + ":00" if text[-3] in "+-" else text)


# -- the raw sample, read as a reader of the venue docs would ------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    def load(*parts: str) -> Any:
        return json.loads(SAMPLE.joinpath(*parts).read_text())

    pm_rate: dict[str, Decimal] = {}
    for event in load("polymarket", "events.json"):
        for market in event["markets"]:
            schedule = market.get("feeSchedule") or {}
            assert int(schedule.get("exponent", 1)) == 1, "only exponent 1 is written out here"
            rate = D(str(schedule.get("rate", 0))) if market.get("feesEnabled") else D(0)
            for token in json.loads(market["clobTokenIds"]):
                pm_rate[token] = rate
    multiplier = {s["ticker"]: D(str(s["fee_multiplier"])) for s in load("kalshi", "series.json")}
    k_multiplier = {
        market["ticker"]: multiplier.get(event["series_ticker"], D(1))
        for event in load("kalshi", "events.json")
        for market in event["markets"]
    }
    payout: dict[str, Decimal] = {}
    settled_at: dict[str, datetime] = {}
    for market in load("polymarket", "resolved.json"):
        if market.get("closed") is not True or market.get("umaResolutionStatus") != "resolved":
            continue
        prices = [D(p) for p in json.loads(market["outcomePrices"])]
        for token, price in zip(json.loads(market["clobTokenIds"]), prices, strict=True):
            payout[token] = price
            settled_at[token] = when(market["closedTime"])
    for market in load("kalshi", "settled.json"):
        if market.get("status", "finalized") != "finalized":
            continue
        yes = D(market["settlement_value_dollars"])
        assert yes == (D(1) if market["result"] == "yes" else D(0)), market["ticker"]
        for side, value in (("yes", yes), ("no", 1 - yes)):
            payout[f"{market['ticker']}:{side}"] = value
            settled_at[f"{market['ticker']}:{side}"] = when(market["settlement_ts"])
    return {"pm_rate": pm_rate, "k_multiplier": k_multiplier, "payout": payout, "at": settled_at}


def books_before(directory: Path, moment: datetime) -> dict[str, OrderBook]:
    """Every contract's recorded book after each stream message stamped before ``moment``
    (a book whose continuity is lost is left out: nothing may trade on it)."""
    timeline = []
    decoders = {}
    books: dict[str, OrderBook] = {}
    for rank, (name, venue) in enumerate(VENUES.items()):
        recording = venue.read_recording(directory / name)
        decoders[name] = venue.stream_decoder(list(recording.markets))
        decoders[name].seed(list(recording.books))
        books.update({book.contract_id: book for book in recording.books})
        timeline += [(ts, rank, n, name, msg) for n, (ts, msg) in enumerate(recording.stream)]
    lost: set[str] = set()
    for ts, _, _, name, message in sorted(timeline, key=lambda item: item[:3]):
        if EPOCH + timedelta(milliseconds=ts) >= moment:
            break
        for event in decoders[name].feed(message):
            if isinstance(event, BookUpdate):
                books[event.book.contract_id] = event.book
            elif isinstance(event, ContinuityLost):
                lost.update(event.contract_ids)
            elif isinstance(event, ContinuityRestored):
                lost.difference_update(event.contract_ids)
    return {c: b for c, b in books.items() if c not in lost and b.continuous}


def walk(
    book: OrderBook, side: str, size: Decimal, limit: Decimal
) -> list[tuple[Decimal, Decimal]]:
    """An order of ``size`` through the book, best level first, none beyond ``limit``: a buy
    takes the asks from the cheapest up, a sell the bids from the highest down."""
    buy = side == "buy"
    levels = sorted(
        ((p, s) for p, s in (book.asks if buy else book.bids) if s > 0), reverse=not buy
    )
    takes, left = [], size
    for price, available in levels:
        if left <= 0 or (price > limit if buy else price < limit):
            break
        takes.append((price, min(left, available)))
        left -= takes[-1][1]
    return takes


def fees(leg: dict[str, Any], takes: list[tuple[Decimal, Decimal]], raw: dict) -> list[Decimal]:
    """What each fill of one order adds to the order's fee, by the venue's published rule."""
    if leg["venue"] == "polymarket":  # each level: C × rate × p × (1 − p), rounded up to 1e-5
        rate = raw["pm_rate"][leg["contract_id"]]
        return [ceil_to(size * rate * price * (1 - price), "0.00001") for price, size in takes]
    assert leg["venue"] == "kalshi"
    multiplier = raw["k_multiplier"][leg["market_id"]]
    charged, running, result = D(0), D(0), []
    for price, size in takes:  # each fill up to $0.0001, the order's total up to the cent
        running += ceil_to(KALSHI_TAKER * multiplier * size * price * (1 - price), "0.0001")
        total = ceil_to(running, "0.01")
        result.append(total - charged)
        charged = total
    return result


def expected_fills(
    directory: Path, plan: dict[str, Any], latency: timedelta, raw: dict
) -> dict[str, list]:
    """contract id → ``[(at, side, price, size, fee)]`` the plan (entry or exit) must fill."""
    due = datetime.fromisoformat(plan["decided_at"]) + latency
    books = books_before(directory, due)
    result = {}
    for leg in plan["legs"]:
        assert leg["side"] == ("buy" if plan["kind"] == "entry" else "sell")
        book = books[leg["contract_id"]]
        takes = walk(book, leg["side"], D(leg["size"]), D(leg["limit_price"]))
        assert sum(s for _, s in takes) == D(leg["size"]), "the recorded book lacks the size"
        charged = fees(leg, takes, raw)
        result[leg["contract_id"]] = [
            (due, leg["side"], price, size, fee)
            for (price, size), fee in zip(takes, charged, strict=True)
        ]
    return result


# -- the command --------------------------------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=[None, "90", "thin:1", "thin:0.455", "jump"],
    ids=[
        "default-latency",
        "latency-90s",
        "thin-books-latency-1s",
        "thin-books-due-at-a-message",
        "bids-jump-exit",
    ],
)
def traded(request, tmp_path_factory) -> dict[str, Any]:
    """One ``arbkit trade`` on a fresh database: the sample with the default latency, the
    sample with 90 s, the thinned copy with 1 s (fills walking several levels) and with
    0.455 s, due exactly when the thinning Kalshi snapshot arrives (it must not be used yet),
    and the copy whose bids jump (a convergence exit)."""
    where = tmp_path_factory.mktemp("trade")
    db = where / "arbkit.db"
    if request.param and request.param.startswith("thin:"):
        seconds = request.param.partition(":")[2]
        directory, latency = thin_books(where), timedelta(seconds=float(seconds))
        args = ["--replay", str(directory), "--latency", seconds]
    elif request.param == "jump":
        directory, latency = jumped_bids(where), DEFAULT_LATENCY
        args = ["--replay", str(directory)]
    elif request.param:
        directory, latency = SAMPLE, timedelta(seconds=float(request.param))
        args = ["--sample", "--latency", request.param]
    else:
        directory, latency, args = SAMPLE, DEFAULT_LATENCY, ["--sample"]
    stdout = run_trade(db, *args)
    (run,) = runs(db)
    return {
        "name": request.param,
        "db": db,
        "dir": directory,
        "out": json.loads(stdout),
        "latency": latency,
        "book": run["book"],
    }


def test_two_fresh_databases_give_byte_identical_output(tmp_path: Path) -> None:
    first = run_trade(tmp_path / "a.db", "--sample")
    second = run_trade(tmp_path / "b.db", "--sample")
    assert first == second
    assert json.loads(first)["positions"], "the sample must trade something"


def test_a_second_run_on_the_same_database_gives_byte_identical_output(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    first = run_trade(db, "--sample")
    second = run_trade(db, "--sample")
    assert len({run["book"] for run in runs(db)}) == 2, "each completed replay is a fresh book"
    assert json.loads(second)["positions"] == json.loads(first)["positions"]
    assert second == first


def test_every_fill_recomputes_from_the_recorded_books_latency_and_fee_formulas(traded, raw):
    out, db = traded["out"], traded["db"]
    trades = book_trades(db, traded["book"])
    entries = [t for t in trades if t["kind"] == "entry"]
    assert entries and len(entries) == out["opportunities"]["taken"]
    expected: dict[tuple[str, str], list] = {}
    for trade in trades:  # in the order they were decided
        assert trade["state"] == ("hedged" if trade["kind"] == "entry" else "flat")
        plan = trade["plan"]
        for contract, fills in expected_fills(traded["dir"], plan, traded["latency"], raw).items():
            expected.setdefault((plan["game_id"], contract), []).extend(fills)
    for position in out["positions"]:
        for leg in position["legs"]:
            got = [
                (
                    datetime.fromisoformat(f["at"]),
                    f["side"],
                    D(f["price"]),
                    D(f["size"]),
                    D(f["fee"]),
                )
                for f in leg["fills"]
            ]
            fills = expected.pop((position["game"], leg["contract"]))
            assert got == fills, (position["game"], leg["contract"])
            buys = [(price, size) for _, side, price, size, _ in fills if side == "buy"]
            assert leg["side"] == "buy"
            assert D(leg["size"]) == sum(size for _, size in buys)
            assert D(leg["fees"]) == sum(fee for *_, fee in fills)
            assert D(leg["avg_price"]) == sum(p * c for p, c in buys) / D(leg["size"])
    assert not expected, f"plans whose fills the report lacks: {sorted(expected)}"


def test_the_store_holds_exactly_the_fills_the_json_shows(traded):
    out, db = traded["out"], traded["db"]
    stored = rows(db, "select * from fills where trade_id like ?", [traded["book"] + "/%"])
    assert len({(f["venue"], f["fill_id"]) for f in stored}) == len(stored)
    shown = Counter(
        (leg["contract"], f["at"], D(f["price"]), D(f["size"]), D(f["fee"]))
        for p in out["positions"]
        for leg in p["legs"]
        for f in leg["fills"]
    )
    kept = Counter(
        (f["contract_id"], f["filled_at"], D(f["price"]), D(f["size"]), D(f["fee"])) for f in stored
    )
    assert {(c, datetime.fromisoformat(a), *r) for (c, a, *r) in shown} == {
        (c, datetime.fromisoformat(a), *r) for (c, a, *r) in kept
    }
    assert sum(shown.values()) == sum(kept.values())


def test_positions_settle_or_close_to_what_the_books_and_payouts_give(traded, raw):
    out = traded["out"]
    exits = {
        t["game_id"]: t["plan"]
        for t in book_trades(traded["db"], traded["book"])
        if t["kind"] == "exit"
    }
    total_realized = total_fees = D(0)
    for position in out["positions"]:
        cost = fees_paid = proceeds = D(0)
        ended = []
        for leg in position["legs"]:
            fills = leg["fills"]
            cost += sum(D(f["price"]) * D(f["size"]) for f in fills if f["side"] == "buy")
            proceeds += sum(D(f["price"]) * D(f["size"]) for f in fills if f["side"] == "sell")
            fees_paid += sum(D(f["fee"]) for f in fills)
            sold = sum(D(f["size"]) for f in fills if f["side"] == "sell")
            left = D(leg["size"]) - sold
            if left:  # held to the venue's settlement
                proceeds += raw["payout"][leg["contract"]] * left
                ended.append(raw["at"][leg["contract"]])
            ended += [datetime.fromisoformat(f["at"]) for f in fills if f["side"] == "sell"]
            assert D(leg["held"]) == 0
        opened = min(
            datetime.fromisoformat(f["at"]) for lg in position["legs"] for f in lg["fills"]
        )
        if position["game"] in exits:  # sold back by the exit rule that planned it
            assert position["status"] == "closed"
            assert position["exit_reason"] == exits[position["game"]]["reason"]
        else:
            assert position["status"] == "settled" and position["exit_reason"] == "settled"
        assert datetime.fromisoformat(position["opened_at"]) == opened
        assert datetime.fromisoformat(position["closed_at"]) == max(ended)
        assert D(position["cost"]) == cost
        assert D(position["proceeds"]) == proceeds
        assert D(position["fees"]) == fees_paid
        assert D(position["realized_pnl"]) == proceeds - cost - fees_paid
        assert D(position["unrealized_pnl"]) == 0
        total_realized += proceeds - cost - fees_paid
        total_fees += fees_paid
    assert D(out["pnl"]["realized"]) == total_realized
    assert D(out["pnl"]["fees"]) == total_fees
    assert D(out["pnl"]["unrealized"]) == 0


def test_a_position_whose_bids_jump_is_sold_after_the_minimum_hold(traded):
    """Only the jump replay exits; its exit is decided no sooner than 15 s after the entry."""
    closed = [p for p in traded["out"]["positions"] if p["status"] == "closed"]
    exits = [t for t in book_trades(traded["db"], traded["book"]) if t["kind"] == "exit"]
    if traded["name"] != "jump":
        assert not closed and not exits
        return
    assert [p["game"] for p in closed] == ["NCAAB:2026-11-24:DUKE@MICH"]
    assert closed[0]["exit_reason"].startswith("convergence")
    (trade,) = exits
    decided = datetime.fromisoformat(trade["plan"]["decided_at"])
    assert decided - datetime.fromisoformat(closed[0]["opened_at"]) >= MIN_HOLD


def test_checks_are_zero_and_mean_what_they_say(traded):
    out = traded["out"]
    early = above = one_legged = 0
    for position in out["positions"]:
        opened = datetime.fromisoformat(position["opened_at"])
        fills = [f for leg in position["legs"] for f in leg["fills"]]
        early += any(
            f["side"] == "sell" and datetime.fromisoformat(f["at"]) - opened < MIN_HOLD
            for f in fills
        )
        above += sum(1 for f in fills if f["side"] == "buy" and D(f["price"]) > MAX_ENTRY_PRICE)
        venues = {leg["venue"] for leg in position["legs"]}
        sizes = {D(leg["size"]) for leg in position["legs"]}
        one_legged += len(position["legs"]) != 2 or len(venues) != 2 or len(sizes) != 1
    assert out["checks"] == {
        "exits_within_min_hold": early,
        "entries_above_max_price": above,
        "one_legged": one_legged,
    }
    assert (early, above, one_legged) == (0, 0, 0)


def test_each_rejection_count_is_the_stored_decisions_with_that_reason(traded):
    out, db = traded["out"], traded["db"]
    decided = rows(db, "select accepted, reason from decisions where book = ?", [traded["book"]])
    refused = Counter(d["reason"] for d in decided if not d["accepted"])
    assert out["rejections"] == dict(refused)
    assert out["rejections"], "the sample has refusals (edge, size, doubtful book)"
    assert sum(d["accepted"] for d in decided) == out["opportunities"]["taken"]


def test_a_fill_due_after_the_game_started_is_missed(tmp_path: Path) -> None:
    """With a latency of 3700 s the plans decided at 23:00 fall due at 00:01:40: DUKE@MICH
    started at 00:00, so its entry can no longer fill (USC@WIS starts at 01:00 and can)."""
    db = tmp_path / "arbkit.db"
    out = json.loads(run_trade(db, "--sample", "--latency", "3700"))
    (run,) = runs(db)
    for trade in entry_plans(db, run["book"]):
        plan = trade["plan"]
        due = datetime.fromisoformat(plan["decided_at"]) + timedelta(seconds=3700)
        late = due >= datetime.fromisoformat(plan["start_time"])
        fills = rows(db, "select filled_at from fills where trade_id = ?", [trade["trade_id"]])
        assert not late or (trade["state"] == "missed" and not fills), plan["game_id"]
    games = {p["game"] for p in out["positions"]}
    assert games == {"NCAAB:2026-11-24:USC@WIS"}


@pytest.mark.parametrize("latency", ["0.25", "400"])
def test_no_order_fills_before_it_is_sent(tmp_path: Path, latency: str) -> None:
    db = tmp_path / "arbkit.db"
    run_trade(db, "--sample", "--latency", latency)
    (run,) = runs(db)
    for trade in entry_plans(db, run["book"]):
        sent = rows(
            db,
            "select min(at) as at from trade_transitions where trade_id = ? and state = ?",
            [trade["trade_id"], "leg1_sent"],
        )[0]["at"]
        fills = rows(db, "select filled_at from fills where trade_id = ?", [trade["trade_id"]])
        assert fills and sent is not None
        first = min(datetime.fromisoformat(f["filled_at"]) for f in fills)
        assert datetime.fromisoformat(sent) <= first, (trade["game_id"], sent, first)


def test_an_exit_inside_the_minimum_hold_is_counted_by_the_check(tmp_path: Path) -> None:
    """With the ``min_hold`` exit rule switched off, the jump at 23:00:05 is sold about 12 s
    after the 23:00:00.25 entry: ``exits_within_min_hold`` must say so."""
    config = Path(os.environ["ARBKIT_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[exits.min_hold]\nenabled = false\n")
    out = json.loads(run_trade(tmp_path / "arbkit.db", "--replay", str(jumped_bids(tmp_path))))
    early = [
        p["game"]
        for p in out["positions"]
        if p["status"] == "closed"
        and datetime.fromisoformat(p["closed_at"]) - datetime.fromisoformat(p["opened_at"])
        < MIN_HOLD
    ]
    assert early == ["NCAAB:2026-11-24:DUKE@MICH"]
    assert out["checks"]["exits_within_min_hold"] == 1
