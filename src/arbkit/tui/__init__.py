"""``arbkit tui``: the live terminal dashboard (textual), one more consumer of the engine.

:func:`make_app` builds it (the CLI and the tests both use it). Plugins add screens and columns
through the ``register_tui`` hook with :class:`TuiScreen` and :class:`TuiColumn`; a plugin screen
subclasses :class:`DashboardScreen` and draws from the :class:`Snapshot` it is shown.
"""

from arbkit.tui.app import ArbkitApp, make_app
from arbkit.tui.model import Snapshot
from arbkit.tui.plugins import TuiColumn, TuiScreen
from arbkit.tui.runner import TuiSettings
from arbkit.tui.screens.base import DashboardScreen

__all__ = [
    "ArbkitApp",
    "DashboardScreen",
    "Snapshot",
    "TuiColumn",
    "TuiScreen",
    "TuiSettings",
    "make_app",
]
