"""Recorded venue data on disk: the shipped sample set and replay directories.

A replay directory holds one sub-directory per venue (``polymarket/``, ``kalshi/``, ...) in that
venue's own raw formats (docs/replay-format.md). Each venue plugin reads its own part through
:meth:`arbkit.Venue.read_recording`, so the same parsers serve live, replay and sample runs.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pluggy

from arbkit import safejson
from arbkit.clock import from_epoch_ms, parse_timestamp
from arbkit.errors import ConfigError
from arbkit.registry import get_venues
from arbkit.venue import Recording

log = logging.getLogger(__name__)


def sample_dir() -> Path:
    """The offline sample data set shipped inside the package."""
    return Path(str(resources.files("arbkit") / "data" / "sample"))


#: The latest ``ts`` a stream line may carry (9999-12-31, the last instant a datetime can hold).
MAX_TS_MS = 253_402_300_799_999

StreamLine = tuple[int, Mapping[str, Any]]


def read_json_file(path: Path, kind: type | None = None) -> Any:
    """One recorded JSON file; a broken or wrongly shaped file is a one-line ConfigError."""
    try:
        data = safejson.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path}: not readable ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not readable JSON ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply") from None
    if kind is not None and not isinstance(data, kind):
        raise ConfigError(f"{path}: expected a JSON {kind.__name__}")
    return data


#: A stream file of at most this many bytes is played from the lines its check decoded (each line
#: decoded once); a bigger one is read and decoded again as it plays, so that a recording never
#: sits in memory whole (decoded, a stream takes about five times its size on disk).
_hold_bytes = 1 << 20


def hold_checked_streams(max_bytes: int) -> int:
    """Play stream files up to ``max_bytes`` from the lines their check decoded; the old limit.

    A command that trades memory for speed (``arbkit backtest``) raises it before reading a
    recording; scans keep the default, which bounds their memory (issue 12).
    """
    global _hold_bytes
    previous, _hold_bytes = _hold_bytes, max_bytes
    return previous


def read_stream_file(path: Path) -> StreamFile:
    """A recorded ``stream.jsonl``: one ``{"ts": epoch ms, "msg": ...}`` per line, by time.

    The file is checked now (every error is raised here, before anything plays). A small file
    (see :func:`hold_checked_streams`) keeps the lines the check decoded for its first play; a
    bigger one is not held: iterating the result reads it again, one line at a time. A missing
    file is an empty stream. See :func:`iter_stream_file` for what is an error and a warning.
    """
    return StreamFile(path)


class StreamFile:
    """A checked ``stream.jsonl``, played lazily in time order (equal stamps keep file order).

    A recorder writes in time order, so a replay normally streams straight from the file and a
    recording never sits in memory whole. A file that is out of order is sorted in memory once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first_ms: int | None = None  #: the earliest timestamp
        self._count = 0
        self._sorted: tuple[StreamLine, ...] | None = None
        #: the checked lines, for the first play (a small file only)
        self._held: deque[StreamLine] | None = None
        if not path.exists():
            return
        try:
            held = deque() if path.stat().st_size <= _hold_bytes else None
        except OSError as exc:
            raise ConfigError(f"{path}: not readable ({exc.strerror or exc})") from None
        last = None
        in_order = True
        for line in iter_stream_file(path):
            ts = line[0]
            self._count += 1
            if held is not None:
                held.append(line)
            if last is not None and ts < last:
                in_order = False
            last = ts if last is None else max(last, ts)
            self.first_ms = ts if self.first_ms is None else min(self.first_ms, ts)
        if not in_order:
            lines = held if held is not None else iter_stream_file(path, warn=False)
            self._sorted = tuple(sorted(lines, key=lambda item: item[0]))
        elif held:
            self._held = held

    def __iter__(self) -> Iterator[StreamLine]:
        if self._sorted is not None:
            return iter(self._sorted)
        if self._held is not None:
            held, self._held = self._held, None
            return _drain(held)  # played once: later plays read the file
        if not self._count:
            return iter(())
        return itertools.islice(iter_stream_file(self.path, warn=False), self._count)

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StreamFile | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"StreamFile({str(self.path)!r}, {self._count} lines)"


def _drain(lines: deque[StreamLine]) -> Iterator[StreamLine]:
    """The held lines in order, each let go of as it is played."""
    while lines:
        yield lines.popleft()


def iter_stream_file(path: Path, *, warn: bool = True) -> Iterator[StreamLine]:
    """The lines of a ``stream.jsonl`` in file order, read one at a time (not sorted).

    A last line that starts an object but is not JSON and has no newline is what a recorder
    killed mid-write leaves: it is logged and dropped, and the rest plays. Any other line that
    is not JSON is a ConfigError naming the line, as is a line that is not ``{ts, msg}`` or a
    ``ts`` that is not integer epoch ms. A ``msg`` that is not a JSON object cannot be any
    venue's message: logged and skipped. ``warn=False`` re-reads a file already checked
    without repeating its warnings.
    """
    try:
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, 1):
                if not raw.strip():
                    continue
                try:
                    row = _loads_line(raw)
                except RecursionError:
                    raise _bad_line(path, number, "JSON nested too deeply") from None
                except ValueError as exc:
                    if raw.endswith(b"\n") or not raw.startswith(b"{"):
                        raise _bad_line(path, number, f"not JSON: {exc}") from None
                    # Only the last line can lack its newline: one a recorder began, not ended.
                    if not warn:
                        return
                    log.warning(
                        "%s:%d: the last line is cut short (recording stopped mid-write?); "
                        "dropped it",
                        path,
                        number,
                    )
                    return
                line = _stream_line(path, number, row, warn)
                if line is not None:
                    yield line
    except OSError as exc:
        raise ConfigError(f"{path}: not readable ({exc.strerror or exc})") from None


def _loads_line(raw: bytes) -> Any:
    """One line's JSON. Decoded from UTF-8 first: ``json.loads`` of bytes guesses the encoding
    of every line, a third of the cost of a short line; anything else (a BOM, UTF-16, a line
    that is not JSON) goes to the bytes path, which gives the error."""
    try:
        return safejson.loads(raw.decode())
    except ValueError:
        return safejson.loads(raw)


def _stream_line(path: Path, number: int, row: Any, warn: bool = True) -> StreamLine | None:
    """One parsed line as ``(ts, msg)``; None (warned) when ``msg`` is not an object."""
    if not isinstance(row, dict) or "ts" not in row or "msg" not in row:
        raise _bad_line(path, number, f"got {_short(row)}")
    ts = row["ts"]
    if isinstance(ts, bool) or not isinstance(ts, int) or not 0 <= ts <= MAX_TS_MS:
        raise ConfigError(f"{path}:{number}: ts {_short(ts)} is not an integer epoch ms")
    msg = row["msg"]
    if not isinstance(msg, dict):
        if warn:
            log.warning("%s:%d: msg %s is not a JSON object; skipped", path, number, _short(msg))
        return None
    return ts, msg


def _bad_line(path: Path, number: int, reason: str) -> ConfigError:
    return ConfigError(f"{path}:{number}: expected {{ts, msg}} ({reason})")


def _short(value: Any) -> str:
    """A value for a one-line message: its JSON, cut short."""
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


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
