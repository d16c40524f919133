"""An exit with no book left to sell into is not attempted: the position is held to settlement.

The sample's stream ends at 23:00:xx; the replay clock then jumps to its settlements (00:21:37
first). With ``[exits.pre_start_cutoff] minutes = 5`` the rule says "exit" at that jump, for
games whose start cut-off has passed: the engine stops watching them on that very event, so
no book is left when the sale is due. Such an exit must not become a trade (it used to end
"broken", and was counted one-legged, although both legs stayed held and settled normally).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from trade_helpers import rows

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager


def trade(db: Path, *args: str) -> tuple[dict, str]:
    """``arbkit --db DB trade ARGS --json`` in-process: its report and what it logged."""
    pm = make_plugin_manager()
    result = CliRunner().invoke(
        make_cli(pm), ["--db", str(db), "trade", *args, "--json"], obj=AppState(pm=pm)
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


@pytest.fixture
def cutoff_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("[exits.pre_start_cutoff]\nminutes = 5\n")
    monkeypatch.setenv("ARBKIT_CONFIG", str(config))
    monkeypatch.setenv("ARBKIT_USER_PATH", str(tmp_path))
    return config


@pytest.mark.parametrize("latency", ["0", "250"])
def test_no_exit_is_tried_where_no_book_is_left(
    tmp_path: Path, cutoff_config: Path, latency: str
) -> None:
    db = tmp_path / "arbkit.db"
    out, logged = trade(db, "--sample", "--latency", latency)
    trades = rows(db, "select kind, state from trades")
    assert [t for t in trades if t["kind"] == "exit"] == []
    assert {t["state"] for t in trades} == {"hedged"}
    assert out["checks"]["one_legged"] == 0
    positions = out["positions"]
    assert len(positions) == 2 and {p["status"] for p in positions} == {"settled"}
    # every leg bought is paid at settlement: the realized P&L is what the venues paid
    paid = sum(Decimal(p["proceeds"]) - Decimal(p["cost"]) - Decimal(p["fees"]) for p in positions)
    assert Decimal(out["pnl"]["realized"]) == paid
    assert logged.count("not attempted") == 2 and "held to settlement" in logged  # and why
    assert "one-legged" not in logged
