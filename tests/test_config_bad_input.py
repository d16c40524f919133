"""Issue 10 item 5: a bad config file is one clear line (exit 1) or a warning, never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cli_helpers import one_line_error as _one_line_error
from cli_helpers import run_main


@pytest.fixture
def cli(capsys):
    """Run the console script's ``main`` and collect its exit status and output."""
    return lambda *args: run_main(capsys, args)


@pytest.fixture
def write_config(isolated_user_dir: Path):
    def write(text: str | bytes) -> Path:
        path = isolated_user_dir / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    return write


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("urls = 5", "[venues.kalshi] urls must be a table"),
        ("proxy = 5", "[venues.kalshi] proxy must be a string, got 5"),
        ('proxy = "not a proxy"', "[venues.kalshi] proxy must be a URL"),
        ('proxy = "http://bob:hunter2@"', "[venues.kalshi] proxy must be a URL"),
        ('timeout = "forever"', "[venues.kalshi] timeout must be a number"),
        ("timeout = true", "[venues.kalshi] timeout must be a number"),
        ('cache_ttl = "forever"', "[venues.kalshi] cache_ttl must be a number"),
        ('sandbox = "false"', "[venues.kalshi] sandbox must be true or false (unquoted)"),
        ("base_url = 5", "[venues.kalshi] base_url must be a string"),
    ],
)
def test_wrongly_typed_venue_setting_is_one_line(cli, write_config, body, message):
    write_config(f"[venues.kalshi]\n{body}\n")
    result = cli("scan", "--venues", "kalshi", "--league", "nba")
    _one_line_error(result, message)
    assert "hunter2" not in result.output


def test_binary_config_file_is_one_line(cli, write_config):
    path = write_config(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    _one_line_error(cli("config", "show"), f"config file {path} is not valid TOML")


@pytest.mark.parametrize("source", ["option", "env", "default"])
def test_unreadable_config_is_one_line_wherever_the_path_came_from(
    cli, isolated_user_dir, tmp_path, monkeypatch, source
):
    directory = isolated_user_dir / "config.toml" if source == "default" else tmp_path / "d"
    directory.mkdir(parents=True)
    if source == "option":
        result = cli("--config", str(directory), "config", "show")
    else:
        if source == "env":
            monkeypatch.setenv("ARBKIT_CONFIG", str(directory))
        else:
            monkeypatch.delenv("ARBKIT_CONFIG")
        result = cli("config", "show")
    _one_line_error(result, f"cannot read config file {directory}: Is a directory")


def test_over_long_config_path_is_one_line(cli):
    _one_line_error(cli("--config", "c" * 5000, "config", "show"), "File name too long")


def test_unknown_sections_and_keys_warn_with_did_you_mean(cli, write_config):
    write_config('[scna]\nx = 1\n[scan]\nmin_edg = "0.1"\n[venues.kalshi]\nsandbx = true\n')
    result = cli("config", "show")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "WARNING" in line]
    assert any("unknown section [scna] (did you mean 'scan'?)" in w for w in warnings)
    assert any("unknown key 'min_edg' in [scan] (did you mean 'min_edge'?)" in w for w in warnings)
    assert any("'sandbx' in [venues.kalshi] (did you mean 'sandbox'?)" in w for w in warnings)


CONFIG = """\
[venues.kalshi]
sandbox = true
"odd name" = "a\\"b\\\\c é"
when = 2026-01-01T00:00:00Z
numbers = [1, 2.5, -3]
proxy = "http://bob:hunter2@proxy:3128"
tier = "basic"

[venues.kalshi.urls]
api = "https://u:pa55word@example.com/api"

[[venues.kalshi.accounts]]
name = "a"
password = "hunter3"

[venues.kalshi.accounts.extra]
token = "tok-123456"

[[venues.kalshi.accounts]]
name = "b"

[scan]
min_edge = "0.01"
"""


def test_config_show_is_valid_toml_unaltered_apart_from_masking(cli, write_config):
    write_config(CONFIG)
    result = cli("config", "show")
    assert result.exit_code == 0, result.output
    shown = tomllib.loads(result.output)
    expected = tomllib.loads(CONFIG)
    kalshi = expected["venues"]["kalshi"]
    kalshi["proxy"] = "http://bob:****@proxy:3128"
    kalshi["urls"]["api"] = "https://u:****@example.com/api"
    kalshi["accounts"][0]["password"] = "****"
    kalshi["accounts"][0]["extra"]["token"] = "****"
    assert shown == expected
    for secret in ("hunter2", "hunter3", "pa55word", "tok-123456"):
        assert secret not in result.output


def test_bad_proxy_from_the_environment_is_one_line(cli, monkeypatch):
    monkeypatch.setenv("ARBKIT_KALSHI_PROXY", "not a proxy")
    result = cli("scan", "--venues", "kalshi", "--league", "nba")
    _one_line_error(result, "[venues.kalshi] proxy must be a URL")


def test_sandbox_false_as_a_boolean_still_works(write_config):
    from arbkit.config import Config

    path = write_config('[venues.kalshi]\nsandbox = false\nproxy = "socks5://127.0.0.1:1080"\n')
    settings = Config.load(path).venue_settings("kalshi")
    assert settings.sandbox is False
    assert settings.proxy == "socks5://127.0.0.1:1080"
