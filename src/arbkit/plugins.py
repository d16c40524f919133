"""The plugin host: build a pluggy manager, load built-in and third-party plugins alike.

Built-in venues (polymarket, kalshi, replay) are entry points of the ``arbkit`` distribution in
the same ``arbkit`` group a third-party package uses, so listing, filtering and blocking treat
them identically. Core behaviour written as plugins (``DEFAULT_PLUGINS``) is always loaded.

Load order is fixed and documented (docs/plugins.md): the default plugins, then arbkit's own
entry points, then third-party entry points by distribution name. Registration and event hooks
are called one plugin at a time in that order (pluggy itself calls the last registered first),
so a later registration can deliberately build on an earlier one: a plugin's team data for a
built-in league overrides the built-in teams with the same id.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import pluggy

from arbkit import hookspecs
from arbkit.errors import PluginError

log = logging.getLogger(__name__)

#: Core behaviour written as plugins; essential, so they cannot be blocked.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "arbkit.default_plugins.matchers",
    "arbkit.default_plugins.strategies",
    "arbkit.default_plugins.exits",
)

ENTRY_POINT_GROUP = "arbkit"

#: Notification hooks: one plugin raising must not stop the run or the other plugins.
EVENT_HOOKS: frozenset[str] = frozenset({"opportunity_found", "order_filled", "position_closed"})

#: Hooks that hand ``register`` a thing to keep; :mod:`arbkit.registry` collects them.
REGISTRATION_HOOKS: frozenset[str] = frozenset(
    {
        "register_venues",
        "register_strategies",
        "register_exits",
        "register_matchers",
        "register_migrations",
    }
)

#: The distribution whose entry points are built-in (the venues shipped with arbkit).
BUILTIN_DISTRIBUTION = "arbkit"

_calling: ContextVar[str | None] = ContextVar("arbkit_calling_plugin", default=None)


def calling_plugin() -> str | None:
    """The name of the plugin whose hook implementation is running right now (else None).

    Set while :class:`ArbkitPluginManager` calls a registration or event hook, so a
    ``register`` callback knows which plugin offered what, for clash messages.
    """
    return _calling.get()


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


class ArbkitPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which distribution each entry-point plugin came from."""

    def __init__(self) -> None:
        super().__init__("arbkit")
        self.distributions: dict[str, importlib.metadata.Distribution] = {}
        #: entry-point name -> one-line reason, for plugins skipped because they failed to load
        self.failed: dict[str, str] = {}

    def _hookexec(
        self,
        hook_name: str,
        methods: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, object],
        firstresult: bool,
    ) -> object | list[object]:
        """Call registration and event hooks one plugin at a time, in load order.

        Each call still goes through pluggy's (traced) executor. An event hook that raises is
        logged and skipped; a registration hook that raises propagates.
        """
        if hook_name not in EVENT_HOOKS and hook_name not in REGISTRATION_HOOKS:
            return super()._hookexec(hook_name, methods, kwargs, firstresult)
        wrappers = [impl for impl in methods if impl.hookwrapper or impl.wrapper]
        if len(wrappers) == len(methods):  # no implementation: still one (traced) call
            return super()._hookexec(hook_name, methods, kwargs, firstresult)
        results: list[object] = []
        for impl in self.in_load_order(m for m in methods if m not in wrappers):
            token = _calling.set(self.get_name(impl.plugin) or impl.plugin_name)
            try:
                result = super()._hookexec(hook_name, [*wrappers, impl], kwargs, firstresult)
            except Exception as exc:
                if hook_name in REGISTRATION_HOOKS:
                    raise
                name = self.get_name(impl.plugin) or impl.plugin_name
                log.warning("plugin %r raised in %s: %s", name, hook_name, _one_line(exc))
                continue
            finally:
                _calling.reset(token)
            results.extend(result if isinstance(result, list) else [result])
        return results

    def in_load_order(self, impls: Iterable[pluggy.HookImpl]) -> list[pluggy.HookImpl]:
        """``impls`` sorted by when their plugin was registered (``tryfirst``/``trylast`` aside).

        Load order alone decides, so the order a registration sees is the documented one.
        """
        rank = {id(plugin): i for i, (_, plugin) in enumerate(self.list_name_plugin())}
        return sorted(impls, key=lambda impl: rank.get(id(impl.plugin), len(rank)))

    def is_builtin(self, name: str) -> bool:
        """Whether plugin ``name`` ships with arbkit (a default plugin or arbkit's entry point)."""
        if name in DEFAULT_PLUGINS:
            return True
        dist = self.distributions.get(name)
        return dist is not None and dist.metadata["name"] == BUILTIN_DISTRIBUTION

    def check_pending(self) -> None:
        """Fail on hook implementations with no spec (a misspelt hook name), as PluginError.

        Also called after registering a plugin at runtime, so the error names the plugin the way
        users know it (its entry-point or registration name), not by its module repr.
        """
        try:
            super().check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.get_name(exc.plugin) or repr(exc.plugin)
            raise PluginError(f"plugin {name!r} is invalid: {exc}") from exc


def make_plugin_manager(
    *, load_entrypoints: bool = True, block: Iterable[str] = ()
) -> ArbkitPluginManager:
    """A fresh, validated plugin manager.

    Args:
        load_entrypoints: load plugins from the ``arbkit`` entry-point group.
        block: entry-point names not to load (also ``ARBKIT_BLOCK_PLUGINS``).

    ``ARBKIT_LOAD_PLUGINS`` (comma list of entry-point names; empty = none) limits which
    entry-point plugins load. ``ARBKIT_TRACE_PLUGINS=1`` prints every hook call to stderr.

    A plugin that fails to import is logged, skipped and kept in ``pm.failed`` for
    ``arbkit plugins``; the others still load.

    Raises:
        PluginError: a plugin implements a hook that does not exist.
    """
    pm = ArbkitPluginManager()
    pm.add_hookspecs(hookspecs)
    blocked = set(block) | set(_env_list("ARBKIT_BLOCK_PLUGINS") or [])
    for name in DEFAULT_PLUGINS:
        module = importlib.import_module(name)
        pm.register(module, name=name)
    if load_entrypoints:
        _load_entrypoints(pm, blocked, _env_list("ARBKIT_LOAD_PLUGINS"))
    pm.check_pending()
    if os.environ.get("ARBKIT_TRACE_PLUGINS"):
        trace_hooks(pm)
    return pm


def trace_hooks(pm: ArbkitPluginManager, write: Any = None) -> None:
    """Print every hook call to stderr: the hook, the plugin(s) called, then the outcome.

    Registration and event hooks are called one plugin at a time, so each gets its own line.
    """
    out = write or sys.stderr.write

    def plugins(impls: Sequence[pluggy.HookImpl]) -> str:
        names = [
            pm.get_name(i.plugin) or i.plugin_name
            for i in impls
            if not (i.hookwrapper or i.wrapper)
        ]
        return ", ".join(names) or "no plugin"

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        out(f"arbkit hook {hook_name}({', '.join(kwargs)}) -> {plugins(impls)}\n")

    def after(outcome: Any, hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Any) -> None:
        if outcome.exception is not None:
            out(f"arbkit hook {hook_name} raised {_one_line(outcome.exception)}\n")

    pm.add_hookcall_monitoring(before, after)


def _load_entrypoints(pm: ArbkitPluginManager, blocked: set[str], allow: list[str] | None) -> None:
    for dist in _in_load_order(importlib.metadata.distributions()):
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP:
                continue
            if ep.name in blocked or (allow is not None and ep.name not in allow):
                continue
            if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                _skip_failed(pm, ep.name, dist, exc)
                continue
            try:
                pm.register(plugin, name=ep.name)
            except (ValueError, pluggy.PluginValidationError) as exc:
                raise PluginError(f"plugin {ep.name!r} is invalid: {exc}") from exc
            pm.distributions[ep.name] = dist


def _in_load_order(
    dists: Iterable[importlib.metadata.Distribution],
) -> list[importlib.metadata.Distribution]:
    """arbkit's own distribution first, then the others by name (stable: path order on a tie)."""

    def key(dist: importlib.metadata.Distribution) -> tuple[bool, str]:
        name = (dist.metadata["name"] or "").lower()
        return name != BUILTIN_DISTRIBUTION, name

    return sorted(dists, key=key)


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, so a log or table row never spills a traceback."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _skip_failed(
    pm: ArbkitPluginManager, name: str, dist: importlib.metadata.Distribution, exc: Exception
) -> None:
    """Record and log a plugin that failed to import; the other plugins still load."""
    reason = f"failed to load (from {dist.metadata['name']}): {_one_line(exc)}"
    pm.failed[name] = reason
    log.warning("plugin %r %s; skipped", name, reason)


def plugin_info(
    pm: pluggy.PluginManager, *, include_defaults: bool = False
) -> list[dict[str, Any]]:
    """One dict per plugin: name, hooks, version, distribution, builtin — sorted by name."""
    dists = getattr(pm, "distributions", {})
    rows = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or repr(plugin)
        is_default = name in DEFAULT_PLUGINS
        if is_default and not include_defaults:
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        dist = dists.get(name)
        row: dict[str, Any] = {"name": name, "hooks": hooks}
        if dist is not None:
            row["version"] = dist.version
            row["distribution"] = dist.metadata["name"]
        row["builtin"] = is_default or (
            dist is not None and dist.metadata["name"] == BUILTIN_DISTRIBUTION
        )
        rows.append(row)
    return sorted(rows, key=lambda row: row["name"])
