"""The live executor against the fake venues over real sockets on 127.0.0.1.

Kalshi leg: buy YES at 0.40 (thin: it goes first, FOK); Polymarket leg: buy token B at 0.55
(IOC). Fees are recomputed here from the venues' formulas, not read from the code under test.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import ROUND_CEILING
from decimal import Decimal as D
from pathlib import Path

import pytest
from arbkit_kalshi.fees import KalshiFees
from attrs import evolve
from live_helpers import (
    CREATE,
    KX,
    KX_YES,
    T0,
    Crash,
    Recorder,
    books,
    build_rig,
    dump,
    entry_plan,
    exit_plan,
    markets,
    spec,
    stock_kalshi,
)

from arbkit.models import Fill, Order, OrderRequest, OrderStatus, Side, TimeInForce
from arbkit.testing import Fault
from arbkit.testing.fake_kalshi import FakeKalshi
from arbkit.testing.fake_polymarket import FakePolymarket
from arbkit.trading.live_orders import bounded, first_leg, leg_fills, snap
from arbkit.trading.model import TradeState

S = TradeState
HERE = Path(__file__).resolve().parent


@pytest.fixture
def kalshi(rsa_key):
    key_id = str(uuid.uuid4())
    server = FakeKalshi(rsa_key.public_key(), key_id, page_size=100, fees=KalshiFees().order_fee)
    stock_kalshi(server)
    with server:
        yield server


@pytest.fixture
def poly():
    with FakePolymarket(events=1) as server:
        server.fill_ratio = D("1")
        yield server


@pytest.fixture
def rig_spec(kalshi, poly, pem, tmp_path):
    return spec(kalshi, poly, pem, kalshi.key_id, tmp_path / "live.db")


def kalshi_creates(fake: FakeKalshi) -> list[dict]:
    return [r.json() for r in fake.requests if r.path == CREATE and r.method == "POST"]


def pm_posts(fake: FakePolymarket) -> list:
    return [r for r in fake.requests if r.path == "/order" and r.method == "POST"]


def kalshi_fee(price: str, size: str) -> D:
    """Kalshi's taker fee: 0.07 × C × P × (1 − P), rounded up to the cent."""
    p, c = D(price), D(size)
    return (D("0.07") * c * p * (1 - p)).quantize(D("0.01"), rounding=ROUND_CEILING)


def pm_fee(price: str, size: str) -> D:
    """Polymarket sports fee of the fake's market: C × 0.05 × p × (1 − p) (exponent 1)."""
    p, c = D(price), D(size)
    return c * D("0.05") * p * (1 - p)


def no_duplicates(rig, kalshi: FakeKalshi, poly: FakePolymarket) -> None:
    """Each journaled client id reached its venue at most once, and nothing else did."""
    journaled = {r["client_order_id"]: r["venue"] for r in rig.journal.orders()}
    sent_kalshi = [body["client_order_id"] for body in kalshi_creates(kalshi)]
    assert len(sent_kalshi) == len(set(sent_kalshi))
    assert set(sent_kalshi) <= {c for c, v in journaled.items() if v == "kalshi"}
    assert len(kalshi.orders) == len(sent_kalshi)
    assert len(poly.orders) <= len([c for c, v in journaled.items() if v == "polymarket"])


async def test_clean_two_leg_fill_is_hedged_and_journaled_once(rig_spec, kalshi, poly) -> None:
    rig = build_rig(rig_spec, run_id="r1")
    plan = entry_plan(rig_spec["pm_token"])
    try:
        rig.executor.submit(plan)
        assert rig.executor.busy(plan.game_id)
        await rig.executor.drain()
        assert not rig.executor.busy(plan.game_id)
    finally:
        await rig.close()
    assert rig.listener.of("T1") == [S.PLANNED, S.LEG1_SENT, S.LEG1_FILLED, S.LEG2_SENT, S.HEDGED]
    (sent,) = kalshi_creates(kalshi)
    assert (sent["client_order_id"], sent["time_in_force"]) == ("T1-0-1", "fill_or_kill")
    assert (sent["side"], sent["price"], sent["count"]) == ("bid", "0.4000", "10.00")
    (posted,) = pm_posts(poly)
    assert posted.json()["orderType"] == "FAK"
    fills = rig.journal.fills("T1")
    assert [(f.venue, f.side, f.size, f.price) for f in fills] == [
        ("kalshi", Side.BUY, D("10"), D("0.40")),
        ("polymarket", Side.BUY, D("10"), D("0.55")),
    ]
    assert fills[0].fee == kalshi_fee("0.40", "10") == D("0.17")
    assert fills[1].fee == pm_fee("0.55", "10")
    assert fills[0].fill_id == kalshi.fills[0]["fill_id"]  # the venue's own fill id
    assert fills[1].fill_id == poly.trades[0]["id"]
    assert rig.listener.fills == fills
    assert kalshi.positions[KX] == 10
    assert rig.journal.pending_orders() == []


async def test_leg2_refused_then_hedge_retry_then_unwind_to_flat(rig_spec, kalshi, poly) -> None:
    poly.reject_orders = "not enough balance / allowance"
    rig = build_rig(rig_spec, run_id="r1")
    try:
        rig.executor.submit(entry_plan(rig_spec["pm_token"]))
        await rig.executor.drain()
        drift = await rig.executor.reconcile_positions({("kalshi", KX_YES): D(0)})
    finally:
        await rig.close()
    assert rig.listener.of("T1") == [
        S.PLANNED,
        S.LEG1_SENT,
        S.LEG1_FILLED,
        S.LEG2_SENT,
        S.UNWINDING,
        S.FLAT,
    ]
    rows = {r["client_order_id"]: r for r in rig.journal.orders("T1")}
    assert {c: (r["side"], r["price"], r["status"]) for c, r in rows.items()} == {
        "T1-0-1": ("buy", "0.40", "filled"),
        "T1-1-1": ("buy", "0.55", "rejected"),
        "T1-1-2": ("buy", "0.57", "rejected"),  # limit + 0.02, one retry
        "T1-0-3": ("sell", "0.36", "filled"),  # IOC at best bid 0.38 − 0.02
    }
    assert len(pm_posts(poly)) == 2 and not poly.orders
    sells = [b for b in kalshi_creates(kalshi) if b["side"] == "ask"]
    assert [(b["client_order_id"], b["price"], b["count"]) for b in sells] == [
        ("T1-0-3", "0.3600", "10.00")
    ]
    fills = rig.journal.fills("T1")
    assert [(f.side, f.size, f.price) for f in fills] == [
        (Side.BUY, D("10"), D("0.40")),
        (Side.SELL, D("10"), D("0.38")),  # the IOC took the 0.38 bid
    ]
    assert kalshi.positions[KX] == 0  # exposure flat at the venue
    assert drift == []
    assert rig.executor.blocked == {}


async def test_leg1_timeout_is_reconciled_by_client_id_without_resending(
    rig_spec, kalshi, poly
) -> None:
    kalshi.order_delay = 1.0  # Kalshi acts, then answers after the executor gave up
    rig = build_rig(rig_spec, run_id="r1", order_timeout=0.3)
    seen_blocked: list[dict] = []
    original = rig.executor._reconcile

    async def watching(*args, **kwargs):
        task = asyncio.ensure_future(original(*args, **kwargs))
        await asyncio.sleep(0)
        seen_blocked.append(dict(rig.executor.blocked))
        return await task

    rig.executor._reconcile = watching
    try:
        rig.executor.submit(entry_plan(rig_spec["pm_token"]))
        await rig.executor.drain()
    finally:
        await rig.close()
    assert rig.listener.of("T1")[-1] is S.HEDGED
    assert "kalshi" in seen_blocked[0]  # new writes there waited for the reconcile
    assert rig.executor.blocked == {}
    assert [b["client_order_id"] for b in kalshi_creates(kalshi)] == ["T1-0-1"]
    assert len(kalshi.orders) == 1
    assert [f.venue for f in rig.journal.fills("T1")] == ["kalshi", "polymarket"]


async def test_entry_on_a_blocked_venue_sends_nothing(rig_spec, kalshi, poly) -> None:
    rig = build_rig(rig_spec, run_id="r1")
    try:
        drift = await rig.executor.reconcile_positions({("kalshi", KX_YES): D(4)})
        rig.executor.submit(entry_plan(rig_spec["pm_token"]))
        await rig.executor.drain()
    finally:
        await rig.close()
    assert drift == [f"kalshi {KX_YES}: journal says 4, venue holds 0"]
    assert "position drift" in rig.executor.blocked["kalshi"]
    assert rig.listener.of("T1") == [S.PLANNED, S.MISSED]
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []


async def test_exit_sells_both_legs(rig_spec, kalshi, poly) -> None:
    rig = build_rig(rig_spec, run_id="r1")
    entry = entry_plan(rig_spec["pm_token"])
    try:
        rig.executor.submit(entry)
        await rig.executor.drain()
        rig.executor.submit(exit_plan(entry, "X1", ("0.36", "0.45")))
        await rig.executor.drain()
    finally:
        await rig.close()
    assert rig.listener.of("X1") == [S.PLANNED, S.LEG1_SENT, S.LEG2_SENT, S.FLAT]
    sold = [(f.venue, f.side, f.size) for f in rig.journal.fills("X1")]
    assert sold == [("kalshi", Side.SELL, D("10")), ("polymarket", Side.SELL, D("10"))]
    assert kalshi.positions[KX] == 0


# -- restarts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crash_at", "refuse_leg2", "final"),
    [
        (S.PLANNED, False, S.HEDGED),
        (S.LEG1_SENT, False, S.HEDGED),
        (S.LEG1_FILLED, False, S.HEDGED),
        (S.LEG2_SENT, False, S.HEDGED),
        (S.LEG2_SENT, True, S.FLAT),
        (S.UNWINDING, True, S.FLAT),
    ],
)
async def test_restart_from_each_stored_state(
    rig_spec, kalshi, poly, crash_at, refuse_leg2, final
) -> None:
    if refuse_leg2:
        poly.reject_orders = "not enough balance / allowance"
    first = build_rig(rig_spec, run_id="r1", listener=Recorder(crash_at=crash_at))
    plan = entry_plan(rig_spec["pm_token"])
    try:
        try:
            first.executor.submit(plan)
        except Crash:
            pass  # died right after storing PLANNED
        await first.executor.drain()
    finally:
        await first.close()
    assert first.listener.of("T1")[-1] is crash_at
    sent_before = len(kalshi_creates(kalshi)) + len(pm_posts(poly))

    second = build_rig(rig_spec, run_id="r2")
    try:
        done = await second.executor.resume()
    finally:
        await second.close()
    assert done[0] == f"T1: resumed from {crash_at.value}"
    assert second.listener.of("T1")[-1] is final
    assert second.journal.state("T1") is final
    no_duplicates(second, kalshi, poly)
    held = sum(
        (
            f.size if f.side is Side.BUY else -f.size
            for f in second.journal.fills("T1")
            if f.venue == "kalshi"
        ),
        D(0),
    )
    assert kalshi.positions[KX] == held == (10 if final is S.HEDGED else 0)
    # nothing already sent before the crash was sent again
    assert len(kalshi_creates(kalshi)) + len(pm_posts(poly)) >= sent_before


async def test_restart_with_leg1_answer_lost_in_flight(rig_spec, kalshi, poly) -> None:
    """The order reached Kalshi, then the process died before reading the answer."""
    first = build_rig(rig_spec, run_id="r1")
    venue = first.venues["kalshi"]
    real = venue.place_order

    async def dies_after_sending(request):
        await real(request)
        raise Crash("answer lost with the process")

    venue.place_order = dies_after_sending
    try:
        first.executor.submit(entry_plan(rig_spec["pm_token"]))
        await first.executor.drain()
    finally:
        await first.close()
    assert first.journal.pending_orders()[0]["client_order_id"] == "T1-0-1"

    second = build_rig(rig_spec, run_id="r2")
    try:
        done = await second.executor.resume()
    finally:
        await second.close()
    assert "T1-0-1: reconciled as filled" in done
    assert second.journal.state("T1") is S.HEDGED
    assert [b["client_order_id"] for b in kalshi_creates(kalshi)] == ["T1-0-1"]
    assert len(second.journal.fills("T1")) == 2


@pytest.mark.parametrize(
    ("pm_first", "holder", "state"),
    [
        (False, "kalshi", S.LEG1_SENT),  # Kalshi leg 1 in flight
        (True, "kalshi", S.LEG2_SENT),  # Polymarket filled, Kalshi leg 2 in flight
        (True, "polymarket", S.LEG1_SENT),  # Polymarket leg 1 in flight (no client ids)
    ],
)
def test_sigkill_with_an_order_in_flight_then_restart(
    rig_spec, kalshi, poly, tmp_path, pm_first, holder, state
) -> None:
    """A child process runs the executor; a fake acts on an order at once and holds the
    answer; the child is SIGKILLed; a restart in this process ends hedged, nothing resent."""
    if holder == "kalshi":
        kalshi.order_delay = 30.0
        venue_orders = kalshi.orders
    else:
        poly.inject(Fault(hold=30.0, path="/order"))
        venue_orders = poly.orders
    spec_file = tmp_path / "spec.json"
    dump(spec_file, {**rig_spec, "pm_first": pm_first})
    env = {**os.environ, "PYTHONPATH": str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen(
        [sys.executable, str(HERE / "scripts" / "live_child.py"), str(spec_file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(2000):  # wait on state, not time: the held order exists at the venue
            if (venue_orders and (holder == "polymarket" or kalshi.orders)) or child.poll():
                break
            time.sleep(0.01)
        assert venue_orders, child.communicate(timeout=5)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    kalshi.order_delay = 0.0
    sent_before = (len(kalshi_creates(kalshi)), len(pm_posts(poly)))

    async def restart():
        rig = build_rig(rig_spec, run_id="after-kill")
        try:
            return rig, await rig.executor.resume()
        finally:
            await rig.close()

    rig, done = asyncio.run(restart())
    assert done[0] == f"T1: resumed from {state.value}"
    held_id = "T1-0-1" if holder == "kalshi" else "T1-1-1"
    assert f"{held_id}: reconciled as filled" in done
    assert rig.journal.state("T1") is S.HEDGED
    assert [b["client_order_id"] for b in kalshi_creates(kalshi)] == ["T1-0-1"]
    assert len(pm_posts(poly)) == len(poly.orders) == 1
    assert kalshi.positions[KX] == 10
    # what the killed child had sent (Kalshi creates, Polymarket posts): none of it again
    assert sent_before == {(False, "kalshi"): (1, 0), (True, "kalshi"): (1, 1)}.get(
        (pm_first, holder), (0, 1)
    )
    no_duplicates(rig, kalshi, poly)


async def test_restart_with_polymarket_answer_lost_finds_the_order_by_shape(
    rig_spec, kalshi, poly
) -> None:
    """Polymarket has no client ids: after a restart its plugin cannot look the order up by
    one, so the executor finds the unclaimed fill of the same shape instead of re-sending."""
    first = build_rig(rig_spec, run_id="r1")
    venue = first.venues["polymarket"]
    real = venue.place_order

    async def dies_after_sending(request):
        await real(request)
        raise Crash("answer lost with the process")

    venue.place_order = dies_after_sending
    try:
        first.executor.submit(entry_plan(rig_spec["pm_token"]))
        await first.executor.drain()
    finally:
        await first.close()
    assert first.journal.state("T1") is S.LEG2_SENT

    second = build_rig(rig_spec, run_id="r2")
    try:
        done = await second.executor.resume()
    finally:
        await second.close()
    assert "T1-1-1: reconciled as filled" in done
    assert second.journal.state("T1") is S.HEDGED
    assert len(pm_posts(poly)) == 1 and len(poly.orders) == 1
    (row,) = [r for r in second.journal.orders("T1") if r["venue"] == "polymarket"]
    assert row["order_id"] == next(iter(poly.orders))
    assert [f.venue for f in second.journal.fills("T1")] == ["kalshi", "polymarket"]


async def test_polymarket_leg1_answer_dropped_is_reconciled(rig_spec, kalshi, poly) -> None:
    poly.inject(Fault(status=502, swallow=True, path="/order"))  # acted, answer lost
    rig = build_rig(rig_spec, run_id="r1", pm_first=True)
    try:
        rig.executor.submit(entry_plan(rig_spec["pm_token"]))
        await rig.executor.drain()
    finally:
        await rig.close()
    assert rig.listener.of("T1")[-1] is S.HEDGED
    assert [r["client_order_id"] for r in rig.journal.orders("T1")] == ["T1-1-1", "T1-0-1"]
    assert len(pm_posts(poly)) == 1 and len(poly.orders) == 1
    assert rig.executor.blocked == {}


async def test_partial_fok_on_leg1_sizes_leg2_to_what_was_delivered(rig_spec, kalshi, poly) -> None:
    poly.fill_ratio = D("0.5")  # the fake fills half even of a FOK: handled anyway
    rig = build_rig(rig_spec, run_id="r1", pm_first=True)
    try:
        rig.executor.submit(entry_plan(rig_spec["pm_token"]))
        await rig.executor.drain()
    finally:
        await rig.close()
    assert rig.listener.of("T1") == [S.PLANNED, S.LEG1_SENT, S.LEG1_PARTIAL, S.LEG2_SENT, S.HEDGED]
    (sent,) = kalshi_creates(kalshi)
    assert (sent["count"], sent["time_in_force"]) == ("5.00", "immediate_or_cancel")
    assert kalshi.positions[KX] == 5
    assert rig.journal.holdings() == {
        ("polymarket", rig_spec["pm_token"]): D("5"),
        ("kalshi", KX_YES): D("5"),
    }


def test_a_fill_on_the_complementary_contract_is_turned_into_the_leg() -> None:
    """Kalshi reports buying NO at 0.62 as selling YES at 0.38 (the YES book)."""
    plan = entry_plan("tok")
    no_leg = evolve(plan.legs[0], contract_id=f"{KX}:no")
    order = Order(
        venue="kalshi",
        order_id="o1",
        client_order_id="T1-0-1",
        contract_id=f"{KX}:no",
        side=Side.BUY,
        price="0.62",
        size="10",
        filled="10",
        status=OrderStatus.FILLED,
        average_price="0.62",
        fee="0.17",
    )
    fills = [
        Fill(
            venue="kalshi",
            fill_id="f1",
            order_id="o1",
            contract_id=KX_YES,
            side=Side.SELL,
            price="0.38",
            size="6",
            fee="0.17",
        ),
        Fill(
            venue="kalshi",
            fill_id="f2",
            order_id="o1",
            contract_id=KX_YES,
            side=Side.SELL,
            price="0.39",
            size="4",
        ),
        Fill(
            venue="kalshi",
            fill_id="x",
            order_id="other",
            contract_id=KX_YES,
            side=Side.SELL,
            price="0.5",
            size="4",
        ),
    ]
    got = leg_fills(plan, 0, no_leg, order, fills, T0)
    assert [(f.fill_id, f.contract_id, f.side, f.price, f.size) for f in got] == [
        ("f1", f"{KX}:no", Side.BUY, D("0.62"), D("6")),
        ("f2", f"{KX}:no", Side.BUY, D("0.61"), D("4")),
    ]
    # a fill list that lags: the rest comes from the order, at its average price
    (rest,) = leg_fills(plan, 0, no_leg, order, [], T0)
    assert (rest.size, rest.price, rest.fee, rest.fill_id) == (
        D("10"),
        D("0.62"),
        D("0.17"),
        "o1:rest:0",
    )


async def test_unwind_that_cannot_sell_is_broken_and_alerted(
    rig_spec, kalshi, poly, caplog
) -> None:
    poly.reject_orders = "not enough balance / allowance"
    kalshi.set_book(KX, yes=[], no=[("0.60", "10")])  # nobody bids for leg 1 at the venue
    rig = build_rig(rig_spec, run_id="r1")
    try:
        rig.executor.submit(entry_plan(rig_spec["pm_token"]))
        await rig.executor.drain()
    finally:
        await rig.close()
    trade, state, detail = rig.listener.states[-1]
    assert (trade, state, detail) == ("T1", S.BROKEN, "leg 0 one-legged by 10.00")
    assert rig.journal.state("T1") is S.BROKEN
    alerts = [r for r in caplog.records if r.levelname == "ERROR" and "BROKEN" in r.message]
    assert len(alerts) == 1 and "T1" in alerts[0].message
    assert kalshi.positions[KX] == 10  # still held: a person must look


async def test_restart_after_the_outcome_but_before_its_fills_records_them_once(
    rig_spec, kalshi, poly
) -> None:
    first = build_rig(rig_spec, run_id="r1")
    real = first.journal.fill

    def dies_before_the_fill(fill, **kwargs):
        raise Crash("killed between order_update and fill")

    first.journal.fill = dies_before_the_fill
    try:
        first.executor.submit(entry_plan(rig_spec["pm_token"]))
        await first.executor.drain()
    finally:
        await first.close()
    first.journal.fill = real
    (row,) = first.journal.orders("T1")
    assert (row["status"], row["filled"]) == ("filled", "10.00")
    assert first.journal.fills("T1") == []

    second = build_rig(rig_spec, run_id="r2")
    try:
        done = await second.executor.resume()
    finally:
        await second.close()
    assert "T1-0-1: missing fills recorded" in done
    assert second.journal.state("T1") is S.HEDGED
    fills = second.journal.fills("T1")
    assert [(f.venue, f.size, f.fill_id) for f in fills] == [
        ("kalshi", D("10"), kalshi.fills[0]["fill_id"]),
        ("polymarket", D("10"), poly.trades[0]["id"]),
    ]
    assert [b["client_order_id"] for b in kalshi_creates(kalshi)] == ["T1-0-1"]


class _BandedVenue:
    """A venue with its own grid rule (as Kalshi's price bands would offer it)."""

    name = "banded"

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def snap_price(self, market, contract_id, price, *, up=False):
        self.asked.append((contract_id, price, up))
        return D("0.333")


def test_prices_are_snapped_never_worse_than_the_limit() -> None:
    market = markets("tok")[KX]
    plain = object()
    assert snap(plain, market, KX_YES, D("0.5789"), Side.BUY) == D("0.57")  # a buy rounds down
    assert snap(plain, market, KX_YES, D("0.3611"), Side.SELL) == D("0.37")  # a sell rounds up
    banded = _BandedVenue()
    assert snap(banded, market, KX_YES, D("0.3401"), Side.SELL) == D("0.333")
    assert banded.asked == [(KX_YES, D("0.3401"), True)]
    assert bounded(D("1.01"), Side.BUY) == D("0.99")
    assert bounded(D("-0.01"), Side.SELL) == D("0.01")


def test_leg1_is_the_thinner_leg_and_a_tie_keeps_plan_order() -> None:
    plan = entry_plan("tok")
    shown = books("tok")
    assert first_leg(plan, shown.get) == 0  # Kalshi shows 10 within 0.40, Polymarket 120
    thin_pm = {**shown, "tok": evolve(shown["tok"], asks=((D("0.55"), D("4")),))}
    assert first_leg(plan, thin_pm.get) == 1
    same = {**shown, "tok": evolve(shown["tok"], asks=((D("0.55"), D("10")),))}
    assert first_leg(plan, same.get) == 0
    doubtful = {**shown, KX_YES: evolve(shown[KX_YES], continuous=False)}
    assert first_leg(plan, doubtful.get) == 0  # a doubtful book counts as empty
    assert first_leg(plan, {KX_YES: shown[KX_YES]}.get) == 1  # no book at all: goes first


async def test_resume_reconciles_a_pending_order_of_a_trade_already_final(
    rig_spec, kalshi, poly
) -> None:
    rig = build_rig(rig_spec, run_id="r1")
    plan = entry_plan(rig_spec["pm_token"])
    request = OrderRequest(
        venue="kalshi",
        contract_id=KX_YES,
        side=Side.BUY,
        price="0.40",
        size="10",
        client_order_id="T1-0-1",
        time_in_force=TimeInForce.FOK,
    )
    try:
        rig.journal.plan(plan, T0)
        rig.journal.order_intent(plan, 0, request, T0)
        await rig.venues["kalshi"].place_order(request)  # the answer "never arrived"
        rig.journal.transition("T1", S.BROKEN, T0, "marked by hand")
        done = await rig.executor.resume()
    finally:
        await rig.close()
    assert done == ["T1-0-1: reconciled as filled"]
    (row,) = rig.journal.orders("T1")
    assert (row["status"], row["order_id"]) == ("filled", next(iter(kalshi.orders)))
    assert [(f.size, f.price) for f in rig.journal.fills("T1")] == [(D("10"), D("0.40"))]
    assert rig.journal.state("T1") is S.BROKEN  # a person decides; nothing was sent
    assert len(kalshi_creates(kalshi)) == 1


async def test_restart_after_the_intent_but_before_sending_never_resends(
    rig_spec, kalshi, poly
) -> None:
    """Died between journaling leg 1 and sending it: the venue never heard of the client id,
    so after the grace period the order counts as never placed and the trade as missed."""
    first = build_rig(rig_spec, run_id="r1")

    async def dies_before_sending(request):
        raise Crash("killed before the request left")

    first.venues["kalshi"].place_order = dies_before_sending
    try:
        first.executor.submit(entry_plan(rig_spec["pm_token"]))
        await first.executor.drain()
    finally:
        await first.close()
    assert [r["status"] for r in first.journal.orders("T1")] == ["pending"]

    second = build_rig(rig_spec, run_id="r2", unknown_grace=0.2)
    try:
        done = await second.executor.resume()
    finally:
        await second.close()
    assert done == ["T1: resumed from leg1_sent", "T1-0-1: reconciled as rejected"]
    assert second.journal.state("T1") is S.MISSED
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []
