"""The exit-rule contract: look at a whole two-leg position and say whether (and why) to close it.

A rule sees the :class:`~arbkit.trading.model.GamePosition` of one game (every leg), the
current books and markets of its contracts, and arbkit's clock. The exit manager
(:class:`arbkit.trading.exits.ExitManager`) asks every enabled rule in two rounds:

1. ``holds(position, now)``: a reason to keep the position whatever the others say (a veto,
   e.g. ``min_hold`` in the first 15 s). One hold keeps the position.
2. ``should_exit(position, books, markets, now)``: a reason to sell every held leg now. The
   first rule (in load order) that gives one closes the position.

A rule that raises is logged and counts as "hold" in round 1 and "no exit" in round 2: a
broken plugin never sells anything. A rule whose answer depends only on the legs and their
books and markets (not on time) may say so with ``timeless = True``: it is then asked again
only when one of those changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from arbkit.models import Market, OrderBook
    from arbkit.trading.model import GamePosition


class ExitRule:
    """Base class of exit plugins. ``options`` come from the config's ``[exits.<name>]``.

    A rule whose answer changes with time alone may define ``next_change(position, now)``: the
    first moment after ``now`` its answer could differ for the same inputs (None: never). Without
    it the rule is asked on every pass (see ``ExitManager.quiet_until``).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: True when ``should_exit``'s answer depends only on the position's legs (their figures)
    #: and the books and markets of their contracts: never on ``now``, the rule's own state
    #: or anything else. The exit manager then does not ask it again while those are the
    #: very same objects as when it last said "no exit" (the once-a-second pass over every
    #: position stays cheap). Leave it False if in doubt: a False rule is asked every time.
    timeless: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    def holds(self, position: GamePosition, now: datetime) -> str | None:
        """A reason to keep ``position`` whatever any other rule says, or None (the default)."""
        return None

    def should_exit(
        self,
        position: GamePosition,
        books: Mapping[str, OrderBook],
        markets: Mapping[str, Market],
        now: datetime,
    ) -> str | None:
        """A reason to sell every held leg of ``position`` now, or None (the default: a rule
        may only hold).

        Args:
            position: the game's open position; ``legs`` by contract id.
            books: the current book of each leg's contract id (missing: none known).
            markets: each leg's market by contract id, with its ``fees`` model.
            now: arbkit's clock (recorded time in a replay): never call ``datetime.now()``.
        """
        return None
