"""Packaging: the built-in venues are entry points, and they import only arbkit's public API.

The hatchling ``packages`` list and the entry-point table are easy to get wrong, and a venue
that reaches into ``arbkit.xyz`` couples itself to internals a third party cannot rely on.
"""

from __future__ import annotations

import ast
import importlib.metadata
from collections.abc import Iterator
from pathlib import Path

import pytest

import arbkit

ROOT = Path(__file__).resolve().parents[1]
BUILTIN_VENUES = {
    "polymarket": "arbkit_polymarket",
    "kalshi": "arbkit_kalshi",
    "replay": "arbkit_replay",
}
VENUE_SOURCES = sorted(ROOT.glob("venues/*/arbkit_*/**/*.py"))


def test_builtin_venues_are_entry_points() -> None:
    entry_points = importlib.metadata.distribution("arbkit").entry_points.select(group="arbkit")
    assert {ep.name: ep.value for ep in entry_points} == BUILTIN_VENUES


@pytest.mark.parametrize("name", sorted(BUILTIN_VENUES))
def test_entry_points_load(name: str) -> None:
    (ep,) = importlib.metadata.distribution("arbkit").entry_points.select(group="arbkit", name=name)
    module = ep.load()
    assert module.__name__ == BUILTIN_VENUES[name]


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every arbkit name ``path`` imports, as ``(line, "arbkit" or "arbkit.X")``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "arbkit" or alias.name.startswith("arbkit."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "arbkit":
                for alias in node.names:
                    yield node.lineno, f"arbkit.{alias.name}"
            elif node.module.startswith("arbkit."):
                yield node.lineno, node.module


def test_venue_sources_found() -> None:
    # Guards the parametrized test below against silently checking nothing.
    for module in BUILTIN_VENUES.values():
        assert any(module in path.parts for path in VENUE_SOURCES), module


@pytest.mark.parametrize("path", VENUE_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_venues_import_only_the_public_api(path: Path) -> None:
    public = set(arbkit.__all__)
    offending = []
    for line, name in _imports(path):
        if name == "arbkit":
            continue
        rest = name.partition(".")[2]
        if rest not in public:
            offending.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert offending == [], "venues may import only names in arbkit.__all__"
