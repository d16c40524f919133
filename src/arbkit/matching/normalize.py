"""Text normalisation shared by every lookup, so "L.A. Lakers", "la lakers" and "LA  Lakers" meet.

Dots and apostrophes are dropped (``"St. Louis"`` → ``"st louis"``, ``"A's"`` → ``"as"``), accents
folded, ``&`` spelled out, every other non-alphanumeric run becomes one space. Cached: the same few
thousand labels are looked up over and over during a scan.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DROP = str.maketrans("", "", ".'’`")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Lowercase, accent-free, punctuation-free, single-spaced form of ``text``."""
    folded = unicodedata.normalize("NFKD", text)
    if not folded.isascii():
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.lower().replace("&", " and ").translate(_DROP)
    return _NON_ALNUM.sub(" ", folded).strip()
