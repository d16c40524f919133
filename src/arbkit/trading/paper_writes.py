"""A simulated trade's fills and orders, written as one statement each when its writes end.

A paper trade has no outside effect to protect, so its rows need not reach the journal one by
one (see ``store/writes.py``): they are collected while the trader's paper transaction is open
and written together just before it commits: all of the fills in one ``executemany``, all of
the orders in another, each order once with its final totals when its trade ended inside the
transaction (no intent followed by an update). The rows are exactly those the one-by-one writes
leave, and a crash still loses the whole transaction or none of it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from types import TracebackType

from attrs import evolve

from arbkit.models import Order
from arbkit.trading.journal import OrderEntry, TradeJournal
from arbkit.trading.model import Mode, TradeFill

log = logging.getLogger(__name__)


class PaperWrites:
    """Collects a paper trader's fills and new orders; :meth:`scope` writes them on its way out.

    Outside a scope every row is written at once (nothing is held back that no commit follows).
    """

    def __init__(self, journal: TradeJournal, mode: Mode) -> None:
        self.journal = journal
        self.mode = mode
        self._fills: list[TradeFill] = []
        self._orders: dict[str, OrderEntry] = {}  #: by client order id, in the order first seen
        self._depth = 0
        self._scope = _Scope(self)

    def scope(self) -> _Scope:
        """One transaction around a paper trade's writes (reentrant: the outermost writes the
        collected rows, then commits)."""
        return self._scope

    def fill(self, fill: TradeFill) -> None:
        self._fills.append(fill)
        if not self._depth:
            self.flush()

    def order(self, entry: OrderEntry) -> None:
        """A simulated order seen for the first time (its intent)."""
        self._orders[entry.request.client_order_id] = entry
        if not self._depth:
            self.flush()

    def totals(self, order: Order, at: datetime) -> None:
        """What a simulated order came to: folded into its row if that is not written yet."""
        cid = order.client_order_id or ""
        entry = self._orders.get(cid)
        if entry is None:
            self.journal.order_update(order, at)
        else:
            self._orders[cid] = evolve(entry, result=order, result_at=at)

    def flush(self) -> None:
        fills, orders = self._fills, list(self._orders.values())
        self._fills, self._orders = [], {}
        stored = self.journal.fills_batch(fills, mode=self.mode)
        if stored != len(fills):  # paper fill ids derive from trade ids, which are never reused
            log.error("paper: %d of %d fills were stored already", len(fills) - stored, len(fills))
        self.journal.orders_batch(orders)

    def drop(self) -> None:
        """Forget what was collected (its transaction rolled back)."""
        self._fills, self._orders = [], {}


class _Scope:
    __slots__ = ("_owner",)

    def __init__(self, owner: PaperWrites) -> None:
        self._owner = owner

    def __enter__(self) -> None:
        owner = self._owner
        owner.journal.writes.atomic().__enter__()
        owner._depth += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        owner = self._owner
        owner._depth -= 1
        atomic = owner.journal.writes.atomic()
        if owner._depth:
            atomic.__exit__(kind, error, trace)
            return
        if kind is None:
            try:
                owner.flush()
            except BaseException as failure:
                owner.drop()
                atomic.__exit__(type(failure), failure, failure.__traceback__)
                raise
        else:
            owner.drop()
        atomic.__exit__(kind, error, trace)
