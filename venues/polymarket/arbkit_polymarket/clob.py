"""CLOB REST: books (public) and the trading endpoints (L2), with their answers parsed.

Only transport and parsing live here; what to send and how to reconcile is the venue's job. Reads
are idempotent and retried by :class:`arbkit.VenueHttp`; writes are never retried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from attrs import define

from arbkit import (
    AuthenticationError,
    BadResponse,
    Fill,
    Order,
    OrderBook,
    OrderStatus,
    Side,
    parse_optional_timestamp,
    to_decimal,
)
from arbkit_polymarket.fees import PolymarketFees
from arbkit_polymarket.parse import VENUE, parse_book

if TYPE_CHECKING:  # httpx loads with the first live venue
    from arbkit import VenueHttp

#: ``POST /books`` refuses large payloads ("Payload exceeds the limit"); stay well under.
BOOKS_BATCH = 100
#: End-of-list marker of the CLOB's cursor pagination.
END_CURSOR = "LTE="

Headers = Callable[[str, str, bytes], Mapping[str, str]]

_STATUS = {
    "LIVE": OrderStatus.OPEN,
    "MATCHED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCELED_MARKET_RESOLVED": OrderStatus.CANCELLED,
    "INVALID": OrderStatus.REJECTED,
    "UNMATCHED": OrderStatus.CANCELLED,
    "DELAYED": OrderStatus.PENDING,
}


def _side(value: Any) -> Side:
    if str(value).upper() == "BUY":
        return Side.BUY
    if str(value).upper() == "SELL":
        return Side.SELL
    raise BadResponse(f"unknown order side {value!r}", venue=VENUE)


def parse_order(obj: Mapping[str, Any], client_order_id: str | None = None) -> Order:
    """A ``/data/order`` / ``/data/orders`` object → :class:`Order` (sizes in shares)."""
    try:
        size = to_decimal(obj["original_size"])
        filled = to_decimal(obj.get("size_matched") or 0)
        status = _STATUS.get(str(obj.get("status", "")).upper(), OrderStatus.UNKNOWN)
        if status is OrderStatus.OPEN and filled:
            status = OrderStatus.PARTIALLY_FILLED
        if status is OrderStatus.FILLED and filled < size:
            status = OrderStatus.PARTIALLY_FILLED
        return Order(
            venue=VENUE,
            order_id=str(obj["id"]),
            client_order_id=client_order_id,
            contract_id=str(obj["asset_id"]),
            side=_side(obj["side"]),
            price=to_decimal(obj["price"]),
            size=size,
            filled=filled,
            status=status,
            created_at=parse_optional_timestamp(obj.get("created_at")),
        )
    except (KeyError, TypeError) as exc:
        raise BadResponse(f"order object without {exc}", venue=VENUE) from None


def _fill_fee(
    stated: Any, fees: PolymarketFees | None, price: Decimal, size: Decimal, maker: bool
) -> Decimal:
    """The fill's fee in pUSD: as the venue states it, else from the market's fee model.

    Raises:
        BadResponse: neither is available (a fee is never assumed to be zero).
    """
    if stated not in (None, ""):
        return to_decimal(stated)
    if fees is None:
        raise BadResponse("trade without a fee and no fee model for its market", venue=VENUE)
    return fees.fee(price, size, maker=maker)


def parse_trade(
    obj: Mapping[str, Any], owner: str | None = None, fees: PolymarketFees | None = None
) -> list[Fill]:
    """A ``/data/trades`` object → this account's fills (taker, or each of its maker orders).

    Each fill carries its fee: the trade's own ``fee`` when present, else ``fees`` (the market's
    model) applied to the fill.
    """
    try:
        stamp = parse_optional_timestamp(obj.get("match_time"))
        if str(obj.get("trader_side", "TAKER")).upper() == "TAKER":
            price, size = to_decimal(obj["price"]), to_decimal(obj["size"])
            return [
                Fill(
                    venue=VENUE,
                    fill_id=str(obj["id"]),
                    order_id=obj.get("taker_order_id"),
                    contract_id=str(obj["asset_id"]),
                    side=_side(obj["side"]),
                    price=price,
                    size=size,
                    fee=_fill_fee(obj.get("fee"), fees, price, size, False),
                    is_taker=True,
                    timestamp=stamp,
                )
            ]
        fills = []
        for index, maker in enumerate(obj.get("maker_orders") or ()):
            if owner and maker.get("owner") not in (None, owner):
                continue
            fills.append(
                Fill(
                    venue=VENUE,
                    fill_id=f"{obj['id']}:{index}",
                    order_id=maker.get("order_id"),
                    contract_id=str(maker.get("asset_id", obj["asset_id"])),
                    side=_side(maker.get("side", obj["side"])),
                    price=to_decimal(maker["price"]),
                    size=to_decimal(maker["matched_amount"]),
                    fee=_fill_fee(
                        maker.get("fee"),
                        fees,
                        to_decimal(maker["price"]),
                        to_decimal(maker["matched_amount"]),
                        True,
                    ),
                    is_taker=False,
                    timestamp=stamp,
                )
            )
        return fills
    except (KeyError, TypeError) as exc:
        raise BadResponse(f"trade object without {exc}", venue=VENUE) from None


@define
class ClobClient:
    """The CLOB endpoints arbkit uses. ``auth`` signs L2 requests (None: public only)."""

    http: VenueHttp
    auth: Headers | None = None

    # -- public --------------------------------------------------------------------------------

    async def book(self, token: str) -> OrderBook:
        body = await self.http.request("GET", "/book", endpoint="book", params={"token_id": token})
        return parse_book(body)

    async def books(
        self, tokens: Sequence[str], *, on_body: Callable[[list[Any]], None] | None = None
    ) -> list[OrderBook]:
        """Books by ``POST /books`` in batches; ``on_body`` sees each raw answer (recording)."""
        result: list[OrderBook] = []
        for start in range(0, len(tokens), BOOKS_BATCH):
            chunk = [{"token_id": t} for t in tokens[start : start + BOOKS_BATCH]]
            body = await self.http.request(
                "POST", "/books", endpoint="books", json_body=chunk, idempotent=True
            )
            if not isinstance(body, list):
                raise BadResponse("/books: expected a list of books", venue=VENUE)
            if on_body is not None:
                on_body(body)
            result.extend(parse_book(item) for item in body)
        return result

    async def market_info(self, condition_id: str) -> Mapping[str, Any]:
        """The compact ``/clob-markets/{condition}`` object (fees ``fd``, tick ``mts``...)."""
        return await self.http.request("GET", f"/clob-markets/{condition_id}", endpoint="clob")

    # -- L2 ------------------------------------------------------------------------------------

    def _auth(self) -> Headers:
        if self.auth is None:
            raise AuthenticationError("trading needs API credentials", venue=VENUE)
        return self.auth

    async def post_order(self, body: Mapping[str, Any], client_order_id: str) -> Any:
        return await self.http.request(
            "POST",
            "/order",
            endpoint="order",
            json_body=body,
            headers=self._auth(),
            client_order_id=client_order_id,
        )

    async def cancel(self, order_id: str) -> Any:
        return await self.http.request(
            "DELETE",
            "/order",
            endpoint="cancel",
            json_body={"orderID": order_id},
            headers=self._auth(),
        )

    async def order(self, order_id: str) -> Mapping[str, Any]:
        return await self.http.request(
            "GET", f"/data/order/{order_id}", endpoint="clob", headers=self._auth()
        )

    async def _pages(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        items: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page = dict(params)
            if cursor:
                page["next_cursor"] = cursor
            body = await self.http.request(
                "GET", path, endpoint="clob", params=page, headers=self._auth()
            )
            if isinstance(body, list):  # older shape: a bare list
                return items + body
            if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
                raise BadResponse(f"{path}: expected {{'data': [...]}}", venue=VENUE)
            items.extend(body["data"])
            cursor = body.get("next_cursor")
            if not cursor or cursor == END_CURSOR or cursor in seen:
                return items
            seen.add(cursor)

    async def open_orders(self, asset_id: str | None = None) -> list[Any]:
        return await self._pages("/data/orders", {"asset_id": asset_id})

    async def trades(self, asset_id: str | None = None) -> list[Any]:
        return await self._pages("/data/trades", {"asset_id": asset_id})

    async def balance(self, signature_type: int) -> Decimal:
        body = await self.http.request(
            "GET",
            "/balance-allowance",
            endpoint="balance",
            params={"asset_type": "COLLATERAL", "signature_type": signature_type},
            headers=self._auth(),
        )
        try:
            return to_decimal(body["balance"]) / 10**6  # pUSD has 6 decimals
        except (KeyError, TypeError):
            raise BadResponse("/balance-allowance: no balance", venue=VENUE) from None
