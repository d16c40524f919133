"""Packaging: the built-in venues are entry points, and they import only arbkit's public API.

The hatchling ``packages`` list and the entry-point table are easy to get wrong, and a venue
that reaches into ``arbkit.xyz`` couples itself to internals a third party cannot rely on.
"""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
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


#: What ``arbkit --version`` and ``--help`` must never import: each is for a few commands only
#: (the HTTP client, fuzzy matching, the TUI and rich output, the venues' signing crypto).
HEAVY_FOR_START_UP = ("httpx", "rapidfuzz", "textual", "rich", "cryptography", "eth_account")


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_start_up_imports_nothing_heavy(argv: list[str]) -> None:
    """Start-up with the built-in venues and every command registered (issue 12: ≤ 0.3 s)."""
    code = (
        "import sys\n"
        "from arbkit.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {HEAVY_FOR_START_UP!r} if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert "arbkit" in done.stdout  # the version line, or the help listing the commands


def test_help_still_lists_every_core_command() -> None:
    """Lazy imports must not lose a command (each module registers its own at start-up)."""
    code = "from arbkit.cli import main\nmain(['--help'])\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line}
    assert {"scan", "match", "markets", "venues", "plugins", "db", "config"} <= listed
