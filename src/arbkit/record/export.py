"""Writing any range of a recording as a replay directory (docs/replay-format.md).

An export starts from REST snapshots and plays the streams from there, like a live session:

- ``captured_at`` (the replay's "now") is ``since``, or the first recorded payload;
- book snapshots (``books``, ``orderbooks``) are the ones in effect then: per key the latest
  received at or before it, else the first received after it;
- every other snapshot (events, markets, series, settlements) is the latest of its key received
  by ``until``, so markets discovered later and settlements that came in are included;
- stream messages are those received from the oldest chosen book snapshot to ``until``, so the
  books are brought up to date before the range begins.

Nothing here reads venue JSON; ``--league`` asks each venue's parser (see ``leagues.py``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen

from arbkit.errors import ConfigError, StoreError
from arbkit.record.chunks import BOOK_KINDS, DICT_KINDS, KINDS, STREAM, ChunkError, Piece, decode
from arbkit.record.leagues import MARKET_KINDS, LeagueFilter
from arbkit.store.db import Store, store_errors

_NO_END = 2**62
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


@frozen(kw_only=True)
class ExportSummary:
    """What an export wrote: ``first`` is its ``captured_at``, ``last`` its last payload."""

    directory: Path
    messages: int  #: stream messages written
    snapshots: int  #: REST snapshot objects written (events, books, settlements, ...)
    first: datetime | None
    last: datetime | None
    venues: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  #: venues left out: no markets snapshot in the range

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "messages": self.messages,
            "snapshots": self.snapshots,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "venues": list(self.venues),
            "skipped": list(self.skipped),
        }


def export_replay(
    store: Store,
    directory: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    leagues: Sequence[str] = (),
) -> ExportSummary:
    """Write the recording in ``store`` from ``since`` to ``until`` as a replay directory.

    Raises:
        ConfigError: ``directory`` exists and is not empty or cannot be written, the range is
            backwards, nothing replayable was recorded in it, or a league is unknown.
        StoreError: a chunk in the range cannot be read (damaged, or another format).

    An export that fails (or is interrupted) removes what it wrote, so a directory holding a
    ``manifest.json`` is always a whole export.
    """
    directory = Path(directory)
    since_ms = _ms(since) if since is not None else None
    until_ms = _ms(until) if until is not None else _NO_END
    if since_ms is not None and since_ms > until_ms:
        raise ConfigError(f"--since {_iso(since)} is after --until {_iso(until)}")
    _check_target(directory)
    league_filter = _league_filter(leagues) if leagues else None
    where = store.path or "in-memory database"
    with store_errors(where):
        query = "SELECT min(first_ms) FROM recorded_chunks WHERE first_ms <= ?"
        args = [until_ms]
        if since_ms is not None:
            query, args = query + " AND last_ms >= ?", [until_ms, since_ms]
        first = store.db.execute(query, args).fetchone()[0]
        recorded = {
            row[0]
            for row in store.db.execute(query.replace("min(first_ms)", "DISTINCT venue"), args)
        }
        if first is None:
            raise ConfigError(f"nothing was recorded{_range_text(since, until)} in {where}")
        start = first if since_ms is None else max(since_ms, first)
        chosen = _choose(_snapshot_pieces(store, until_ms), start)
        files = {venue: _items(kinds) for venue, kinds in chosen.items()}
        if league_filter is not None:
            files = {v: _filter(league_filter, v, kinds) for v, kinds in files.items()}
        venues = sorted(v for v, kinds in files.items() if any(kinds.get(k) for k in MARKET_KINDS))
        if not venues:
            held = ", ".join(sorted(recorded | set(files)))
            if leagues:
                what = f"no {', '.join(leagues)} events or markets of {held}"
            else:  # retention, or a recording that began after its snapshots were taken
                what = f"no events or markets of {held}"
            raise ConfigError(
                f"no venue can be replayed{_range_text(since, until)}: the recording holds "
                f"{what} by then"
            )
        book_times = [
            ts for v in venues for kind in BOOK_KINDS for ts, *_ in files[v].get(kind, ())
        ]
        begin = min([start, *book_times])
        with _undone_on_failure(directory):
            snapshots = 0
            last = start
            for venue in venues:
                count, latest = _write_snapshots(directory / venue, files[venue])
                snapshots, last = snapshots + count, max(last, latest)
            messages, stream_last = _write_streams(
                store, directory, venues, begin, until_ms, league_filter
            )
            if stream_last is not None:
                last = max(last, stream_last)
            _write_json(  # last: a manifest says the export is whole
                directory / "manifest.json",
                {
                    "description": f"arbkit record export{_range_text(since, until)}",
                    "captured_at": _iso(_dt(start)),
                    "source": "arbkit record export",
                },
            )
    return ExportSummary(
        directory=directory,
        messages=messages,
        snapshots=snapshots,
        first=_dt(start),
        last=_dt(last),
        venues=tuple(venues),
        skipped=tuple(sorted((recorded | set(files)) - set(venues))),
    )


def _league_filter(leagues: Sequence[str]) -> LeagueFilter:
    """A filter for ``leagues``, with the installed venues' parsers (unknown league: error)."""
    from arbkit.engine.build import resolve_leagues
    from arbkit.plugins import make_plugin_manager
    from arbkit.registry import get_venues

    pm = make_plugin_manager()
    return LeagueFilter(resolve_leagues(pm, leagues), get_venues(pm))


def _check_target(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory} is a file, not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise ConfigError(f"{directory} is not empty; export into a new or empty directory")


@contextmanager
def _undone_on_failure(directory: Path) -> Iterator[None]:
    """Create ``directory`` (new or empty: checked before); if the block fails or is
    interrupted (Ctrl-C), remove what it created there, so no half export is left behind."""
    top = directory.absolute()
    while not top.parent.exists():
        top = top.parent  # the outermost folder this export creates
    existed = top.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        yield
    except BaseException as exc:
        if existed:  # it was empty: everything in it now is this export's
            for child in directory.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        else:
            shutil.rmtree(top, ignore_errors=True)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise ConfigError(f"cannot write {exc.filename or directory}: {reason}") from None
        raise


#: The snapshot kinds an export reads (a chunk of a kind from another version is left out).
_SNAPSHOT_KINDS = sorted(KINDS - {STREAM})


def _snapshot_pieces(store: Store, until_ms: int) -> list[Piece]:
    """Every REST snapshot piece received by ``until``, in the order received."""
    rows = store.db.execute(
        "SELECT id, venue, kind, first_ms, last_ms, data FROM recorded_chunks "
        f"WHERE kind IN ({','.join('?' * len(_SNAPSHOT_KINDS))}) AND first_ms <= ? ORDER BY id",
        [*_SNAPSHOT_KINDS, until_ms],
    ).fetchall()
    return [piece for row in rows for piece in _read(*row) if piece.received_at_ms <= until_ms]


def _read(chunk: int, venue: str, kind: str, first: int, last: int, data: bytes) -> list[Piece]:
    """The pieces of one chunk; one that cannot be read is a one-line error naming it."""
    try:
        return list(decode(venue, kind, data))
    except ChunkError as exc:
        raise StoreError(
            f"recorded chunk {chunk} ({venue} {kind}, received {iso_ms(first)} to "
            f"{iso_ms(last)}) is unreadable: {exc}; export a range without it, or delete "
            "that row of recorded_chunks"
        ) from None


def _choose(pieces: Iterable[Piece], start: int) -> dict[str, dict[str, list[Piece]]]:
    """The pieces an export starting at ``start`` uses, per venue and kind (module docstring).

    Keyless pieces of a book kind are one group (a whole recorded ``books.json``); keyless
    pieces of other kinds are all kept.
    """
    by_key: dict[tuple[str, str, str | None], list[Piece]] = {}
    for piece in pieces:
        by_key.setdefault((piece.venue, piece.kind, piece.key), []).append(piece)
    chosen: dict[str, dict[str, list[Piece]]] = {}
    for (venue, kind, key), group in by_key.items():
        if kind in BOOK_KINDS:
            before = [p for p in group if p.received_at_ms <= start]
            picked = [before[-1] if before else group[0]]
        elif key is None:
            picked = group
        else:
            picked = [group[-1]]
        chosen.setdefault(venue, {}).setdefault(kind, []).extend(picked)
    for kinds in chosen.values():
        for group in kinds.values():
            group.sort(key=lambda p: p.received_at_ms)
    return chosen


#: One object of a snapshot file: (received at, key of a JSON-object file's entry, object).
Item = tuple[int, str | None, Any]


def _items(kinds: Mapping[str, list[Piece]]) -> dict[str, list[Item]]:
    """Pieces as the objects of their files: lists flattened, equal objects written once."""
    result: dict[str, list[Item]] = {}
    for kind, pieces in kinds.items():
        items: list[Item] = []
        if kind in DICT_KINDS:
            entries: dict[str, Item] = {}
            for piece in pieces:
                if isinstance(piece.payload, Mapping):
                    for name, value in piece.payload.items():
                        entries[name] = (piece.received_at_ms, name, value)
            items = list(entries.values())
        else:
            seen: set[str] = set()
            for piece in pieces:
                values = piece.payload if isinstance(piece.payload, list) else [piece.payload]
                for value in values:
                    text = json.dumps(value, sort_keys=True)
                    if text not in seen:
                        seen.add(text)
                        items.append((piece.received_at_ms, None, value))
        result[kind] = items
    return result


def _filter(league_filter: LeagueFilter, venue: str, kinds: dict[str, list[Item]]) -> dict:
    """The items of one venue that belong to the filter's leagues (markets first: their ids)."""
    result: dict[str, list[Item]] = {}
    for kind in MARKET_KINDS:
        if kind in kinds:
            kept = {id(v) for v in league_filter.markets(venue, [v for _, _, v in kinds[kind]])}
            result[kind] = [item for item in kinds[kind] if id(item[2]) in kept]
    for kind, items in kinds.items():
        if kind in MARKET_KINDS:
            continue
        if kind in DICT_KINDS:
            result[kind] = [i for i in items if league_filter.keeps_key(venue, str(i[1]))]
        else:
            result[kind] = [i for i in items if league_filter.keeps(venue, i[2])]
    return result


def _write_snapshots(folder: Path, kinds: Mapping[str, list[Item]]) -> tuple[int, int]:
    """One file per kind; returns the objects written and the latest receive time."""
    folder.mkdir(parents=True, exist_ok=True)
    count, last = 0, 0
    for kind, items in sorted(kinds.items()):
        if kind in DICT_KINDS:
            body: Any = {name: value for _, name, value in items}
        else:
            body = [value for _, _, value in items]
        _write_json(folder / f"{kind}.json", body)
        count += len(items)
        last = max([last, *(ts for ts, *_ in items)])
    return count, last


def _write_streams(
    store: Store,
    directory: Path,
    venues: Sequence[str],
    begin: int,
    until_ms: int,
    league_filter: LeagueFilter | None,
) -> tuple[int, int | None]:
    """Each venue's ``stream.jsonl`` from ``begin`` to ``until``, read chunk by chunk."""
    if not venues:
        return 0, None
    marks = ",".join("?" * len(venues))
    rows = store.db.execute(
        f"SELECT id, venue, kind, first_ms, last_ms, data FROM recorded_chunks WHERE kind = ? "
        f"AND venue IN ({marks}) AND last_ms >= ? AND first_ms <= ? ORDER BY id",
        [STREAM, *venues, begin, until_ms],
    )
    files: dict[str, Any] = {}
    count, last = 0, None
    try:
        for row in rows:
            venue = row[1]
            out = files.get(venue)
            if out is None:
                path = directory / venue / "stream.jsonl"
                out = files[venue] = path.open("w", encoding="utf-8")
            for piece in _read(*row):
                ts = piece.received_at_ms
                if not begin <= ts <= until_ms:
                    continue
                # A live frame may hold several messages (Polymarket's first dump is an array of
                # books): one line each, as the replay format allows.
                payload = piece.payload
                for message in payload if isinstance(payload, list) else [payload]:
                    if not isinstance(message, dict):
                        continue
                    if league_filter is not None and not league_filter.keeps(venue, message):
                        continue
                    out.write(_dumps({"ts": ts, "msg": message}))
                    out.write("\n")
                    count += 1
                    last = ts if last is None else max(last, ts)
    finally:
        for out in files.values():
            out.close()
    return count, last


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(_dumps(value) + "\n", encoding="utf-8")


def _ms(moment: datetime) -> int:
    """Epoch milliseconds, exactly (a naive time is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_MS


def _dt(ms: int) -> datetime:
    return _EPOCH + ms * _ONE_MS


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _range_text(since: datetime | None, until: datetime | None) -> str:
    parts = []
    if since is not None:
        parts.append(f" since {_iso(since)}")
    if until is not None:
        parts.append(f" until {_iso(until)}")
    return "".join(parts)


def newest_recorded(store: Store) -> datetime | None:
    """The receive time of the newest recorded payload (what ages like ``2h`` count back from)."""
    with store_errors(store.path or "in-memory database"):
        newest = store.db.execute("SELECT max(last_ms) FROM recorded_chunks").fetchone()[0]
    return None if newest is None else _dt(newest)


def iso_ms(ms: int | None) -> str | None:
    """Epoch milliseconds as ISO 8601 UTC (``Z``), for reports."""
    return None if ms is None else _iso(_dt(ms))


def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 UTC to the millisecond (``Z``), the form exports and reports use."""
    return _iso(moment)
