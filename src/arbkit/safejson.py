"""JSON from outside (venue answers, stream frames, recordings) parsed with a bounded depth.

CPython's JSON decoder recurses once per nesting level and stops at the interpreter's recursion
limit. Some libraries raise that limit for themselves — importing ``eth_account`` sets it to
100,000 through ``py_ecc`` — and then a frame of 100,000 ``[`` overflows the C stack and kills
the process instead of raising. :func:`loads` parses under a limit that is always safe, so deep
nesting is a ``RecursionError`` the caller turns into a one-line error or a skipped message.
"""

from __future__ import annotations

import json
import sys
from typing import Any

#: Deep enough for any real payload (venue JSON nests < 10 levels), shallow enough for any stack.
SAFE_RECURSION_LIMIT = 4000


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads`` that cannot crash the interpreter on deeply nested input.

    Raises:
        ValueError: not JSON.
        RecursionError: nested too deeply.
    """
    limit = sys.getrecursionlimit()
    if limit <= SAFE_RECURSION_LIMIT:
        return json.loads(text)
    sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    try:
        return json.loads(text)
    finally:
        sys.setrecursionlimit(limit)
