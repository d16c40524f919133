"""The shape docs/architecture.md promises: front ends hold no pipeline of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import arbkit

SRC = Path(arbkit.__file__).parent

#: What only the engine may assemble: the scanner, feeds, the matcher, the store writer
#: (and venue plugins, ``arbkit_*``).
PIPELINE_MODULES = (
    "arbkit.scan.orchestrator",
    "arbkit.scan.feeds",
    "arbkit.scan.persist",
    "arbkit.matching",
    "arbkit.recordings",
    "arbkit.registry",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_scan_command_holds_no_pipeline_logic():
    imports = imported_modules(SRC / "cli" / "scan.py")
    leaks = sorted(
        name
        for name in imports
        if name.startswith("arbkit_")
        or any(name == m or name.startswith(m + ".") for m in PIPELINE_MODULES)
    )
    assert leaks == [], f"cli/scan.py builds part of the pipeline itself: {leaks}"
    assert "arbkit.engine" in imports


def test_the_engine_never_picks_a_venue_by_name():
    for path in (SRC / "engine").glob("*.py"):
        text = path.read_text()
        for name in ('"replay"', '"polymarket"', '"kalshi"'):
            assert name not in text, f"{path.name} names the {name} venue"
