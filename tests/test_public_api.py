"""arbkit's public API: ``arbkit.__all__`` is sorted, complete and importable."""

from __future__ import annotations

import importlib
import types

import arbkit


def test_all_is_sorted_and_unique() -> None:
    assert arbkit.__all__ == sorted(set(arbkit.__all__))


def test_every_name_is_importable() -> None:
    module = importlib.import_module("arbkit")
    missing = [name for name in arbkit.__all__ if not hasattr(module, name)]
    assert missing == []


def test_all_is_complete() -> None:
    """Every public name the package root defines or imports is listed (no accidental exports)."""
    public = {
        name
        for name, value in vars(arbkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(arbkit.__all__)


def test_version_matches_distribution() -> None:
    from importlib.metadata import version

    assert arbkit.__version__ == version("arbkit")
