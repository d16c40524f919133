"""Running ``arbkit record`` and ``record export`` (and what plays an export) in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from arbkit.cli import make_cli
from arbkit.cli.state import AppState
from arbkit.plugins import make_plugin_manager
from arbkit.recordings import sample_dir

SAMPLE = sample_dir()


def invoke(db: Path, *args: str) -> Result:
    """``arbkit --db DB ARGS`` in-process, as a user runs it."""
    pm = make_plugin_manager()
    return CliRunner().invoke(make_cli(pm), ["--db", str(db), *args], obj=AppState(pm=pm))


def ok(db: Path, *args: str) -> str:
    """stdout of a command that must succeed."""
    result = invoke(db, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def ok_json(db: Path, *args: str) -> Any:
    return json.loads(ok(db, *args))


def stream_lines(directory: Path, venue: str) -> list[dict[str, Any]]:
    """The ``{ts, msg}`` lines of a replay directory's stream, read straight from the file."""
    path = directory / venue / "stream.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
