"""The ``[bus]`` config table of a trading process, and the ``ARBKIT_*`` variables over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arbkit.bus.settings import BusSettings
from arbkit.bus.trading import from_environment
from arbkit.errors import ArbkitError, ConfigError
from arbkit.plugins import make_plugin_manager

URL = "redis://127.0.0.1:1/0"  # nothing is sent: building the lease does not connect


def test_the_table_sets_the_lease_and_the_matcher_and_the_environment_wins() -> None:
    table = {"account": " desk ", "lease_seconds": 3, "matcher_timeout": "2.5"}
    bus = from_environment(URL, "live", {}, table)
    try:
        assert bus.lease.account == "desk:live" and bus.lease.ttl == 3.0
        assert bus.matcher_timeout == 2.5
    finally:
        bus.close()
    environ = {"ARBKIT_ACCOUNT": "ops", "ARBKIT_LEASE_SECONDS": "7", "ARBKIT_MATCHER_TIMEOUT": ""}
    assert BusSettings.read(environ, table) == BusSettings(
        account="ops",
        lease_seconds=7.0,
        matcher_timeout=2.5,  # a blank variable is unset
    )
    assert BusSettings.read({}, {}) == BusSettings(
        account="default", lease_seconds=10.0, matcher_timeout=10.0
    )


@pytest.mark.parametrize(
    ("table", "environ", "said"),
    [
        ({"lease_seconds": "soon"}, {}, "[bus] lease_seconds = 'soon'"),
        ({"lease_seconds": 0}, {}, "[bus] lease_seconds = 0"),
        ({"matcher_timeout": -1}, {}, "[bus] matcher_timeout = -1"),
        ({"matcher_timeout": True}, {}, "[bus] matcher_timeout = True"),
        ({"lease_seconds": float("inf")}, {}, "[bus] lease_seconds = inf"),
        ({"account": 5}, {}, "[bus] account = 5"),
        ({"account": "  "}, {}, "[bus] account = '  '"),
        ({"lease_second": 3}, {}, "[bus] lease_second: not a setting"),
        ({"lease_seconds": 3}, {"ARBKIT_LEASE_SECONDS": "nan"}, "ARBKIT_LEASE_SECONDS='nan'"),
    ],
)
def test_a_bad_value_is_one_line_naming_it(
    table: dict[str, Any], environ: dict[str, str], said: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        BusSettings.read(environ, table)
    message = str(caught.value)
    assert message.startswith(said) and "\n" not in message


@pytest.mark.parametrize("command", ["trade", "tui"])
def test_trade_and_tui_read_the_table(
    invoke: Any, isolated_user_dir: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    for name in ("ARBKIT_BUS", "ARBKIT_ACCOUNT", "ARBKIT_LEASE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    isolated_user_dir.mkdir(parents=True, exist_ok=True)
    (isolated_user_dir / "config.toml").write_text('[bus]\nlease_seconds = "soon"\n')
    result = invoke([command, "--sample", "--bus", URL])
    assert result.exit_code == 1 and isinstance(result.exception, ArbkitError)
    assert str(result.exception) == (
        "[bus] lease_seconds = 'soon': expected a positive number of seconds"
    )
    monkeypatch.setenv("ARBKIT_LEASE_SECONDS", "5")  # the environment wins: on to the bus
    result = invoke([command, "--sample", "--bus", URL])
    assert result.exit_code == 1 and "lease_seconds" not in str(result.exception)
    assert "127.0.0.1:1" in str(result.exception)  # what fails now is reaching Redis


def test_scan_reads_the_matcher_timeout_from_the_table(
    invoke: Any, isolated_user_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ARBKIT_BUS", "ARBKIT_MATCHER_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    isolated_user_dir.mkdir(parents=True, exist_ok=True)
    (isolated_user_dir / "config.toml").write_text("[bus]\nmatcher_timeout = -3\n")
    installed = make_plugin_manager()  # with the replay venue, which plays the sample
    result = invoke(["scan", "--sample", "--bus", URL], plugin_manager=installed)
    assert result.exit_code == 1 and isinstance(result.exception, ArbkitError)
    assert str(result.exception) == (
        "[bus] matcher_timeout = -3: expected a positive number of seconds"
    )
    monkeypatch.setenv("ARBKIT_MATCHER_TIMEOUT", "2")  # the environment wins: on to the bus
    result = invoke(["scan", "--sample", "--bus", URL], plugin_manager=installed)
    assert result.exit_code == 1 and "matcher_timeout" not in str(result.exception)
    assert "127.0.0.1:1" in str(result.exception)  # what fails now is reaching Redis
