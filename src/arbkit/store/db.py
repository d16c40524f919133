"""Opening the store: where it lives, applying migrations, and clear errors when it cannot."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from arbkit.errors import StoreError
from arbkit.paths import user_dir
from arbkit.store.migrations import migrations as core_migrations

#: Seconds to wait for another process's write lock before giving up (``$ARBKIT_DB_TIMEOUT``).
DEFAULT_TIMEOUT = 5.0


def db_timeout() -> float:
    """The busy timeout: ``$ARBKIT_DB_TIMEOUT`` seconds, else :data:`DEFAULT_TIMEOUT`."""
    value = os.environ.get("ARBKIT_DB_TIMEOUT")
    if value is None or not value.strip():
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise StoreError(f"ARBKIT_DB_TIMEOUT must be a number of seconds, not {value!r}") from None
    if not 0 <= seconds < 86400:
        raise StoreError(f"ARBKIT_DB_TIMEOUT must be between 0 and 86400 seconds, not {value!r}")
    return seconds


def describe_error(where: object, exc: sqlite3.Error, timeout: float | None = None) -> str:
    """One line for a SQLite failure, naming the file and what the user can do about it."""
    text = " ".join(str(exc).split())
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        waited = f" (waited {timeout:g} s)" if timeout is not None else ""
        return (
            f"database {where} is locked by another process{waited}; "
            "try again when it finishes, or raise ARBKIT_DB_TIMEOUT"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return f"database {where} is read-only: {text}"
    if "malformed" in lowered or "not a database" in lowered:
        return f"database {where} is corrupted ({text}); restore it from a backup or move it away"
    return f"cannot use database {where}: {text}"


@contextmanager
def store_errors(where: object, timeout: float | None = None) -> Iterator[None]:
    """Turn any SQLite failure inside the block into a one-line :class:`StoreError`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(describe_error(where, exc, timeout)) from exc


def default_db_path() -> Path:
    """``$ARBKIT_DB``, else ``arbkit.db`` in the user directory."""
    env = os.environ.get("ARBKIT_DB")
    return Path(env).expanduser() if env else user_dir() / "arbkit.db"


class Store:
    """The opened database plus the migration sets applied to it."""

    def __init__(self, db: Database, path: Path | None, sets: Iterable[Migrations]) -> None:
        self.db = db
        self.path = path
        self.migration_sets = list(sets)

    def status(self) -> list[dict[str, Any]]:
        """Applied and pending migrations per set (for ``arbkit db status``)."""
        with store_errors(self.path or "in-memory database"):
            return self._status()

    def table_counts(self) -> dict[str, int]:
        """Rows per user table; reads every table, so corrupted pages surface as StoreError."""
        with store_errors(self.path or "in-memory database"):
            return {
                name: self.db[name].count
                for name in sorted(self.db.table_names())
                if not name.startswith("_")
            }

    def _status(self) -> list[dict[str, Any]]:
        rows = []
        for mig in self.migration_sets:
            for applied in mig.applied(self.db):
                rows.append(
                    {"set": mig.name, "name": applied.name, "applied_at": applied.applied_at}
                )
            for pending in mig.pending(self.db):
                rows.append({"set": mig.name, "name": pending.name, "applied_at": None})
        return rows

    def close(self) -> None:
        self.db.close()


def open_store(path: Path | str | None = None, *, extra: Iterable[Migrations] = ()) -> Store:
    """Open (creating if needed) the database and apply pending migrations.

    Args:
        path: the database file, ``":memory:"``, or None for :func:`default_db_path`.
        extra: plugin-owned migration sets, applied after the core set.

    Raises:
        StoreError: the path is not a usable SQLite database.
    """
    sets = [core_migrations, *extra]
    timeout = db_timeout()
    if path == ":memory:":
        db, resolved = Database(memory=True), None
    else:
        resolved = Path(path).expanduser() if path else default_db_path()
        _check_writable(resolved)
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(resolved), timeout=timeout)
            db = Database(conn)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {resolved}: {exc}") from exc
    where = resolved or "in-memory database"
    with store_errors(where, timeout):
        _refuse_newer(db, sets, where)
        _apply_with_retry(db, sets, timeout)
        if resolved is not None:
            _use_wal(db)
    return Store(db, resolved, sets)


def _use_wal(db: Database) -> None:
    """Write-ahead logging: readers (a report, Datasette) never block a run's batched writes,
    and a commit is one append instead of a rewrite of the pages it touched."""
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        db.conn.execute("PRAGMA journal_mode = WAL")


def _check_writable(path: Path) -> None:
    """A read-only file or folder is one clear line, before SQLite's vaguer errors."""
    if path.is_dir():
        raise StoreError(f"database path {path} is a directory")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"database {path} is read-only (no write permission)")
        return
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"cannot create database {path}: folder {folder} is read-only")


def _known_names(mig: Migrations) -> set[str]:
    return {m.name for m in getattr(mig, "_migrations", [])}


def _refuse_newer(db: Database, sets: Iterable[Migrations], where: object) -> None:
    """Never migrate or write a schema this arbkit does not know: it could lose data."""
    for mig in sets:
        unknown = [a.name for a in mig.applied(db) if a.name not in _known_names(mig)]
        if unknown:
            owner = "arbkit" if mig is core_migrations else f"the {mig.name} plugin"
            raise StoreError(
                f"database {where} was created by a newer {owner} "
                f"(unknown migrations: {', '.join(unknown)}); upgrade {owner} to use it"
            )


def _apply_with_retry(db: Database, sets: Iterable[Migrations], timeout: float) -> None:
    """Apply pending migrations; if another process is applying them too, wait and re-check.

    Two processes opening a fresh file at once both see m001 pending; the loser's CREATE TABLE
    fails ("already exists", or "duplicate column name" for an ADD COLUMN) and is rolled back,
    so it retries and finds nothing left to do.
    """
    deadline = time.monotonic() + max(timeout, 1.0)
    while True:
        try:
            for mig in sets:
                mig.apply(db)
            return
        except sqlite3.OperationalError as exc:
            if not _is_race(exc) or time.monotonic() > deadline:
                raise
            _rollback(db)
            time.sleep(0.05)


def _is_race(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return any(sign in text for sign in ("already exists", "duplicate column", "locked", "busy"))


def _rollback(db: Database) -> None:
    try:
        db.conn.rollback()
    except sqlite3.Error:
        pass
