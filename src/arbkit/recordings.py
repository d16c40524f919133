"""Recorded venue data on disk: the shipped sample set and replay directories.

A replay directory holds one sub-directory per venue (``polymarket/``, ``kalshi/``, ...) in that
venue's own raw formats (docs/replay-format.md). Each venue plugin reads its own part through
:meth:`arbkit.Venue.read_recording`, so the same parsers serve live, replay and sample runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pluggy

from arbkit.clock import from_epoch_ms, parse_timestamp
from arbkit.errors import ConfigError
from arbkit.registry import get_venues
from arbkit.venue import Recording


def sample_dir() -> Path:
    """The offline sample data set shipped inside the package."""
    return Path(str(resources.files("arbkit") / "data" / "sample"))


def read_json_file(path: Path, kind: type | None = None) -> Any:
    """One recorded JSON file; a broken or wrongly shaped file is a one-line ConfigError."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not readable JSON ({exc})") from exc
    if kind is not None and not isinstance(data, kind):
        raise ConfigError(f"{path}: expected a JSON {kind.__name__}")
    return data


def read_stream_file(path: Path) -> tuple[tuple[int, Mapping[str, Any]], ...]:
    """A recorded ``stream.jsonl``: one ``{"ts": epoch ms, "msg": ...}`` per line, by time.

    A missing file is an empty stream; a bad line names its line number.
    """
    if not path.exists():
        return ()
    stream: list[tuple[int, Mapping[str, Any]]] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            stream.append((int(row["ts"]), row["msg"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: expected {{ts, msg}} ({exc})") from None
    stream.sort(key=lambda item: item[0])
    return tuple(stream)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The optional ``manifest.json`` (empty when missing)."""
    path = directory / "manifest.json"
    return read_json_file(path, dict) if path.exists() else {}


def load_recordings(
    pm: pluggy.PluginManager, directory: Path, venues: set[str] | None = None
) -> dict[str, Recording]:
    """Read every venue's part of a replay directory (venues without a sub-directory are skipped).

    Raises:
        ConfigError: the directory does not exist or holds no venue data.
    """
    if not directory.is_dir():
        raise ConfigError(f"replay directory {directory} does not exist")
    found: dict[str, Recording] = {}
    for name, cls in sorted(get_venues(pm).items()):
        if venues is not None and name not in venues:
            continue
        part = directory / name
        if part.is_dir():
            found[name] = cls.read_recording(part)
    if not found:
        raise ConfigError(f"replay directory {directory} holds no data for any known venue")
    return found


def recorded_now(directory: Path, recordings: dict[str, Recording]) -> datetime:
    """The replay's "now": ``captured_at`` from the manifest, else the first recorded timestamp."""
    captured = read_manifest(directory).get("captured_at")
    if captured:
        try:
            return parse_timestamp(str(captured))
        except ValueError as exc:
            raise ConfigError(f"manifest captured_at {captured!r} is not ISO 8601") from exc
    stamps = [r.first_timestamp_ms for r in recordings.values() if r.first_timestamp_ms]
    if not stamps:
        raise ConfigError(
            f"{directory}: the recording has no time (no captured_at in manifest.json and no "
            'recorded timestamp); add captured_at, e.g. {"captured_at": "2026-11-24T23:00:00Z"}'
        )
    return from_epoch_ms(min(stamps))
