"""CLOB authentication headers: L1 (wallet EIP-712) and L2 (HMAC-SHA256 over the exact request).

Credentials stay :class:`arbkit.Secret` values until the moment a header is computed; the headers
dict itself is handed straight to httpx and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping

from attrs import frozen

from arbkit import AuthenticationError, Secret
from arbkit_polymarket import signing


@frozen(kw_only=True)
class ApiCredentials:
    """The L2 API credentials (``apiKey``, ``secret``, ``passphrase``)."""

    api_key: Secret
    secret: Secret
    passphrase: Secret

    @classmethod
    def from_response(cls, body: object) -> ApiCredentials:
        """From ``/auth/api-key`` or ``/auth/derive-api-key``."""
        if not isinstance(body, Mapping) or not all(
            body.get(k) for k in ("apiKey", "secret", "passphrase")
        ):
            raise AuthenticationError("no API credentials in the answer", venue="polymarket")
        return cls(
            api_key=Secret(str(body["apiKey"])),
            secret=Secret(str(body["secret"])),
            passphrase=Secret(str(body["passphrase"])),
        )


def hmac_signature(secret: Secret, timestamp: int, method: str, path: str, body: bytes) -> str:
    """base64url(HMAC-SHA256(base64url-decoded secret, ts + METHOD + path + body))."""
    key = base64.urlsafe_b64decode(secret.reveal())
    message = f"{timestamp}{method.upper()}{path}".encode() + body
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def l2_headers(
    creds: ApiCredentials, address: str, method: str, path: str, body: bytes, timestamp: int
) -> dict[str, str]:
    """Headers for an L2 request; ``body`` must be the exact bytes sent."""
    return {
        "POLY_ADDRESS": address,
        "POLY_SIGNATURE": hmac_signature(creds.secret, timestamp, method, path, body),
        "POLY_TIMESTAMP": str(timestamp),
        "POLY_API_KEY": creds.api_key.reveal(),
        "POLY_PASSPHRASE": creds.passphrase.reveal(),
    }


def l1_headers(key: Secret, address: str, timestamp: int, nonce: int = 0) -> dict[str, str]:
    """Headers for creating or deriving API credentials from the wallet key."""
    return {
        "POLY_ADDRESS": address,
        "POLY_SIGNATURE": signing.sign_clob_auth(key, address, timestamp, nonce),
        "POLY_TIMESTAMP": str(timestamp),
        "POLY_NONCE": str(nonce),
    }


def l2_signer(
    creds: ApiCredentials, address: str, now: Callable[[], int]
) -> Callable[[str, str, bytes], dict[str, str]]:
    """A VenueHttp ``headers`` callable: each attempt is signed with a fresh timestamp."""

    def headers(method: str, path: str, body: bytes) -> dict[str, str]:
        return l2_headers(creds, address, method, path, body, now())

    return headers
