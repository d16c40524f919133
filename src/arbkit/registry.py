"""Typed accessors around the registration hooks: the only place hook results are collected.

Each accessor builds a ``register`` callback that type-checks what it is given, remembers which
plugin offered it, and refuses duplicate ids loudly (ids are stored in the database).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pluggy

from arbkit.errors import ConfigError, PluginError
from arbkit.exits import ExitRule
from arbkit.strategy import Strategy
from arbkit.venue import Venue

T = TypeVar("T")


def _collect_classes(
    pm: pluggy.PluginManager, hook_name: str, base: type[T], kind: str
) -> dict[str, type[T]]:
    found: dict[str, type[T]] = {}
    owners: dict[str, str] = {}
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):  # registration order: built-ins first
        plugin_name = impl.plugin_name

        def register(cls: type[T], _plugin: str = plugin_name) -> None:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise PluginError(f"plugin {_plugin!r} registered {cls!r}, not a {base.__name__}")
            name = getattr(cls, "name", "")
            if not name:
                raise PluginError(f"plugin {_plugin!r}: {cls.__name__} has no name")
            if name in found:
                raise PluginError(
                    f"{kind} {name!r} is registered twice: by {owners[name]!r} and {_plugin!r}"
                )
            found[name] = cls
            owners[name] = _plugin

        impl.function(**({"register": register} if "register" in impl.argnames else {}))
    return found


def get_venues(pm: pluggy.PluginManager) -> dict[str, type[Venue]]:
    """Every registered venue class by name."""
    return _collect_classes(pm, "register_venues", Venue, "venue")


def get_venue(pm: pluggy.PluginManager, name: str) -> type[Venue]:
    """One venue class by name; a clear error lists the known ones."""
    venues = get_venues(pm)
    if name not in venues:
        known = ", ".join(sorted(venues)) or "none"
        raise ConfigError(f"unknown venue {name!r} (known: {known})")
    return venues[name]


def get_strategies(pm: pluggy.PluginManager) -> dict[str, type[Strategy]]:
    return _collect_classes(pm, "register_strategies", Strategy, "strategy")


def get_exits(pm: pluggy.PluginManager) -> dict[str, type[ExitRule]]:
    return _collect_classes(pm, "register_exits", ExitRule, "exit rule")


def get_matcher_components(pm: pluggy.PluginManager) -> list[Any]:
    """Everything offered through ``register_matchers`` (league data, scorers), in order."""
    items: list[Any] = []
    for impl in reversed(pm.hook.register_matchers.get_hookimpls()):
        if "register" in impl.argnames:
            impl.function(register=items.append)
    return items


def get_migrations(pm: pluggy.PluginManager) -> list[Any]:
    items: list[Any] = []
    pm.hook.register_migrations(register=items.append)
    return items


HookCallback = Callable[..., None]
