"""Keep Python's cyclic garbage collector off a watch's long-lived objects.

Why: a watch holds every game's markets, books, shards and matches for its whole life, and each
stream message allocates a few objects that live a little (the published book, a decoded
frame). Those allocations trigger CPython's collections, and every *full* collection walks the
whole heap, so its cost grows with the number of games watched while how often it runs grows
with the number of messages: the per-message cost grew with the game count. On the end-to-end
bench's 2,000-game load, 10 full collections took 1.3 s of an 11 s run; at 100 games, 0.02 s.

:func:`gc.freeze` moves every object alive now into a generation the collector never walks
(they are still freed as soon as nothing refers to them: only reference cycles among them wait
until :func:`gc.unfreeze`). :class:`HeapSettler` freezes once the engine's state is built and
once the feed has seeded its decoders; a live watch's rediscovery (every few minutes) *renews*:
unfreezes, runs one full collection, freezes again, so cyclic garbage never outlives one
rediscovery period. The watch unfreezes at its end, unless the host process had frozen objects
of its own before (then it leaves the collector as it found it, and never renews).

The setup leaves next to no cyclic garbage to freeze (the bench's full collections during
discovery and matching found 0–10 objects each), so the first freeze skips the collection.
"""

from __future__ import annotations

import gc


class HeapSettler:
    """Freeze the objects alive now (:meth:`settle`); give them back when the watch ends."""

    def __init__(self) -> None:
        self._owner = gc.get_freeze_count() == 0  #: else the host froze first: never unfreeze
        self._frozen = False

    def settle(self) -> None:
        """Everything alive now is long-lived: no later collection walks it again."""
        gc.freeze()
        self._frozen = True

    def renew(self) -> None:
        """Collect everything once (cycles left since the last freeze included), then freeze."""
        if self._owner:
            gc.unfreeze()
            gc.collect()
        self.settle()

    def release(self) -> None:
        """Hand the frozen objects back to the collector (reference cycles among them too)."""
        if self._frozen and self._owner:
            gc.unfreeze()
        self._frozen = False
