"""Orders, fills and positions between arbkit's model and Kalshi's wire formats.

Create Order V2 quotes everything on the YES book: buying YES at p is a ``bid`` at p, buying NO
at q is an ``ask`` at 1 − q (and selling mirrors it). Order, fill and position objects still
name the ``yes``/``no`` side, so they map back onto the ``<ticker>:yes`` / ``<ticker>:no``
contracts. Counts are strings with 2 decimals, prices strings with 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from arbkit import (
    BadResponse,
    Fill,
    InvalidOrder,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    Side,
    TimeInForce,
    parse_optional_timestamp,
    to_decimal,
)

VENUE = "kalshi"
ONE = Decimal(1)
ZERO = Decimal(0)
_PRICE = Decimal("0.0001")
_COUNT = Decimal("0.01")

_TIME_IN_FORCE = {
    TimeInForce.GTC: "good_till_canceled",
    TimeInForce.GTD: "good_till_canceled",
    TimeInForce.IOC: "immediate_or_cancel",
    TimeInForce.FOK: "fill_or_kill",
}


#: One ``price_ranges`` band: ``(start, end, step)`` in YES dollars.
PriceBand = tuple[Decimal, Decimal, Decimal]
_DEFAULT_BANDS: tuple[PriceBand, ...] = ((ZERO, ONE, Decimal("0.01")),)


def price_bands(market: Mapping[str, Any]) -> tuple[PriceBand, ...]:
    """A market object's ``price_ranges`` (the 1¢ grid when it states none)."""
    bands = tuple(
        (to_decimal(r["start"]), to_decimal(r["end"]), to_decimal(r["step"]))
        for r in market.get("price_ranges") or ()
        if isinstance(r, Mapping) and r.get("step")
    )
    return bands or _DEFAULT_BANDS


def band_step(bands: tuple[PriceBand, ...], price: Decimal) -> Decimal:
    """The step of the band containing ``price`` (the coarser one on a shared edge)."""
    steps = [step for start, end, step in bands if start <= price <= end]
    if not steps:
        raise InvalidOrder(f"price {price} is outside every price band", venue=VENUE)
    return max(steps)


def on_grid(bands: tuple[PriceBand, ...], price: Decimal) -> bool:
    """Whether ``price`` sits on the step of a band that contains it."""
    return any(start <= price <= end and (price - start) % step == 0 for start, end, step in bands)


def snap_price(bands: tuple[PriceBand, ...], price: Decimal, *, up: bool = False) -> Decimal:
    """``price`` moved to its band's grid: down (a bid, conservative) or up (an ask)."""
    for start, end, step in bands:
        if start <= price <= end:
            steps = (price - start) / step
            whole = steps.to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
            snapped = start + whole * step
            if start <= snapped <= end and on_grid(bands, snapped):
                return snapped
    raise InvalidOrder(f"price {price} cannot be placed on the price bands", venue=VENUE)


def check_price(bands: tuple[PriceBand, ...], yes_price: Decimal) -> None:
    """Refuse a YES-book price off its band's step (0.505 where the band steps by 0.01)."""
    if not on_grid(bands, yes_price):
        raise InvalidOrder(
            f"price {yes_price} is not on the {band_step(bands, yes_price)} step of its band",
            venue=VENUE,
        )


def split_contract(contract_id: str) -> tuple[str, str]:
    """``"KX...-PHI:no"`` → ``("KX...-PHI", "no")``."""
    ticker, _, side = contract_id.rpartition(":")
    if not ticker or side not in ("yes", "no"):
        raise InvalidOrder(f"not a Kalshi contract id: {contract_id!r}", venue=VENUE)
    return ticker, side


def _exact(value: Decimal, step: Decimal, what: str) -> str:
    """``value`` as the wire string with ``step``'s decimals; refused rather than rounded."""
    text = value.quantize(step)
    if text != value:
        raise InvalidOrder(f"{what} {value} has more decimals than Kalshi's {step}", venue=VENUE)
    return str(text)


def wire_price(value: Decimal) -> str:
    """A price as Kalshi's 4-decimal dollar string (more decimals: InvalidOrder)."""
    return _exact(value, _PRICE, "price")


def wire_count(value: Decimal) -> str:
    """A count as Kalshi's 2-decimal string (more decimals: InvalidOrder)."""
    return _exact(value, _COUNT, "count")


def yes_book_side(request: OrderRequest) -> tuple[str, Decimal]:
    """The V2 ``(side, price)`` on the YES book for a buy or sell of a YES or NO contract."""
    _, side = split_contract(request.contract_id)
    buying = request.side is Side.BUY
    if side == "yes":
        return ("bid" if buying else "ask"), request.price
    return ("ask" if buying else "bid"), ONE - request.price


def v2_order_body(request: OrderRequest) -> dict[str, Any]:
    """The ``POST /portfolio/events/orders`` body for ``request``."""
    if not (ZERO < request.price < ONE):
        raise InvalidOrder(f"price {request.price} outside (0, 1)", venue=VENUE)
    if request.size <= 0:
        raise InvalidOrder(f"size {request.size} must be positive", venue=VENUE)
    if request.time_in_force is TimeInForce.GTD and request.expires_at is None:
        raise InvalidOrder("a GTD order needs expires_at", venue=VENUE)
    ticker, _ = split_contract(request.contract_id)
    book_side, price = yes_book_side(request)
    body: dict[str, Any] = {
        "ticker": ticker,
        "client_order_id": request.client_order_id,
        "side": book_side,
        "count": wire_count(request.size),
        "price": wire_price(price),
        "time_in_force": _TIME_IN_FORCE[request.time_in_force],
        "self_trade_prevention_type": "taker_at_cross",
    }
    if request.time_in_force is TimeInForce.GTD and request.expires_at is not None:
        body["expiration_time"] = int(request.expires_at.timestamp())
    if request.post_only:
        body["post_only"] = True
    return body


def _status(filled: Decimal, remaining: Decimal, size: Decimal) -> OrderStatus:
    if filled >= size and size > 0:
        return OrderStatus.FILLED
    if remaining > 0:
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    return OrderStatus.CANCELLED  # nothing left and not all filled: IOC/FOK remainder cancelled


def order_from_v2(request: OrderRequest, body: Mapping[str, Any]) -> Order:
    """The Create Order V2 acknowledgement as an :class:`Order` on the requested contract."""
    try:
        filled = to_decimal(body.get("fill_count", "0"))
        remaining = to_decimal(body.get("remaining_count", "0"))
    except BadResponse as exc:
        raise BadResponse(f"create order response: {exc}", venue=VENUE) from None
    _, side = split_contract(request.contract_id)
    average = body.get("average_fill_price")
    average_price = None
    if average not in (None, "") and filled > 0:
        yes_price = to_decimal(average)
        average_price = yes_price if side == "yes" else ONE - yes_price
    fee = body.get("average_fee_paid")
    return Order(
        venue=VENUE,
        order_id=str(body.get("order_id") or "") or None,
        client_order_id=str(body.get("client_order_id") or request.client_order_id),
        contract_id=request.contract_id,
        side=request.side,
        price=request.price,
        size=request.size,
        filled=filled,
        status=_status(filled, remaining, request.size),
        average_price=average_price,
        fee=to_decimal(fee) * filled if fee not in (None, "") else ZERO,
    )


def as_requested(order: Order, request: OrderRequest) -> Order:
    """``order`` seen as the contract ``request`` named.

    A V2 order lives on the YES book, so the venue may report "buy NO at q" as "sell YES at
    1 − q". Both are the same order; this re-expresses it on the requested contract.
    """
    if order.contract_id == request.contract_id:
        return order
    ticker, side = split_contract(request.contract_id)
    if order.contract_id != f"{ticker}:{'no' if side == 'yes' else 'yes'}":
        return order
    flipped = Side.SELL if order.side is Side.BUY else Side.BUY
    average = None if order.average_price is None else ONE - order.average_price
    return Order(
        venue=order.venue,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        contract_id=request.contract_id,
        side=flipped,
        price=ONE - order.price,
        size=order.size,
        filled=order.filled,
        status=order.status,
        average_price=average,
        fee=order.fee,
        created_at=order.created_at,
    )


def _first(obj: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if obj.get(name) is not None:
            return obj[name]
    return None


def _count_of(obj: Mapping[str, Any], name: str) -> Decimal:
    value = _first(obj, f"{name}_fp", name)
    return ZERO if value is None else to_decimal(value)


def _side_price(obj: Mapping[str, Any], side: str) -> Decimal:
    """The price of the ``side`` contract, from dollar strings or legacy cents."""
    value = _first(obj, f"{side}_price_dollars", f"{side}_price_fixed")
    if value is not None:
        return to_decimal(value)
    cents = obj.get(f"{side}_price")
    if cents is not None:
        return to_decimal(cents) / 100
    other = "no" if side == "yes" else "yes"
    value = _first(obj, f"{other}_price_dollars", f"{other}_price_fixed")
    if value is not None:
        return ONE - to_decimal(value)
    raise BadResponse(f"no {side} price in {sorted(obj)}", venue=VENUE)


_BOOK_SIDES = {"bid": Side.BUY, "ask": Side.SELL}
_ACTIONS = {"buy": Side.BUY, "sell": Side.SELL}


def direction(obj: Mapping[str, Any]) -> tuple[str, Side]:
    """``(outcome, side)`` of an order or fill: ``outcome_side``/``book_side`` first.

    ``outcome_side`` (yes/no) names the contract, ``book_side`` (bid/ask) buys or sells it.
    The deprecated ``side``/``action`` pair is read only where the new fields are absent. A
    record that names neither (or a malformed value) raises BadResponse: guessing "buy YES"
    would book a position the account may not hold.
    """
    outcome = obj.get("outcome_side")
    if outcome is None:
        outcome = obj.get("side")
    book_side = obj.get("book_side")
    side = _BOOK_SIDES.get(str(book_side)) if book_side is not None else None
    if book_side is None and obj.get("action") is not None:
        side = _ACTIONS.get(str(obj["action"]))
    if outcome not in ("yes", "no") or side is None:
        fields = {k: obj.get(k) for k in ("outcome_side", "book_side", "side", "action")}
        raise BadResponse(f"no direction in Kalshi record: {fields}", venue=VENUE)
    return str(outcome), side


def order_from_object(obj: Mapping[str, Any]) -> Order:
    """A Kalshi Order object (GET /portfolio/orders, amend) → :class:`Order`."""
    side, direction_side = direction(obj)
    filled = _count_of(obj, "fill_count")
    remaining = _count_of(obj, "remaining_count")
    size = _count_of(obj, "initial_count") or (filled + remaining)
    status_text = str(obj.get("status", ""))
    if status_text == "canceled":
        status = OrderStatus.CANCELLED
    elif status_text == "executed":
        status = OrderStatus.FILLED
    elif status_text == "resting":
        status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    else:
        status = _status(filled, remaining, size)
    fees = sum(
        (to_decimal(obj[k]) for k in ("taker_fees_dollars", "maker_fees_dollars") if obj.get(k)),
        ZERO,
    )
    return Order(
        venue=VENUE,
        order_id=str(obj.get("order_id") or "") or None,
        client_order_id=obj.get("client_order_id"),
        contract_id=f"{obj.get('ticker')}:{side}",
        side=direction_side,
        price=_side_price(obj, side),
        size=size,
        filled=filled,
        status=status,
        fee=fees,
        created_at=parse_optional_timestamp(obj.get("created_time")),
    )


def fill_from_object(obj: Mapping[str, Any]) -> Fill:
    """A REST fill or a websocket ``fill`` message body → :class:`Fill`."""
    side, direction_side = direction(obj)
    fee = _first(obj, "fee_cost", "fee_cost_dollars")
    timestamp = parse_optional_timestamp(obj.get("created_time"))
    return Fill(
        venue=VENUE,
        fill_id=str(_first(obj, "fill_id", "trade_id") or ""),
        order_id=obj.get("order_id"),
        contract_id=f"{_first(obj, 'ticker', 'market_ticker')}:{side}",
        side=direction_side,
        price=_side_price(obj, side),
        size=_count_of(obj, "count"),
        fee=to_decimal(fee) if fee not in (None, "") else ZERO,
        is_taker=bool(obj.get("is_taker", True)),
        timestamp=timestamp,
    )


def position_from_object(obj: Mapping[str, Any]) -> Position | None:
    """A ``market_positions`` entry → a Position on the YES (positive) or NO (negative) contract."""
    size = _count_of(obj, "position")
    if not size:
        return None
    side = "yes" if size > 0 else "no"
    exposure = _first(obj, "market_exposure_dollars")
    pnl = _first(obj, "realized_pnl_dollars")
    return Position(
        venue=VENUE,
        contract_id=f"{obj.get('ticker')}:{side}",
        size=abs(size),
        cost=to_decimal(exposure) if exposure is not None else ZERO,
        realized_pnl=to_decimal(pnl) if pnl is not None else ZERO,
    )


def balance_from_body(body: Mapping[str, Any]) -> Decimal:
    """``GET /portfolio/balance`` → dollars (``balance_dollars``, else ``balance`` in cents)."""
    if body.get("balance_dollars") is not None:
        return to_decimal(body["balance_dollars"])
    if body.get("balance") is not None:
        return to_decimal(body["balance"]) / 100
    raise BadResponse("balance response without a balance", venue=VENUE)
