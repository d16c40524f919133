"""Running ``arbkit trade`` as a user does, and reading what it stored, for the trade tests.

Nothing here imports :mod:`arbkit.trading`: the tests that use these helpers check the trading
code from the outside, through the command's JSON and the store's tables.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import sample_dir

SAMPLE = sample_dir()
#: a trade in one of these states needs nothing more (arbkit.trading.model's final states)
FINAL_STATES = frozenset({"hedged", "broken", "missed", "flat"})


def run_trade(db: Path, *args: str) -> str:
    """``arbkit --db DB trade ARGS --json`` in-process; its stdout (exit status 0 asserted)."""
    pm = make_plugin_manager()
    result = CliRunner().invoke(
        make_cli(pm), ["--db", str(db), "trade", *args, "--json"], obj=AppState(pm=pm)
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def rows(db: Path, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query, as dicts (a fresh connection: the writer may be another process)."""
    conn = sqlite3.connect(db, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, list(args))]
    finally:
        conn.close()


def count(db: Path, sql: str) -> int:
    """One number from the store, 0 while the database or its tables do not exist yet."""
    if not db.exists():
        return 0
    try:
        return int(next(iter(rows(db, sql)[0].values())) or 0)
    except sqlite3.Error:
        return 0


def runs(db: Path) -> list[dict[str, Any]]:
    """The ``arbkit trade`` runs, oldest first, with their book."""
    found = rows(db, "select * from runs where command = 'trade' order by started_at, run_id")
    for run in found:
        run["book"] = json.loads(run["options"] or "{}").get("book")
    return found


def entry_plans(db: Path, book: str) -> list[dict[str, Any]]:
    """Each entry trade of ``book`` with its stored plan (JSON decoded) and state."""
    found = rows(
        db,
        "select trade_id, game_id, state, plan from trades where kind = 'entry'"
        " and trade_id like ? order by trade_id",
        [book + "/%"],
    )
    for trade in found:
        trade["plan"] = json.loads(trade["plan"])
    return found


def book_trades(db: Path, book: str) -> list[dict[str, Any]]:
    """Every trade of ``book`` (entries and exits) with its plan, in the order decided."""
    found = rows(
        db,
        "select trade_id, kind, game_id, state, plan from trades where trade_id like ?"
        " order by trade_id",
        [book + "/%"],
    )
    for trade in found:
        trade["plan"] = json.loads(trade["plan"])
    return found


# -- replays derived from the sample -------------------------------------------------------------


#: DUKE@MICH's books thinned just after the 23:00 decision, so that its legs walk several
#: levels: the Kalshi MICH snapshot at .455 (YES bids 0.40 → 18.40, 0.39 → 14.49, so NO
#: asks 18.40 @ 0.60, 14.49 @ 0.61, 13.91 of 1200 @ 0.62) and a Polymarket ``book`` for the
#: Michigan token at .500 (10.37 @ 0.34, then 900 @ 0.35). Sizes are chosen so that rounding
#: each Kalshi fill to $0.0001 first gives 0.79 where the unrounded sum gives 0.78, and
#: rounding each Polymarket level gives 0.31846 where the order rounded once gives 0.31845.
THIN_KALSHI = ("KXNCAAMBGAME-26NOV24DUKEMICH-MICH", {"0.4000": "18.40", "0.3900": "14.49"})
THIN_PM_TOKEN = "77795463211898279382073422802072864022655166503075404232000053614605405448907"
THIN_PM_ASKS = {"0.34": "10.37", "0.35": "900"}


def thin_books(where: Path) -> Path:
    """A copy of the sample with DUKE@MICH's books thinned (see ``THIN_KALSHI``)."""
    replay = where / "thin"
    shutil.copytree(SAMPLE, replay)
    path = replay / "kalshi" / "stream.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    ticker, sizes = THIN_KALSHI
    for line in lines:
        body = line["msg"].get("msg", {})
        if line["msg"]["type"] == "orderbook_snapshot" and body["market_ticker"] == ticker:
            body["yes_dollars_fp"] = [[p, sizes.get(p, s)] for p, s in body["yes_dollars_fp"]]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    (rest,) = [
        b
        for b in json.loads((SAMPLE / "polymarket" / "books.json").read_text())
        if b["asset_id"] == THIN_PM_TOKEN
    ]
    asks = [
        {"price": a["price"], "size": THIN_PM_ASKS.get(a["price"], a["size"])} for a in rest["asks"]
    ]
    book = {**rest, "event_type": "book", "asks": asks, "timestamp": "1795561200500"}
    path = replay / "polymarket" / "stream.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines.append({"ts": 1795561200500, "msg": book})
    lines.sort(key=lambda line: line["ts"])
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return replay


#: A Polymarket ``book`` at 23:00:05 for the Michigan token DUKE@MICH bought at 0.34: bids
#: 20.5 @ 0.49 and 30 @ 0.48, so that its two legs (with Kalshi's NO bid 0.57) sell for more
#: than they cost: the convergence exit, once the 15 s minimum hold has passed.
JUMP_PM_BIDS = [["0.01", "1602.66"], ["0.48", "30"], ["0.49", "20.5"]]
JUMP_PM_ASKS = [["0.99", "1492.32"], ["0.51", "800"], ["0.5", "600"]]
JUMP_AT = 1795561205000


def jumped_bids(where: Path, at: int = JUMP_AT) -> Path:
    """A copy of the sample with the Michigan token's book jumping up at ``at`` (epoch ms)."""
    replay = where / f"jump-{at}"
    shutil.copytree(SAMPLE, replay)
    (rest,) = [
        b
        for b in json.loads((SAMPLE / "polymarket" / "books.json").read_text())
        if b["asset_id"] == THIN_PM_TOKEN
    ]
    book = {
        **rest,
        "event_type": "book",
        "timestamp": str(at),
        "bids": [{"price": p, "size": s} for p, s in JUMP_PM_BIDS],
        "asks": [{"price": p, "size": s} for p, s in JUMP_PM_ASKS],
    }
    path = replay / "polymarket" / "stream.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines.append({"ts": at, "msg": book})
    lines.sort(key=lambda line: line["ts"])
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return replay


# -- subprocesses for the crash tests ------------------------------------------------------------


def copy_sample(where: Path) -> Path:
    """A replay directory that is a copy of the shipped sample."""
    target = where / "replay"
    shutil.copytree(SAMPLE, target)
    return target


def user_env(user: Path) -> dict[str, str]:
    """The environment of a user whose config and database live in ``user``."""
    user.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBKIT_")}
    env.update(
        ARBKIT_USER_PATH=str(user),
        ARBKIT_DB=str(user / "arbkit.db"),
        ARBKIT_CONFIG=str(user / "config.toml"),
    )
    return env


def trade_command(replay: Path, *args: str) -> list[str]:
    """``arbkit trade --replay DIR ARGS --json --no-status`` through this interpreter."""
    return [
        sys.executable,
        "-c",
        "import sys; from arbkit.cli import main; sys.exit(main(sys.argv[1:]))",
        "trade",
        "--replay",
        str(replay),
        *args,
        "--json",
        "--no-status",
    ]


#: Runs the command and SIGKILLs it right after one exact journal write: ``KILL_AT`` is
#: ``fill:N`` (the Nth fill committed) or ``settlement:MARKET`` (that market's settlement
#: stored, before any position is paid from it); ``interrupt:N`` sends SIGINT instead, after
#: the Nth trade is planned (a user's Ctrl-C, which the command handles). No polling from
#: outside can land between two writes of one burst reliably; only the moment is chosen here,
#: the signal is real.
_KILL_AT = """
import os, signal, sys
from arbkit.trading.journal import TradeJournal
from arbkit.trading.tradestore import TradeStore
kind, _, target = os.environ["KILL_AT"].partition(":")
fills, plans = [0], [0]
original_fill, original_settlement, original_plan = (
    TradeJournal.fill, TradeStore.settlement, TradeJournal.plan
)
def plan(self, *args, **kwargs):
    original_plan(self, *args, **kwargs)
    plans[0] += 1
    if kind == "interrupt" and plans[0] == int(target):
        os.kill(os.getpid(), signal.SIGINT)
def fill(self, *args, **kwargs):
    result = original_fill(self, *args, **kwargs)
    fills[0] += 1
    if kind == "fill" and fills[0] == int(target):
        os.kill(os.getpid(), signal.SIGKILL)
    return result
def settlement(self, settlement, *args, **kwargs):
    original_settlement(self, settlement, *args, **kwargs)
    if kind == "settlement" and settlement.market_id == target:
        os.kill(os.getpid(), signal.SIGKILL)
original_batch = TradeJournal.fills_batch
def fills_batch(self, batch, *args, **kwargs):  # a paper trade's fills, written together
    result = original_batch(self, batch, *args, **kwargs)
    fills[0] += len(batch)
    if kind == "fill" and batch and fills[0] - len(batch) < int(target) <= fills[0]:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
TradeJournal.fills_batch = fills_batch
TradeJournal.fill, TradeStore.settlement, TradeJournal.plan = fill, settlement, plan
from arbkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def killed_at(command: list[str], env: dict[str, str], at: str) -> bool:
    """Run ``command`` (from :func:`trade_command`) until the write ``at`` names (see
    ``_KILL_AT``); whether it was killed there."""
    return signalled_at(command, env, at) == -signal.SIGKILL


def signalled_at(command: list[str], env: dict[str, str], at: str) -> int:
    """Run ``command`` with ``KILL_AT=at`` (see ``_KILL_AT``); its exit status."""
    argv = [command[0], "-c", _KILL_AT, *command[3:]]
    done = subprocess.run(argv, env={**env, "KILL_AT": at}, capture_output=True, timeout=60)
    return done.returncode


def kill_when(
    command: list[str], env: dict[str, str], db: Path, ready: Callable[[Path], bool]
) -> tuple[int, bool]:
    """Start ``command``; SIGKILL it once ``ready(db)`` holds. (exit status, killed in time)."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if ready(db):
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, process.returncode == -signal.SIGKILL


def finish(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command`` to its end; its JSON report."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
