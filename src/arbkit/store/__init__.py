"""The one SQLite store: every market, match, book, opportunity, order and fill arbkit sees.

Plain tables, readable with ``sqlite3`` or Datasette. Schema changes are versioned migrations
applied on open, never edits of an applied migration.
"""

from arbkit.store.db import Store, default_db_path, open_store, store_errors

__all__ = ["Store", "default_db_path", "open_store", "store_errors"]
