"""``arbkit backtest --sweep``: a row per value, each the figures of the backtest with that value;
worker processes give what one process gives; nothing lands in the user's database. Also the
row's figures (hit rate, drawdown) and the message count behind the progress bar."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from backtest_helpers import arbkit, backtest_runs
from cli_helpers import one_line_error, run_main
from trade_helpers import SAMPLE, jumped_bids, rows

from arbkit.cli.backtest_progress import REPORT_EVERY, CountedStream, MessageBar
from arbkit.cli.backtest_run import BacktestSpec, run_backtest, run_sweep
from arbkit.cli.backtest_stats import max_drawdown, summarize_report
from arbkit.engine import EngineSettings
from arbkit.plugins import make_plugin_manager
from arbkit.registry import get_migrations
from arbkit.store import open_store
from arbkit.trading.model import RiskLimits
from arbkit.trading.setup import TradeSettings

D = Decimal


@pytest.fixture(scope="module")
def jumped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return jumped_bids(tmp_path_factory.mktemp("jumped"))


def test_each_row_is_the_backtest_with_that_value(tmp_path: Path, jumped: Path) -> None:
    # A minimum hold of 2 s lets the jump at 23:00:05 sell DUKE@MICH 5 s after its entry: the
    # seed check counts an exit within 15 s; the default 15 s hold does not.
    db = tmp_path / "arbkit.db"
    replay = ["--replay", str(jumped), "--json"]
    swept = json.loads(arbkit(db, "backtest", *replay, "--sweep", "min_hold.seconds=2,15"))
    assert [(r["param"], r["value"]) for r in swept] == [
        ("min_hold.seconds", "2"),
        ("min_hold.seconds", "15"),
    ]
    for row, seconds in zip(swept, ("2", "15"), strict=True):
        alone = arbkit(
            tmp_path / f"{seconds}.db", "backtest", *replay, "--exit", f"min_hold.seconds={seconds}"
        )
        expected = summarize_report(json.loads(alone)).to_json()
        assert {k: v for k, v in row.items() if k not in ("param", "value")} == expected
    assert [r["checks"]["exits_within_min_hold"] for r in swept] == [1, 0]
    assert not db.exists() or backtest_runs(db) == [], "a sweep's runs stay out of --db"


def test_a_swept_trade_option_is_parsed_like_the_flag(tmp_path: Path) -> None:
    swept = json.loads(
        arbkit(tmp_path / "a.db", "backtest", "--sample", "--json", "--sweep", "min-edge=0,0.05")
    )
    for row, value in zip(swept, ("0", "0.05"), strict=True):
        alone = arbkit(
            tmp_path / f"{value}.db", "backtest", "--sample", "--json", "--min-edge", value
        )
        assert row["trades"] == json.loads(alone)["opportunities"]["taken"]
        assert row["pnl"] == summarize_report(json.loads(alone)).to_json()["pnl"]
    assert swept[0]["trades"] > swept[1]["trades"]


def test_sweep_dir_keeps_one_database_per_value(tmp_path: Path) -> None:
    keep = tmp_path / "sweep"
    arbkit(
        tmp_path / "a.db",
        "-q",
        "backtest",
        "--sample",
        "--sweep",
        "kelly=0.1,1",
        "--sweep-dir",
        str(keep),
    )
    kept = sorted(p.name for p in keep.glob("*.db"))
    assert kept == ["01-0.1.db", "02-1.db"]
    for name, kelly in zip(kept, ("0.1", "1"), strict=True):
        (run,) = backtest_runs(keep / name)
        assert run["options"]["parameters"]["kelly"] == kelly
        assert rows(keep / name, "select count(*) as n from trades")[0]["n"] > 0


def test_a_swept_exit_setting_is_stored_with_its_run(tmp_path: Path) -> None:
    keep = tmp_path / "sweep"
    args = ["--exit", "take_profit.dollars=9", "--sweep", "min_hold.seconds=0,30"]
    arbkit(tmp_path / "a.db", "-q", "backtest", "--sample", *args, "--sweep-dir", str(keep))
    stored = [backtest_runs(path)[0]["options"] for path in sorted(keep.glob("*.db"))]
    assert [o["parameters"]["exits"] for o in stored] == [
        ["take_profit.dollars=9", "min_hold.seconds=0"],
        ["take_profit.dollars=9", "min_hold.seconds=30"],
    ]


def test_the_text_table_has_a_row_per_value(tmp_path: Path) -> None:
    text = arbkit(tmp_path / "a.db", "backtest", "--sample", "--sweep", "max-entry-price=0.5,0.85")
    assert "backtest sweep over max-entry-price" in text
    lines = [line.split() for line in text.splitlines()]
    assert [cells[0] for cells in lines if cells and cells[0] in ("0.5", "0.85")] == ["0.5", "0.85"]


def spec(**limits: Any) -> BacktestSpec:
    return BacktestSpec(
        engine=EngineSettings(sample=True, settlements=True),
        trade=TradeSettings(limits=RiskLimits(**limits)),
        source="sample",
    )


def test_worker_processes_give_what_one_process_gives(tmp_path: Path) -> None:
    pm = make_plugin_manager()
    specs = [spec(min_edge=D("0.01")), spec(min_edge=D("0.05"))]
    labels = ["0.01", "0.05"]
    alone = run_sweep(pm, specs, labels, db_dir=tmp_path / "one", workers=1)
    pooled = run_sweep(pm, specs, labels, db_dir=tmp_path / "two", workers=2)
    assert pooled == alone
    assert alone[0] != alone[1]


def test_a_failure_in_a_worker_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_main(capsys, ["backtest", "--replay", str(tmp_path), "--sweep", "kelly=0.1,1"])
    one_line_error(result, "holds no data for any known venue")


def test_a_sweep_refuses_to_write_over_a_database(tmp_path: Path) -> None:
    from arbkit.errors import ConfigError

    (tmp_path / "01-x.db").write_text("")
    with pytest.raises(ConfigError, match="exists"):
        run_sweep(make_plugin_manager(), [spec()], ["x"], db_dir=tmp_path, workers=1)


def test_every_recorded_message_is_counted_once(tmp_path: Path) -> None:
    pm = make_plugin_manager()
    lines = sum(
        1
        for path in SAMPLE.glob("*/stream.jsonl")
        for line in path.read_text().splitlines()
        if line.strip()
    )
    heard: list[tuple[str, int | None]] = []
    store = open_store(tmp_path / "a.db", extra=get_migrations(pm))
    try:
        result = run_backtest(
            pm,
            store,
            spec(),
            tick=lambda n: heard.append(("tick", n)),
            on_total=lambda n: heard.append(("total", n)),
        )
    finally:
        store.close()
    assert heard[0] == ("total", lines)
    assert sum(n or 0 for kind, n in heard if kind == "tick") == lines
    assert result.book_id == "backtest:sample#1" and result.report["positions"]


def test_a_counted_stream_reports_in_batches() -> None:
    heard: list[int] = []
    items = list(range(2 * REPORT_EVERY + 3))
    stream = CountedStream(items, heard.append)
    assert len(stream) == len(items)
    assert list(stream) == items
    assert heard == [REPORT_EVERY, REPORT_EVERY, 3]


def test_the_bar_stays_off_when_quiet_or_off_a_terminal() -> None:
    assert MessageBar.wanted(quiet=True) is False
    assert MessageBar.wanted(quiet=False) is False  # pytest's stderr is no terminal
    with MessageBar(enabled=False) as bar:
        bar.total(10)
        bar.advance(5)
        assert bar.log("x") is False


def closed(game: str, at: str, pnl: str) -> dict[str, Any]:
    return {"game": game, "closed_at": f"2026-11-25T{at}+00:00", "realized_pnl": pnl}


def test_drawdown_is_the_deepest_fall_from_a_running_peak() -> None:
    # In closing order +5, -3, -4, +10, -1: the total goes 5, 2, -2, 8, 7; the deepest fall
    # is from 5 to -2.
    positions = [
        closed("d", "04:00:00", "10"),
        closed("a", "01:00:00", "5"),
        closed("e", "05:00:00", "-1"),
        closed("c", "03:00:00.500000", "-4"),
        closed("b", "03:00:00", "-3"),
    ]
    assert max_drawdown(positions) == D(7)
    assert max_drawdown([closed("a", "01:00:00", "-2.5")]) == D("2.5")  # the peak starts at 0
    assert max_drawdown([closed("a", "01:00:00", "3")]) == D(0)
    assert max_drawdown([]) == D(0)


def test_a_row_counts_closed_positions_for_the_hit_rate() -> None:
    report = {
        "positions": [
            closed("a", "01:00:00", "2"),
            closed("b", "02:00:00", "-1"),
            closed("c", "03:00:00", "0"),
            {"game": "d", "closed_at": None, "realized_pnl": "0"},
        ],
        "pnl": {"realized": "1", "unrealized": "0.5", "fees": "0.25"},
        "opportunities": {"seen": 9, "taken": 4},
        "checks": {"exits_within_min_hold": 0, "entries_above_max_price": 1, "one_legged": 2},
    }
    row = summarize_report(report)
    assert (row.trades, row.positions, row.closed) == (4, 4, 3)
    assert row.hit_rate == D("0.3333")  # one profit in three closed positions
    assert row.pnl == D("1.5") and row.fees == D("0.25")
    assert row.max_drawdown == D(1)
    assert row.to_json()["checks"] == report["checks"]
    assert summarize_report({**report, "positions": []}).hit_rate is None
