"""A fake Polymarket on loopback: Gamma, CLOB (books, L2-checked orders) and the market channel.

Payloads follow the shapes of the real captures (JSON-string ``outcomes``/``clobTokenIds``, books
worst price first, ``{"error": ...}`` bodies). Beyond the base server's faults (429, 5xx, delays,
malformed JSON, swallowed answers, dropped or silent sockets) it has switches for order rejects
(``reject_orders``), partial fills (``fill_ratio``), a repeating pagination cursor and deleted
league tags (``tags_gone``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import time
from decimal import Decimal
from typing import Any

from arbkit.testing.loopback import LoopbackServer, Request, Response

GAMES_TAG = 100639
API_KEY = "fake-api-key-0b6f1c2e"
API_SECRET = base64.urlsafe_b64encode(b"fake-polymarket-secret-32-bytes!").decode()
API_PASSPHRASE = "fake-passphrase-7d41a9"


def game_event(
    index: int, league: str = "nfl", tag: int = 450, away: str = "Lions", home: str = "Bills"
) -> dict[str, Any]:
    """A Gamma game event shaped like the real capture, with one moneyline market."""
    slug = f"{league}-g{index:03d}-2026-09-{18 + index % 10:02d}"
    tokens = [str(10**70 + index * 2), str(10**70 + index * 2 + 1)]
    return {
        "id": str(800000 + index),
        "slug": slug,
        "ticker": slug,
        "title": f"{away} vs. {home}",
        "active": True,
        "closed": False,
        "startTime": "2026-09-18T00:15:00Z",
        "eventDate": "2026-09-17",
        "tags": [
            {"id": "1", "slug": "sports"},
            {"id": str(tag), "slug": league},
            {"id": str(GAMES_TAG), "slug": "games"},
        ],
        "teams": [
            {"name": f"Away {away}", "alias": away, "league": league, "ordering": "away"},
            {"name": f"Home {home}", "alias": home, "league": league, "ordering": "home"},
        ],
        "markets": [
            {
                "id": str(3000000 + index),
                "question": f"{away} vs. {home}",
                "conditionId": "0x" + f"{index:064x}",
                "slug": slug,
                "outcomes": json.dumps([away, home]),
                "outcomePrices": json.dumps(["0.5", "0.5"]),
                "clobTokenIds": json.dumps(tokens),
                "version": "v1",
                "active": True,
                "closed": False,
                "acceptingOrders": True,
                "enableOrderBook": True,
                "orderPriceMinTickSize": 0.01,
                "orderMinSize": 5,
                "gameStartTime": "2026-09-18 00:15:00+00",
                "negRisk": False,
                "sportsMarketType": "moneyline",
                "feesEnabled": True,
                "feeType": "sports_fees_v3",
                "feeSchedule": {"exponent": 1, "rate": 0.05, "takerOnly": True, "rebateRate": 0.15},
            }
        ],
    }


#: CLOB V2 exchanges on Polygon: orders on neg-risk markets are signed for the second one.
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
#: Gamma ``version: "v2"`` markets sign for ExchangeV3, domain version "3".
EXCHANGE_V3 = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"
NEW_ACCOUNT_EOA_REFUSAL = "maker address not allowed, please use the deposit wallet flow"
_ORDER_V2_FIELDS = [
    ("salt", "uint256"),
    ("maker", "address"),
    ("signer", "address"),
    ("tokenId", "uint256"),
    ("makerAmount", "uint256"),
    ("takerAmount", "uint256"),
    ("side", "uint8"),
    ("signatureType", "uint8"),
    ("timestamp", "uint256"),
    ("metadata", "bytes32"),
    ("builder", "bytes32"),
]


def recover_v2_signer(order: dict[str, Any], *, neg_risk: bool, exchange_version: int = 2) -> str:
    """Who signed a ``POST /order`` order object (EIP-712 ``Order`` of the V2 or V3 exchange).

    Written apart from the plugin's signing code, from the V2 struct in venue-notes §1.4, so a
    mistake there is caught here rather than mirrored. A POLY_1271 (deposit wallet) signature
    is unwrapped as ERC-7739 ``TypedDataSign`` and the wallet owner's EOA is returned.
    """
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    document = {
        "primaryType": "Order",
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Order": [{"name": n, "type": t} for n, t in _ORDER_V2_FIELDS],
        },
        "domain": {
            "name": "Polymarket CTF Exchange",
            "version": str(exchange_version),
            "chainId": 137,
            "verifyingContract": EXCHANGE_V3
            if exchange_version == 3
            else NEG_RISK_EXCHANGE_V2
            if neg_risk
            else EXCHANGE_V2,
        },
        "message": {
            "salt": int(order["salt"]),
            "maker": order["maker"],
            "signer": order["signer"],
            "tokenId": int(order["tokenId"]),
            "makerAmount": int(order["makerAmount"]),
            "takerAmount": int(order["takerAmount"]),
            "side": {"BUY": 0, "SELL": 1}[order["side"]],
            "signatureType": int(order["signatureType"]),
            "timestamp": int(order["timestamp"]),
            "metadata": bytes.fromhex(str(order["metadata"]).removeprefix("0x")),
            "builder": bytes.fromhex(str(order["builder"]).removeprefix("0x")),
        },
    }
    message = encode_typed_data(full_message=document)
    if int(order["signatureType"]) == 3:
        return _recover_deposit_wallet(message, order)
    return str(Account.recover_message(message, signature=order["signature"]))


def _recover_deposit_wallet(message: Any, order: dict[str, Any]) -> str:
    """The EOA behind an ERC-7739 wrapped signature (sig ‖ domain ‖ contents ‖ type ‖ len)."""
    from eth_abi import encode
    from eth_account import Account
    from eth_utils import keccak

    raw = bytes.fromhex(str(order["signature"]).removeprefix("0x"))
    separator, contents = bytes(message.header), bytes(message.body)
    if raw[65:97] != separator or raw[97:129] != contents:
        return "0x" + "00" * 20
    order_type = "Order(" + ",".join(f"{t} {n}" for n, t in _ORDER_V2_FIELDS) + ")"
    sign_type = (
        "TypedDataSign(Order contents,string name,string version,uint256 chainId,"
        "address verifyingContract,bytes32 salt)" + order_type
    )
    struct = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "bytes32", "uint256", "address", "bytes32"],
            [
                keccak(text=sign_type),
                contents,
                keccak(text="DepositWallet"),
                keccak(text="1"),
                137,
                order["signer"],
                bytes(32),
            ],
        )
    )
    digest = keccak(b"\x19\x01" + separator + struct)
    return str(Account._recover_hash(digest, signature=raw[:65]))


def book_payload(token: str, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> dict:
    """A ``/book`` answer; like the real one it lists the worst prices first."""
    return {
        "market": "0x" + "ab" * 32,
        "asset_id": token,
        "timestamp": str(int(time.time() * 1000)),
        "hash": "0" * 40,
        "bids": [{"price": p, "size": s} for p, s in sorted(bids, key=lambda x: Decimal(x[0]))],
        "asks": [
            {"price": p, "size": s}
            for p, s in sorted(asks, key=lambda x: Decimal(x[0]), reverse=True)
        ],
        "min_order_size": "5",
        "tick_size": "0.01",
        "neg_risk": False,
        "last_trade_price": "0.5",
    }


def _market_order_precision_error(signed: dict[str, Any]) -> str | None:
    """The CLOB's refusal of a FOK/FAK whose amounts are too precise (maker 2 dp, taker 4 dp).

    Text as the venue answers it (py-clob-client#121, rs-clob-client#114, py-clob-client-v2#99).
    """
    maker, taker = int(signed["makerAmount"]), int(signed["takerAmount"])
    if maker % 10**4 == 0 and taker % 10**2 == 0:
        return None
    side = "buy" if signed["side"] == "BUY" else "sell"
    return (
        f"invalid amounts, the market {side} orders maker amount supports a max accuracy of "
        "2 decimals, taker amount a max of 4 decimals"
    )


def _id_list(value: Any) -> list[str]:
    """Gamma's id lists arrive as JSON strings; captured data may hold them as lists."""
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(item) for item in value or []]


class FakePolymarket(LoopbackServer):
    """Gamma + CLOB + market websocket on one loopback port pair (see module docstring)."""

    def __init__(self, events: int = 3, *, new_account: bool = False) -> None:
        super().__init__()
        self.initial_events = events
        #: A 2026 account: EOA/Safe makers are refused, only deposit wallets (type 3) trade.
        self.new_account = new_account
        self._routes_installed = False
        self.reset()
        self._install()

    def reset(self) -> None:
        """Back to the default catalogue and books, no orders, no faults, sockets talking."""
        with self.lock:
            self.events = [game_event(i) for i in range(self.initial_events)]
            self.sports = [
                {"sport": "nfl", "tags": "1,450,100639", "primaryTagId": 450, "ordering": "away"},
                {"sport": "nba", "tags": "1,745,100639", "primaryTagId": 745, "ordering": "away"},
            ]
            self.books: dict[str, dict[str, Any]] = {}
            for event in self.events:
                for token in json.loads(event["markets"][0]["clobTokenIds"]):
                    self.books[token] = book_payload(
                        token, [("0.47", "100"), ("0.48", "50")], [("0.52", "80"), ("0.53", "40")]
                    )
            #: token → exchange domain version ("v2" Gamma markets trade on ExchangeV3: 3)
            self.exchange_versions: dict[str, int] = {}
            #: condition ids whose /clob-markets answers 404 ("no_fd": answers without ``fd``)
            self.clob_markets_missing: set[str] = set()
            self.clob_markets_no_fd: set[str] = set()
            self.clob_fd: dict[str, dict[str, Any]] = {}  #: condition id → ``fd`` served as is
            self.orders: dict[str, dict[str, Any]] = {}
            self.trades: list[dict[str, Any]] = []
            self.reject_orders: str | None = None  #: answer success=false with this message
            self.fill_ratio = Decimal(0)  #: share of each order matched at once
            self.repeat_cursor = False
            #: tag ids deleted on Gamma: /tags/{id} answers 404 and no event carries them,
            #: while /events/keyset?tag_id= answers an empty list (py-sdk#84: no error)
            self.tags_gone: set[str] = set()
            self.balance_units = "1000000000"
            self.faults.clear()
            self.requests.clear()
            self.subscriptions: list[Any] = []
            self.silent = False
            self.key_created = False  #: POST /auth/api-key succeeds once, then "already exists"
            #: test knob: /positions answers what the matched trades hold (off: a fixed row)
            self.positions_from_trades = False
            #: test knob: a SELL is acted on at once, its answer sent this many seconds later
            self.sell_delay = 0.0
        self._ids = itertools.count(1)

    def tokens(self) -> list[str]:
        return list(self.books)

    # -- routes --------------------------------------------------------------------------------

    def _install(self) -> None:
        self.route("GET", "/sports")(lambda request: self.sports)
        self.route("GET", "/events/keyset")(self._events)
        self.route("GET", r"/tags/(?P<tag_id>[^/]+)")(self._tag)
        self.route("GET", "/book")(self._book)
        self.route("POST", "/books")(self._books)
        self.route("GET", "/tick-size")(self._tick_size)
        self.route("GET", "/neg-risk")(self._neg_risk)
        self.route("GET", "/auth/derive-api-key")(self._derive)
        self.route("POST", "/auth/api-key")(self._create_key)
        self.route("GET", r"/clob-markets/(?P<condition_id>[^/]+)")(self._clob_market)
        self.route("POST", "/order")(self._post_order)
        self.route("DELETE", "/order")(self._cancel)
        self.route("GET", r"/data/order/(?P<order_id>[^/]+)")(self._get_order)
        self.route("GET", "/data/orders")(self._open_orders)
        self.route("GET", "/data/trades")(self._trades)
        self.route("GET", "/balance-allowance")(self._balance)
        self.route("GET", "/positions")(self._positions)

    def _events(self, request: Request) -> Any:
        limit = int(request.arg("limit", "20") or 20)
        tags = set(request.query.get("tag_id", []))
        if tags & self.tags_gone:
            return {"events": []}  # a list filter on an unknown tag is empty, not an error
        # Like Gamma, a parameter named "cursor" is ignored: only after_cursor pages.
        start = int(request.arg("after_cursor", "0") or 0)
        with self.lock:
            matching = [e for e in self.events if not tags or tags & {t["id"] for t in e["tags"]}]
        page = matching[start : start + limit]
        body: dict[str, Any] = {"events": copy.deepcopy(page)}
        if start + limit < len(matching):
            body["next_cursor"] = str(limit if self.repeat_cursor else start + limit)
        return body

    def _tag(self, request: Request, tag_id: str) -> Any:
        """A tag by id; one no event or league carries answers 404, as by-id reads do."""
        with self.lock:
            known = {str(sport.get("primaryTagId")) for sport in self.sports}
            known |= {t["id"] for e in self.events for t in e["tags"]}
            known -= self.tags_gone
        if tag_id not in known:
            return Response(body={"error": "tag not found"}, status=404)
        return {"id": tag_id, "label": tag_id, "slug": tag_id}

    def _book(self, request: Request) -> Any:
        book = self.books.get(request.arg("token_id") or "")
        if book is None:
            body = {"error": "No orderbook exists for the requested token id"}
            return Response(body=body, status=404)
        return book

    def _tick_size(self, request: Request) -> Any:
        book = self.books.get(request.arg("token_id") or "")
        if book is None:
            return Response(body={"error": "market not found"}, status=404)
        return {"minimum_tick_size": float(book["tick_size"])}

    def _neg_risk(self, request: Request) -> Any:
        book = self.books.get(request.arg("token_id") or "")
        if book is None:
            return Response(body={"error": "market not found"}, status=404)
        return {"neg_risk": bool(book["neg_risk"])}

    def _books(self, request: Request) -> Any:
        return [self.books[i["token_id"]] for i in request.json() if i["token_id"] in self.books]

    def _gamma_market(self, condition_id: str | None = None, token: str | None = None) -> Any:
        """The Gamma market with this condition id, or trading this token (None: unknown)."""
        with self.lock:
            for event in self.events:
                for market in event["markets"]:
                    ids = _id_list(market.get("clobTokenIds"))
                    ids += _id_list(market.get("positionIds"))
                    if market["conditionId"] == condition_id or token in ids:
                        return market
        return None

    def _clob_market(self, request: Request, condition_id: str) -> Any:
        """The compact CLOB market object; ``fd`` carries the fee parameters (r, e, to)."""
        market = self._gamma_market(condition_id=condition_id)
        if market is None or condition_id in self.clob_markets_missing:
            return Response(body={"error": "market not found"}, status=404)
        body: dict[str, Any] = {"c": condition_id, "mts": market["orderPriceMinTickSize"]}
        body["mos"] = market["orderMinSize"]
        schedule = market.get("feeSchedule")
        if condition_id in self.clob_fd:
            body["fd"] = self.clob_fd[condition_id]
        elif condition_id not in self.clob_markets_no_fd and market.get("feesEnabled") and schedule:
            body["fd"] = {
                "r": schedule["rate"],
                "e": schedule["exponent"],
                "to": schedule.get("takerOnly", True),
            }
        return body

    # -- auth ----------------------------------------------------------------------------------

    def _l2_error(self, request: Request) -> Response | None:
        """Check the L2 headers the way the CLOB does: key, passphrase, HMAC over the request."""
        h = request.headers
        if h.get("poly_api_key") != API_KEY or h.get("poly_passphrase") != API_PASSPHRASE:
            return Response(body={"error": "Unauthorized/Invalid api key"}, status=401)
        message = f"{h.get('poly_timestamp')}{request.method}{request.path}".encode() + request.body
        digest = hmac.new(base64.urlsafe_b64decode(API_SECRET), message, hashlib.sha256).digest()
        if h.get("poly_signature") != base64.urlsafe_b64encode(digest).decode():
            return Response(body={"error": "Unauthorized/Invalid api key"}, status=401)
        return None

    def _derive(self, request: Request) -> Any:
        """Re-derives an existing key only; a fresh account has none to derive."""
        if not all(request.headers.get(k) for k in ("poly_address", "poly_signature")):
            return Response(body={"error": "Invalid L1 Request headers"}, status=401)
        if self.new_account and not self.key_created:
            return Response(body={"error": "Could not derive api key!"}, status=400)
        return {"apiKey": API_KEY, "secret": API_SECRET, "passphrase": API_PASSPHRASE}

    def _create_key(self, request: Request) -> Any:
        """Creates the key once; a second create fails, as the CLOB's does (derive then)."""
        if not all(request.headers.get(k) for k in ("poly_address", "poly_signature")):
            return Response(body={"error": "Invalid L1 Request headers"}, status=401)
        with self.lock:
            if self.key_created or not self.new_account:
                return Response(body={"error": "Could not create api key"}, status=400)
            self.key_created = True
        return {"apiKey": API_KEY, "secret": API_SECRET, "passphrase": API_PASSPHRASE}

    # -- orders --------------------------------------------------------------------------------

    def _post_order(self, request: Request) -> Any:
        error = self._l2_error(request)
        if error:
            return error
        body = request.json()
        if self.reject_orders:
            return Response(body={"success": False, "errorMsg": self.reject_orders}, status=400)
        signed = body["order"]
        refused = self._order_refusal(request, body)
        if refused:
            return Response(body={"success": False, "errorMsg": refused}, status=400)
        buy = signed["side"] == "BUY"
        shares = Decimal(signed["takerAmount" if buy else "makerAmount"]) / 10**6
        collateral = Decimal(signed["makerAmount" if buy else "takerAmount"]) / 10**6
        price = collateral / shares
        matched = (shares * self.fill_ratio).quantize(Decimal("0.01"))
        order_id = f"0x{next(self._ids):064x}"
        kind = body["orderType"]
        live = kind in ("GTC", "GTD") and matched < shares
        now = int(time.time())
        with self.lock:
            self.orders[order_id] = {
                "id": order_id,
                "status": "LIVE" if live else "MATCHED" if matched else "CANCELED",
                "owner": body["owner"],
                "maker_address": signed["maker"],
                "asset_id": signed["tokenId"],
                "side": signed["side"],
                "original_size": str(shares),
                "size_matched": str(matched),
                "price": str(price.normalize()),
                "order_type": kind,
                "created_at": now,
                "signed": signed,
            }
            if matched:
                self.trades.append(
                    {
                        "id": f"trade-{order_id[-6:]}",
                        "taker_order_id": order_id,
                        "asset_id": signed["tokenId"],
                        "side": signed["side"],
                        "size": str(matched),
                        "price": str(price.normalize()),
                        "status": "MATCHED",
                        "match_time": str(now),
                        "trader_side": "TAKER",
                        "market": (self._gamma_market(token=signed["tokenId"]) or {}).get(
                            "conditionId"
                        ),
                        "owner": body["owner"],
                    }
                )
        status = "live" if live else "matched" if matched else "unmatched"
        paid = matched * price
        if self.sell_delay and not buy:
            time.sleep(self.sell_delay)
        return {
            "success": True,
            "errorMsg": "",
            "orderID": order_id,
            "status": status,
            "makingAmount": str(paid if buy else matched),
            "takingAmount": str(matched if buy else paid),
            "transactionsHashes": [],
            "tradeIDs": [],
        }

    def _order_refusal(self, request: Request, body: dict[str, Any]) -> str | None:
        """Why the CLOB would refuse this order (None: it would take it).

        The owner must be the API key, the token must exist, the EIP-712 signature must recover
        to the signer (against the neg-risk exchange on neg-risk markets) and the signer must be
        the L2 address; the price must sit on the book's tick grid and the size reach its
        minimum; post-only only with GTC/GTD.
        """
        signed = body["order"]
        if body.get("owner") != API_KEY:
            return "the order owner has to be the owner of the API KEY"
        book = self.books.get(str(signed.get("tokenId")))
        if book is None:
            return "invalid token id"
        if body.get("orderType") not in ("GTC", "GTD", "FOK", "FAK"):
            return f"invalid order type {body.get('orderType')!r}"
        if body.get("postOnly") and body["orderType"] not in ("GTC", "GTD"):
            return "invalid post-only order: only GTC and GTD orders can be post-only"
        sig_type = int(signed.get("signatureType", -1))
        if self.new_account and sig_type != 3:
            return NEW_ACCOUNT_EOA_REFUSAL
        try:
            recovered = recover_v2_signer(
                signed,
                neg_risk=bool(book["neg_risk"]),
                exchange_version=self.exchange_versions.get(str(signed["tokenId"]), 2),
            )
        except (KeyError, TypeError, ValueError):
            return "invalid order payload"
        signer = str(signed["signer"])
        if sig_type == 3:  # the wallet signs (as maker and signer) through its owner's EOA
            if signer.lower() != str(signed["maker"]).lower():
                return "invalid signature"
            signer = recovered
        if recovered.lower() != signer.lower():
            return "invalid signature"
        if str(request.headers.get("poly_address", "")).lower() != signer.lower():
            return "the order signer address has to be the address of the API KEY"
        buy = signed["side"] == "BUY"
        shares = Decimal(signed["takerAmount" if buy else "makerAmount"]) / 10**6
        collateral = Decimal(signed["makerAmount" if buy else "takerAmount"]) / 10**6
        if shares <= 0:
            return "invalid order amounts"
        price, tick = collateral / shares, Decimal(book["tick_size"])
        if price % tick or not (tick <= price <= 1 - tick):
            return f"order {price} breaks minimum tick size rule: {tick}"
        if body["orderType"] in ("FOK", "FAK"):
            refusal = _market_order_precision_error(signed)
            if refusal:
                return refusal
        if shares < Decimal(book["min_order_size"]):
            return f"Size ({shares}) lower than the minimum: {book['min_order_size']}"
        return None

    def _cancel(self, request: Request) -> Any:
        error = self._l2_error(request)
        if error:
            return error
        order_id = request.json()["orderID"]
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order["status"] != "LIVE":
                return {"canceled": [], "not_canceled": {order_id: "order not found"}}
            order["status"] = "CANCELED"
        return {"canceled": [order_id], "not_canceled": {}}

    def _public(self, order: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in order.items() if k != "signed"}

    def _get_order(self, request: Request, order_id: str) -> Any:
        error = self._l2_error(request)
        if error:
            return error
        order = self.orders.get(order_id)
        if order is None:
            return Response(body={"error": "order not found"}, status=404)
        return self._public(order)

    def _open_orders(self, request: Request) -> Any:
        error = self._l2_error(request)
        if error:
            return error
        asset = request.arg("asset_id")
        with self.lock:
            live = [
                self._public(o)
                for o in self.orders.values()
                if o["status"] == "LIVE" and (asset is None or o["asset_id"] == asset)
            ]
        return {"data": live, "next_cursor": "LTE="}

    def _trades(self, request: Request) -> Any:
        error = self._l2_error(request)
        if error:
            return error
        asset = request.arg("asset_id")
        with self.lock:
            rows = [t for t in self.trades if asset is None or t["asset_id"] == asset]
        return {"data": rows, "next_cursor": "LTE="}

    def _balance(self, request: Request) -> Any:
        return self._l2_error(request) or {"balance": self.balance_units, "allowances": {}}

    def _positions(self, request: Request) -> Any:
        if not self.positions_from_trades:
            return [{"asset": self.tokens()[0], "size": "12.5", "avgPrice": "0.4"}]
        held: dict[str, Decimal] = {}
        with self.lock:
            for trade in self.trades:
                size = Decimal(trade["size"])
                signed = size if trade["side"] == "BUY" else -size
                held[trade["asset_id"]] = held.get(trade["asset_id"], Decimal(0)) + signed
        return [{"asset": a, "size": str(s), "avgPrice": "0"} for a, s in held.items() if s]

    # -- market channel ------------------------------------------------------------------------

    async def on_websocket(self, socket: Any) -> None:
        async for raw in socket:
            if raw == "PING":
                await self.send(socket, "PONG")
                continue
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            self.subscriptions.append(message)
            assets = message.get("assets_ids") or []
            snapshots = [{"event_type": "book", **self.books[a]} for a in assets if a in self.books]
            if snapshots:
                # The first dump after subscribing arrives as one JSON array of books.
                await self.send(socket, snapshots)
