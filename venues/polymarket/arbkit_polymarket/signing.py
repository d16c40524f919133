"""CLOB V2 orders: exact amounts on Polymarket's grid, and EIP-712 signatures via eth-account.

The cryptography is eth-account's ``encode_typed_data`` + ``sign_message`` (the same primitives the
official ``py-clob-client-v2`` uses); arbkit only builds the typed-data document. Amounts are
computed in Decimal, never float, and an order off the price/size grid is refused locally rather
than silently rounded.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from functools import lru_cache
from math import gcd
from typing import Any

from attrs import frozen

from arbkit import InvalidOrder, NotSupported, Secret, Side

CHAIN_ID = 137
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
#: Gamma ``version: "v2"`` markets (traded by ``positionIds``) settle here, domain version "3".
EXCHANGE_V3 = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"
EXCHANGE_NAME = "Polymarket CTF Exchange"
ZERO_BYTES32 = "0x" + "00" * 32
#: Collateral and outcome tokens both have 6 decimals.
UNIT = Decimal(10) ** 6
SIZE_STEP = Decimal("0.01")

EOA, POLY_PROXY, POLY_GNOSIS_SAFE, POLY_1271 = 0, 1, 2, 3

ORDER_TYPES = [
    {"name": "salt", "type": "uint256"},
    {"name": "maker", "type": "address"},
    {"name": "signer", "type": "address"},
    {"name": "tokenId", "type": "uint256"},
    {"name": "makerAmount", "type": "uint256"},
    {"name": "takerAmount", "type": "uint256"},
    {"name": "side", "type": "uint8"},
    {"name": "signatureType", "type": "uint8"},
    {"name": "timestamp", "type": "uint256"},
    {"name": "metadata", "type": "bytes32"},
    {"name": "builder", "type": "bytes32"},
]
DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
CLOB_AUTH_TYPES = [
    {"name": "address", "type": "address"},
    {"name": "timestamp", "type": "string"},
    {"name": "nonce", "type": "uint256"},
    {"name": "message", "type": "string"},
]
CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"


@frozen(kw_only=True)
class UnsignedOrder:
    """The V2 order struct, exactly as signed (``expiration`` travels beside it, unsigned)."""

    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: int  #: 0 = BUY, 1 = SELL
    signature_type: int
    timestamp_ms: int
    metadata: str = ZERO_BYTES32
    builder: str = ZERO_BYTES32
    expiration: int = 0


def check_grid(price: Decimal, size: Decimal, tick: Decimal) -> None:
    """Refuse a price off the market's tick grid inside [tick, 1 − tick], or a size off the
    0.01-share grid.

    Raises:
        InvalidOrder: the price or size is off the grid.
    """
    if price % tick or not (tick <= price <= 1 - tick):
        raise InvalidOrder(f"price {price} is not on the {tick} grid inside (0, 1)")
    if size <= 0 or size % SIZE_STEP:
        raise InvalidOrder(f"size {size} must be a positive multiple of {SIZE_STEP}")


def amounts(side: Side, price: Decimal, size: Decimal, tick: Decimal) -> tuple[int, int]:
    """(makerAmount, takerAmount) in 6-decimal base units for a limit order.

    A BUY pays ``price × size`` collateral for ``size`` shares; a SELL the reverse. Prices must sit
    on the market's tick grid inside [tick, 1 − tick] and sizes on the 0.01-share grid.

    Raises:
        InvalidOrder: the price or size is off the grid.
    """
    check_grid(price, size, tick)
    shares = int(size * UNIT)
    collateral = int(price * size * UNIT)  # exact: ≤ 6 decimals for every tick size
    return (collateral, shares) if side is Side.BUY else (shares, collateral)


#: FOK/FAK amount precision (decimals of maker, taker): BUY pays pUSD to 2 and gets shares to 4;
#: SELL gives shares to 2 and gets pUSD to 4. Stricter than a limit order's tick-derived grid.
IMMEDIATE_DECIMALS = {Side.BUY: (2, 4), Side.SELL: (2, 4)}


def immediate_amounts_valid(side: Side, maker_amount: int, taker_amount: int) -> bool:
    """Whether base-unit amounts meet the FOK/FAK precision rule."""
    maker_places, taker_places = IMMEDIATE_DECIMALS[side]
    return not maker_amount % 10 ** (6 - maker_places) and not taker_amount % 10 ** (
        6 - taker_places
    )


@lru_cache(maxsize=4096)  # per side and price: sizing asks at the same few prices
def _immediate_modulus(side: Side, price: Decimal) -> int:
    """The hundredths of a share whose multiples meet the FOK/FAK precision at ``price``."""
    maker_places, taker_places = IMMEDIATE_DECIMALS[side]
    share_places, collateral_places = (
        (taker_places, maker_places) if side is Side.BUY else (maker_places, taker_places)
    )
    share_step = 10 ** (6 - share_places)
    collateral_step = 100 * 10 ** (6 - collateral_places)
    by_shares = share_step // gcd(share_step, 10_000)
    by_collateral = collateral_step // gcd(collateral_step, int(price * UNIT))
    return by_shares * by_collateral // gcd(by_shares, by_collateral)


def immediate_size(side: Side, price: Decimal, size: Decimal, tick: Decimal) -> Decimal:
    """The largest size ≤ ``size`` on the 0.01 grid whose FOK/FAK amounts the exchange accepts.

    O(1), because sizing asks on every plan: ``k`` hundredths of a share are ``10_000·k`` share
    units and ``price_units·k / 100`` collateral units (``price_units``: the price in 1e-6
    dollars); both are multiples of their precision step exactly when ``k`` is a multiple of one
    modulus, so the answer is ``k`` rounded down to it (searched no further than 100 shares below
    ``size``, as the exchange's pattern repeats well within that).

    Raises:
        InvalidOrder: the price or size is off the grid, or no positive size qualifies.
    """
    check_grid(price, size, tick)
    k = int(size / SIZE_STEP)
    best = k - k % _immediate_modulus(side, price)
    if best <= 0 or k - best > 10_000:
        raise InvalidOrder(f"no FOK/FAK size ≤ {size} at {price} meets the amount precision rule")
    # ``size`` itself, or ``size`` less whole steps: the same Decimal a step-down loop would give
    return size if best == k else size - (k - best) * SIZE_STEP


def new_salt() -> int:
    """A random salt that keeps two otherwise identical orders distinct."""
    return secrets.randbits(53)


def exchange_for(neg_risk: bool, exchange_version: int = 2) -> tuple[str, str]:
    """(verifying contract, EIP-712 domain version) of the exchange an order is signed for.

    Gamma ``"v1"`` markets trade on the V2 exchange (or its neg-risk twin), domain version "2";
    Gamma ``"v2"`` markets on ExchangeV3, domain version "3" (one contract, as in the SDK).
    """
    if exchange_version == 3:
        return EXCHANGE_V3, "3"
    if exchange_version == 2:
        return (NEG_RISK_EXCHANGE_V2 if neg_risk else EXCHANGE_V2), "2"
    raise NotSupported(f"exchange version {exchange_version}", venue="polymarket")


def typed_data(
    order: UnsignedOrder, *, neg_risk: bool, chain_id: int = CHAIN_ID, exchange_version: int = 2
) -> dict[str, Any]:
    """The EIP-712 document of an order (neg-risk V2 markets sign against their own exchange)."""
    contract, version = exchange_for(neg_risk, exchange_version)
    return {
        "primaryType": "Order",
        "types": {"EIP712Domain": DOMAIN_TYPES, "Order": ORDER_TYPES},
        "domain": {
            "name": EXCHANGE_NAME,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": contract,
        },
        "message": {
            "salt": order.salt,
            "maker": order.maker,
            "signer": order.signer,
            "tokenId": int(order.token_id),
            "makerAmount": order.maker_amount,
            "takerAmount": order.taker_amount,
            "side": order.side,
            "signatureType": order.signature_type,
            "timestamp": order.timestamp_ms,
            "metadata": bytes.fromhex(order.metadata[2:]),
            "builder": bytes.fromhex(order.builder[2:]),
        },
    }


def _sign(document: dict[str, Any], key: Secret) -> str:
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    signed = Account.sign_message(encode_typed_data(full_message=document), key.reveal())
    return "0x" + signed.signature.hex().removeprefix("0x")


ORDER_TYPE_STRING = "Order(" + ",".join(f"{f['type']} {f['name']}" for f in ORDER_TYPES) + ")"
#: ERC-7739 nested typed data (Solady ``TypedDataSign``), what a deposit wallet's
#: ``isValidSignature`` checks: the order, re-hashed under the wallet's own domain fields.
TYPED_DATA_SIGN_STRING = (
    "TypedDataSign(Order contents,string name,string version,uint256 chainId,"
    "address verifyingContract,bytes32 salt)" + ORDER_TYPE_STRING
)
DOMAIN_TYPE_STRING = (
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
DEPOSIT_WALLET_NAME, DEPOSIT_WALLET_VERSION = "DepositWallet", "1"


def _keccak(data: bytes) -> bytes:
    from eth_utils import keccak

    return bytes(keccak(data))


def _text_hash(text: str) -> bytes:
    return _keccak(text.encode())


def _order_struct_hash(order: UnsignedOrder) -> bytes:
    from eth_abi import encode

    types = ["bytes32"] + [f["type"] for f in ORDER_TYPES]
    message = typed_data(order, neg_risk=False)["message"]
    values = [_text_hash(ORDER_TYPE_STRING)] + [message[f["name"]] for f in ORDER_TYPES]
    return _keccak(encode(types, values))


def _domain_separator(contract: str, version: str, chain_id: int) -> bytes:
    from eth_abi import encode

    return _keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _text_hash(DOMAIN_TYPE_STRING),
                _text_hash(EXCHANGE_NAME),
                _text_hash(version),
                chain_id,
                contract,
            ],
        )
    )


def _1271_digest(
    order: UnsignedOrder, contract: str, version: str, chain_id: int
) -> tuple[bytes, bytes, bytes]:
    """(exchange domain separator, order hash, digest the wallet owner signs) for POLY_1271.

    The digest is ``keccak(0x1901 ‖ exchange domain ‖ TypedDataSign(order, wallet domain))``, the
    wallet domain being ("DepositWallet", "1", chain, wallet = ``order.signer``, zero salt).
    """
    from eth_abi import encode

    separator = _domain_separator(contract, version, chain_id)
    contents = _order_struct_hash(order)
    wrapped = _keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "bytes32", "uint256", "address", "bytes32"],
            [
                _text_hash(TYPED_DATA_SIGN_STRING),
                contents,
                _text_hash(DEPOSIT_WALLET_NAME),
                _text_hash(DEPOSIT_WALLET_VERSION),
                chain_id,
                order.signer,
                bytes(32),
            ],
        )
    )
    return separator, contents, _keccak(b"\x19\x01" + separator + wrapped)


def _sign_1271(
    order: UnsignedOrder, key: Secret, contract: str, version: str, chain_id: int
) -> str:
    """ERC-7739 wire form: ``sig ‖ exchange domain ‖ order hash ‖ type string ‖ length``."""
    from eth_account import Account

    separator, contents, digest = _1271_digest(order, contract, version, chain_id)
    inner = Account.unsafe_sign_hash(digest, key.reveal()).signature.hex().removeprefix("0x")
    type_string = ORDER_TYPE_STRING.encode()
    return (
        "0x"
        + inner
        + separator.hex()
        + contents.hex()
        + type_string.hex()
        + len(type_string).to_bytes(2, "big").hex()
    )


def sign_order(
    order: UnsignedOrder,
    key: Secret,
    *,
    neg_risk: bool,
    chain_id: int = CHAIN_ID,
    exchange_version: int = 2,
) -> str:
    """The order's signature (0x-hex) by ``key``: plain EIP-712, or ERC-7739-wrapped for POLY_1271.

    For a deposit wallet (type 3) ``maker`` and ``signer`` are both the wallet; ``key`` is the
    wallet owner's EOA key.
    """
    contract, version = exchange_for(neg_risk, exchange_version)
    if order.signature_type == POLY_1271:
        return _sign_1271(order, key, contract, version, chain_id)
    document = typed_data(
        order, neg_risk=neg_risk, chain_id=chain_id, exchange_version=exchange_version
    )
    return _sign(document, key)


def order_body(order: UnsignedOrder, signature: str) -> dict[str, Any]:
    """The ``order`` object of ``POST /order``: amounts and ids as strings, side as a word."""
    return {
        "salt": order.salt,
        "maker": order.maker,
        "signer": order.signer,
        "tokenId": order.token_id,
        "makerAmount": str(order.maker_amount),
        "takerAmount": str(order.taker_amount),
        "side": "BUY" if order.side == 0 else "SELL",
        "expiration": str(order.expiration),
        "signatureType": order.signature_type,
        "timestamp": str(order.timestamp_ms),
        "metadata": order.metadata,
        "builder": order.builder,
        "signature": signature,
    }


def clob_auth_typed_data(
    address: str, timestamp: int, nonce: int, chain_id: int = CHAIN_ID
) -> dict[str, Any]:
    """The L1 ``ClobAuth`` document that proves control of a wallet."""
    return {
        "primaryType": "ClobAuth",
        "types": {"EIP712Domain": DOMAIN_TYPES[:3], "ClobAuth": CLOB_AUTH_TYPES},
        "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": chain_id},
        "message": {
            "address": address,
            "timestamp": str(timestamp),
            "nonce": nonce,
            "message": CLOB_AUTH_MESSAGE,
        },
    }


def sign_clob_auth(
    key: Secret, address: str, timestamp: int, nonce: int = 0, chain_id: int = CHAIN_ID
) -> str:
    """The L1 signature for ``POST /auth/api-key`` and ``GET /auth/derive-api-key``."""
    return _sign(clob_auth_typed_data(address, timestamp, nonce, chain_id), key)


def address_of(key: Secret) -> str:
    """The checksummed address of a private key."""
    from eth_account import Account

    return str(Account.from_key(key.reveal()).address)


def recover_order_signer(
    order: UnsignedOrder, signature: str, *, neg_risk: bool, exchange_version: int = 2
) -> str:
    """Who signed ``order`` (what the fake exchange checks; also handy when debugging).

    For POLY_1271 this is the EOA behind the wallet's ERC-7739 signature; the wrapper must carry
    this exchange's domain and this order's hash.
    """
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    if order.signature_type == POLY_1271:
        return _recover_1271(order, signature, neg_risk, exchange_version)
    document = typed_data(order, neg_risk=neg_risk, exchange_version=exchange_version)
    return str(
        Account.recover_message(encode_typed_data(full_message=document), signature=signature)
    )


def _recover_1271(
    order: UnsignedOrder, signature: str, neg_risk: bool, exchange_version: int
) -> str:
    from eth_account import Account

    raw = bytes.fromhex(signature.removeprefix("0x"))
    contract, version = exchange_for(neg_risk, exchange_version)
    separator, contents, digest = _1271_digest(order, contract, version, CHAIN_ID)
    if raw[65:97] != separator or raw[97:129] != contents:
        return "0x" + "00" * 20
    return str(Account._recover_hash(digest, signature=raw[:65]))
