"""The plugin host: build a pluggy manager, load built-in and third-party plugins alike.

Built-in venues (polymarket, kalshi, replay) are entry points of the ``arbkit`` distribution in
the same ``arbkit`` group a third-party package uses, so listing, filtering and blocking treat
them identically. Core behaviour written as plugins (``DEFAULT_PLUGINS``) is always loaded.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
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
        """Call event hooks one plugin at a time so a raising plugin is logged, not fatal."""
        if hook_name not in EVENT_HOOKS:
            return super()._hookexec(hook_name, methods, kwargs, firstresult)
        results: list[object] = []
        for impl in reversed(methods):  # pluggy calls the last registered first
            try:
                result = super()._hookexec(hook_name, [impl], kwargs, firstresult)
            except Exception as exc:
                name = self.get_name(impl.plugin) or impl.plugin_name
                log.warning("plugin %r raised in %s: %s", name, hook_name, _one_line(exc))
                continue
            results.extend(result if isinstance(result, list) else [result])
        return results

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
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def _load_entrypoints(pm: ArbkitPluginManager, blocked: set[str], allow: list[str] | None) -> None:
    for dist in importlib.metadata.distributions():
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
        row["builtin"] = is_default or (dist is not None and dist.metadata["name"] == "arbkit")
        rows.append(row)
    return sorted(rows, key=lambda row: row["name"])
