"""Shared fixtures: every test runs against its own user directory and a fresh plugin manager."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import ArbkitPluginManager, make_plugin_manager

InvokeCli = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep config, database and plugin selection out of the developer's real environment."""
    user = tmp_path / "arbkit-user"
    monkeypatch.setenv("ARBKIT_USER_PATH", str(user))
    monkeypatch.setenv("ARBKIT_DB", str(user / "arbkit.db"))
    monkeypatch.setenv("ARBKIT_CONFIG", str(user / "config.toml"))
    for name in ("ARBKIT_LOAD_PLUGINS", "ARBKIT_BLOCK_PLUGINS", "ARBKIT_TRACE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return user


@pytest.fixture
def pm() -> ArbkitPluginManager:
    """A fresh manager with only arbkit's default plugins: tests add their own on top."""
    return make_plugin_manager(load_entrypoints=False)


@pytest.fixture
def invoke(pm: ArbkitPluginManager) -> InvokeCli:
    """Run ``arbkit ARGS`` in-process against the test's ``pm``; returns click's Result."""

    def run(args: Sequence[str], *, plugin_manager: ArbkitPluginManager | None = None) -> Result:
        manager = plugin_manager or pm
        runner = CliRunner()
        return runner.invoke(make_cli(manager), list(args), obj=AppState(pm=manager))

    return run


@pytest.fixture(scope="module")
def rsa_key() -> Any:
    """A Kalshi API key pair for the fake venue (the live trading tests share one per module)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(rsa_key: Any) -> str:
    """``rsa_key``'s private half as PEM, as a user would configure it."""
    from cryptography.hazmat.primitives import serialization

    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
