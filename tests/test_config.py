"""Configuration: TOML file, ``ARBKIT_*`` overrides, credentials from env or file, never printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import arbkit
from arbkit.cli import main
from arbkit.config import Config, config_path
from arbkit.plugins import ArbkitPluginManager

SECRET_INLINE = "inline-key-0123456789"
SECRET_IN_FILE = "file-key-abcdefghij"
SECRET_IN_ENV = "env-key-ABCDEFGHIJ"


class ToyVenue(arbkit.Venue):
    name = "toy"
    credential_names = ("api_key", "private_key", "passphrase")


class ToyPlugin:
    @arbkit.hookimpl
    def register_venues(self, register: Any) -> None:
        register(ToyVenue)


@pytest.fixture
def config_file(isolated_user_dir: Path, tmp_path: Path) -> Path:
    key_file = tmp_path / "key.pem"
    key_file.write_text(SECRET_IN_FILE + "\n")
    path = isolated_user_dir / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""
[venues.toy]
proxy = "http://file-proxy:3128"
timeout = 5
sandbox = true
base_url = "https://file.example"
api_key = "{SECRET_INLINE}"
private_key_file = "{key_file}"
passphrase_env = "MY_TOY_PASSPHRASE"
depth = 3

[scan]
min_edge = "0.005"
"""
    )
    return path


def test_config_path_follows_env(isolated_user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path() == isolated_user_dir / "config.toml"
    monkeypatch.delenv("ARBKIT_CONFIG")
    assert config_path() == isolated_user_dir / "config.toml"  # user dir default
    monkeypatch.setenv("ARBKIT_CONFIG", "/elsewhere/arbkit.toml")
    assert config_path() == Path("/elsewhere/arbkit.toml")


def test_missing_file_is_empty_config() -> None:
    config = Config.load()
    assert config.data == {}
    assert config.venue_settings("toy") == arbkit.VenueSettings()


def test_file_settings(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOY_PASSPHRASE", SECRET_IN_ENV)
    settings = Config.load().venue_settings("toy", ToyVenue.credential_names)
    assert settings.proxy == "http://file-proxy:3128"
    assert settings.timeout == 5.0
    assert settings.sandbox is True
    assert settings.url("api", "default") == "https://file.example"
    assert settings.options == {"depth": 3}  # credentials and their pointers are not options
    creds = {name: secret.reveal() for name, secret in settings.credentials.items()}
    assert creds == {
        "api_key": SECRET_INLINE,
        "private_key": SECRET_IN_FILE,
        "passphrase": SECRET_IN_ENV,
    }
    assert all(isinstance(s, arbkit.Secret) for s in settings.credentials.values())


def test_env_wins_over_file(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBKIT_TOY_PROXY", "http://env-proxy:1")
    monkeypatch.setenv("ARBKIT_TOY_TIMEOUT", "2.5")
    monkeypatch.setenv("ARBKIT_TOY_BASE_URL", "https://env.example")
    monkeypatch.setenv("ARBKIT_TOY_API_KEY", "from-env-override")
    settings = Config.load().venue_settings("toy", ("api_key",), sandbox=False)
    assert settings.proxy == "http://env-proxy:1"
    assert settings.timeout == 2.5
    assert settings.url("api", "x") == "https://env.example"
    assert settings.credential("api_key").reveal() == "from-env-override"  # type: ignore[union-attr]
    assert settings.sandbox is False  # the --sandbox flag's value wins over the file


def test_unreadable_credential_file(tmp_path: Path) -> None:
    config = Config({"venues": {"toy": {"api_key_file": str(tmp_path / "missing")}}})
    with pytest.raises(arbkit.ConfigError, match="api_key_file"):
        config.venue_settings("toy", ("api_key",))


def test_bad_timeout() -> None:
    with pytest.raises(arbkit.ConfigError, match="timeout"):
        Config({"venues": {"toy": {"timeout": "soon"}}}).venue_settings("toy")


def test_config_show_masks_credentials(
    config_file: Path, pm: ArbkitPluginManager, invoke: Any
) -> None:
    pm.register(ToyPlugin(), name="toy")
    text = invoke(["config", "show"])
    as_json = invoke(["config", "show", "--json"])
    for result in (text, as_json):
        assert result.exit_code == 0, result.output
        assert SECRET_INLINE not in result.output
        assert SECRET_IN_FILE not in result.output
        assert "http://file-proxy:3128" in result.output
    toy = json.loads(as_json.stdout)["config"]["venues"]["toy"]
    assert toy["api_key"] == "****"
    assert toy["passphrase_env"] == "MY_TOY_PASSPHRASE"  # a pointer is not the secret
    assert 'api_key = "****"' in text.stdout


def test_config_show_masks_secret_looking_keys_of_unknown_venues(
    isolated_user_dir: Path, invoke: Any
) -> None:
    isolated_user_dir.mkdir(parents=True, exist_ok=True)
    (isolated_user_dir / "config.toml").write_text('[venues.other]\nsecret = "hunter2-hunter2"\n')
    result = invoke(["config", "show"])
    assert result.exit_code == 0 and "hunter2" not in result.output


def _run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    code = info.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def test_invalid_toml_is_a_one_line_error(
    isolated_user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    isolated_user_dir.mkdir(parents=True, exist_ok=True)
    (isolated_user_dir / "config.toml").write_text("[venues.kalshi\nsandbox = yes\n")
    code, err = _run_main(["config", "show"], capsys)
    assert code == 1
    assert err.startswith("Error: config file ") and "not valid TOML" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unreadable_config_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    code, err = _run_main(["--config", str(directory), "config", "show"], capsys)
    assert code == 1
    assert err.startswith("Error: cannot read config file") and err.count("\n") == 1
