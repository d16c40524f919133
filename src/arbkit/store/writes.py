"""Committed writes, one at a time or several as one transaction.

The order journal commits each write before the action it announces (a live order must be on
disk before it is sent). A paper trade has no outside effect to protect, so all of its rows —
the trade, its states, orders, fills, the position — may go in one transaction: a crash then
loses the whole simulated trade or none of it, never half, and it costs one commit, not thirty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class Writes:
    """Wraps one connection: :meth:`commit` for a write, :meth:`atomic` around several.

    Transactions are opened explicitly (``BEGIN IMMEDIATE``): sqlite-utils commits a statement
    at once when no transaction is open, which would split a write of several rows.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._depth = 0

    @contextmanager
    def commit(self) -> Iterator[sqlite3.Connection]:
        """A write committed on exit, unless inside :meth:`atomic` (then with the rest)."""
        with self.atomic():
            yield self.conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Every write inside is one transaction (nested calls join the outer one)."""
        if self._depth or self.conn.in_transaction:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()
        finally:
            self._depth = 0


def writes_for(store: object) -> Writes:
    """The store's one :class:`Writes` (created on first use, shared by all its writers)."""
    found = getattr(store, "_writes", None)
    if found is None:
        found = Writes(store.db.conn)  # type: ignore[attr-defined]
        store._writes = found  # type: ignore[attr-defined]
    return found
