"""How a trading process uses ``--bus``: the config's ``[bus]`` table, ``ARBKIT_*`` over it.

    [bus]
    account = "acme"          # the lease's account (ARBKIT_ACCOUNT), default "default"
    lease_seconds = 10        # the lease's time to live (ARBKIT_LEASE_SECONDS)
    matcher_timeout = 10      # seconds to wait for `arbkit serve matcher` (ARBKIT_MATCHER_TIMEOUT)

An environment variable that is set (and not blank) wins over the file, as everywhere in arbkit.
A bad value, or a key the table does not know (a typo would silently keep the default lease),
is a one-line :class:`~arbkit.errors.ConfigError` naming it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from arbkit.errors import ConfigError

#: ``[bus]`` key → the environment variable that overrides it
ENVIRONMENT = {
    "account": "ARBKIT_ACCOUNT",
    "lease_seconds": "ARBKIT_LEASE_SECONDS",
    "matcher_timeout": "ARBKIT_MATCHER_TIMEOUT",
}

#: the fewest seconds a setting may be: Redis expires a lease in whole milliseconds (and a lease
#: far shorter than a round trip would be lost at once)
LEAST = {"lease_seconds": 0.1, "matcher_timeout": 0.001}
#: the most: a day; more overflows the socket and thread timeouts (and a crashed holder's lease
#: would outlive anyone waiting for it)
MOST = 86_400.0


@frozen(kw_only=True)
class BusSettings:
    account: str = "default"
    lease_seconds: float = 10.0
    matcher_timeout: float = 10.0

    @classmethod
    def read(
        cls, environ: Mapping[str, str], config: Mapping[str, Any] | None = None
    ) -> BusSettings:
        """The settings from ``environ`` over the ``[bus]`` table ``config``."""
        table = config or {}
        for key in table:
            if key not in ENVIRONMENT:
                known = ", ".join(ENVIRONMENT)
                raise ConfigError(f"[bus] {key}: not a setting (known: {known})")
        defaults = cls()
        return cls(
            account=_account(environ, table, defaults.account),
            lease_seconds=_seconds(environ, table, "lease_seconds", defaults.lease_seconds),
            matcher_timeout=_seconds(environ, table, "matcher_timeout", defaults.matcher_timeout),
        )


def _account(environ: Mapping[str, str], table: Mapping[str, Any], default: str) -> str:
    text = environ.get(ENVIRONMENT["account"], "").strip()
    if text:
        return text
    if "account" not in table:
        return default
    value = table["account"]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[bus] account = {value!r}: expected the account's name (a string)")
    return value.strip()


def _seconds(
    environ: Mapping[str, str], table: Mapping[str, Any], key: str, default: float
) -> float:
    name = ENVIRONMENT[key]
    text = environ.get(name)
    if text is not None and text.strip():
        return _positive(text, f"{name}={text!r}", LEAST[key])
    if key in table:
        return _positive(table[key], f"[bus] {key} = {table[key]!r}", LEAST[key])
    return default


def _positive(value: Any, said: str, least: float) -> float:
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{said}: expected a positive number of seconds")
    if not least <= number <= MOST:
        raise ConfigError(f"{said}: expected {least:g} to {MOST:g} seconds")
    return number
