"""Confirming or rejecting a match from the dashboard: stored as overrides, applied at once.

The decision is written through the matching service's own store functions (what ``arbkit
match confirm|reject`` writes), then the engine's games are matched again on the markets it
already has (:meth:`arbkit.engine.Engine.rematch`): a rejected game's shard stops, so its
opportunities vanish for every sink (the trader included) in the same step, and a confirmed pair
starts being watched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from arbkit.errors import ConfigError
from arbkit.matching.overrides import CONFIRM, REJECT, save_override, yes_contract
from arbkit.models import Relation

if TYPE_CHECKING:
    from arbkit.engine.core import Engine, Rematch
    from arbkit.store import Store
    from arbkit.tui.model import MatchRow


def decide(
    engine: Engine,
    pm: pluggy.PluginManager,
    store: Store,
    row: MatchRow,
    decision: str,
    relation: Relation | None = None,
) -> Rematch:
    """Store ``decision`` for every contract link of ``row`` and match again.

    A matched game's links keep their own relation when confirmed; a near-miss needs
    ``relation`` (the user's answer). Returns what the engine's rematch did: the changes
    handed to the sinks and the games newly watched (their books are fetched with
    ``engine.start_games``), and which of those the stream will not update (a replay).

    Raises:
        ConfigError: nothing to decide on (a near-miss without contracts), or a confirm of a
            near-miss without a relation.
    """
    if decision not in (CONFIRM, REJECT):
        raise ConfigError(f"decision must be confirm or reject, not {decision!r}")
    if not row.links:
        raise ConfigError(f"{row.game}: no contract pair to {decision}")
    for link in row.links:
        chosen = Relation(link.relation) if link.relation else relation
        if decision == CONFIRM and chosen is None:
            raise ConfigError("confirming a near-miss needs a relation (same or opposite)")
        saved = save_override(
            store.db,
            link.left_contract,
            link.right_contract,
            decision,
            chosen if decision == CONFIRM else None,
            note="arbkit tui",
            now=engine.now(),
        )
        if decision == REJECT:
            store.db.execute(
                "delete from matches where left_contract = ? and right_contract = ?",
                [saved.left, yes_contract(saved.right)[0]],
            )
    return rematch(engine, pm, store)


def rematch(engine: Engine, pm: pluggy.PluginManager, store: Store) -> Rematch:
    """Match the engine's current markets again with the stored overrides (a matcher built
    now reads them); the engine hands the changes to every sink.

    Under ``--bus`` the engine's matcher is the shared service, which reads the overrides from
    its own database: it is kept (never replaced by a local matcher) and asked again.
    """
    from arbkit.bus.trading import KeepWatching
    from arbkit.matching import MatchingService

    if isinstance(engine.matcher, KeepWatching):
        return engine.rematch()
    matcher = MatchingService.from_plugins(
        pm, overrides=store.db, min_confidence=engine.options.min_confidence
    )
    return engine.rematch(matcher)
