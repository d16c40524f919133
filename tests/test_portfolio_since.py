"""``arbkit pnl --since``: an age reaching before year 1 is a one-line usage error, not an
OverflowError traceback from ``now - timedelta(...)``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from backtest_helpers import arbkit
from cli_helpers import one_line_error, run_main
from trade_helpers import run_trade

from arbkit.cli.portfolio import parse_since


@pytest.mark.parametrize("age", ["99999999d", "999999999999h", "1" + "0" * 30 + "m"])
def test_an_age_beyond_the_calendar_is_a_usage_error(capsys, tmp_path: Path, age: str) -> None:
    db = tmp_path / "arbkit.db"
    result = run_main(capsys, ["--db", str(db), "pnl", "--since", age])
    one_line_error(result, "--since", exit_code=2)
    assert "beyond the calendar" in result.output


def test_the_option_is_named_in_the_error() -> None:
    with pytest.raises(click.BadParameter) as caught:
        parse_since("99999999d", datetime(2026, 11, 24, tzinfo=UTC), option="--until")
    assert caught.value.param_hint == "--until"


def test_the_longest_age_the_calendar_holds_still_reads(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    days = (now - datetime(1, 1, 1, tzinfo=UTC)).days
    assert parse_since(f"{days}d", now) == now - timedelta(days=days)
    db = tmp_path / "arbkit.db"
    run_trade(db, "--sample")
    everything = json.loads(arbkit(db, "pnl", "--json"))
    since = json.loads(arbkit(db, "pnl", "--since", "700000d", "--json"))
    assert since["realized"] == everything["realized"] and everything["realized"] != "0"
