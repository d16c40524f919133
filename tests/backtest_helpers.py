"""Running ``arbkit`` in-process as a user does, for the backtest tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from trade_helpers import rows

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager


def arbkit(db: Path, *args: str, config: Path | None = None) -> str:
    """``arbkit [--config C] --db DB ARGS`` in-process; its stdout (exit status 0 asserted)."""
    pm = make_plugin_manager()
    head = ["--db", str(db)] + (["--config", str(config)] if config else [])
    result = CliRunner().invoke(make_cli(pm), [*head, *args], obj=AppState(pm=pm))
    assert result.exit_code == 0, result.output
    return result.stdout


def backtest_runs(db: Path) -> list[dict[str, Any]]:
    found = rows(db, "select * from runs where command = 'backtest' order by started_at, run_id")
    for run in found:
        run["options"] = json.loads(run["options"])
    return found
