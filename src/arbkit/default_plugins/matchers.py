"""Built-in matchers registered through the same hook a third-party plugin uses.

Every league file shipped in ``arbkit/matching/data/leagues/`` and the settlement-risk scorer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arbkit.hookspecs import hookimpl


@hookimpl
def register_matchers(register: Callable[[Any], None]) -> None:
    from arbkit.matching import SettlementRiskScorer, builtin_leagues

    for league in builtin_leagues():
        register(league)
    register(SettlementRiskScorer())
