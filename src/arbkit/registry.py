"""Typed accessors around the registration hooks: the only place hook results are collected.

Every accessor calls its hook through pluggy (``pm.hook.register_x(register=...)``, so
``ARBKIT_TRACE_PLUGINS`` shows it), once per plugin manager: the answer is cached on the manager
until a plugin is registered or unregistered. :class:`~arbkit.plugins.ArbkitPluginManager`
calls the implementations in load order (built-ins first, then plugins), so what a later
plugin registers is applied after, and may extend or override, what arbkit ships.

Each ``register`` callback type-checks what it is given, remembers which plugin offered it,
and refuses a clashing id with a :class:`PluginError` naming both plugins (ids are stored in
the database, so arbkit never silently renames or drops one).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from arbkit.errors import ConfigError, PluginError
from arbkit.exits import ExitRule
from arbkit.matching import LeagueData, Scorer
from arbkit.plugins import ArbkitPluginManager, calling_plugin
from arbkit.strategy import Strategy
from arbkit.venue import Venue

if TYPE_CHECKING:
    from sqlite_utils.migrations import Migrations

T = TypeVar("T")

#: The name of arbkit's own migration set: no plugin may reuse it.
CORE_MIGRATIONS = "arbkit"

#: What a registration hook offered: (plugin name, item), in call order.
Offered = list[tuple[str, Any]]

_CACHE: weakref.WeakKeyDictionary[pluggy.PluginManager, dict[str, tuple[tuple[Any, ...], Any]]]
_CACHE = weakref.WeakKeyDictionary()


def _cached(pm: pluggy.PluginManager, hook_name: str, build: Callable[[Offered], T]) -> T:
    """``build(offered)`` for ``hook_name``, computed once per manager and set of plugins.

    The key is the hook's implementations themselves, so registering or unregistering a
    plugin (as tests do after building the manager) starts afresh. A build that raises is not
    cached: the error comes back on the next lookup too.
    """
    if not isinstance(pm, ArbkitPluginManager):
        raise TypeError("arbkit.registry needs the manager from arbkit.plugins.make_plugin_manager")
    impls = tuple(getattr(pm.hook, hook_name).get_hookimpls())
    per_pm = _CACHE.setdefault(pm, {})
    hit = per_pm.get(hook_name)
    if hit is not None and hit[0] == impls:  # HookImpl compares by identity
        return hit[1]
    result = build(_offered(pm, hook_name))
    per_pm[hook_name] = (impls, result)
    return result


def _offered(pm: pluggy.PluginManager, hook_name: str) -> Offered:
    """Call ``hook_name`` through pluggy and return what each plugin registered."""
    offered: Offered = []

    def register(item: Any) -> None:
        offered.append((calling_plugin() or "?", item))

    getattr(pm.hook, hook_name)(register=register)
    return offered


def _classes(offered: Offered, base: type[T], kind: str) -> dict[str, type[T]]:
    """Subclasses of ``base`` by their ``name``; a non-subclass, no name or a clash raise."""
    found: dict[str, type[T]] = {}
    owners: dict[str, str] = {}
    for plugin, cls in offered:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(f"plugin {plugin!r} registered {cls!r}, not a {base.__name__}")
        name = getattr(cls, "name", "")
        if not name:
            raise PluginError(f"plugin {plugin!r}: {cls.__name__} has no name")
        _refuse_clash(kind, name, owners, plugin)
        found[name] = cls
    return found


def _refuse_clash(kind: str, name: str, owners: dict[str, str], plugin: str) -> None:
    if name in owners:
        raise PluginError(
            f"{kind} {name!r} is registered twice: by {owners[name]!r} and {plugin!r}"
        )
    owners[name] = plugin


def get_venues(pm: pluggy.PluginManager) -> dict[str, type[Venue]]:
    """Every registered venue class by name, in load order."""
    return dict(_cached(pm, "register_venues", lambda o: _classes(o, Venue, "venue")))


def get_venue(pm: pluggy.PluginManager, name: str) -> type[Venue]:
    """One venue class by name; a clear error lists the known ones."""
    venues = get_venues(pm)
    if name not in venues:
        known = ", ".join(sorted(venues)) or "none"
        raise ConfigError(f"unknown venue {name!r} (known: {known})")
    return venues[name]


def get_strategies(pm: pluggy.PluginManager) -> dict[str, type[Strategy]]:
    """Every registered strategy class by name, built-ins first."""
    return dict(_cached(pm, "register_strategies", lambda o: _classes(o, Strategy, "strategy")))


def get_exits(pm: pluggy.PluginManager) -> dict[str, type[ExitRule]]:
    """Every registered exit rule class by name, built-ins first."""
    return dict(_cached(pm, "register_exits", lambda o: _classes(o, ExitRule, "exit rule")))


def get_matcher_components(pm: pluggy.PluginManager) -> list[LeagueData | Scorer]:
    """Everything offered through ``register_matchers``, built-ins first, then plugins.

    The order matters: :class:`~arbkit.matching.MatchingService` merges the LeagueData of one
    league in this order, so a plugin's team with the id of a built-in team replaces it.

    Raises:
        PluginError: an item is neither LeagueData nor a Scorer; two plugins register a scorer
            with one name; or two plugins other than arbkit both extend one league (which one
            wins would depend on install order).
    """
    built = _cached(pm, "register_matchers", lambda o: _matcher_components(pm, o))
    return list(built)


def _matcher_components(pm: pluggy.PluginManager, offered: Offered) -> list[LeagueData | Scorer]:
    assert isinstance(pm, ArbkitPluginManager)
    items: list[LeagueData | Scorer] = []
    scorers: dict[str, str] = {}
    extenders: dict[str, str] = {}  # league -> the one non-built-in plugin extending it
    for plugin, item in offered:
        if isinstance(item, LeagueData):
            if not pm.is_builtin(plugin) and extenders.get(item.league, plugin) != plugin:
                raise PluginError(
                    f"league data for {item.league!r} is registered by two plugins: "
                    f"{extenders[item.league]!r} and {plugin!r}"
                )
            if not pm.is_builtin(plugin):
                extenders[item.league] = plugin
        elif isinstance(item, Scorer) and not isinstance(item, type):
            _refuse_clash("scorer", str(item.name), scorers, plugin)
        else:
            raise PluginError(
                f"plugin {plugin!r} registered {item!r} in register_matchers: "
                "not a LeagueData or a Scorer instance"
            )
        items.append(item)
    return items


def get_migrations(pm: pluggy.PluginManager) -> list[Migrations]:
    """Every plugin's migration set, in load order; each has its own name.

    Raises:
        PluginError: not a Migrations set, a set named like arbkit's core set, or two plugins
            registering sets with one name (their applied migrations would mix).
    """
    return list(_cached(pm, "register_migrations", _migrations))


def _migrations(offered: Offered) -> list[Migrations]:
    from sqlite_utils.migrations import Migrations  # only commands that open the store pay

    sets: list[Migrations] = []
    owners = {CORE_MIGRATIONS: "arbkit"}
    for plugin, item in offered:
        if not isinstance(item, Migrations):
            raise PluginError(f"plugin {plugin!r} registered {item!r}, not a Migrations set")
        _refuse_clash("migration set", item.name, owners, plugin)
        sets.append(item)
    return sets


HookCallback = Callable[..., None]
