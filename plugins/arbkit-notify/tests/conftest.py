"""Fixtures for arbkit-notify's tests: an isolated user directory and notification file."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBKIT_USER_PATH", str(tmp_path / "user"))
    monkeypatch.delenv("ARBKIT_DB", raising=False)
    monkeypatch.delenv("ARBKIT_CONFIG", raising=False)
    monkeypatch.delenv("ARBKIT_NOTIFY_FILE", raising=False)
    for name in ("ARBKIT_LOAD_PLUGINS", "ARBKIT_BLOCK_PLUGINS", "ARBKIT_TRACE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def notify_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("ARBKIT_NOTIFY_FILE", str(path))
    return path
