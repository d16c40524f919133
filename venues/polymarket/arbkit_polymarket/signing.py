"""CLOB V2 orders: exact amounts on Polymarket's grid, and EIP-712 signatures via eth-account.

The cryptography is eth-account's ``encode_typed_data`` + ``sign_message`` (the same primitives the
official ``py-clob-client-v2`` uses); arbkit only builds the typed-data document. Amounts are
computed in Decimal, never float, and an order off the price/size grid is refused locally rather
than silently rounded.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from attrs import frozen

from arbkit import InvalidOrder, NotSupported, Secret, Side

CHAIN_ID = 137
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
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


def amounts(side: Side, price: Decimal, size: Decimal, tick: Decimal) -> tuple[int, int]:
    """(makerAmount, takerAmount) in 6-decimal base units for a limit order.

    A BUY pays ``price × size`` collateral for ``size`` shares; a SELL the reverse. Prices must sit
    on the market's tick grid inside [tick, 1 − tick] and sizes on the 0.01-share grid.

    Raises:
        InvalidOrder: the price or size is off the grid.
    """
    if price % tick or not (tick <= price <= 1 - tick):
        raise InvalidOrder(f"price {price} is not on the {tick} grid inside (0, 1)")
    if size <= 0 or size % SIZE_STEP:
        raise InvalidOrder(f"size {size} must be a positive multiple of {SIZE_STEP}")
    shares = int(size * UNIT)
    collateral = int(price * size * UNIT)  # exact: ≤ 6 decimals for every tick size
    return (collateral, shares) if side is Side.BUY else (shares, collateral)


def new_salt() -> int:
    """A random salt that keeps two otherwise identical orders distinct."""
    return secrets.randbits(53)


def typed_data(order: UnsignedOrder, *, neg_risk: bool, chain_id: int = CHAIN_ID) -> dict[str, Any]:
    """The EIP-712 document of a V2 order (neg-risk markets sign against their own exchange)."""
    return {
        "primaryType": "Order",
        "types": {"EIP712Domain": DOMAIN_TYPES, "Order": ORDER_TYPES},
        "domain": {
            "name": "Polymarket CTF Exchange",
            "version": "2",
            "chainId": chain_id,
            "verifyingContract": NEG_RISK_EXCHANGE_V2 if neg_risk else EXCHANGE_V2,
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


def sign_order(
    order: UnsignedOrder, key: Secret, *, neg_risk: bool, chain_id: int = CHAIN_ID
) -> str:
    """The order's EIP-712 signature (0x-hex) by ``key``.

    Raises:
        NotSupported: deposit-wallet (EIP-1271) orders need a wrapped signature arbkit lacks.
    """
    if order.signature_type == POLY_1271:
        raise NotSupported("EIP-1271 deposit-wallet signatures", venue="polymarket")
    return _sign(typed_data(order, neg_risk=neg_risk, chain_id=chain_id), key)


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


def recover_order_signer(order: UnsignedOrder, signature: str, *, neg_risk: bool) -> str:
    """Who signed ``order`` (what the fake exchange checks; also handy when debugging)."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    message = encode_typed_data(full_message=typed_data(order, neg_risk=neg_risk))
    return str(Account.recover_message(message, signature=signature))
