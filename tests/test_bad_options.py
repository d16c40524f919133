"""Issue 10 item 9: every bad ``scan``/``markets`` option is one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import Outcome, one_line_error, run_main

REAL = Path(__file__).parent / "data" / "replay-real"


@pytest.fixture
def invoke(capsys):
    return lambda args: run_main(capsys, args)


def _one_line_error(result: Outcome, exit_code: int, message: str) -> None:
    one_line_error(result, message, exit_code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lookahead", "1e400"], "'--lookahead': '1e400' is not a finite number"),
        (["--lookahead", "nan"], "'--lookahead': 'nan' is not a finite number"),
        (["--cutoff", "1e400"], "'--cutoff': '1e400' is not a finite number"),
        (["--cutoff", "nan"], "'--cutoff': 'nan' is not a finite number"),
        (["--min-confidence", "nan"], "'--min-confidence': 'nan' is not a finite number"),
        (["--min-confidence", "2"], "'--min-confidence': '2' is not in the range 0<=x<=1"),
        (["--max-size", "-5"], "'--max-size': '-5' must be more than 0"),
        (["--max-size", "0"], "'--max-size': '0' must be more than 0"),
        (["--min-edge", "-1"], "'--min-edge': '-1' must be 0 or more"),
        (["--venues", ","], "'--venues': ',' names no venue"),
        (["--no-store", "--record"], "--record writes to the database: not with --no-store"),
    ],
)
def test_bad_scan_option_is_a_usage_error(invoke, args, message):
    _one_line_error(invoke(["scan", "--replay", str(REAL), *args]), 2, message)


def test_over_long_replay_path_is_one_line(invoke):
    result = invoke(["scan", "--replay", "a" * 5000])
    _one_line_error(result, 2, "'--replay': cannot use 'aaaa")
    assert "File name too long" in result.output
    assert len(result.output) < 400


def test_league_without_team_data_names_the_leagues_that_have_it(invoke):
    result = invoke(["scan", "--replay", str(REAL), "--league", "laliga"])
    _one_line_error(result, 1, "league 'laliga' has no team data")
    assert "leagues with team data: epl, mlb, mls, nba, ncaab, ncaaf, nfl, nhl, wnba" in (
        result.output
    )


def test_unknown_market_type_lists_the_choices(invoke):
    result = invoke(["markets", "--venue", "kalshi", "--type", "nope"])
    _one_line_error(result, 2, "'--type': 'nope' is not one of 'moneyline'")


def test_good_options_still_scan(invoke):
    result = invoke(["scan", "--replay", str(REAL), "--min-edge", "0", "--max-size", "10"])
    assert result.exit_code == 0, result.output
