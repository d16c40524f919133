"""The engine every front end runs: sessions, the pipeline, and the sinks that consume it.

    session (live venues | recording, + clock) ─▶ Engine ─▶ sinks (store, hooks, printer, ...)

See docs/architecture.md for where each stage lives.
"""

from arbkit.engine.build import EngineSettings, build_engine
from arbkit.engine.core import Engine
from arbkit.engine.session import LiveSession, Session, open_replay
from arbkit.engine.sinks import HookSink, RunEnd, RunStatus, Sink, StoreSink
from arbkit.matching.service import DEFAULT_MIN_CONFIDENCE

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "Engine",
    "EngineSettings",
    "HookSink",
    "LiveSession",
    "RunEnd",
    "RunStatus",
    "Session",
    "Sink",
    "StoreSink",
    "build_engine",
    "open_replay",
]
