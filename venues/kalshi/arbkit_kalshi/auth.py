"""Kalshi request signing: RSA-PSS (SHA-256) over ``timestamp + METHOD + path``.

The signed path is the full path from the host (``/trade-api/v2/portfolio/orders``) without the
query string; the timestamp is Unix milliseconds. The private key is held as an
:class:`arbkit.Secret` and only the loaded key object (never its text) is kept around, so key
material cannot reach a log line or an error message through this module.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from arbkit import AuthenticationError, ConfigError, Secret, VenueSettings

KEY_HEADER = "KALSHI-ACCESS-KEY"
SIGNATURE_HEADER = "KALSHI-ACCESS-SIGNATURE"
TIMESTAMP_HEADER = "KALSHI-ACCESS-TIMESTAMP"

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def load_private_key(secret: Secret) -> rsa.RSAPrivateKey:
    """Load the RSA key from PEM text, or from a PEM file if the secret holds a path.

    Raises:
        ConfigError: not a readable RSA private key (the message never quotes the value).
    """
    text = secret.reveal().strip()
    if not text.startswith("-----BEGIN"):
        path = Path(text).expanduser()
        try:
            text = path.read_text().strip()
        except OSError:
            raise ConfigError(
                "kalshi private_key: neither PEM text nor a readable PEM file path"
            ) from None
        Secret(text)  # registers the file's content for redaction
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigError("kalshi private_key: not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("kalshi private_key: not an RSA key")
    return key


def pss_signature(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """Base64 RSA-PSS(SHA-256, MGF1-SHA-256, salt = digest length) signature of ``message``."""
    return base64.b64encode(key.sign(message, _PSS, hashes.SHA256())).decode()


class KalshiSigner:
    """Builds the three auth headers for one request.

    Args:
        key_id: the API key id (a UUID), as a Secret.
        private_key: the PEM key (or a path to it), as a Secret.
        now_ms: a clock in epoch milliseconds (tests pin it).
    """

    def __init__(
        self,
        key_id: Secret,
        private_key: Secret,
        *,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._key_id = key_id
        self._key = load_private_key(private_key)
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)

    @classmethod
    def from_settings(cls, settings: VenueSettings) -> KalshiSigner | None:
        """A signer from the venue's credentials; None when neither credential is set.

        Raises:
            ConfigError: only one of ``api_key_id`` / ``private_key`` is configured.
        """
        key_id = settings.credential("api_key_id")
        private_key = settings.credential("private_key")
        if not key_id and not private_key:
            return None
        if not (key_id and private_key):
            raise ConfigError(
                "kalshi: set both api_key_id and private_key (or private_key_file) to sign"
            )
        return cls(key_id, private_key)

    def headers(self, method: str, path: str) -> dict[str, str]:
        """Auth headers for ``method`` on ``path`` (full path; any query string is dropped)."""
        path = urlsplit(path).path
        timestamp = str(self._now_ms())
        message = (timestamp + method.upper() + path).encode()
        return {
            KEY_HEADER: self._key_id.reveal(),
            SIGNATURE_HEADER: pss_signature(self._key, message),
            TIMESTAMP_HEADER: timestamp,
        }

    def for_base(self, base_url: str) -> Callable[[str, str, bytes], dict[str, str]]:
        """A ``VenueHttp`` header callback: prefixes the base URL's path before signing."""
        prefix = urlsplit(base_url).path.rstrip("/")

        def sign(method: str, path: str, body: bytes) -> dict[str, str]:
            return self.headers(method, prefix + path)

        return sign


def require(signer: KalshiSigner | None, what: str) -> KalshiSigner:
    """The signer, or an AuthenticationError naming the operation that needs credentials."""
    if signer is None:
        raise AuthenticationError(
            f"{what} needs credentials: set api_key_id and private_key for [venues.kalshi]",
            venue="kalshi",
        )
    return signer
