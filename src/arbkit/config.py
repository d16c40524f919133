"""Configuration: a TOML file, overridden by ``ARBKIT_*`` environment variables.

Layout of ``config.toml`` (``arbkit config path`` prints where it is)::

    [venues.kalshi]
    sandbox = true                       # use the demo environment
    proxy = "http://127.0.0.1:3128"      # route only this venue through a proxy
    timeout = 10
    base_url = "https://..."             # override an API root (named base URLs: [venues.x.urls])
    api_key_id = "..."                   # a credential, inline (discouraged) ...
    private_key_file = "~/.kalshi/key.pem"   # ... or from a file ...
    api_key_id_env = "MY_KALSHI_KEY"     # ... or from a named environment variable

    [scan]
    min_edge = "0.005"

Credentials are also read from ``ARBKIT_<VENUE>_<NAME>`` (e.g. ``ARBKIT_KALSHI_API_KEY_ID``),
which wins over the file. They are wrapped in :class:`~arbkit.secrets.Secret` when read and
masked by ``arbkit config show``.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from arbkit.errors import ConfigError
from arbkit.paths import user_dir
from arbkit.secrets import MASK, Secret
from arbkit.venue import VenueSettings

_SETTINGS_KEYS = {"sandbox", "proxy", "timeout", "base_url", "urls"}
_SECTIONS = ("venues", "scan", "trade", "exits", "bus")
#: ``[trade]``: the risk limits (``arbkit.trading.RiskLimits``), read by ``arbkit trade``
TRADE_KEYS = (
    "min_edge",
    "max_entry_price",
    "min_confidence",
    "max_per_game",
    "max_per_venue",
    "max_per_league",
    "max_total",
    "max_open_positions",
    "daily_loss_limit",
    "kelly_fraction",
    "start_cutoff_minutes",
    "min_persist_seconds",
)
_SCAN_KEYS = (
    "min_edge",
    "min_confidence",
    "max_size",
    "lookahead",
    "cutoff",
    "speed",
    "poll",
    "rediscover",
)
_NUMERIC_OPTIONS = ("cache_ttl",)
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/@\s:]*):[^/@\s]*@", re.I)

log = logging.getLogger(__name__)


def config_path() -> Path:
    """``$ARBKIT_CONFIG``, else ``config.toml`` in the user directory."""
    env = os.environ.get("ARBKIT_CONFIG")
    return Path(env).expanduser() if env else user_dir() / "config.toml"


@frozen
class Config:
    """The parsed config file (missing file: empty config)."""

    data: Mapping[str, Any]
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Config:
        """Read the TOML file; a missing file is an empty config, a broken one a ConfigError."""
        path = path or config_path()
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            return cls({}, path)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        except UnicodeDecodeError:
            raise ConfigError(f"config file {path} is not valid TOML: not UTF-8 text") from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"cannot read config file {_short(path)}: {reason}") from None
        for warning in unknown_key_warnings(data):
            log.warning("config file %s: %s", path, warning)
        return cls(data, path)

    def section(self, *keys: str) -> Mapping[str, Any]:
        node: Any = self.data
        for key in keys:
            node = node.get(key, {}) if isinstance(node, Mapping) else {}
        if not isinstance(node, Mapping):
            raise ConfigError(f"config section [{'.'.join(keys)}] must be a table")
        return node

    def venue_settings(
        self, venue: str, credential_names: Sequence[str] = (), *, sandbox: bool | None = None
    ) -> VenueSettings:
        """Build one venue's settings from its section, env vars and the global flags."""
        section = self.section("venues", venue)
        prefix = f"ARBKIT_{venue.upper()}_"
        where = f"[venues.{venue}]"
        urls = _urls(where, section.get("urls", {}))
        if "base_url" in section:
            urls.setdefault("api", _string(where, "base_url", section["base_url"]))
        if os.environ.get(prefix + "BASE_URL"):
            urls["api"] = os.environ[prefix + "BASE_URL"]
        timeout_value = seconds_option(
            where, "timeout", os.environ.get(prefix + "TIMEOUT", section.get("timeout", 10.0))
        )
        for name in _NUMERIC_OPTIONS:
            if name in section:
                seconds_option(where, name, section[name])
        proxy = os.environ.get(prefix + "PROXY", section.get("proxy"))
        if proxy is not None:
            _check_proxy(where, proxy)
        file_sandbox = section.get("sandbox", False)
        if not isinstance(file_sandbox, bool):
            raise ConfigError(
                f"{where} sandbox must be true or false (unquoted), got {file_sandbox!r}"
            )
        credentials = {}
        for name in credential_names:
            secret = _read_credential(venue, name, section)
            if secret is not None:
                credentials[name] = secret
        options = {k: v for k, v in section.items() if k not in _SETTINGS_KEYS}
        for name in credential_names:
            for suffix in ("", "_file", "_env"):
                options.pop(name + suffix, None)
        return VenueSettings(
            base_urls=urls,
            proxy=proxy,
            timeout=timeout_value,
            sandbox=file_sandbox if sandbox is None else sandbox,
            credentials=credentials,
            options=options,
        )

    def masked(self, credential_names: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        """The config with every credential value replaced by ``****`` (for ``config show``)."""
        return _mask(self.data, {n for names in credential_names.values() for n in names})


def _read_credential(venue: str, name: str, section: Mapping[str, Any]) -> Secret | None:
    env_value = os.environ.get(f"ARBKIT_{venue.upper()}_{name.upper()}")
    if env_value:
        return Secret(env_value)
    if name + "_env" in section:
        value = os.environ.get(str(section[name + "_env"]))
        return Secret(value) if value else None
    if name + "_file" in section:
        path = Path(str(section[name + "_file"])).expanduser()
        try:
            return Secret(path.read_text().strip())
        except OSError as exc:
            raise ConfigError(
                f"[venues.{venue}] {name}_file: cannot read {path}: {exc.strerror}"
            ) from None
    if name in section:
        return Secret(str(section[name]))
    return None


_ALWAYS_SECRET = ("key", "secret", "passphrase", "password", "token")


def _mask(node: Any, names: set[str]) -> Any:
    """Mask credential keys at any depth (also in arrays of tables) and passwords in URLs."""
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            secret = key in names or any(word in key.lower() for word in _ALWAYS_SECRET)
            is_pointer = key.endswith(("_file", "_env"))
            if secret and not is_pointer and not isinstance(value, Mapping | list):
                out[key] = MASK
            else:
                out[key] = _mask(value, names)
        return out
    if isinstance(node, list):
        return [_mask(item, names) for item in node]
    if isinstance(node, str):
        return _URL_USERINFO.sub(rf"\g<scheme>\g<user>:{MASK}@", node)
    return node


def unknown_key_warnings(data: Mapping[str, Any]) -> list[str]:
    """Unknown sections and keys: warned about (a typo is silently ignored otherwise)."""
    warnings = [
        f"unknown section [{key}]{_did_you_mean(key, _SECTIONS)}"
        for key in data
        if key not in _SECTIONS
    ]
    scan = data.get("scan")
    if isinstance(scan, Mapping):
        warnings += [
            f"unknown key {key!r} in [scan]{_did_you_mean(key, _SCAN_KEYS)}"
            for key in scan
            if key not in _SCAN_KEYS
        ]
    trade = data.get("trade")
    if isinstance(trade, Mapping):
        warnings += [
            f"unknown key {key!r} in [trade]{_did_you_mean(key, TRADE_KEYS)}"
            for key in trade
            if key not in TRADE_KEYS
        ]
    venues = data.get("venues")
    if isinstance(venues, Mapping):
        for venue, section in venues.items():
            if not isinstance(section, Mapping):
                continue
            # Any other key is a venue option, so only a near-miss of a settings key is flagged.
            for key in section:
                close = difflib.get_close_matches(key, sorted(_SETTINGS_KEYS), n=1, cutoff=0.8)
                if key not in _SETTINGS_KEYS and close:
                    warnings.append(
                        f"unknown key {key!r} in [venues.{venue}] (did you mean {close[0]!r}?)"
                    )
    return warnings


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def seconds_option(where: str, key: str, value: Any) -> float:
    """A number of seconds, 0 or more: the one rule for every duration in config and venue
    options. A bool, ``nan`` or a word like "forever" is an error, not a crash later."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{where} {key} must be a number of seconds (0 or more), got {value!r}")
    return number


def _string(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} {key} must be a string, got {value!r}")
    return value


def _urls(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(f'{where} urls must be a table of name = "URL", got {value!r}')
    return {str(name): _string(where, f"urls.{name}", url) for name, url in value.items()}


def _check_proxy(where: str, value: Any) -> None:
    """A proxy must be scheme://host[:port]; anything else would fail deep inside httpx."""
    from urllib.parse import urlsplit

    text = _string(where, "proxy", value)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in _PROXY_SCHEMES or not parts.hostname:
        raise ConfigError(
            f'{where} proxy must be a URL like "http://host:3128", got {_mask(text, set())!r}'
        )


def _short(path: Path, limit: int = 200) -> str:
    """Keep a 5000-character path from turning the one-line error into a page."""
    text = str(path)
    return text if len(text) <= limit else text[:limit] + "…"
