"""Opening the store: where it lives, applying migrations, and clear errors when it cannot."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from arbkit.errors import StoreError
from arbkit.paths import user_dir
from arbkit.store.migrations import migrations as core_migrations


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
    if path == ":memory:":
        db, resolved = Database(memory=True), None
    else:
        resolved = Path(path).expanduser() if path else default_db_path()
        if resolved.is_dir():
            raise StoreError(f"database path {resolved} is a directory")
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
            db = Database(resolved)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {resolved}: {exc}") from exc
    try:
        for mig in sets:
            mig.apply(db)
    except sqlite3.DatabaseError as exc:
        where = resolved or "in-memory database"
        raise StoreError(f"cannot use database {where}: {exc}") from exc
    return Store(db, resolved, sets)
