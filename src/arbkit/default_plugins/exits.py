"""The built-in exit rules, registered through the same hook a third-party plugin uses.

The rules themselves live in :mod:`arbkit.trading.exit_rules`; they are imported when the
exits are asked for (``arbkit trade``), not when the CLI starts.
"""

from __future__ import annotations

from collections.abc import Callable

from arbkit.exits import ExitRule
from arbkit.hookspecs import hookimpl


@hookimpl
def register_exits(register: Callable[[type[ExitRule]], None]) -> None:
    from arbkit.trading.exit_rules import BUILT_INS

    for cls in BUILT_INS:
        register(cls)
