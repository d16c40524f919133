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

import os
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
        if not path.exists():
            return cls({}, path)
        try:
            with path.open("rb") as fh:
                return cls(tomllib.load(fh), path)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc

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
        urls = dict(section.get("urls", {}))
        if "base_url" in section:
            urls.setdefault("api", str(section["base_url"]))
        if os.environ.get(prefix + "BASE_URL"):
            urls["api"] = os.environ[prefix + "BASE_URL"]
        timeout = os.environ.get(prefix + "TIMEOUT", section.get("timeout", 10.0))
        try:
            timeout_value = float(timeout)
        except (TypeError, ValueError):
            raise ConfigError(
                f"[venues.{venue}] timeout must be a number, got {timeout!r}"
            ) from None
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
            proxy=os.environ.get(prefix + "PROXY", section.get("proxy")),
            timeout=timeout_value,
            sandbox=bool(section.get("sandbox", False)) if sandbox is None else sandbox,
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
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            secret = key in names or any(word in key.lower() for word in _ALWAYS_SECRET)
            is_pointer = key.endswith(("_file", "_env"))
            if secret and not is_pointer and not isinstance(value, Mapping):
                out[key] = MASK
            else:
                out[key] = _mask(value, names)
        return out
    return node
