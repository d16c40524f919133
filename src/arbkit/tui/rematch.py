"""Confirming or rejecting a match from the dashboard: stored as overrides, applied at once.

The decision is written through the matching service's own store functions (what ``arbkit
match confirm|reject`` writes), then the engine's games are matched again on the markets it
already has: a rejected game's shard stops, so its opportunities vanish for every sink (the
trader included) in the same step, and a confirmed pair starts being watched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

from arbkit.errors import ConfigError
from arbkit.matching.overrides import CONFIRM, REJECT, save_override, yes_contract
from arbkit.models import Relation
from arbkit.scan.shard import Change

if TYPE_CHECKING:
    from arbkit.engine.core import Engine
    from arbkit.store import Store
    from arbkit.tui.model import MatchRow


def decide(
    engine: Engine,
    pm: pluggy.PluginManager,
    store: Store,
    row: MatchRow,
    decision: str,
    relation: Relation | None = None,
) -> tuple[list[Change], set[str]]:
    """Store ``decision`` for every contract link of ``row`` and match again.

    A matched game's links keep their own relation when confirmed; a near-miss needs
    ``relation`` (the user's answer). Returns the changes handed to the sinks and the games
    that are newly watched (their books still have to be fetched).

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


def rematch(
    engine: Engine, pm: pluggy.PluginManager, store: Store
) -> tuple[list[Change], set[str]]:
    """Match the engine's current markets again with the stored overrides; hand the changes
    (a stopped game's vanished opportunities, a re-priced game's) to every sink."""
    from arbkit.matching import MatchingService

    scanner = engine.scanner
    scanner.matcher = MatchingService.from_plugins(
        pm, overrides=store.db, min_confidence=engine.options.min_confidence
    )
    before = {c for shard in scanner.shards.values() for c in shard.contract_ids()}
    scanner.match()
    changes = scanner.build_shards()
    fresh = {
        game_id
        for game_id, shard in scanner.shards.items()
        if any(c not in before for c in shard.contract_ids())
    }
    emit(engine, changes)
    return changes, fresh


async def watch_new_games(engine: Engine, games: set[str]) -> None:
    """Fetch the books of newly matched games and evaluate them once."""
    if not games:
        return
    scanner = engine.scanner
    await scanner.load_books(games)
    now = engine.now()
    changes = [
        c for g in sorted(games) if g in scanner.shards for c in scanner.shards[g].evaluate(now)
    ]
    emit(engine, changes)


def emit(engine: Engine, changes: Sequence[Change]) -> None:
    """Changes made outside the engine's own loop, to every sink in attach order."""
    for change in changes:
        for sink in engine.sinks:
            sink.change(change)
