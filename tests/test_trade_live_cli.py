"""The whole ``arbkit trade --live`` command against the fake venues on 127.0.0.1.

Discovery over HTTP on both fakes, their books, the gate, the live executor's two legs, the
journal and positions in the database and the final JSON: issue 13's acceptance, run as a user
runs it (CliRunner in this process; a subprocess for the SIGKILL test). The game and its prices
are described in tests/trade_live_helpers.py; fees are recomputed here from the venues' formulas.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import pytest
from arbkit_kalshi.fees import KalshiFees
from click.testing import CliRunner
from trade_live_helpers import (
    KX_MIN,
    NUGGETS_ASKS,
    NUGGETS_BIDS,
    config_text,
    credentials_env,
    duplicates,
    kalshi_creates,
    kalshi_fee,
    pm_fee,
    pm_held,
    pm_posts,
    pm_tokens,
    stock_kalshi,
    stock_polymarket,
)

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.clock import ReplayClock, parse_timestamp
from arbkit.plugins import make_plugin_manager
from arbkit.testing import Fault
from arbkit.testing.fake_kalshi import FakeKalshi
from arbkit.testing.fake_polymarket import FakePolymarket, book_payload
from arbkit.trading.killswitch import KillSwitch

HERE = Path(__file__).resolve().parent
NUGGETS = pm_tokens()["Nuggets"]
KX_MIN_YES = f"{KX_MIN}:yes"
#: a run long enough to discover, trade both legs and report (minutes)
SHORT = "0.04"


@pytest.fixture
def kalshi(rsa_key):
    server = FakeKalshi(
        rsa_key.public_key(), str(uuid.uuid4()), page_size=5, fees=KalshiFees().order_fee
    )
    stock_kalshi(server)
    with server:
        yield server


@pytest.fixture
def poly():
    server = FakePolymarket(events=0)
    stock_polymarket(server)
    with server:
        yield server


class Background:
    def __init__(self, work: Callable[[], dict]) -> None:
        self.report: dict | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self.thread.start()

    def _run(self, work: Callable[[], dict]) -> None:
        try:
            self.report = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test by join()
            self.error = exc

    def join(self) -> dict:
        self.thread.join(timeout=60)
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait on state, not time (the limit only stops a hung test)."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


class Home:
    """A config naming the fakes' URLs and a database; ``run`` is ``arbkit ARGS`` in-process."""

    def __init__(self, root: Path, polymarket: FakePolymarket, kalshi: FakeKalshi) -> None:
        self.root = root
        self.polymarket = polymarket
        self.kalshi = kalshi
        self.config = root / "config.toml"
        self.db = root / "arbkit.db"
        self.configure()

    def configure(self, extra: str = "") -> None:
        self.config.write_text(config_text(self.polymarket, self.kalshi, extra))

    def args(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--db", str(self.db), *args]

    def run(self, *args: str, input: str | None = None):
        pm = make_plugin_manager()
        return CliRunner().invoke(make_cli(pm), self.args(*args), obj=AppState(pm=pm), input=input)

    def command(self, *args: str) -> list[str]:
        """``arbkit ARGS`` as a process (arbkit.cli.main, the console script's own handling)."""
        return [sys.executable, str(HERE / "trade_live_helpers.py"), *self.args(*args)]

    def process(self, *args: str, input: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*args),
            env=child_env(),
            input=input,  # a pipe: not a terminal
            capture_output=True,
            text=True,
            timeout=60,
        )

    def json(self, *args: str) -> dict:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def trade(self, minutes: str = SHORT) -> dict:
        return self.json("trade", "--live", "--yes", "--duration", minutes, "--json")

    def trade_in_thread(self, minutes: str) -> Background:
        """The command in a thread (no signal handlers there), so the test can act meanwhile."""
        return Background(lambda: self.trade(minutes))

    def sql(self, query: str) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(query).fetchall()


def child_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }


def _pinned_clock() -> ReplayClock:
    from trade_live_helpers import captured_at

    return ReplayClock(parse_timestamp(captured_at()))


@pytest.fixture
def home(tmp_path, kalshi, poly, pem, monkeypatch) -> Home:
    """Credentials in the environment, the engine's clock pinned to the sample's time."""
    for name, value in credentials_env(pem, kalshi.key_id).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("arbkit.engine.session.WallClock", _pinned_clock)
    return Home(tmp_path, poly, kalshi)


def check_hedged(report: dict, kalshi: FakeKalshi, poly: FakePolymarket) -> D:
    """One open position, both legs bought at equal size, the venues holding exactly that, the
    fees as each venue charges them; returns the size."""
    assert len(report["positions"]) == 1, report
    (position,) = report["positions"]
    assert position["status"] == "open"
    legs = {leg["venue"]: leg for leg in position["legs"]}
    assert set(legs) == {"kalshi", "polymarket"}
    assert (legs["kalshi"]["contract"], legs["polymarket"]["contract"]) == (KX_MIN_YES, NUGGETS)
    size = D(legs["kalshi"]["held"])
    assert size > 0 and D(legs["polymarket"]["held"]) == size
    for venue, fee in (("kalshi", kalshi_fee), ("polymarket", pm_fee)):
        fills = legs[venue]["fills"]
        assert sum(D(f["size"]) for f in fills) == size
        assert D(legs[venue]["fees"]) == sum(fee(D(f["price"]), D(f["size"])) for f in fills)
    assert kalshi.positions[KX_MIN] == size  # the exposure at the venues: hedged
    assert pm_held(poly) == {NUGGETS: size}
    assert report["checks"]["one_legged"] == 0
    return size


# -- a clean fill ----------------------------------------------------------------------------


def test_clean_two_leg_fill(home, kalshi, poly) -> None:
    report = home.trade()
    assert report["mode"] == "live"
    assert report["opportunities"]["taken"] == 1
    size = check_hedged(report, kalshi, poly)
    # each client order id reached its venue once; nothing else was sent
    (sent,) = kalshi_creates(kalshi)
    assert (sent["ticker"], sent["side"], D(sent["count"])) == (KX_MIN, "bid", size)
    assert len(kalshi.orders) == 1 and duplicates(kalshi) == {}
    (posted,) = pm_posts(poly)
    assert (posted["order"]["tokenId"], posted["order"]["side"]) == (NUGGETS, "BUY")
    assert len(poly.orders) == 1
    # the journal, as `arbkit orders` shows it: both legs filled, ids as the venues gave them
    orders = home.json("orders", "--json")["orders"]
    by_venue = {row["venue"]: row for row in orders}
    assert len(orders) == 2 and set(by_venue) == {"kalshi", "polymarket"}
    assert by_venue["kalshi"]["client_order_id"] == sent["client_order_id"]
    assert by_venue["kalshi"]["order_id"] == next(iter(kalshi.orders))
    assert by_venue["polymarket"]["order_id"] == next(iter(poly.orders))
    assert {(r["status"], D(r["filled"]), r["trade_state"]) for r in orders} == {
        ("filled", size, "hedged")
    }
    stored = home.json("positions", "--json")["positions"]
    assert [p["legs"] for p in stored] == [p["legs"] for p in report["positions"]]


# -- the second leg refused --------------------------------------------------------------------


def test_second_leg_refused_is_retried_then_unwound_to_flat(home, kalshi, poly) -> None:
    """Polymarket (the thinner book) goes first and fills; Kalshi refuses leg 2 and its one
    retry 0.02 worse; the Polymarket shares are sold back: flat at both venues."""
    kalshi.reject_orders = "insufficient balance"
    report = home.trade()
    creates = kalshi_creates(kalshi)
    assert [(b["side"], b["price"]) for b in creates] == [("bid", "0.4800"), ("bid", "0.5000")]
    assert duplicates(kalshi) == {} and kalshi.orders == {}
    posts = [p["order"]["side"] for p in pm_posts(poly)]
    assert posts == ["BUY", "SELL"]
    assert pm_held(poly) == {}  # bought and sold back: nothing held
    assert kalshi.positions.get(KX_MIN, 0) == 0
    (position,) = report["positions"]
    assert position["status"] == "closed"
    assert all(D(leg["held"]) == 0 for leg in position["legs"])
    assert report["checks"]["one_legged"] == 0
    states = [s for (s,) in home.sql("select state from trade_transitions order by id")]
    assert states == ["planned", "leg1_sent", "leg1_filled", "leg2_sent", "unwinding", "flat"]
    # the round trip's loss, from the fake's own trades and Polymarket's fee formula
    trades = [(t["side"], D(t["price"]), D(t["size"])) for t in poly.trades]
    paid = sum(p * n + pm_fee(p, n) for side, p, n in trades if side == "BUY")
    got = sum(p * n - pm_fee(p, n) for side, p, n in trades if side == "SELL")
    assert D(report["pnl"]["realized"]) == D(position["realized_pnl"]) == got - paid < 0
    orders = home.json("orders", "--json")["orders"]
    rows = sorted((r["client_order_id"], r["venue"], r["side"], r["status"]) for r in orders)
    assert rows == [  # client ids: trade-leg-attempt (1 first, 2 the hedge retry, 3 the unwind)
        ("live/00001-0-1", "polymarket", "buy", "filled"),
        ("live/00001-0-3", "polymarket", "sell", "filled"),
        ("live/00001-1-1", "kalshi", "buy", "rejected"),
        ("live/00001-1-2", "kalshi", "buy", "rejected"),
    ]
    assert [b["client_order_id"] for b in creates] == ["live/00001-1-1", "live/00001-1-2"]


# -- a leg's answer later than the venue's timeout ----------------------------------------------


@pytest.mark.parametrize("venue", ["polymarket", "kalshi"])
def test_a_timed_out_leg_is_reconciled_without_a_second_order(home, kalshi, poly, venue) -> None:
    """The venue acts at once and answers after the client's 1 s timeout (Polymarket: leg 1,
    found by its fill; Kalshi: leg 2, found by its client order id): hedged, sent once."""
    text = home.config.read_text().replace(
        f"[venues.{venue}]\n", f"[venues.{venue}]\ntimeout = 1\n"
    )
    home.config.write_text(text)
    if venue == "polymarket":
        poly.inject(Fault(hold=2.0, path="/order"))
    else:
        kalshi.order_delay = 2.0
    result = home.run("trade", "--live", "--yes", "--duration", SHORT, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    if venue == "polymarket":  # the executor heard no answer and looked the order up
        unknown = [line for line in result.stderr.splitlines() if "outcome unknown" in line]
        assert len(unknown) == 1 and "polymarket: POST /order" in unknown[0], result.stderr
    else:  # the plugin looked its own order up by client id (the list, not the order by id)
        lists = [r for r in kalshi.requests if r.method == "GET" and r.path.endswith("/orders")]
        assert lists, [r.path for r in kalshi.requests]
    check_hedged(report, kalshi, poly)
    assert len(pm_posts(poly)) == len(poly.orders) == 1
    assert len(kalshi_creates(kalshi)) == len(kalshi.orders) == 1
    orders = home.json("orders", "--json")["orders"]
    assert sorted((r["venue"], r["status"]) for r in orders) == [
        ("kalshi", "filled"),
        ("polymarket", "filled"),
    ]


# -- the kill switch ---------------------------------------------------------------------------


def test_kill_switch_present_sends_no_order(home, kalshi, poly) -> None:
    assert home.run("db", "migrate").exit_code == 0  # halt refuses a database no trader uses
    assert home.run("halt", "--reason", "test halt").exit_code == 0
    report = home.trade()
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []
    assert report["positions"] == [] and report["opportunities"]["taken"] == 0
    assert report["rejections"].get("halted", 0) >= 1
    assert report["risk"] == "halted"


def test_kill_switch_mid_run_stops_the_next_entry_but_not_an_exit(home, kalshi, poly) -> None:
    """Hedged; the halt file appears; Polymarket's bids jump (take profit sells both legs);
    then the cross comes back on the next update: the gate refuses it, halted."""
    home.configure("[exits.min_hold]\nenabled = false\n[exits.take_profit]\ndollars = 1\n")
    run = home.trade_in_thread("0.06")
    wait_for(lambda: kalshi.positions.get(KX_MIN, 0) > 0, "the entry is hedged")
    KillSwitch(KillSwitch.default_path(home.db)).trip("mid-run halt")
    poly.broadcast(
        {"event_type": "book", **book_payload(NUGGETS, [("0.60", "500")], [("0.61", "500")])}
    )
    wait_for(lambda: kalshi.positions.get(KX_MIN) == 0 and not pm_held(poly), "the exit sold")
    poly.broadcast({"event_type": "book", **book_payload(NUGGETS, NUGGETS_BIDS, NUGGETS_ASKS)})
    report = run.join()
    assert [p["order"]["side"] for p in pm_posts(poly)] == ["BUY", "SELL"]
    assert [b["side"] for b in kalshi_creates(kalshi)] == ["bid", "ask"]
    (position,) = report["positions"]
    assert position["status"] == "closed" and "profit" in position["exit_reason"]
    assert D(position["realized_pnl"]) >= 1
    assert report["rejections"].get("halted", 0) >= 1
    assert report["opportunities"]["taken"] == 1


def test_a_one_legged_position_can_still_be_exited(home, kalshi, poly) -> None:
    """A stop loss fires at once after the entry; Kalshi refuses the first sale of its leg
    (the exit ends BROKEN, Polymarket sold); the rule still wants out: the Kalshi leg is
    offered again and sold."""
    home.configure("[exits.min_hold]\nenabled = false\n[exits.stop_loss]\ndollars = 1\n")
    kalshi.refuse_asks = 1
    report = home.trade("0.1")  # marks (and exits) come once a second: room for a second
    assert [b["side"] for b in kalshi_creates(kalshi)] == ["bid", "ask", "ask"]  # 1 refused
    assert [p["order"]["side"] for p in pm_posts(poly)] == ["BUY", "SELL"]
    assert kalshi.positions[KX_MIN] == 0  # the second offer of the Kalshi leg sold it
    assert report["positions"][0]["status"] == "closed"


def test_a_refused_hedge_is_not_retried_on_every_book_change(home, kalshi, poly) -> None:
    kalshi.reject_orders = "insufficient balance"
    run = home.trade_in_thread("0.06")
    wait_for(lambda: len(pm_posts(poly)) == 2, "leg 1 bought and sold back")
    wait_for(lambda: home.sql("select state from trades") == [("flat",)], "the trade is flat")
    bigger = [("0.44", "500"), ("0.47", "3000")]
    poly.broadcast({"event_type": "book", **book_payload(NUGGETS, NUGGETS_BIDS, bigger)})
    report = run.join()
    assert report["opportunities"]["taken"] == 1
    assert [p["order"]["side"] for p in pm_posts(poly)] == ["BUY", "SELL"]


# -- SIGKILL with a leg in flight, then a restart ---------------------------------------------


def kill_while(home: Home, acted: Callable[[], bool]) -> None:
    """Run the command in a child process and SIGKILL it once ``acted`` (a held order exists
    at a venue, its answer not sent yet)."""
    child = subprocess.Popen(
        home.command("trade", "--live", "--yes", "--json", "--duration", "1"),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(3000):  # wait on state, not time
            if acted() or child.poll() is not None:
                break
            time.sleep(0.01)
        assert acted(), child.communicate(timeout=5)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("holder", ["polymarket", "kalshi"])
def test_sigkill_with_a_leg_in_flight_then_restart(home, kalshi, poly, holder) -> None:
    """The venue acts on the order at once and holds its answer; the command is SIGKILLed
    while waiting; the same command on the same database ends hedged, nothing sent twice, and
    makes no new entry in the game."""
    if holder == "polymarket":  # leg 1 in flight
        poly.inject(Fault(hold=30.0, path="/order"))
        acted = poly.orders
    else:  # leg 1 (Polymarket) filled, leg 2 in flight
        kalshi.order_delay = 30.0
        acted = kalshi.orders
    kill_while(home, lambda: bool(acted))
    kalshi.order_delay = 0.0
    sent = (len(kalshi_creates(kalshi)), len(pm_posts(poly)))
    assert sent == ((0, 1) if holder == "polymarket" else (1, 1))

    report = home.trade()
    size = check_hedged(report, kalshi, poly)
    assert report["opportunities"]["taken"] == 0  # no re-entry into the held game
    assert len(kalshi.orders) == 1 and duplicates(kalshi) == {}
    assert len(pm_posts(poly)) == len(poly.orders) == 1
    assert home.sql("select trade_id, state from trades") == [("live/00001", "hedged")]
    assert D(home.sql("select size from trades")[0][0]) == size


def test_sigkill_while_unwinding_then_restart_ends_flat(home, kalshi, poly) -> None:
    """Kalshi refuses leg 2 and its retry; the Polymarket unwind (a SELL) is acted on and its
    answer held; killed; the restart (kill switch on) finds the sale and ends flat, sending
    nothing more."""
    kalshi.reject_orders = "insufficient balance"
    poly.sell_delay = 30.0
    kill_while(home, lambda: any(o["side"] == "SELL" for o in list(poly.orders.values())))
    poly.sell_delay = 0.0
    assert [p["order"]["side"] for p in pm_posts(poly)] == ["BUY", "SELL"]

    # halted: the restart must still finish the unwind; a new entry is the subject of
    # test_a_refused_hedge_is_not_retried_on_every_book_change, not of this test
    assert home.run("halt").exit_code == 0
    report = home.trade()
    assert [p["order"]["side"] for p in pm_posts(poly)] == ["BUY", "SELL"]
    assert pm_held(poly) == {} and kalshi.orders == {}
    assert len(kalshi_creates(kalshi)) == 2 and duplicates(kalshi) == {}
    (position,) = report["positions"]
    assert position["status"] == "closed"
    assert report["checks"]["one_legged"] == 0
    assert report["opportunities"]["taken"] == 0 and report["rejections"]["halted"] >= 1
    assert home.sql("select trade_id, state from trades") == [("live/00001", "flat")]


def test_sigkill_during_an_exit_under_the_kill_switch_then_restart(home, kalshi, poly) -> None:
    """A position held from a first run; the halt file is written and a stop loss of $1
    configured (the legs' bids are worth less than they cost). The second run restores the
    position and exits despite the halt; its Polymarket sale is acted on, the answer held, the
    process killed. The third run finds the sale, sells the Kalshi leg once, and buys nothing."""
    size = check_hedged(home.trade(), kalshi, poly)
    assert home.run("halt").exit_code == 0
    # min_hold off: the engine's clock is pinned to the sample's time, the fills carry the
    # venues' (real) times, so a position would look forever younger than any minimum hold
    home.configure("[exits.min_hold]\nenabled = false\n[exits.stop_loss]\ndollars = 1\n")
    poly.sell_delay = 30.0
    kill_while(home, lambda: any(o["side"] == "SELL" for o in list(poly.orders.values())))
    poly.sell_delay = 0.0
    assert [b["side"] for b in kalshi_creates(kalshi)] == ["bid"]  # the Kalshi sale not sent

    report = home.trade()
    sells = [b for b in kalshi_creates(kalshi) if b["side"] == "ask"]
    assert [(b["ticker"], D(b["count"])) for b in sells] == [(KX_MIN, size)]
    assert [p["order"]["side"] for p in pm_posts(poly)] == ["BUY", "SELL"]
    assert kalshi.positions[KX_MIN] == 0 and pm_held(poly) == {}
    assert duplicates(kalshi) == {}
    (position,) = report["positions"]
    assert position["status"] == "closed" and "loss" in position["exit_reason"]
    assert report["opportunities"]["taken"] == 0 and report["rejections"]["halted"] >= 1
    assert home.sql("select kind, state from trades order by trade_id") == [
        ("entry", "hedged"),
        ("exit", "flat"),
    ]


# -- refusals before anything is sent ----------------------------------------------------------


def test_live_without_credentials_is_one_line(home, kalshi, poly, monkeypatch) -> None:
    for name in credentials_env("", ""):
        monkeypatch.delenv(name)
    done = home.process("trade", "--live", "--yes", "--json")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert "credentials" in line
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []


def test_live_without_yes_on_a_pipe_aborts(home, kalshi, poly) -> None:
    done = home.process("trade", "--live", "--json", input="")
    assert done.returncode != 0
    assert "--yes" in done.stderr.splitlines()[-1] and "Traceback" not in done.stderr
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []
    assert home.sql("select count(*) from trades") == [(0,)]


def test_live_without_yes_takes_no_answer_from_a_pipe(home, kalshi, poly) -> None:
    done = home.process("trade", "--live", "--json", "--duration", "0.02", input="y\n")
    assert kalshi_creates(kalshi) == [] and pm_posts(poly) == []
    assert done.returncode != 0 and "--yes" in done.stderr.splitlines()[-1]


def test_live_with_sample_is_a_usage_error(home, kalshi, poly) -> None:
    done = home.process("trade", "--live", "--sample", "--yes")
    assert done.returncode == 2, done.stderr
    assert "--live" in done.stderr and "Traceback" not in done.stderr
    assert kalshi.requests == [] and poly.requests == []
