"""What plugins add to the dashboard through ``register_tui``: screens and opportunity columns.

Collected once per app (:func:`tui_extensions`), checked like every other registration: a
wrong type or a clashing name or key is a :class:`~arbkit.errors.PluginError` naming the plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy
from attrs import field, frozen

from arbkit.errors import PluginError
from arbkit.plugins import calling_plugin

if TYPE_CHECKING:
    from arbkit.models import Opportunity
    from arbkit.tui.screens.base import DashboardScreen

#: keys and screen names the built-in screens and actions use: no plugin may take them
RESERVED_KEYS = frozenset("12345hrpqsSmcx?") | {"ctrl+p", "ctrl+c", "escape", "enter", "tab"}
RESERVED_SCREENS = frozenset({"opportunities", "matches", "positions", "orders", "log"})


@frozen(kw_only=True)
class TuiScreen:
    """A plugin's screen: shown with ``key``, listed in the footer and the command palette.

    ``factory`` returns a new :class:`~arbkit.tui.DashboardScreen` subclass instance; its
    ``show(snapshot)`` receives every :class:`~arbkit.tui.Snapshot` while it is on screen.
    """

    name: str
    title: str
    key: str
    factory: Callable[[], DashboardScreen]


@frozen(kw_only=True)
class TuiColumn:
    """A plugin's column in the Opportunities table: ``value(opportunity)`` is its cell text
    (numbers sort as numbers)."""

    label: str
    value: Callable[[Opportunity], Any]
    table: str = field(default="opportunities")


@frozen
class TuiExtensions:
    screens: tuple[TuiScreen, ...] = ()
    columns: tuple[TuiColumn, ...] = ()


def tui_extensions(pm: pluggy.PluginManager | None) -> TuiExtensions:
    """Everything plugins offered through ``register_tui``, in load order.

    Raises:
        PluginError: something that is no TuiScreen or TuiColumn, a screen name or key that is
            taken, a column label used twice or a column for a table other than opportunities.
    """
    if pm is None or not hasattr(pm.hook, "register_tui"):
        return TuiExtensions()
    offered: list[tuple[str, Any]] = []

    def register(item: Any) -> None:
        offered.append((calling_plugin() or "?", item))

    pm.hook.register_tui(register=register)
    screens: list[TuiScreen] = []
    columns: list[TuiColumn] = []
    owners: dict[str, str] = {}
    for plugin, item in offered:
        if isinstance(item, TuiScreen):
            for claim in (f"screen {item.name}", f"key {item.key}"):
                _claim(owners, claim, plugin)
            if item.name in RESERVED_SCREENS or item.key in RESERVED_KEYS:
                raise PluginError(
                    f"plugin {plugin!r} registered TUI screen {item.name!r} on key "
                    f"{item.key!r}: that name or key is arbkit's own"
                )
            screens.append(item)
        elif isinstance(item, TuiColumn):
            if item.table != "opportunities":
                raise PluginError(
                    f"plugin {plugin!r} registered a column for {item.table!r}: only the "
                    "opportunities table takes plugin columns"
                )
            _claim(owners, f"column {item.label}", plugin)
            columns.append(item)
        else:
            raise PluginError(f"plugin {plugin!r} registered {item!r}, not a TuiScreen/TuiColumn")
    return TuiExtensions(tuple(screens), tuple(columns))


def _claim(owners: dict[str, str], claim: str, plugin: str) -> None:
    if claim in owners:
        raise PluginError(f"TUI {claim} registered by both {owners[claim]!r} and {plugin!r}")
    owners[claim] = plugin
