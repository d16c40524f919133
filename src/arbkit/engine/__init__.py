"""The engine every front end runs: sessions, the pipeline, and the sinks that consume it.

    session (live venues | recording, + clock) ─▶ Engine ─▶ sinks (store, hooks, printer, ...)

See docs/architecture.md for where each stage lives. Names are imported on first use (PEP 562):
``arbkit scan`` declares its options with :data:`DEFAULT_MIN_CONFIDENCE` at start-up, and only a
run needs the pipeline, the store and asyncio behind the rest.
"""

import importlib
import typing

if typing.TYPE_CHECKING:
    from arbkit.engine.build import EngineSettings, build_engine
    from arbkit.engine.core import Engine
    from arbkit.engine.session import LiveSession, Session, open_replay
    from arbkit.engine.sinks import HookSink, RunEnd, RunStatus, Sink, StoreSink
    from arbkit.matching.scoring import DEFAULT_MIN_CONFIDENCE

#: Where each name lives, ``{module: (name, ...)}``; a test keeps it equal to ``__all__``.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "arbkit.engine.build": ("EngineSettings", "build_engine"),
    "arbkit.engine.core": ("Engine",),
    "arbkit.engine.session": ("LiveSession", "Session", "open_replay"),
    "arbkit.engine.sinks": ("HookSink", "RunEnd", "RunStatus", "Sink", "StoreSink"),
    "arbkit.matching.scoring": ("DEFAULT_MIN_CONFIDENCE",),
}

_WHERE: dict[str, str] = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> object:
    """Import a name's module on first use and keep the value here for the next one."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


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
