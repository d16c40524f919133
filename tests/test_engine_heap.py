"""The engine keeps a watch's long-lived state out of full garbage collections, and gives it back.

Why it matters is in ``arbkit.engine.heap`` (per-message cost growing with the game count); these
tests pin the contract: frozen while the stream plays, nothing left frozen afterwards, and a host
process that froze objects of its own keeps them frozen.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from arbkit.engine import EngineSettings, Sink, build_engine
from arbkit.engine.heap import HeapSettler
from arbkit.plugins import make_plugin_manager


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_freezes_what_is_alive_and_release_gives_it_back() -> None:
    kept = [[index] for index in range(1000)]  # container objects: the collector tracks them
    heap = HeapSettler()
    heap.settle()
    assert gc.get_freeze_count() >= len(kept)
    heap.release()
    assert gc.get_freeze_count() == 0


def test_a_host_that_froze_first_keeps_its_objects_frozen() -> None:
    kept = [[index] for index in range(100)]
    gc.freeze()
    before = gc.get_freeze_count()
    assert before >= len(kept)
    heap = HeapSettler()
    heap.settle()
    heap.release()
    assert gc.get_freeze_count() >= before


def test_renew_collects_the_cycles_frozen_since_the_last_settle() -> None:
    heap = HeapSettler()
    heap.settle()

    class Node:
        pass

    node = Node()
    node.me = node  # type: ignore[attr-defined]  # a reference cycle: only the collector frees it
    gc.freeze()  # frozen with the rest, as a later settle would
    probe = weakref.ref(node)
    del node
    gc.collect()
    assert probe() is not None  # frozen: the collector does not see it
    heap.renew()
    assert probe() is None
    assert gc.get_freeze_count() > 0  # and what is alive is frozen again
    heap.release()
    assert gc.get_freeze_count() == 0


def test_release_without_settle_touches_nothing() -> None:
    HeapSettler().release()
    assert gc.get_freeze_count() == 0


class FreezeCounts(Sink):
    """The freeze count each time the engine hands over a change."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def change(self, change: object) -> None:
        self.counts.append(gc.get_freeze_count())


async def test_a_watch_is_frozen_while_the_stream_plays_and_not_after() -> None:
    counts = FreezeCounts()
    engine = build_engine(make_plugin_manager(), EngineSettings(sample=True), sinks=[counts])
    await engine.run(watch=True)

    assert counts.counts, "the sample produces changes"
    assert counts.counts[-1] > 0  # the last change comes from the stream: frozen by then
    assert gc.get_freeze_count() == 0
