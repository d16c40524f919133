"""The suite runs from a lone clone: no test reads anything beside the repository.

The venue payloads the tests need are copied into the repo's own fixtures (with their source
notes); a test that reached for the project's ``shared`` folder next to the checkout would pass
here and fail for every user who clones the repository alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = sorted(
    path
    for pattern in (
        "tests/**/*.py",
        "venues/*/tests/**/*.py",
        "plugins/*/tests/**/*.py",
        "src/arbkit/testing/*.py",  # the fake venues the tests start
    )
    for path in ROOT.glob(pattern)
)
#: A path into the folder beside the checkout: relative (dot-dot), absolute (the workplace root), or
#: built with pathlib's ``/`` next to the quoted folder name — the ways a test could spell it.
OUTSIDE = re.compile(
    r"\.\./"
    + "shared"
    + r"|/wo"
    + r"rk/|[\"']"
    + "shared"
    + r"[\"']\s*/|/\s*[\"']"
    + "shared"
    + r"[\"']"
)


def test_there_are_test_files_to_check() -> None:
    assert len(TEST_FILES) > 30
    assert Path(__file__) in TEST_FILES


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_reads_outside_the_repository(path: Path) -> None:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        assert not OUTSIDE.search(line), f"{path.relative_to(ROOT)}:{number}: {line.strip()}"


def test_the_pattern_catches_each_spelling() -> None:
    for line in (
        'SAMPLES = Path("/wo' + 'rk/shared/venue-samples")',
        'ROOT.parents[1] / "sha' + 'red" / "venue-samples"',
        "open('../" + "shared/venue-notes.md')",
    ):
        assert OUTSIDE.search(line), line
    assert not OUTSIDE.search("def shared_server() -> FakeVenueServer:")
