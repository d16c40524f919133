"""``arbkit backtest`` (issue 14): the paper pipeline of ``arbkit trade`` over recorded data.

The figures themselves are checked from the outside in test_trade_sample.py for ``arbkit
trade``; here: that a backtest gives exactly what ``arbkit trade --replay`` of the same data
gives, byte for byte and run after run, that its parameters and exit settings mean what the
trade flags and the config's ``[exits.*]`` mean, where it stores its trades, and that bad
input is one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backtest_helpers import arbkit, backtest_runs
from cli_helpers import one_line_error, run_main
from trade_helpers import SAMPLE, jumped_bids, rows, runs, thin_books

MICH = "NCAAB:2026-11-24:DUKE@MICH"


@pytest.fixture(scope="module")
def jumped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with a bid jump that makes DUKE@MICH converge (an exit before settlement)."""
    return jumped_bids(tmp_path_factory.mktemp("jumped"))


@pytest.fixture(scope="module")
def thin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with DUKE@MICH's books thinned (fills walk several levels)."""
    return thin_books(tmp_path_factory.mktemp("thin"))


@pytest.mark.parametrize("data", ["sample", "jumped", "thin"])
def test_a_backtest_prints_what_a_paper_replay_prints(
    data: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source = ["--sample"] if data == "sample" else ["--replay", str(request.getfixturevalue(data))]
    traded = arbkit(tmp_path / "trade.db", "trade", *source, "--json", "--no-status")
    tested = arbkit(tmp_path / "backtest.db", "backtest", *source, "--json")
    assert tested == traded
    assert json.loads(tested)["positions"], "the data takes at least one trade"


def test_the_same_backtest_twice_is_byte_identical(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    first = arbkit(db, "backtest", "--sample", "--json")
    again = arbkit(db, "backtest", "--sample", "--json")  # same database, a second book
    elsewhere = arbkit(tmp_path / "other.db", "backtest", "--sample", "--json")
    assert first == again == elsewhere
    assert [r["options"]["book"] for r in backtest_runs(db)] == [
        "backtest:sample#1",
        "backtest:sample#2",
    ]


def test_a_backtest_trades_in_its_own_book_and_never_in_a_paper_one(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    report = json.loads(arbkit(db, "backtest", "--sample", "--json"))
    (run,) = backtest_runs(db)
    assert run["status"] == "completed" and run["source"] == "sample"
    assert run["options"]["mode"] == "paper"
    book = run["options"]["book"]
    trades = rows(db, "select trade_id, kind, game_id from trades order by trade_id")
    assert trades and all(t["trade_id"].startswith(book + "/") for t in trades)
    entered = {t["game_id"] for t in trades if t["kind"] == "entry"}
    assert entered == {p["game"] for p in report["positions"]}
    stored = rows(db, "select book, game_id from game_positions")
    assert {(r["book"], r["game_id"]) for r in stored} == {(book, g) for g in entered}
    assert runs(db) == [], "no `arbkit trade` run, so no paper book, was written"
    # A paper session afterwards starts its own first book: the backtest is not resumed.
    arbkit(db, "trade", "--sample", "--json", "--no-status")
    assert [r["book"] for r in runs(db)] == ["paper:sample#1"]


def test_the_shared_limit_flags_mean_what_they_mean_for_trade(tmp_path: Path) -> None:
    flags = ["--min-edge", "0.05", "--max-per-game", "60", "--kelly", "0.5", "--latency", "1"]
    traded = arbkit(tmp_path / "t.db", "trade", "--sample", "--json", "--no-status", *flags)
    tested = arbkit(tmp_path / "b.db", "backtest", "--sample", "--json", *flags)
    assert tested == traded
    default = json.loads(arbkit(tmp_path / "d.db", "backtest", "--sample", "--json"))
    raised = json.loads(tested)
    assert raised != default
    assert raised["rejections"]["edge_below_min"] > default["rejections"]["edge_below_min"]
    (run,) = backtest_runs(tmp_path / "b.db")
    assert run["options"]["parameters"] == {
        "min_edge": "0.05",
        "max_per_game": "60",
        "kelly": "0.5",
        "latency": 1.0,
    }


def test_an_exit_setting_means_what_the_config_table_means(tmp_path: Path, jumped: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[exits.convergence]\nenabled = false\n")
    replay = ["--replay", str(jumped), "--json"]
    traded = arbkit(tmp_path / "t.db", "trade", *replay, "--no-status", config=config)
    tested = arbkit(tmp_path / "b.db", "backtest", *replay, "--exit", "convergence.enabled=false")
    assert tested == traded
    held = {p["game"]: p["exit_reason"] for p in json.loads(tested)["positions"]}
    default = json.loads(arbkit(tmp_path / "d.db", "backtest", *replay))
    sold = {p["game"]: p["exit_reason"] for p in default["positions"]}
    assert sold[MICH].startswith("convergence") and held[MICH] == "settled"


def test_an_exit_flag_overrides_the_config_table(tmp_path: Path, jumped: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[exits.convergence]\nenabled = false\n")
    replay = ["--replay", str(jumped), "--json"]
    tested = arbkit(
        tmp_path / "b.db", "backtest", *replay, "--exit", "convergence.enabled=true", config=config
    )
    assert tested == arbkit(tmp_path / "d.db", "backtest", *replay)


def test_the_text_report_names_the_book_and_the_figures(tmp_path: Path) -> None:
    db = tmp_path / "arbkit.db"
    text = arbkit(db, "backtest", "--sample")
    report = json.loads(arbkit(tmp_path / "other.db", "backtest", "--sample", "--json"))
    assert f"P&L realized {report['pnl']['realized']}" in text
    assert f"book backtest:sample#1 in {db}" in text
    assert f"{report['opportunities']['taken']} trade(s)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give one of --sample, --replay DIR or --recording"),
        (["--sample", "--replay", str(SAMPLE)], "give one of --sample"),
        (["--sample", "--since", "2h"], "--since and --until choose a range of --recording"),
        (["--sample", "--sweep-dir", "x"], "--sweep-dir keeps the databases of a --sweep"),
        (["--sample", "--sweep", "colour=1,2"], "cannot sweep 'colour'"),
        (["--sample", "--sweep", "min-edge"], "is not PARAM=A,B"),
        (["--sample", "--sweep", "min-edge=0,,1"], "is not PARAM=A,B"),
        (["--sample", "--sweep", "min-edge=0,0"], "repeats a value"),
        (["--sample", "--sweep", "min-edge=0,abc"], "min-edge=abc: 'abc' is not a decimal"),
        (["--sample", "--sweep", "latency=0,-1"], "latency=-1"),
        (["--sample", "--min-edge", "0.1", "--sweep", "min-edge=0,1"], "give one of them"),
        (["--sample", "--exit", "take_profit"], "is not RULE.KEY=VALUE"),
    ],
)
def test_bad_usage_is_one_usage_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_main(capsys, ["backtest", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exit", "take_profitt.dollars=1"], "unknown exit rule (did you mean 'take_profit'?)"),
        (["--exit", "take_profit.dollars=-1"], "[exits.take_profit] dollars must be a number"),
        (["--exit", "min_hold.seconds=soon"], "[exits.min_hold] seconds must be a number"),
        (["--sweep", "stop_loss.dollars=1,x"], "[exits.stop_loss] dollars must be a number"),
        (["--league", "xfl"], "unknown league 'xfl'"),
    ],
)
def test_bad_values_are_one_error_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    one_line_error(run_main(capsys, ["backtest", "--sample", *args]), message)


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, ["backtest", "--help"])
    assert result.exit_code == 0
    assert "arbkit backtest --sample --sweep" in result.output
    for flag in ("--min-edge", "--latency", "--exit", "--sweep", "--recording", "--json"):
        assert flag in result.output
