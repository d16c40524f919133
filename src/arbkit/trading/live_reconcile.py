"""Finding a journaled order the venue cannot look up by client order id.

Kalshi stores the client order id and answers a look-up by it; Polymarket has no client ids,
and its plugin remembers them only in the process that sent the order. After a restart a
``get_order(client_order_id=...)`` there answers NotFound even when the order exists, so the
executor looks for an order of the same shape that no journaled order claims: resting among
the open orders, or executed among the fills since the order was journaled.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from arbkit.errors import VenueError
from arbkit.models import Order, OrderStatus, Side, TimeInForce
from arbkit.venue import Venue

ZERO = Decimal(0)


async def find_by_shape(
    venue: Venue, row: Mapping[str, Any], claimed: Collection[str]
) -> Order | None:
    """The venue's order matching the journal ``row`` (contract, side, price, size, placed
    after the row was written) that no id in ``claimed`` already is; None if none is seen."""
    side = Side(row["side"])
    price, size = Decimal(row["price"]), Decimal(row["size"])
    since = datetime.fromisoformat(row["created_at"]).replace(microsecond=0)
    try:
        resting = await venue.open_orders()
    except VenueError:
        resting = []
    for order in resting:
        if (
            order.order_id not in claimed
            and order.contract_id == row["contract_id"]
            and order.side is side
            and order.price == price
            and order.size == size
            and (order.created_at is None or order.created_at >= since)
        ):
            return order
    found: dict[str, list[tuple[Decimal, Decimal]]] = {}
    for fill in await venue.fills():
        if (
            fill.order_id
            and fill.order_id not in claimed
            and fill.is_taker
            and fill.contract_id == row["contract_id"]
            and fill.side is side
            and (fill.timestamp is None or fill.timestamp >= since)
        ):
            found.setdefault(fill.order_id, []).append((fill.price, fill.size))
    if not found:
        return None
    order_id, fills = next(iter(found.items()))
    filled = min(sum((s for _, s in fills), ZERO), size)
    average = sum((p * s for p, s in fills), ZERO) / sum((s for _, s in fills), ZERO)
    immediate = row.get("time_in_force") in (TimeInForce.FOK.value, TimeInForce.IOC.value)
    if filled >= size:
        status = OrderStatus.FILLED
    else:
        status = OrderStatus.CANCELLED if immediate else OrderStatus.PARTIALLY_FILLED
    return Order(
        venue=venue.name,
        order_id=order_id,
        client_order_id=row["client_order_id"],
        contract_id=row["contract_id"],
        side=side,
        price=price,
        size=size,
        filled=filled,
        status=status,
        average_price=average,
    )
