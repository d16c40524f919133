"""arbkit's public API: ``arbkit.__all__`` is sorted, complete, importable and cheap to import."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import arbkit


def test_all_is_sorted_and_unique() -> None:
    assert arbkit.__all__ == sorted(set(arbkit.__all__))


def test_every_name_is_importable() -> None:
    module = importlib.import_module("arbkit")
    missing = [name for name in arbkit.__all__ if not hasattr(module, name)]
    assert missing == []


def test_all_is_complete() -> None:
    """Every public name the package root defines, imports or loads lazily is listed."""
    public = {
        name
        for name, value in vars(arbkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public | set(arbkit._WHERE) == set(arbkit.__all__)


def test_type_checkers_see_the_same_names() -> None:
    """The ``TYPE_CHECKING`` imports name exactly what ``__getattr__`` serves, from where."""
    tree = ast.parse(Path(arbkit.__file__).read_text())
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "typing.TYPE_CHECKING"
    ]
    seen = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == arbkit._WHERE


def test_a_strategy_or_exit_plugin_needs_nothing_else() -> None:
    """What docs/plugins.md's strategy and exit examples use, and what a scorer returns."""
    needed = {
        "ExitRule",
        "GameState",
        "Leg",
        "LegFill",
        "Opportunity",
        "Strategy",
        "StrategySettings",
        "Verdict",
        "buy_through",
        "marginal_cost",
        "price_pair",
        "profitable_depth",
    }
    assert needed <= set(arbkit.__all__)


def test_the_pricing_helpers_are_the_scanners_own() -> None:
    from arbkit.scan import pricing, walk

    assert arbkit.price_pair is pricing.price_pair
    assert arbkit.buy_through is walk.buy_through
    assert arbkit.LegFill is walk.LegFill


@pytest.mark.parametrize("name", sorted(arbkit.__all__))
def test_each_name_is_its_modules_own(name: str) -> None:
    module, attribute = arbkit._WHERE[name]
    assert getattr(arbkit, name) is getattr(importlib.import_module(module), attribute)
    assert name in dir(arbkit)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        arbkit.Nope  # noqa: B018


def test_import_arbkit_does_not_load_the_engine() -> None:
    """A plugin that only prices books does not pay for the store and the pipeline."""
    code = (
        "import sys, arbkit; assert 'arbkit.engine' not in sys.modules, 'eager';"
        "from arbkit import Engine; assert 'arbkit.engine' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_import_arbkit_loads_no_heavy_dependency() -> None:
    """Start-up (``arbkit --version``) must not pay for what only some commands use."""
    heavy = ["httpx", "sqlite_utils", "rapidfuzz", "rich", "textual", "asyncio", "cryptography"]
    code = f"import sys, arbkit; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_submodule_is_reachable_as_an_attribute() -> None:
    """``arbkit.engine`` works without its own import, as when the root imported everything."""
    code = "import arbkit; print(arbkit.engine.Engine is arbkit.Engine)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_star_import_gives_every_name() -> None:
    namespace: dict[str, object] = {}
    exec("from arbkit import *", namespace)
    assert set(arbkit.__all__) <= set(namespace)


def test_version_matches_distribution() -> None:
    from importlib.metadata import version

    assert arbkit.__version__ == version("arbkit")
