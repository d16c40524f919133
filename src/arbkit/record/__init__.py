"""``arbkit record``: the venues' raw payloads archived in the store, exported as replays.

A :class:`~arbkit.record.recorder.Recorder` is the *tap* that streams, venues and the replay
session call with every raw payload they receive; it only appends to a buffer, and a writer
thread compresses and stores the payloads in chunks. :func:`~arbkit.record.export.export_replay`
writes any time range back as a replay directory (docs/replay-format.md).
"""

from __future__ import annotations
