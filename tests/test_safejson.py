"""Deep JSON from outside never crashes the interpreter, whatever a library did to its limits."""

from __future__ import annotations

import subprocess
import sys

import pytest

from arbkit import json_loads

# A child process, because without the guard this input kills the interpreter (SIGSEGV).
CHILD = """
import sys
sys.setrecursionlimit(100_000)  # what importing eth_account (py_ecc) does
from arbkit.streaming import _decode
from arbkit import json_loads
deep = "[" * 200_000
assert _decode(deep) == []
try:
    json_loads(deep)
except RecursionError:
    pass
else:
    raise SystemExit("deep JSON parsed")
assert sys.getrecursionlimit() == 100_000  # the library's limit is given back
print("ok")
"""


def test_deep_json_under_a_raised_recursion_limit_is_an_error_not_a_crash():
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-500:])
    assert result.stdout.strip() == "ok"


def test_ordinary_json_is_parsed_as_usual():
    assert json_loads(b'{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
    with pytest.raises(ValueError):
        json_loads("{not json")
