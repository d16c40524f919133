"""The command line as users meet it: version, help, path commands and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import arbkit
from arbkit.cli import main


def test_version(invoke: Any) -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"arbkit, version {arbkit.__version__}\n"


def test_short_help_option(invoke: Any) -> None:
    result = invoke(["-h"])
    assert result.exit_code == 0
    for group in ("plugins", "venues", "config", "db", "markets", "trade"):
        assert f"  {group} " in result.stdout


@pytest.mark.integration
def test_python_m_arbkit_help(isolated_user_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arbkit", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: arbkit [OPTIONS] COMMAND [ARGS]...")


def test_unknown_venue_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["markets", "--venue", "no-such-venue"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: unknown venue 'no-such-venue' (known: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    assert "No such command 'no-such-command'" in capsys.readouterr().err


def test_db_path(isolated_user_dir: Path, tmp_path: Path, invoke: Any) -> None:
    assert invoke(["db", "path"]).stdout == f"{isolated_user_dir / 'arbkit.db'}\n"
    other = tmp_path / "x.db"
    assert invoke(["--db", str(other), "db", "path"]).stdout == f"{other}\n"
    assert not other.exists()  # printing the path does not create the database


def test_db_path_default_is_in_user_dir(
    isolated_user_dir: Path, monkeypatch: pytest.MonkeyPatch, invoke: Any
) -> None:
    monkeypatch.delenv("ARBKIT_DB")
    assert invoke(["db", "path"]).stdout == f"{isolated_user_dir / 'arbkit.db'}\n"


def test_config_path(isolated_user_dir: Path, tmp_path: Path, invoke: Any) -> None:
    assert invoke(["config", "path"]).stdout == f"{isolated_user_dir / 'config.toml'}\n"
    other = tmp_path / "other.toml"
    assert invoke(["--config", str(other), "config", "path"]).stdout == f"{other}\n"


def test_trade_says_paper_is_the_default_and_live_is_opt_in(invoke: Any) -> None:
    result = invoke(["trade", "--help"])
    assert result.exit_code == 0
    assert "Paper-trade (default)" in result.stdout
    assert "--live" in result.stdout


def test_sandbox_on_a_venue_without_one_is_an_error_never_production(capsys):
    from arbkit_kalshi.venue import KalshiVenue
    from arbkit_polymarket.venue import PolymarketVenue
    from cli_helpers import one_line_error, run_main

    from arbkit.errors import ConfigError
    from arbkit.venue import VenueSettings

    with pytest.raises(ConfigError, match="polymarket has no sandbox"):
        PolymarketVenue(VenueSettings(sandbox=True))
    assert KalshiVenue(VenueSettings(sandbox=True)).settings.sandbox  # Kalshi has its demo
    result = run_main(capsys, ["--sandbox", "scan", "--venues", "polymarket", "--no-store"])
    one_line_error(result, "polymarket has no sandbox")
