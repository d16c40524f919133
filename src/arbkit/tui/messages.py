"""The dashboard's app-wide messages (a screen's own are nested in its class)."""

from __future__ import annotations

from textual.message import Message

from arbkit.tui.model import Snapshot


class SnapshotReady(Message):
    """A new snapshot from the engine thread; one not yet handled is replaced by a newer one."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)
