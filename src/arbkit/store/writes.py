"""Committed writes, one at a time or several as one transaction.

The order journal commits each write before the action it announces (a live order must be on
disk before it is sent). A paper trade has no outside effect to protect, so all of its rows —
the trade, its states, orders, fills, the position — may go in one transaction: a crash then
loses the whole simulated trade or none of it, never half, and it costs one commit, not thirty.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType


class Writes:
    """Wraps one connection: :meth:`commit` for a write, :meth:`atomic` around several.

    Transactions are opened explicitly (``BEGIN IMMEDIATE``): sqlite-utils commits a statement
    at once when no transaction is open, which would split a write of several rows. Both
    return a plain context manager (no generator): a paper trade enters them some thirty
    times, nearly all nested in one outer transaction.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        #: per scope entered and not left: whether it began the transaction (it ends it)
        self._began: list[bool] = []
        self._scope = _Scope(self)

    def commit(self) -> _Scope:
        """A write committed on exit, unless inside :meth:`atomic` (then with the rest);
        entering it gives the connection."""
        return self._scope

    def atomic(self) -> _Scope:
        """Every write inside is one transaction (nested calls join the outer one)."""
        return self._scope


class _Scope:
    """The transaction scope of one :class:`Writes`: reentrant, the outermost one ends it."""

    __slots__ = ("_writes",)

    def __init__(self, writes: Writes) -> None:
        self._writes = writes

    def __enter__(self) -> sqlite3.Connection:
        writes = self._writes
        conn = writes.conn
        if writes._began or conn.in_transaction:
            writes._began.append(False)  # joins the transaction already open
        else:
            conn.execute("BEGIN IMMEDIATE")
            writes._began.append(True)
        return conn

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        writes = self._writes
        if not writes._began.pop():
            return
        if kind is None:
            writes.conn.commit()
        else:
            writes.conn.rollback()


def writes_for(store: object) -> Writes:
    """The store's one :class:`Writes` (created on first use, shared by all its writers)."""
    found = getattr(store, "_writes", None)
    if found is None:
        found = Writes(store.db.conn)  # type: ignore[attr-defined]
        store._writes = found  # type: ignore[attr-defined]
    return found
