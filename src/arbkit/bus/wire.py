"""What every message on the bus looks like, and how a process connects.

Every stream entry and request carries ``v`` (the schema version) and ``kind``; a reader that
meets a version it does not know refuses the entry with a one-line error instead of guessing.
Payloads are JSON with decimals as strings, so prices and sizes cross the bus exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from arbkit.errors import ArbkitError, ConfigError

if TYPE_CHECKING:
    import redis.asyncio

#: the bus schema version this arbkit writes and reads
SCHEMA_VERSION = 1
#: every key arbkit writes starts with this, so one Redis can host other data too
PREFIX = "arbkit:"


class BusError(ArbkitError):
    """The bus is unreachable, or a message on it is not one this arbkit understands."""


def key(*parts: str) -> str:
    """A namespaced Redis key: ``key("games")`` → ``arbkit:games``."""
    return PREFIX + ":".join(parts)


def encode(kind: str, body: Mapping[str, Any]) -> dict[str, str]:
    """A stream entry's fields: ``v``, ``kind`` and the JSON body."""
    return {
        "v": str(SCHEMA_VERSION),
        "kind": kind,
        "body": json.dumps(body, separators=(",", ":"), sort_keys=True, default=str),
    }


def decode(fields: Mapping[bytes | str, bytes | str]) -> tuple[str, dict[str, Any]]:
    """``(kind, body)`` of a stream entry written by :func:`encode`; other versions refused."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    version = text.get("v")
    if version != str(SCHEMA_VERSION):
        raise BusError(
            f"bus message schema version {version!r}: this arbkit reads {SCHEMA_VERSION}"
        )
    try:
        body = json.loads(text["body"])
    except (KeyError, ValueError):
        raise BusError("bus message without a readable JSON body") from None
    return text.get("kind", ""), body


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def redact_url(url: str) -> str:
    """``url`` without its password, for messages and the store: ``redis://:***@host:6379/0``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> redis.asyncio.Redis:
    """An asyncio Redis client for ``url`` (hiredis parses replies when installed)."""
    try:
        import redis.asyncio as aioredis
    except ImportError:  # pragma: no cover - redis is a dependency
        raise ConfigError("--bus needs the redis package: pip install redis hiredis") from None
    try:
        return aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    except ValueError as exc:
        raise ConfigError(f"--bus {url!r}: {exc}") from None
