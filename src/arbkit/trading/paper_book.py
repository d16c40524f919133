"""The paper executor's view of a book: walking it within a limit, and the shares it already took.

A recorded book does not know about paper orders, so a second decision would otherwise fill
against the very shares the first one bought. :class:`ConsumedLiquidity` remembers what was taken
at each price level together with the size the book showed then; as long as the book shows that
same size, the taken shares stay gone. Any change of the level's size (or its disappearance) means
the book moved on, and the memory of that level is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from attrs import define, field

from arbkit.models import Level, OrderBook, Side

ZERO = Decimal(0)

#: ``(side of the order, price)`` → ``(size the book showed when taken, contracts taken)``
_Taken = dict[tuple[Side, Decimal], tuple[Decimal, Decimal]]


def levels_to_take(book: OrderBook, side: Side) -> list[Level]:
    """The levels an order of ``side`` walks, best first: asks for a buy, bids for a sell.

    Sorted here rather than trusted, so that a badly ordered book can never fill a worse level
    before a better one. Empty levels are dropped.
    """
    if side is Side.BUY:
        return sorted((lv for lv in book.asks if lv[1] > 0), key=lambda lv: lv[0])
    return sorted((lv for lv in book.bids if lv[1] > 0), key=lambda lv: lv[0], reverse=True)


def within(price: Decimal, limit: Decimal | None, side: Side) -> bool:
    """Whether ``price`` is no worse than ``limit`` for an order of ``side`` (None: any)."""
    if limit is None:
        return True
    return price <= limit if side is Side.BUY else price >= limit


def walk(levels: Iterable[Level], size: Decimal, limit: Decimal | None, side: Side) -> list[Level]:
    """``(price, contracts)`` taken level by level, best first, up to ``size`` within ``limit``."""
    takes: list[Level] = []
    left = size
    for price, available in levels:
        if left <= 0 or not within(price, limit, side):
            break
        take = min(available, left)
        if take > 0:
            takes.append((price, take))
            left -= take
    return takes


def depth(levels: Iterable[Level], limit: Decimal | None, side: Side) -> Decimal:
    """Contracts available within ``limit``."""
    return sum((size for price, size in levels if within(price, limit, side)), ZERO)


def trim(takes: Sequence[Level], size: Decimal) -> list[Level]:
    """``takes`` cut down to ``size`` contracts, dropping from the worst (last) level first."""
    kept: list[Level] = []
    left = size
    for price, take in takes:
        if left <= 0:
            break
        part = min(take, left)
        kept.append((price, part))
        left -= part
    return kept


@define
class ConsumedLiquidity:
    """Shares the paper executor took from each contract's recorded book, until it moves."""

    _taken: dict[str, _Taken] = field(factory=dict)

    def available(self, book: OrderBook, side: Side) -> list[Level]:
        """The levels ``side`` walks on ``book``, less what was taken while they stood still."""
        taken = self._taken.get(book.contract_id)
        levels = levels_to_take(book, side)
        if not taken:
            return levels
        left: list[Level] = []
        for price, size in levels:
            seen, amount = taken.get((side, price), (None, ZERO))
            remaining = size - amount if seen == size else size
            if remaining > 0:
                left.append((price, remaining))
        return left

    def take(self, book: OrderBook, side: Side, takes: Iterable[Level]) -> None:
        """Remember ``takes`` (from :meth:`available` of the same ``book``) as gone."""
        shown = dict(levels_to_take(book, side))
        taken = self._taken.setdefault(book.contract_id, {})
        for price, amount in takes:
            seen = shown[price]
            before_seen, before = taken.get((side, price), (None, ZERO))
            total = amount + (before if before_seen == seen else ZERO)
            taken[(side, price)] = (seen, total)

    def observe(self, book: OrderBook) -> None:
        """A new book for the contract: forget every level whose size is no longer the one seen."""
        taken = self._taken.get(book.contract_id)
        if not taken:
            return
        shown = {
            Side.BUY: dict(levels_to_take(book, Side.BUY)),
            Side.SELL: dict(levels_to_take(book, Side.SELL)),
        }
        for key, (seen, _) in list(taken.items()):
            side, price = key
            if shown[side].get(price) != seen:
                del taken[key]
        if not taken:
            del self._taken[book.contract_id]

    def taken(self, contract_id: str, side: Side, price: Decimal) -> Decimal:
        """Contracts still counted as taken at one level (0 once the book moved)."""
        return self._taken.get(contract_id, {}).get((side, price), (None, ZERO))[1]
